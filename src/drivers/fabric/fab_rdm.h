/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_DRIVERS_FABRIC_RDM_H
#define IDD_SRC_DRIVERS_FABRIC_RDM_H

/*
 * libfabric RDM endpoints with RMA, opened the way the fabric driver needs
 * them: their fabric, domain, completion queue and address vector, bound
 * to an IPv4 address. The driver opens one set per device (one endpoint
 * per stripe); idd-perf opens the same kind, with one endpoint, for its
 * bare-libfabric reference, so that the two compare like with like.
 */

#include <stddef.h>
#include <stdint.h>

#include <rdma/fabric.h>
#include <rdma/fi_domain.h>

/* Endpoints one fab_rdm may open: each is a connection of its own to every
 * peer it writes to, which is what striping spreads a copy over. */
#define FAB_RDM_MAX_EPS 16

struct fab_rdm {
	struct fi_info *info;
	struct fid_fabric *fabric;
	struct fid_domain *domain;
	struct fid_av *av;
	struct fid_cq *cq;
	struct fid_ep *ep; /* eps[0]: the one whose address peers are told */
	struct fid_ep *eps[FAB_RDM_MAX_EPS];
	unsigned int nb_eps;
};

/*
 * Open @nb_eps (1..FAB_RDM_MAX_EPS) endpoints of libfabric provider
 * @provider bound to @ip (IPv4, host order; each port is chosen by the
 * provider), sharing one domain (so one memory key serves them all), one
 * context-format completion queue of @cq_size entries waiting on @cq_wait
 * (FI_WAIT_NONE for a queue that is only polled; any other wait object
 * falls back to FI_WAIT_NONE where the provider has none) and one map
 * address vector (so one fi_addr_t names a peer on every endpoint).
 *
 * Hints: RMA both ways, virtual addresses or offsets, our keys or the
 * provider's, no FI_MR_LOCAL (local buffers are not registered), and
 * delivery completion, so that a finished write has landed.
 *
 * The first call loads libfabric (fab_lib.h); every call puts back the
 * signal dispositions that loading it or opening the endpoint changed.
 *
 * Returns 0, or a negative libfabric error code with *@what naming the call
 * that failed ("fi_getinfo" when no provider matches; "loading libfabric",
 * with -ENOTSUP, when libfabric cannot be loaded: fab_lib_error() says
 * why). @r is zeroed first; on failure what was opened stays in it for
 * fab_rdm_close().
 */
int fab_rdm_open(struct fab_rdm *r, const char *provider, uint32_t ip, unsigned int nb_eps,
		 size_t cq_size, enum fi_wait_obj cq_wait, const char **what);

/* The first endpoint's own address, host order. Returns 0 or a negative
 * libfabric error code. */
int fab_rdm_name(const struct fab_rdm *r, uint32_t *ip, uint16_t *port);

/* Close whatever of @r is open and zero it. */
void fab_rdm_close(struct fab_rdm *r);

#endif

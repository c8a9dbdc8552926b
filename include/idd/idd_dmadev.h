/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_DMADEV_H
#define IDD_DMADEV_H

/**
 * @file
 * idd DMA device API: DPDK's dmadev, name for name with `idd_` for `rte_`.
 *
 * A DMA device (dmadev) is an engine that performs copies and fills
 * asynchronously. In idd the engines are software (the `sw` driver) or a
 * network transport; a device is created by the application with
 * idd_dma_dev_create() rather than found by a bus probe.
 *
 * Each device offers one or more virtual channels (vchans). A vchan is an
 * independent ring of operations with its own transfer context (direction,
 * and for inter-domain transfers, the source and destination domains).
 *
 * A device is identified by `int16_t dev_id`, a vchan by `uint16_t vchan`
 * within its device.
 *
 * Control path, in this order:
 *   - idd_dma_dev_create()
 *   - idd_dma_configure()
 *   - idd_dma_vchan_setup() for each vchan
 *   - idd_dma_start()
 *
 * To reconfigure, call idd_dma_stop(), then idd_dma_configure() and/or
 * idd_dma_vchan_setup(), then idd_dma_start() again. idd_dma_close() needs a
 * stopped device. The calls that change configuration while the device is
 * started answer -EBUSY.
 *
 * Data path, on a started device:
 *   - idd_dma_copy(), idd_dma_copy_sg(), idd_dma_fill(): enqueue one
 *     operation and return its ring_idx (0..UINT16_MAX) or a negative errno
 *     (-ENOSPC when the ring is full);
 *   - idd_dma_submit(), or IDD_DMA_OP_FLAG_SUBMIT on the last enqueue: hand
 *     the enqueued operations to the engine;
 *   - idd_dma_completed(): how many operations completed successfully;
 *   - idd_dma_completed_status(): how many completed, with each one's status;
 *   - idd_dma_burst_capacity(): how many more operations fit right now.
 *
 * ring_idx rules:
 *   - each vchan numbers its operations independently;
 *   - the first operation after idd_dma_start() gets ring_idx 0, the next 1,
 *     and so on; after 65535 comes 0 again;
 *   - idd_dma_stop() followed by idd_dma_start() restarts the count at 0.
 *
 * Every operation that was successfully enqueued is reported by exactly one
 * idd_dma_completed() or idd_dma_completed_status() call, with its status.
 * Operations enqueued but not submitted when the device is stopped complete
 * with IDD_DMA_STATUS_USER_ABORT; submitted ones are finished by the engine.
 * In idd (unlike upstream, which leaves this undefined) the completion calls
 * remain valid on a stopped device until the next idd_dma_start(), so that an
 * application can collect what idd_dma_stop() finished. idd_dma_start(),
 * idd_dma_vchan_setup() and idd_dma_configure() discard completions nobody
 * collected, with a warning log line.
 *
 * Addresses: every idd device advertises IDD_DMA_CAPA_SVA: addresses are
 * virtual addresses of the domain that the vchan names (the caller's own for
 * ordinary vchans), passed as idd_iova_t. An address of the caller's own is
 * used as it is after two checks: a range that starts in the first 4 KiB
 * (a NULL pointer, or a field of one) or wraps around the address space
 * completes with IDD_DMA_STATUS_INVALID_SRC_ADDR or
 * IDD_DMA_STATUS_INVALID_DST_ADDR; any other invalid pointer of the caller's
 * faults, as it would in memcpy().
 *
 * Inter-process vchans (domain type IDD_DMA_INTER_PROCESS_DOMAIN, handlers
 * from idd_dma_access_pair_group_handler_get()): an address of the caller's
 * own domain is used as above; an address of another member is that
 * member's own virtual address and must lie, with its whole range, in one
 * of the windows that member offers (idd_mem.h) with the permission the
 * side needs (read for the source, write for the destination). Otherwise
 * the operation completes with IDD_DMA_STATUS_INVALID_SRC_ADDR or
 * IDD_DMA_STATUS_INVALID_DST_ADDR and the vchan carries on. When a member
 * departs (leave, close, exit, death), its windows disappear: operations
 * that had run before succeeded, every later one naming it fails with
 * those same statuses. idd_dma_access_pair_group_leave(), _destroy() and
 * idd_dma_close() return only once no engine can touch the departed
 * members' memory any more.
 *
 * Thread safety: the control-path functions may be called from any thread;
 * they serialise on an internal lock. The data-path functions of one vchan
 * must be called from one thread at a time (different vchans may be driven
 * by different threads); they take no lock, allocate nothing and, with the
 * inline engine, make no system call. Control-path calls that change a
 * device (configure, vchan_setup, start, stop, close) must not run
 * concurrently with data-path calls on that device.
 *
 * Errors are negative errno values. Every refused control-path request logs
 * one line naming the device and the reason (see idd_log.h).
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <idd/idd_common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Maximum length of a device name, including the terminating NUL. */
#define IDD_DMA_DEV_NAME_MAX_LEN 64

/** Number of device slots when idd_dma_dev_max() was not called. */
#define IDD_DMADEV_DEFAULT_MAX 64

/**
 * Set the number of device slots. Only possible before the first device is
 * created (the slot table is allocated then and never resized).
 *
 * @param dev_max
 *   Number of slots, 1..INT16_MAX.
 * @return
 *   0 on success;
 *   -EINVAL if @p dev_max is 0 or above INT16_MAX, or if the table already
 *   exists.
 */
int idd_dma_dev_max(size_t dev_max);

/**
 * Create a DMA device. This takes the place of upstream's bus probe.
 *
 * @param name
 *   The device's name, unique in the process, 1 to
 *   IDD_DMA_DEV_NAME_MAX_LEN - 1 characters.
 * @param args
 *   Comma-separated `key=value` driver arguments, or NULL for the defaults.
 *   `driver=NAME` chooses the driver (default `sw`); the remaining keys are
 *   the driver's. `sw` accepts:
 *   - `engine=inline|thread` (default inline);
 *   - `cpu=N`: pin the thread engine's worker to CPU N;
 *   - `namespace=NAME`: the namespace of the access pair groups this device
 *     creates and joins, 1..32 characters of [A-Za-z0-9_-] (default: the
 *     environment variable IDD_NAMESPACE, else "default"); only devices of
 *     one namespace meet, so independent applications or test runs never
 *     see each other's groups;
 *   - `abstract_sockets=0|1`: serve and find groups in Linux's abstract
 *     socket namespace instead of the runtime directory (default: the
 *     environment variable IDD_ABSTRACT_SOCKETS, else 0); see idd_group.h
 *     for what that risks.
 *   An unknown key or a malformed value is refused.
 * @return
 *   The new device's dev_id (>= 0) on success;
 *   -EINVAL for a bad name or bad arguments;
 *   -EEXIST if a device of that name exists;
 *   -ENOSPC if every device slot is taken;
 *   -ENOMEM if memory ran out;
 *   -ENODEV if the driver named does not exist.
 */
int idd_dma_dev_create(const char *name, const char *args);

/**
 * Look a device up by name.
 *
 * @param name
 *   The name given to idd_dma_dev_create().
 * @return
 *   The dev_id on success; -EINVAL if no device has that name (or @p name
 *   is NULL).
 */
int idd_dma_get_dev_id_by_name(const char *name);

/**
 * Check whether a dev_id names a created device.
 *
 * @param dev_id
 *   The identifier of the device.
 * @return
 *   true if the device exists, false otherwise.
 */
bool idd_dma_is_valid(int16_t dev_id);

/**
 * @return
 *   The number of devices that currently exist.
 */
uint16_t idd_dma_count_avail(void);

/**
 * Find the next existing device, starting from a given id.
 *
 * @param start_dev_id
 *   The first dev_id to consider.
 * @return
 *   The first existing dev_id >= @p start_dev_id, or -1 if there is none.
 */
int16_t idd_dma_next_dev(int16_t start_dev_id);

/** Iterate @p p over every existing dev_id. */
#define IDD_DMA_FOREACH_DEV(p) \
	for (p = idd_dma_next_dev(0); p != -1; p = idd_dma_next_dev((int16_t)(p + 1)))

/**@{@name Device capabilities (struct idd_dma_info::dev_capa) */
/** Memory-to-memory transfers. */
#define IDD_DMA_CAPA_MEM_TO_MEM          IDD_BIT64(0)
/** Memory-to-device transfers. */
#define IDD_DMA_CAPA_MEM_TO_DEV          IDD_BIT64(1)
/** Device-to-memory transfers. */
#define IDD_DMA_CAPA_DEV_TO_MEM          IDD_BIT64(2)
/** Device-to-device transfers. */
#define IDD_DMA_CAPA_DEV_TO_DEV          IDD_BIT64(3)
/** Addresses are virtual addresses (shared virtual addressing). */
#define IDD_DMA_CAPA_SVA                 IDD_BIT64(4)
/** Silent mode: the application never asks for completions. */
#define IDD_DMA_CAPA_SILENT              IDD_BIT64(5)
/** A failed operation is reported in its status and the vchan carries on. */
#define IDD_DMA_CAPA_HANDLES_ERRORS      IDD_BIT64(6)
/** Memory-to-device transfers can free the source buffer when done. */
#define IDD_DMA_CAPA_M2D_AUTO_FREE       IDD_BIT64(7)
/** Strict-priority scheduling between devices (idd_dma_conf::priority). */
#define IDD_DMA_CAPA_PRI_POLICY_SP       IDD_BIT64(8)
/** Transfers between the memories of different processes. */
#define IDD_DMA_CAPA_INTER_PROCESS_DOMAIN IDD_BIT64(9)
/** Transfers between the memories of different operating systems. */
#define IDD_DMA_CAPA_INTER_OS_DOMAIN     IDD_BIT64(10)
/** idd_dma_copy() is supported. */
#define IDD_DMA_CAPA_OPS_COPY            IDD_BIT64(32)
/** idd_dma_copy_sg() is supported. */
#define IDD_DMA_CAPA_OPS_COPY_SG         IDD_BIT64(33)
/** idd_dma_fill() is supported. */
#define IDD_DMA_CAPA_OPS_FILL            IDD_BIT64(34)
/** idd_dma_enqueue_ops() and idd_dma_dequeue_ops() are supported. */
#define IDD_DMA_CAPA_OPS_ENQ_DEQ         IDD_BIT64(35)
/**@}*/

/**@{@name Configuration flags (struct idd_dma_conf::flags) */
/** Silent mode: completions are not reported (needs IDD_DMA_CAPA_SILENT). */
#define IDD_DMA_CFG_FLAG_SILENT  IDD_BIT64(0)
/** Operation mode: use idd_dma_enqueue_ops()/idd_dma_dequeue_ops() (needs
 *  IDD_DMA_CAPA_OPS_ENQ_DEQ). */
#define IDD_DMA_CFG_FLAG_ENQ_DEQ IDD_BIT64(1)
/**@}*/

/** What a device is and can do; filled by idd_dma_info_get(). */
struct idd_dma_info {
	const char *dev_name;   /**< The device's name. */
	uint64_t dev_capa;      /**< IDD_DMA_CAPA_* bits. */
	uint16_t max_vchans;    /**< Most vchans idd_dma_configure() accepts. */
	uint16_t max_desc;      /**< Largest vchan ring (idd_dma_vchan_conf::nb_desc). */
	uint16_t min_desc;      /**< Smallest vchan ring. */
	/** Most entries in each of the source and destination lists of
	 *  idd_dma_copy_sg(); 0 without IDD_DMA_CAPA_OPS_COPY_SG. */
	uint16_t max_sges;
	int16_t numa_node;      /**< NUMA node, -1 if unknown. */
	uint16_t nb_vchans;     /**< vchans configured now (0 before configure). */
	/** Priority levels (> 1) with IDD_DMA_CAPA_PRI_POLICY_SP, else 0. */
	uint16_t nb_priorities;
};

/**
 * Get a device's description and capabilities.
 *
 * @param dev_id
 *   The identifier of the device.
 * @param[out] dev_info
 *   Filled on success.
 * @return
 *   0 on success; -EINVAL if the device does not exist or @p dev_info is NULL.
 */
int idd_dma_info_get(int16_t dev_id, struct idd_dma_info *dev_info);

/** Device configuration, given to idd_dma_configure(). */
struct idd_dma_conf {
	/** vchans to create: 1..idd_dma_info::max_vchans. */
	uint16_t nb_vchans;
	/** Priority, below idd_dma_info::nb_priorities (lower is more urgent);
	 *  must be 0 without IDD_DMA_CAPA_PRI_POLICY_SP. */
	uint16_t priority;
	/** IDD_DMA_CFG_FLAG_* bits. */
	uint64_t flags;
};

/**
 * Configure a device: set the number of vchans and the mode. Any previous
 * vchan setup is discarded, and with it the completions nobody collected
 * (with a warning log line) and the statistics.
 *
 * @param dev_id
 *   The identifier of the device.
 * @param dev_conf
 *   The configuration.
 * @return
 *   0 on success;
 *   -EINVAL if the device does not exist, @p dev_conf is NULL, nb_vchans is
 *   0 or above max_vchans, the priority is out of range (or non-zero without
 *   priority support), a flag is unknown or needs a missing capability, or
 *   the driver cannot combine the flags (`sw` refuses SILENT with ENQ_DEQ:
 *   operation mode hands every op back through idd_dma_dequeue_ops());
 *   -EBUSY if the device is started;
 *   -ENOMEM if memory ran out.
 */
int idd_dma_configure(int16_t dev_id, const struct idd_dma_conf *dev_conf);

/**
 * Start a configured device. Every vchan must have been set up. Starting a
 * started device is a no-op that returns 0 (and logs a warning).
 *
 * @param dev_id
 *   The identifier of the device.
 * @return
 *   0 on success;
 *   -EINVAL if the device does not exist, is not configured, or a vchan
 *   was not set up;
 *   other negative errno values if the engine could not start (for the
 *   thread engine: the worker thread could not be created or pinned).
 */
int idd_dma_start(int16_t dev_id);

/**
 * Stop a device. Submitted operations are finished; enqueued but unsubmitted
 * ones complete with IDD_DMA_STATUS_USER_ABORT; all stay available to the
 * completion calls until the next start. Stopping a stopped device is a no-op
 * that returns 0 (and logs a warning).
 *
 * @param dev_id
 *   The identifier of the device.
 * @return
 *   0 on success; -EINVAL if the device does not exist.
 */
int idd_dma_stop(int16_t dev_id);

/**
 * Close a stopped device and free its slot and name.
 *
 * @param dev_id
 *   The identifier of the device.
 * @return
 *   0 on success; -EINVAL if the device does not exist; -EBUSY if it is
 *   started.
 */
int idd_dma_close(int16_t dev_id);

/** Transfer direction of a vchan. */
enum idd_dma_direction {
	/** Memory to memory. For inter-domain transfers, idd_dma_vchan_conf::domain
	 *  says which domains the source and destination addresses belong to. */
	IDD_DMA_DIR_MEM_TO_MEM,
	/** Memory to a device's (e.g. a PCIe host's) memory. */
	IDD_DMA_DIR_MEM_TO_DEV,
	/** A device's memory to memory. */
	IDD_DMA_DIR_DEV_TO_MEM,
	/** A device's memory to another device's memory. */
	IDD_DMA_DIR_DEV_TO_DEV,
};

/** Kind of access port on the device side of a transfer. */
enum idd_dma_port_type {
	IDD_DMA_PORT_NONE, /**< No port: the side is memory. */
	IDD_DMA_PORT_PCIE, /**< A PCIe access port. */
};

/** Device-side access port of a vchan (for MEM_TO_DEV, DEV_TO_MEM, DEV_TO_DEV). */
struct idd_dma_port_param {
	/** The port type; IDD_DMA_PORT_NONE when that side is memory. */
	enum idd_dma_port_type port_type;
	union {
		/** PCIe port parameters: which PCIe core, PF and VF the engine
		 *  uses to reach the host, and the TLP fields it sets. Fields a
		 *  driver cannot honour are ignored by it. */
		union {
			struct {
				uint64_t coreid : 4; /**< PCIe core. */
				uint64_t pfid : 8;   /**< Physical function. */
				uint64_t vfen : 1;   /**< Use a virtual function. */
				uint64_t vfid : 16;  /**< Virtual function. */
				uint64_t pasid : 20; /**< TLP PASID. */
				uint64_t attr : 3;   /**< TLP attributes. */
				uint64_t ph : 2;     /**< TLP processing hint. */
				uint64_t st : 16;    /**< TLP steering tag. */
			};
			uint64_t val; /**< All of the above as one word. */
		} pcie;
	};
	uint64_t reserved[2]; /**< Must be zero. */
};

/** Buffer auto-free parameters (for IDD_DMA_OP_FLAG_AUTO_FREE). */
struct idd_dma_auto_free_param {
	union {
		struct {
			/** The pool the source buffers came from, so that the
			 *  device can return them; NULL when not used. Needs
			 *  IDD_DMA_CAPA_M2D_AUTO_FREE. */
			void *pool;
		} m2d;
	};
	uint64_t reserved[2]; /**< Must be zero. */
};

/** Which domains a vchan's addresses belong to. */
enum idd_dma_inter_domain_type {
	/** Both addresses are in the caller's own address space. */
	IDD_DMA_INTER_DOMAIN_NONE,
	/** Addresses are in the domains (processes) the handlers name. */
	IDD_DMA_INTER_PROCESS_DOMAIN,
	/** Addresses are in the domains (operating systems) the handlers name. */
	IDD_DMA_INTER_OS_DOMAIN,
};

/**
 * Inter-domain parameters of a vchan. With type IDD_DMA_INTER_DOMAIN_NONE
 * the handlers are ignored. Otherwise @p src_handler and @p dst_handler are
 * handlers obtained with idd_dma_access_pair_group_handler_get() (the local
 * domain has one too), giving local to remote, remote to local, or remote to
 * remote (third-party) transfers.
 */
struct idd_dma_inter_domain_param {
	enum idd_dma_inter_domain_type type; /**< Domain type. */
	uint16_t src_handler;  /**< Handler of the source domain. */
	uint16_t dst_handler;  /**< Handler of the destination domain. */
	uint64_t reserved[2];  /**< Must be zero, whatever the type. */
};

/** vchan configuration, given to idd_dma_vchan_setup(). */
struct idd_dma_vchan_conf {
	/** Transfer direction. Inter-domain vchans use IDD_DMA_DIR_MEM_TO_MEM. */
	enum idd_dma_direction direction;
	/** Ring size: min_desc..max_desc; the sw driver wants a power of two. */
	uint16_t nb_desc;
	/** Source port: set for DEV_TO_MEM and DEV_TO_DEV, NONE otherwise. */
	struct idd_dma_port_param src_port;
	/** Destination port: set for MEM_TO_DEV and DEV_TO_DEV, NONE otherwise. */
	struct idd_dma_port_param dst_port;
	/** Auto-free parameters; zero when not used. */
	struct idd_dma_auto_free_param auto_free;
	/** Inter-domain parameters; zero for ordinary local transfers. */
	struct idd_dma_inter_domain_param domain;
};

/**
 * Set up one vchan of a configured, stopped device.
 *
 * An inter-process vchan's handlers must name present members of a group
 * of this device (the caller's own domain included); the vchan holds on to
 * them until it is set up again, or the device is reconfigured or closed,
 * so that a departed member's handler is never given to a newcomer while
 * a vchan still names it. Operations naming a departed member then fail
 * (see the file overview); set the vchan up anew to stop using it.
 *
 * A vchan set up again starts afresh: its statistics are zero, and the
 * completions of its previous setup that nobody collected are discarded,
 * with a warning log line.
 *
 * @param dev_id
 *   The identifier of the device.
 * @param vchan
 *   The vchan, below idd_dma_conf::nb_vchans.
 * @param conf
 *   The vchan's configuration.
 * @return
 *   0 on success;
 *   -EINVAL if the device does not exist, @p conf is NULL, the device is
 *   not configured, @p vchan is out of range, the direction or a port type
 *   is unknown or does not match the direction, a reserved word is
 *   non-zero, the device lacks the capability for the direction, the
 *   auto-free pool or the domain type, an inter-domain type is combined
 *   with a direction other than MEM_TO_MEM, nb_desc is out of range (or not
 *   a power of two, for `sw`), or a handler is not valid on this device;
 *   -EBUSY if the device is started;
 *   -ENOMEM if memory ran out.
 */
int idd_dma_vchan_setup(int16_t dev_id, uint16_t vchan, const struct idd_dma_vchan_conf *conf);

/** Operation counters of a vchan (or of all vchans together). */
struct idd_dma_stats {
	/** Operations handed to the engine (submitted); those that
	 *  idd_dma_stop() aborts before their submit count too, so that
	 *  @p completed never exceeds it. */
	uint64_t submitted;
	/** Operations reported complete, successfully or not. */
	uint64_t completed;
	/** Operations reported complete with an error status. */
	uint64_t errors;
};

/** Special vchan value: all vchans, for idd_dma_stats_get()/_reset(). */
#define IDD_DMA_ALL_VCHAN 0xFFFFu

/**
 * Read a vchan's counters, or the sum over all vchans.
 *
 * @param dev_id
 *   The identifier of the device.
 * @param vchan
 *   The vchan, or IDD_DMA_ALL_VCHAN.
 * @param[out] stats
 *   Filled on success.
 * @return
 *   0 on success; -EINVAL if the device does not exist, @p stats is NULL or
 *   @p vchan is out of range.
 */
int idd_dma_stats_get(int16_t dev_id, uint16_t vchan, struct idd_dma_stats *stats);

/**
 * Zero a vchan's counters, or every vchan's.
 *
 * @param dev_id
 *   The identifier of the device.
 * @param vchan
 *   The vchan, or IDD_DMA_ALL_VCHAN.
 * @return
 *   0 on success; -EINVAL if the device does not exist or @p vchan is out
 *   of range.
 */
int idd_dma_stats_reset(int16_t dev_id, uint16_t vchan);

/** What a vchan's engine is doing. */
enum idd_dma_vchan_status {
	IDD_DMA_VCHAN_IDLE,         /**< Nothing submitted is waiting. */
	IDD_DMA_VCHAN_ACTIVE,       /**< Submitted operations are being processed. */
	IDD_DMA_VCHAN_HALTED_ERROR, /**< Halted by an error; accepts no operations. */
};

/**
 * Report whether a vchan's engine has work in progress. Useful before stop
 * to know that everything submitted has been processed.
 *
 * @param dev_id
 *   The identifier of the device.
 * @param vchan
 *   The vchan.
 * @param[out] status
 *   Filled on success.
 * @return
 *   0 on success; -EINVAL if the device does not exist, @p status is NULL
 *   or @p vchan is out of range; -ENOTSUP if the driver cannot tell (both
 *   of idd's drivers can).
 */
int idd_dma_vchan_status(int16_t dev_id, uint16_t vchan, enum idd_dma_vchan_status *status);

/**
 * Print a readable description of a device: name, state, capabilities,
 * configuration, and the driver's per-vchan state and counters.
 *
 * @param dev_id
 *   The identifier of the device.
 * @param f
 *   Where to print.
 * @return
 *   0 on success; -EINVAL if the device does not exist or @p f is NULL.
 */
int idd_dma_dump(int16_t dev_id, FILE *f);

/** Group events, given to a idd_dma_access_pair_group_event_cb_t. */
enum idd_dma_access_pair_group_event_type {
	/** A member left the group or died (told to the creator and every
	 *  other member). Its handler is no longer valid. */
	IDD_DMA_GROUP_EVENT_MEMBER_LEFT,
	/** The group was destroyed, or its creator died (told to the members).
	 *  Every handler of the group is no longer valid. */
	IDD_DMA_GROUP_EVENT_GROUP_DESTROYED,
};

/**
 * Group event callback. It runs on idd's control thread, never inside the
 * call that registered it, and never for a call that failed.
 *
 * @param dev_id
 *   The device the group was created or joined with.
 * @param group_id
 *   The group.
 * @param domain_id
 *   For MEMBER_LEFT, the domain that left; for GROUP_DESTROYED, the domain
 *   being told (the callback's own).
 * @param event
 *   What happened.
 */
typedef void (*idd_dma_access_pair_group_event_cb_t)(int16_t dev_id, int16_t group_id,
						      idd_uuid_t domain_id,
						      enum idd_dma_access_pair_group_event_type event);

/**
 * Create an access pair group, so that other domains can join it and
 * transfers can run between the members' memories.
 *
 * @param dev_id
 *   The device that creates (and hosts) the group; it needs one of the
 *   inter-domain capabilities.
 * @param domain_id
 *   The creating domain's unique id.
 * @param token
 *   The secret that joiners must know. Use 128 random bits
 *   (uuid_generate_random()). It never leaves this process.
 * @param[out] group_id
 *   The new group's id.
 * @param cb
 *   Event callback, or NULL.
 * @return
 *   0 on success;
 *   -EINVAL if the device does not exist, @p group_id, @p domain_id or
 *   @p token is NULL, or the device has no inter-domain capability;
 *   -ENOTSUP if the driver does not implement groups (or, `fabric`, the
 *   device has no `listen=` argument);
 *   -ENOSPC if this process is in IDD_DMA_GROUP_MAX_PER_PROCESS groups
 *   (idd_group.h), or every group id of the namespace is taken;
 *   -EPERM or -ENOTDIR if the runtime directory fails its checks (a
 *   symbolic link, not a directory, someone else's, writable by others);
 *   -ENAMETOOLONG if the socket's path does not fit;
 *   -ENOMEM if memory ran out; another negative errno if the runtime
 *   directory cannot be created (e.g. -ENOENT: its parent is missing).
 *   Each refusal logs one line naming the reason.
 */
int idd_dma_access_pair_group_create(int16_t dev_id, idd_uuid_t domain_id, idd_uuid_t token,
				     int16_t *group_id, idd_dma_access_pair_group_event_cb_t cb);

/**
 * Destroy a group. Only the creating device may, and only once every other
 * member has left.
 *
 * @param dev_id
 *   The device that created the group.
 * @param group_id
 *   The group.
 * @return
 *   0 on success;
 *   -EINVAL if the device does not exist or has no inter-domain capability;
 *   -ENOTSUP if the driver does not implement groups;
 *   -ENOENT if the group is unknown; -EPERM if this device did not create
 *   it; -EBUSY if members remain.
 */
int idd_dma_access_pair_group_destroy(int16_t dev_id, int16_t group_id);

/**
 * Join a group with the token its creator chose.
 *
 * @param dev_id
 *   The joining device; it needs one of the inter-domain capabilities.
 * @param domain_id
 *   The joining domain's unique id.
 * @param token
 *   The group's token.
 * @param group_id
 *   The group.
 * @param cb
 *   Event callback, or NULL.
 * @return
 *   0 on success;
 *   -EINVAL if the device does not exist, @p domain_id or @p token is
 *   NULL, or the device has no inter-domain capability;
 *   -ENOTSUP if the driver does not implement groups (or, `fabric`, the
 *   device has no `connect=` argument);
 *   -ENOENT if the group is unknown (nobody serves it, or it ended during
 *   the join); -EACCES if the token is wrong, or the group's socket
 *   belongs to someone who cannot prove that they know it;
 *   -EEXIST if this device or this domain_id is already a member;
 *   -ENOSPC if the group has IDD_DMA_GROUP_MAX_MEMBERS members, or this
 *   process is in IDD_DMA_GROUP_MAX_PER_PROCESS groups (idd_group.h);
 *   -ETIMEDOUT if the creator did not answer in time; -EAGAIN if it stayed
 *   too busy with other handshakes; -EPROTO if the other side broke the
 *   protocol; -EPERM, -ENOTDIR or -ENAMETOOLONG as for
 *   idd_dma_access_pair_group_create() (the runtime directory);
 *   -ENOMEM if memory ran out. Each refusal logs one line naming the reason.
 */
int idd_dma_access_pair_group_join(int16_t dev_id, idd_uuid_t domain_id, idd_uuid_t token,
				   int16_t group_id, idd_dma_access_pair_group_event_cb_t cb);

/**
 * Leave a group. The creator may not leave its own group.
 *
 * @param dev_id
 *   The device that joined.
 * @param group_id
 *   The group.
 * @return
 *   0 on success;
 *   -EINVAL if the device does not exist or has no inter-domain capability;
 *   -ENOTSUP if the driver does not implement groups;
 *   -ENOENT if the device is not a member; -EPERM if it created the group.
 */
int idd_dma_access_pair_group_leave(int16_t dev_id, int16_t group_id);

/**
 * Get the handler of a member domain on this device, for use as
 * idd_dma_inter_domain_param::src_handler or
 * idd_dma_inter_domain_param::dst_handler. Every member's handler can be
 * looked up, the caller's own included. 0 is never a valid handler.
 *
 * @param dev_id
 *   The device.
 * @param group_id
 *   The group.
 * @param domain_id
 *   The member domain.
 * @param[out] handler
 *   The handler.
 * @return
 *   0 on success;
 *   -EINVAL if the device does not exist, @p handler or @p domain_id is
 *   NULL, or the device has no inter-domain capability;
 *   -ENOTSUP if the driver does not implement groups;
 *   -ENOENT if the group or the domain is unknown.
 */
int idd_dma_access_pair_group_handler_get(int16_t dev_id, int16_t group_id, idd_uuid_t domain_id,
					  uint16_t *handler);

/** Completion status of one operation. */
enum idd_dma_status_code {
	/** Completed successfully. */
	IDD_DMA_STATUS_SUCCESSFUL,
	/** Not performed: it was enqueued but not submitted when the device
	 *  was stopped. */
	IDD_DMA_STATUS_USER_ABORT,
	/** Not performed: it carried IDD_DMA_OP_FLAG_FENCE (or followed such an
	 *  operation in the same burst) and an earlier operation of its burst
	 *  failed. */
	IDD_DMA_STATUS_NOT_ATTEMPTED,
	/** The source address is not valid (e.g. outside the source domain's
	 *  windows, or not readable there). */
	IDD_DMA_STATUS_INVALID_SRC_ADDR,
	/** The destination address is not valid (outside the destination
	 *  domain's windows, or not writable there). */
	IDD_DMA_STATUS_INVALID_DST_ADDR,
	/** An address is not valid, without saying which. */
	IDD_DMA_STATUS_INVALID_ADDR,
	/** The length is not valid (0, or source and destination lists of a
	 *  scatter-gather copy that differ in total length). */
	IDD_DMA_STATUS_INVALID_LENGTH,
	/** The operation code is not valid. */
	IDD_DMA_STATUS_INVALID_OPCODE,
	/** Reading failed. */
	IDD_DMA_STATUS_BUS_READ_ERROR,
	/** Writing failed. */
	IDD_DMA_STATUS_BUS_WRITE_ERROR,
	/** Reading or writing failed. */
	IDD_DMA_STATUS_BUS_ERROR,
	/** The data was poisoned. (The spelling is upstream's.) */
	IDD_DMA_STATUS_DATA_POISION,
	/** The descriptor could not be read. */
	IDD_DMA_STATUS_DESCRIPTOR_READ_ERROR,
	/** The link to the other side failed (e.g. the peer domain is gone). */
	IDD_DMA_STATUS_DEV_LINK_ERROR,
	/** Address translation faulted. */
	IDD_DMA_STATUS_PAGE_FAULT,
	/** Failed for an unknown reason. The gap before this value is reserved. */
	IDD_DMA_STATUS_ERROR_UNKNOWN = 0x100,
};

/** One scatter-gather entry. */
struct idd_dma_sge {
	idd_iova_t addr;  /**< Address. */
	uint32_t length;  /**< Length in bytes. */
};

/**
 * An operation for the enqueue/dequeue mode (IDD_DMA_CFG_FLAG_ENQ_DEQ). The
 * application owns its memory; the device keeps the pointer between
 * idd_dma_enqueue_ops() and idd_dma_dequeue_ops().
 */
struct idd_dma_op {
	uint64_t flags;     /**< IDD_DMA_OP_FLAG_* bits. */
	void *op_mp;        /**< The pool the op came from (the application's). */
	enum idd_dma_status_code status; /**< Set by the device at completion. */
	uint32_t rsvd;      /**< Reserved. */
	uint64_t impl_opaque[2]; /**< The device's; the application must not touch it. */
	uint64_t user_meta; /**< The application's; the device never touches it. */
	uint64_t event_meta; /**< Event metadata (kept for upstream compatibility). */
	int16_t dma_dev_id; /**< Device id (kept for upstream compatibility). */
	uint16_t vchan;     /**< vchan (kept for upstream compatibility). */
	/** Number of source segments, 1..idd_dma_info::max_sges (else the op
	 *  completes with IDD_DMA_STATUS_INVALID_LENGTH). */
	uint16_t nb_src;
	/** Number of destination segments, 1..idd_dma_info::max_sges (else the
	 *  op completes with IDD_DMA_STATUS_INVALID_LENGTH). */
	uint16_t nb_dst;
	/** nb_src source segments, then nb_dst destination segments. */
	struct idd_dma_sge src_dst_seg[];
};

#ifdef __cplusplus
}
#endif

#include <idd/idd_dmadev_core.h>

#ifdef __cplusplus
extern "C" {
#endif

/**@{@name Operation flags */
/** Order this operation after every earlier operation of the vchan. If an
 *  earlier operation of the same burst failed, this one and the rest of the
 *  burst complete with IDD_DMA_STATUS_NOT_ATTEMPTED. A burst is what one
 *  submit hands to the engine. */
#define IDD_DMA_OP_FLAG_FENCE     IDD_BIT64(0)
/** Submit right after enqueuing this operation (as idd_dma_submit()). */
#define IDD_DMA_OP_FLAG_SUBMIT    IDD_BIT64(1)
/** Hint: write the destination into the last-level cache. Never an error.
 *  The sw driver writes copies and fills of at least its stream_min bytes
 *  (a device argument; by default 3/8 of the last-level cache, at least
 *  1 MiB) around the caches, as a hardware engine writing to memory would;
 *  with this flag it writes them through the cache like smaller ones. The
 *  fabric driver ignores it. */
#define IDD_DMA_OP_FLAG_LLC       IDD_BIT64(2)
/** Free the source buffer to idd_dma_auto_free_param::m2d::pool when done. */
#define IDD_DMA_OP_FLAG_AUTO_FREE IDD_BIT64(3)
/**@}*/

/**
 * Enqueue a copy.
 *
 * @param dev_id
 *   The identifier of the device.
 * @param vchan
 *   The vchan.
 * @param src
 *   Source address (in the vchan's source domain).
 * @param dst
 *   Destination address (in the vchan's destination domain).
 * @param length
 *   Bytes to copy. A length of 0 completes with IDD_DMA_STATUS_INVALID_LENGTH
 *   (with IDD_DMADEV_DEBUG: refused with -EINVAL).
 * @param flags
 *   IDD_DMA_OP_FLAG_* bits.
 * @return
 *   0..UINT16_MAX: the operation's ring_idx;
 *   -ENOSPC: the ring is full (collect completions first);
 *   -EINVAL: the device is not started or @p vchan is out of range.
 */
static inline int
idd_dma_copy(int16_t dev_id, uint16_t vchan, idd_iova_t src, idd_iova_t dst, uint32_t length,
	     uint64_t flags)
{
	struct idd_dma_fp_object *obj = &idd_dma_fp_objs[dev_id];

#ifdef IDD_DMADEV_DEBUG
	if (!idd_dma_is_valid(dev_id) || length == 0)
		return -EINVAL;
#endif
	return obj->copy(obj->dev_private, vchan, src, dst, length, flags);
}

/**
 * Enqueue a scatter-gather copy: the concatenation of the source segments is
 * copied to the concatenation of the destination segments. The lists are
 * read during the call and may be reused as soon as it returns.
 *
 * @param dev_id
 *   The identifier of the device.
 * @param vchan
 *   The vchan.
 * @param src
 *   Source segments.
 * @param dst
 *   Destination segments.
 * @param nb_src
 *   Number of source segments, 1..idd_dma_info::max_sges.
 * @param nb_dst
 *   Number of destination segments, 1..idd_dma_info::max_sges.
 * @param flags
 *   IDD_DMA_OP_FLAG_* bits.
 * @return
 *   0..UINT16_MAX: the operation's ring_idx;
 *   -ENOSPC: the ring is full;
 *   -EINVAL: the device is not started, @p vchan is out of range, a list is
 *   NULL or its count is 0 or above max_sges.
 *   Lists whose total lengths differ complete with
 *   IDD_DMA_STATUS_INVALID_LENGTH.
 */
static inline int
idd_dma_copy_sg(int16_t dev_id, uint16_t vchan, struct idd_dma_sge *src, struct idd_dma_sge *dst,
		uint16_t nb_src, uint16_t nb_dst, uint64_t flags)
{
	struct idd_dma_fp_object *obj = &idd_dma_fp_objs[dev_id];

#ifdef IDD_DMADEV_DEBUG
	if (!idd_dma_is_valid(dev_id) || src == NULL || dst == NULL || nb_src == 0 || nb_dst == 0)
		return -EINVAL;
#endif
	return obj->copy_sg(obj->dev_private, vchan, src, dst, nb_src, nb_dst, flags);
}

/**
 * Enqueue a fill: the destination is filled with the 8-byte @p pattern
 * repeated, least significant byte first (byte i of the destination is byte
 * i % 8 of the pattern in little-endian order), the last repetition cut
 * short if @p length is not a multiple of 8. On the little-endian hosts
 * idd runs on today this is the pattern's own byte order, which is what
 * upstream's test suite expects; a big-endian host would still get
 * least significant byte first, the same on every host of an inter-OS
 * group.
 *
 * @param dev_id
 *   The identifier of the device.
 * @param vchan
 *   The vchan.
 * @param pattern
 *   The pattern.
 * @param dst
 *   Destination address.
 * @param length
 *   Bytes to fill. A length of 0 completes with IDD_DMA_STATUS_INVALID_LENGTH
 *   (with IDD_DMADEV_DEBUG: refused with -EINVAL).
 * @param flags
 *   IDD_DMA_OP_FLAG_* bits.
 * @return
 *   0..UINT16_MAX: the operation's ring_idx;
 *   -ENOSPC: the ring is full;
 *   -EINVAL: the device is not started or @p vchan is out of range.
 */
static inline int
idd_dma_fill(int16_t dev_id, uint16_t vchan, uint64_t pattern, idd_iova_t dst, uint32_t length,
	     uint64_t flags)
{
	struct idd_dma_fp_object *obj = &idd_dma_fp_objs[dev_id];

#ifdef IDD_DMADEV_DEBUG
	if (!idd_dma_is_valid(dev_id) || length == 0)
		return -EINVAL;
#endif
	return obj->fill(obj->dev_private, vchan, pattern, dst, length, flags);
}

/**
 * Hand every operation enqueued since the last submit to the engine. With
 * the inline engine the operations are performed during this call.
 *
 * @param dev_id
 *   The identifier of the device.
 * @param vchan
 *   The vchan.
 * @return
 *   0 on success; -EINVAL if the device is not started or @p vchan is out
 *   of range.
 */
static inline int
idd_dma_submit(int16_t dev_id, uint16_t vchan)
{
	struct idd_dma_fp_object *obj = &idd_dma_fp_objs[dev_id];

#ifdef IDD_DMADEV_DEBUG
	if (!idd_dma_is_valid(dev_id))
		return -EINVAL;
#endif
	return obj->submit(obj->dev_private, vchan);
}

/**
 * Collect successful completions, in ring order, stopping at the first
 * failed or unfinished operation. Once an operation is reported, its data
 * is visible to every thread. A failed operation is not consumed by this
 * call: collect it (and its status) with idd_dma_completed_status().
 *
 * @param dev_id
 *   The identifier of the device.
 * @param vchan
 *   The vchan.
 * @param nb_cpls
 *   Most operations to report.
 * @param[out] last_idx
 *   ring_idx of the last operation reported; if none is reported, that of
 *   the last operation reported before (65535 before the first). May be NULL.
 * @param[out] has_error
 *   Set to true if the call stopped at a failed operation, false otherwise.
 *   May be NULL.
 * @return
 *   The number of operations reported, at most @p nb_cpls. 0 also when
 *   the call is refused (no such device, not configured, @p vchan out of
 *   range, operation mode): @p last_idx is then left as it was.
 */
static inline uint16_t
idd_dma_completed(int16_t dev_id, uint16_t vchan, const uint16_t nb_cpls, uint16_t *last_idx,
		  bool *has_error)
{
	struct idd_dma_fp_object *obj = &idd_dma_fp_objs[dev_id];
	uint16_t idx;
	bool err;

#ifdef IDD_DMADEV_DEBUG
	if (!idd_dma_is_valid(dev_id) || nb_cpls == 0)
		return 0;
#endif
	/* Drivers may rely on both pointers being valid. */
	if (last_idx == NULL)
		last_idx = &idx;
	if (has_error == NULL)
		has_error = &err;
	*has_error = false;
	return obj->completed(obj->dev_private, vchan, nb_cpls, last_idx, has_error);
}

/**
 * Collect completions, successful or not, in ring order, with each one's
 * status.
 *
 * @param dev_id
 *   The identifier of the device.
 * @param vchan
 *   The vchan.
 * @param nb_cpls
 *   Size of @p status: most operations to report.
 * @param[out] last_idx
 *   ring_idx of the last operation reported (as for idd_dma_completed()).
 *   May be NULL.
 * @param[out] status
 *   Receives one enum idd_dma_status_code per reported operation.
 * @return
 *   The number of operations reported, at most @p nb_cpls; the first that
 *   many entries of @p status are valid. 0 also when the call is refused,
 *   as for idd_dma_completed().
 */
static inline uint16_t
idd_dma_completed_status(int16_t dev_id, uint16_t vchan, const uint16_t nb_cpls,
			 uint16_t *last_idx, enum idd_dma_status_code *status)
{
	struct idd_dma_fp_object *obj = &idd_dma_fp_objs[dev_id];
	uint16_t idx;

#ifdef IDD_DMADEV_DEBUG
	if (!idd_dma_is_valid(dev_id) || nb_cpls == 0 || status == NULL)
		return 0;
#endif
	if (last_idx == NULL)
		last_idx = &idx;
	return obj->completed_status(obj->dev_private, vchan, nb_cpls, last_idx, status);
}

/**
 * How many more operations can be enqueued on a vchan right now.
 *
 * @param dev_id
 *   The identifier of the device.
 * @param vchan
 *   The vchan.
 * @return
 *   Free ring slots; 0 if the ring is full or on error.
 */
static inline uint16_t
idd_dma_burst_capacity(int16_t dev_id, uint16_t vchan)
{
	struct idd_dma_fp_object *obj = &idd_dma_fp_objs[dev_id];

#ifdef IDD_DMADEV_DEBUG
	if (!idd_dma_is_valid(dev_id))
		return 0;
#endif
	return obj->burst_capacity(obj->dev_private, vchan);
}

/**
 * Enqueue and submit operations in operation mode (the device was configured
 * with IDD_DMA_CFG_FLAG_ENQ_DEQ). Each op is a scatter-gather copy of its
 * segments. In this mode idd_dma_copy(), _submit() and _completed() are not
 * valid.
 *
 * @param dev_id
 *   The identifier of the device.
 * @param vchan
 *   The vchan.
 * @param ops
 *   The operations.
 * @param nb_ops
 *   Number of operations.
 * @return
 *   Number of operations accepted (from the front of @p ops).
 */
static inline uint16_t
idd_dma_enqueue_ops(int16_t dev_id, uint16_t vchan, struct idd_dma_op **ops, uint16_t nb_ops)
{
	struct idd_dma_fp_object *obj = &idd_dma_fp_objs[dev_id];

#ifdef IDD_DMADEV_DEBUG
	if (!idd_dma_is_valid(dev_id))
		return 0;
#endif
	return obj->enqueue(obj->dev_private, vchan, ops, nb_ops);
}

/**
 * Retrieve completed operations in operation mode, in enqueue order, each
 * with its status set.
 *
 * @param dev_id
 *   The identifier of the device.
 * @param vchan
 *   The vchan.
 * @param[out] ops
 *   Receives the completed operations.
 * @param nb_ops
 *   Size of @p ops.
 * @return
 *   Number of operations returned.
 */
static inline uint16_t
idd_dma_dequeue_ops(int16_t dev_id, uint16_t vchan, struct idd_dma_op **ops, uint16_t nb_ops)
{
	struct idd_dma_fp_object *obj = &idd_dma_fp_objs[dev_id];

#ifdef IDD_DMADEV_DEBUG
	if (!idd_dma_is_valid(dev_id))
		return 0;
#endif
	return obj->dequeue(obj->dev_private, vchan, ops, nb_ops);
}

/*
 * idd extensions. Upstream has no counterpart for what follows; programs
 * that must also build against DPDK keep it behind their own #ifdef.
 */

/**
 * Counters of a vchan (or of all vchans together): upstream's three, plus
 * bytes. Filled by idd_dma_stats_ext_get(); idd_dma_stats_reset() zeroes
 * all of them.
 */
struct idd_dma_stats_ext {
	uint64_t submitted;   /**< As idd_dma_stats::submitted. */
	uint64_t completed;   /**< As idd_dma_stats::completed. */
	uint64_t errors;      /**< As idd_dma_stats::errors. */
	/** Bytes moved by operations that succeeded (copy and copy_sg: bytes
	 *  copied; fill: bytes written). Counted when the engine finishes an
	 *  operation, which may be before the application collects it. */
	uint64_t bytes;
	uint64_t reserved[4]; /**< Zero; room for more counters. */
};

/**
 * Read a vchan's counters with the byte count, or the sum over all vchans.
 * The three upstream counters are those idd_dma_stats_get() reports.
 *
 * @param dev_id
 *   The identifier of the device.
 * @param vchan
 *   The vchan, or IDD_DMA_ALL_VCHAN.
 * @param[out] stats
 *   Filled on success.
 * @return
 *   0 on success; -EINVAL if the device does not exist, @p stats is NULL or
 *   @p vchan is out of range; -ENOTSUP if the driver does not count bytes.
 */
int idd_dma_stats_ext_get(int16_t dev_id, uint16_t vchan, struct idd_dma_stats_ext *stats);

#ifdef __cplusplus
}
#endif

#endif /* IDD_DMADEV_H */

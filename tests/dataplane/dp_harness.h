/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_TESTS_DATAPLANE_HARNESS_H
#define IDD_TESTS_DATAPLANE_HARNESS_H

/*
 * Multi-process harness for the data-plane tests. Every idd call it makes
 * goes through the PUBLIC headers (idd_dmadev.h, idd_mem.h, idd_group.h):
 * these tests see idd as an application does.
 *
 * A test program re-executes itself as an agent (real fork + exec). An
 * agent reads one command per line on stdin, runs it, and answers one line
 * on stdout: "ret <code> [values...]". The test process can run the very
 * same commands on itself (dp_self()), so a test reads the same whether a
 * step happens here or in another process.
 *
 * Commands (numbers in decimal or 0x hex; DOM and TOK are 32 hex digits):
 *   dev ENGINE NVCHANS [ARGS]  create a sw device (engine=ENGINE[,ARGS]) and
 *                              configure NVCHANS vchans  -> DEV
 *   close                      stop and close it
 *   create DOM TOK             -> GID
 *   join GID DOM TOK | leave GID | destroy GID
 *   handler GID DOM            -> H
 *   waitmembers GID N MS       until the group has N members here
 *   alloc LEN PERMS            idd_mem_alloc -> ADDR
 *   free ADDR | unreg ADDR     idd_mem_free / idd_mem_unregister
 *   wininfo ADDR               the window holding ADDR -> BASE LEN PERMS PAGE
 *   regwin PAGES WINPAGE PERMS a memfd of PAGES pages mapped shared, page
 *                              WINPAGE alone registered as a window
 *                              -> MAPADDR WINADDR
 *   fill ADDR LEN SEED [OFF] | check ADDR LEN SEED [OFF]  bytes OFF.. of
 *                              pattern SEED (check: -EIO OFFSET on mismatch)
 *   set ADDR LEN BYTE | checkbyte ADDR LEN BYTE (-> -EIO OFFSET)
 *   vsetup V TYPE SRCH DSTH    stop if started, set vchan V up
 *   start | stop
 *   copy V SRC DST LEN [FLAGS] enqueue, submit, wait -> STATUS
 *   fillop V PATTERN DST LEN   -> STATUS
 *   sg V NS (ADDR LEN)*NS ND (ADDR LEN)*ND   copy_sg -> STATUS
 *   burst V N SRC SSTEP DST DSTEP LEN   N copies in one burst
 *                              -> OK ERRORS FIRST_ERROR_STATUS
 *   waitread V ADDR MS         1-byte copies from ADDR until one succeeds
 *   waitwrite V ADDR MS        1-byte copies to ADDR until one succeeds
 *   multi ROUNDS LEN SRC N (V DST)*N   per round one copy SRC->DST on each
 *                              vchan, one burst each -> OK ERRORS
 *   loop V SRC DST LEN AFTER_MS MAX_MS  copy in bursts of 8 until a departure
 *                              (MEMBER_LEFT or GROUP_DESTROYED) was seen
 *                              AFTER_MS ago (or MAX_MS passed)
 *                              -> SUBMITTED COMPLETED OK ERRORS LEFT_SEEN
 *                                 OK_AFTER_LEFT STATS_SUB STATS_COMP STATS_ERR
 *   seq V N (SRC DST LEN FLAGS)*N  one burst, each copy with its flags
 *                              -> STATUS*N
 *   flood V SRC DST LEN N      N copies in one burst, submitted, not
 *                              collected -> N
 *   collectn V N               collect N completions
 *                              -> OK ERRORS FIRST_ERROR_STATUS
 *   floodleave V SRC DST LEN N GID  N copies in one burst, leave at once,
 *                              then collect -> OK ERRORS LEAVE_RET
 *   publish GID NAME ADDR LEN | unpublish GID NAME   the group's directory
 *   lookcopy V GID NAME MS LOCAL OFF LEN WRITE  look NAME up (waiting up to
 *                              MS), then at once copy LEN bytes from the
 *                              buffer's byte OFF to LOCAL (WRITE 0) or from
 *                              LOCAL to it (WRITE 1) -> STATUS ADDR HANDLER
 *   checkpat ADDR LEN PATTERN  bytes as a fill with PATTERN writes them
 *   dumpcheck TEXT             idd_dma_dump() prints TEXT ('_' = space)
 *   stats V                    -> SUBMITTED COMPLETED ERRORS BYTES
 *   dump                       idd_dma_dump to stderr
 *   waitev EV DOM MS           wait for a group event (consumes it)
 *   exit
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DP_MAX_VALS 16

/* Call first from main(). Returns -1 in the test process (go on), else the
 * agent's exit status (return it from main). */
int dp_main(int argc, char **argv);

/* A fresh namespace (IDD_NAMESPACE) for the next test; agents spawned
 * afterwards inherit it. */
const char *dp_new_ns(void);

/* A process taking commands: an agent, or this process (pid 0). */
struct dp_proc {
	pid_t pid;
	int to, from;
	char buf[4096];
	size_t len;
	char last[512]; /* last reply line */
	uint64_t val[DP_MAX_VALS];
	int nval;
};

void dp_spawn(struct dp_proc *p);
void dp_self_init(struct dp_proc *p);
/* Send without waiting (agents only). */
void dp_send(struct dp_proc *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Wait for the answer to the command sent last; returns its code, values in
 * p->val. -9999 if the agent died or stayed silent. */
int dp_wait(struct dp_proc *p);
/* Both. */
int dp_cmd(struct dp_proc *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "exit", then reap: returns the exit status (128 + signal if killed). */
int dp_exit(struct dp_proc *p);
/* SIGKILL and reap. */
void dp_kill(struct dp_proc *p);

/* Domain ids and tokens from small numbers, as 32 hex digits. */
void dp_uuid(unsigned int n, unsigned char out[16]);
const char *dp_hex(unsigned int n); /* static buffer per call site: use at once */

/* The byte at offset @i of pattern @seed. */
uint8_t dp_pattern_byte(uint64_t seed, uint64_t i);
/* Bytes @off..@off+@len of pattern @seed, to @p. */
void dp_pattern_fill(uint8_t *p, size_t len, uint64_t seed, uint64_t off);
/* Offset in @p of the first byte that differs from the pattern, or -1. */
long long dp_pattern_check(const uint8_t *p, size_t len, uint64_t seed, uint64_t off);

/* Run one command line in this process; the answer goes to @out. */
void dp_exec(const char *line, char *out, size_t cap);

#endif

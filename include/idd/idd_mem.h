/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_MEM_H
#define IDD_MEM_H

/**
 * @file
 * Shareable memory: windows that other processes can map.
 *
 * A process can copy into or out of another process's memory only if it can
 * map that memory. Memory that a domain offers to its peers therefore lives
 * in *windows*: ranges of a memfd that idd has sealed against shrinking and
 * growing (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), so that a peer's
 * mapping can never turn into SIGBUS. A window is named by its owner's
 * virtual address: peers use the owner's own pointers, and applications
 * exchange plain pointers.
 *
 * Two ways to get a window:
 *
 *  - idd_mem_alloc() / idd_mem_alloc_aligned() / idd_mem_free(): a heap over
 *    large memfd segments (huge pages where the system has reserved them,
 *    normal pages otherwise). Each segment is one window, however many
 *    buffers it holds; allocations of 8 MiB and more get a segment (a
 *    window) of their own, which idd_mem_free() removes.
 *  - idd_mem_register() / idd_mem_unregister(): memory the application
 *    mapped itself (MAP_SHARED) from a memfd.
 *
 * Permissions say what peers may do with a window: IDD_MEM_PEER_READ (be a
 * copy's source), IDD_MEM_PEER_WRITE (be its destination), both, or neither
 * (private memory, never offered to peers). They are fixed when the memory
 * is allocated or registered. The file behind a window with only
 * IDD_MEM_PEER_READ is sealed against writing (F_SEAL_FUTURE_WRITE), so the
 * kernel enforces it for every peer, while the owner's own mapping stays
 * writable; write without read is enforced by idd's address checks only (a
 * writable mapping is readable on common CPUs). Peers receive the window's
 * file: one that misbehaves can reach all of it, that is every heap block
 * with the same permissions, or all of a registered memfd.
 *
 * Memory from idd_mem_alloc() is not zeroed when it is reused, and it is
 * aligned to at least IDD_MEM_ALIGN_MIN bytes.
 *
 * Errors: the pointer-returning allocation functions return NULL and set
 * errno; every other function returns 0 or a negative errno value. Every
 * refused call logs one line (see idd_log.h) that names the address and the
 * reason.
 *
 * Thread safety: every function may be called from any thread, concurrently
 * with the others. idd_mem_alloc() and idd_mem_free() are the fast ones
 * (per-thread caches; no lock and no system call in the common case); a
 * block may be freed by another thread than the one that allocated it.
 * Freeing the same block from two threads at once is undefined, as it is
 * for free().
 *
 * fork(): the child of a fork() (without exec) starts with an empty heap
 * and no windows. It can still read and write the memory it inherited (the
 * mappings are shared with the parent), but idd_mem_free() refuses those
 * blocks and they are not windows of the child.
 */

#include <stddef.h>
#include <stdint.h>

#include <idd/idd_common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Peers may read the memory: it may be the source of their copies. */
#define IDD_MEM_PEER_READ (1u << 0)
/** Peers may write the memory: it may be the destination of their copies. */
#define IDD_MEM_PEER_WRITE (1u << 1)
/** Peers may read and write the memory. */
#define IDD_MEM_PEER_RW (IDD_MEM_PEER_READ | IDD_MEM_PEER_WRITE)

/** Every block from idd_mem_alloc() is aligned to at least this. */
#define IDD_MEM_ALIGN_MIN 64
/** The largest alignment idd_mem_alloc_aligned() accepts (2 MiB). */
#define IDD_MEM_ALIGN_MAX ((size_t)2 << 20)

/**
 * Most windows one process may have at once: heap segments (private ones
 * included), blocks of 8 MiB and more, and registered ranges. It also
 * bounds the windows a process accepts from any one peer of a group (a
 * peer offering more is refused and, by a group's creator, dropped). Each
 * window costs a file descriptor, and one more for each group member that
 * keeps it (see doc/limits.md).
 */
#define IDD_MEM_MAX_WINDOWS 1024

/**
 * Allocate @p len bytes of shareable memory, aligned to IDD_MEM_ALIGN_MIN.
 *
 * The memory belongs to one of the heap's segments, a window with the
 * permissions in @p flags (allocations with different permissions come from
 * different segments). Blocks of 8 MiB and more get a segment of their own.
 *
 * Pages are not reserved (except huge pages): like any shared memory, a
 * segment is not charged against the kernel's overcommit limit, so a block
 * larger than the machine can back may be returned, and touching it then
 * fails (the OOM killer, or SIGBUS when a size limit of the memfd's
 * filesystem is reached). Size requests to what the machine has.
 *
 * @param len
 *   Bytes to allocate; not 0.
 * @param flags
 *   IDD_MEM_PEER_READ and/or IDD_MEM_PEER_WRITE, or 0 for private memory.
 * @return
 *   The block, or NULL with errno set:
 *   - EINVAL: @p len is 0, or @p flags has an unknown bit.
 *   - ENOMEM: no memory, or @p len is too large.
 *   - EMFILE, ENFILE: no file descriptor left for a new segment.
 *   - ENOSPC: a new segment was needed and the process has
 *     IDD_MEM_MAX_WINDOWS windows.
 */
void *idd_mem_alloc(size_t len, unsigned int flags);

/**
 * Like idd_mem_alloc(), with the block aligned to @p align.
 *
 * @param len
 *   Bytes to allocate; not 0.
 * @param align
 *   A power of two, at most IDD_MEM_ALIGN_MAX. Values below
 *   IDD_MEM_ALIGN_MIN give IDD_MEM_ALIGN_MIN; use 4096 for page alignment.
 * @param flags
 *   As for idd_mem_alloc().
 * @return
 *   The block, or NULL with errno set as for idd_mem_alloc(), and EINVAL
 *   when @p align is not a power of two or exceeds IDD_MEM_ALIGN_MAX.
 */
void *idd_mem_alloc_aligned(size_t len, size_t align, unsigned int flags);

/**
 * Free a block from idd_mem_alloc() or idd_mem_alloc_aligned().
 *
 * The block's bytes stay mapped in peers that imported its segment; a
 * segment made for one large block is removed (its window disappears, and
 * this call waits until no local engine can be reading it).
 *
 * @param addr
 *   The block's address, exactly as returned; NULL does nothing.
 * @return
 *   - 0: freed (or @p addr was NULL).
 *   - -EINVAL: @p addr is not a block idd allocated (memory from malloc(),
 *     a pointer into the middle of a block, a registered window), or the
 *     block is already free. Nothing is changed. A double free is always
 *     detected while the block has not been handed out again.
 */
int idd_mem_free(void *addr);

/**
 * Make application memory mapped from a memfd a window.
 *
 * The range must be a shared mapping (MAP_SHARED) of @p fd starting at
 * @p offset, as mmap() made it: idd checks this against /proc/self/maps
 * where /proc is mounted. The fd must be a memfd created with
 * MFD_ALLOW_SEALING (or one already carrying F_SEAL_SHRINK, F_SEAL_GROW and
 * F_SEAL_SEAL); idd adds the missing seals, so the file can no longer be
 * resized afterwards. With @p perms IDD_MEM_PEER_READ alone it also adds
 * F_SEAL_FUTURE_WRITE (unless the file has F_SEAL_WRITE): nobody can map
 * the file writable any more, while existing mappings, the application's
 * own, stay as they are. A refused call leaves @p fd as it was, except
 * for the last three kinds of error below, found after sealing. idd keeps its own
 * duplicate of @p fd: the application may close its copy. Peers receive
 * the whole file: give memory that no member may see a file of its own.
 *
 * @param addr
 *   First byte; aligned to the file's page size (the huge page size for a
 *   hugetlb memfd).
 * @param len
 *   Length in bytes; not 0.
 * @param fd
 *   The memfd that backs the range.
 * @param offset
 *   Offset of @p addr in @p fd; aligned like @p addr.
 * @param perms
 *   IDD_MEM_PEER_READ and/or IDD_MEM_PEER_WRITE, or 0.
 * @return
 *   - 0: the range is a window.
 *   - -EINVAL: NULL or misaligned @p addr, misaligned @p offset, @p len 0
 *     or wrapping around, unknown bit in @p perms, the file is smaller than
 *     @p offset + @p len, or the range is not a shared mapping of @p fd at
 *     @p offset.
 *   - -EBADF: @p fd is not open.
 *   - -EPERM: @p fd cannot be sealed (not a memfd, or created without
 *     MFD_ALLOW_SEALING), was sealed with F_SEAL_SEAL but without a seal
 *     the window needs (F_SEAL_SHRINK, F_SEAL_GROW, or for a window peers
 *     may only read F_SEAL_FUTURE_WRITE: an earlier window of the file
 *     let peers write it), or is sealed against writing while @p perms
 *     lets peers write.
 *   - -ENOMEM, -EMFILE: out of memory or file descriptors.
 *   - -EEXIST: the range overlaps a window (registered, or the heap's).
 *   - -ENOSPC: the process has IDD_MEM_MAX_WINDOWS windows.
 */
int idd_mem_register(void *addr, size_t len, int fd, uint64_t offset, unsigned int perms);

/**
 * Remove a window made by idd_mem_register().
 *
 * Returns once no local engine can still be using the window (it waits for
 * a grace period: a control-path call). The memory stays mapped (it is the
 * application's); idd closes its duplicate fd. Peers that imported the
 * window are told to drop it.
 *
 * @param addr
 *   The address given to idd_mem_register().
 * @return
 *   - 0: removed.
 *   - -ENOENT: no window starts at @p addr.
 *   - -EINVAL: the window at @p addr belongs to the heap (free its blocks
 *     with idd_mem_free()).
 */
int idd_mem_unregister(void *addr);

/**@{@name Window flags (struct idd_mem_window_info::flags) */
/** The window is a segment of the idd_mem_alloc() heap. */
#define IDD_MEM_WINDOW_HEAP (1u << 0)
/** The window was made by idd_mem_register(). */
#define IDD_MEM_WINDOW_REGISTERED (1u << 1)
/** The window is backed by huge pages. */
#define IDD_MEM_WINDOW_HUGE (1u << 2)
/**@}*/

/** What idd_mem_window_get() reports about a window. */
struct idd_mem_window_info {
	void *base;          /**< First byte: the name peers use for the window. */
	size_t len;          /**< Length in bytes. */
	uint64_t offset;     /**< Offset of @c base in @c fd. */
	size_t page_size;    /**< Page size backing the window. */
	int fd;              /**< The window's sealed memfd. Owned by idd: valid
			      *   until the window is removed; do not close it
			      *   (dup() it to keep it). */
	unsigned int perms;  /**< IDD_MEM_PEER_* */
	unsigned int flags;  /**< IDD_MEM_WINDOW_* */
	uint64_t id;         /**< Unique in the process, never reused. */
	uint64_t reserved[4]; /**< Zero. */
};

/**
 * Find the window that holds an address.
 *
 * @param addr
 *   Any byte of the window.
 * @param[out] info
 *   Filled on success.
 * @return
 *   - 0: found.
 *   - -ENOENT: @p addr is in no window of this process.
 *   - -EINVAL: @p info is NULL.
 */
int idd_mem_window_get(const void *addr, struct idd_mem_window_info *info);

#ifdef __cplusplus
}
#endif

#endif /* IDD_MEM_H */

/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_MEM_MEMFD_H
#define IDD_SRC_MEM_MEMFD_H

/*
 * Sealed memfds: creating and mapping the heap's segments, checking an fd
 * that comes from elsewhere before it is mapped.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>

/* The seals every shared window carries. Without F_SEAL_SHRINK a peer could
 * truncate the file under our mapping and turn our next access into SIGBUS.
 * F_SEAL_GROW keeps the size fixed for good, and F_SEAL_SEAL freezes the set,
 * so nobody can add a seal later (F_SEAL_FUTURE_WRITE, say) that would make
 * the owner's or another peer's next mapping fail. */
#define MEM_SEALS_REQUIRED (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

/* What a file that peers may only read carries as well: no new writable
 * mapping and no write(), whoever asks. A read-only fd alone does not do:
 * a memfd's inode is mode 0777, so its receiver can reopen it read-write
 * through /proc/self/fd. Mappings made before the seal keep their
 * protection, which is how the owner goes on writing its own memory. */
#define MEM_SEAL_PEER_READ_ONLY F_SEAL_FUTURE_WRITE

/* Segments and other mappings idd makes are aligned to this (the x86-64
 * huge page size), so that huge pages line up and the heap can find a
 * segment from any address in it with a shift. */
#define MEM_MAP_ALIGN ((size_t)2 << 20)

struct mem_mapping {
	void *addr;        /* MEM_MAP_ALIGN-aligned */
	size_t len;        /* multiple of page_size */
	size_t page_size;  /* base page or huge page size */
	int fd;            /* sealed memfd, close-on-exec */
	int huge;          /* backed by reserved huge pages */
};

/*
 * Create a memfd of at least @len bytes, map it shared and read-write at an
 * address aligned to @align (a power of two, at least MEM_MAP_ALIGN), then
 * seal it with MEM_SEALS_REQUIRED and @extra_seals. When @allow_huge, huge
 * pages are tried first and kept only if the mapping could reserve them;
 * otherwise normal pages. The choice, and why a step failed, are logged at
 * debug level: the allocation that asked says it failed. Returns 0 or
 * -errno.
 */
int mem_memfd_map(const char *name, size_t len, int allow_huge, size_t align, int extra_seals,
		  struct mem_mapping *out);

/* Unmap and close what mem_memfd_map() made. */
void mem_memfd_unmap(struct mem_mapping *m);

/*
 * Map @len bytes of @fd at @offset, shared, with @prot, at an address
 * aligned to @align (a power of two >= the page size). Returns 0 or -errno.
 */
int mem_map_aligned(int fd, uint64_t offset, size_t len, int prot, size_t align, void **out);

/*
 * Check an fd before mapping [offset, offset + len) of it: it must carry
 * MEM_SEALS_REQUIRED, then pass mem_fd_fits(). Refusals are logged once:
 * -EBADF for a closed fd, -EPERM otherwise.
 */
int mem_fd_check(int fd, uint64_t offset, uint64_t len, const char *who, size_t *page_size);

/*
 * The fd is a regular file of at least offset + len bytes. On success
 * returns 0 and stores the file's page size (the base page size, or the
 * huge page size for hugetlbfs) in *@page_size. @who prefixes the log line
 * of a refusal: -EBADF for a closed fd, -EPERM otherwise.
 */
int mem_fd_fits(int fd, uint64_t offset, uint64_t len, const char *who, size_t *page_size);

/*
 * Seal @fd for a window with IDD_MEM_PEER_* @perms: MEM_SEALS_REQUIRED,
 * and MEM_SEAL_PEER_READ_ONLY (or F_SEAL_WRITE) when peers may only read.
 * Adds what is missing if @apply; without, only says whether it could.
 * Returns 0, -EBADF (logged) for a closed fd, or -EPERM (logged) if the fd
 * cannot be sealed, was sealed without them, or (a window peers may write)
 * is sealed against writing.
 */
int mem_fd_seal(int fd, uint32_t perms, bool apply, const char *who);

/* The system's base page size. */
size_t mem_page_size(void);

#endif

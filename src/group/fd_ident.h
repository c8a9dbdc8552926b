/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IDD_SRC_GROUP_FD_IDENT_H
#define IDD_SRC_GROUP_FD_IDENT_H

/*
 * Which open file an fd number of ours names. A forked child closes its
 * copies of the parent's group fds (control.c), from a copy of state that
 * another thread of the parent may have been changing at the instant of
 * the fork, and the numbers are the application's to reuse as soon as we
 * close them: so the child closes a number only if it still names the
 * file we took, never whatever the application has there now.
 */

#include <stdbool.h>
#include <sys/stat.h>

struct fd_ident {
	dev_t dev;
	ino_t ino;
};

/* Remember what @fd names (nothing matches it later if fstat fails). */
static inline void
fd_ident_take(int fd, struct fd_ident *id)
{
	struct stat st;

	id->dev = 0;
	id->ino = 0;
	if (fstat(fd, &st) == 0) {
		id->dev = st.st_dev;
		id->ino = st.st_ino;
	}
}

/* Does @fd still name the file @id was taken from? */
static inline bool
fd_ident_is(int fd, const struct fd_ident *id)
{
	struct stat st;

	return fd >= 0 && id->ino != 0 && fstat(fd, &st) == 0 && st.st_dev == id->dev &&
	       st.st_ino == id->ino;
}

#endif

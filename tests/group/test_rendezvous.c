/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rendezvous: the runtime directory's checks, namespaces and options from
 * the environment, stale socket replacement, abstract sockets.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/kvargs.h"
#include "group/group.h"
#include "group/rendezvous.h"
#include "harness.h"

static char base[256];
static unsigned char tok[16], d0[16], d1[16];
static int16_t next_dev = 0;

static int
setup(void **state)
{
	(void)state;
	harness_new_ns();
	setenv("IDD_RUNTIME_DIR", harness_runtime_dir(), 1);
	unsetenv("IDD_ABSTRACT_SOCKETS");
	return 0;
}

/* Create and destroy one group with a new device; returns create's code. */
static int
try_create(void)
{
	int16_t dev = next_dev++, gid = -1;
	int ret = group_create(dev, d0, tok, NULL, &gid);

	if (ret == 0)
		assert_int_equal(group_destroy(dev, gid), 0);
	group_dev_close(dev);
	return ret;
}

static void
dir_created_private(void **state)
{
	char dir[300];
	struct stat st;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/fresh", base);
	setenv("IDD_RUNTIME_DIR", dir, 1);
	assert_int_equal(try_create(), 0);
	assert_int_equal(lstat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(st.st_uid, geteuid());
}

/* Joining needs no runtime directory of one's own: where there is none,
 * the group does not exist, and none is made. */
static void
join_makes_no_dir(void **state)
{
	char dir[300];
	struct stat st;
	int16_t dev = next_dev++;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/never", base);
	setenv("IDD_RUNTIME_DIR", dir, 1);
	assert_int_equal(group_join(dev, d1, tok, 0, NULL), -ENOENT);
	assert_int_equal(lstat(dir, &st), -1);
	assert_int_equal(errno, ENOENT);
	group_dev_close(dev);
}

static void
dir_checks(void **state)
{
	char dir[300], link[300], file[300];

	(void)state;
	/* Writable by others: refused. */
	snprintf(dir, sizeof(dir), "%s/open", base);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	setenv("IDD_RUNTIME_DIR", dir, 1);
	assert_int_equal(try_create(), -EPERM);
	assert_int_equal(chmod(dir, 0703), 0);
	assert_int_equal(try_create(), -EPERM);
	/* Group-writable, with the sticky bit: the way to share between users
	 * of one group. Without it a member of the group could replace
	 * another's socket: refused. */
	assert_int_equal(chmod(dir, 01770), 0);
	assert_int_equal(try_create(), 0);
	assert_int_equal(chmod(dir, 0770), 0);
	assert_int_equal(try_create(), -EPERM);
	assert_int_equal(chmod(dir, 0750), 0);
	assert_int_equal(try_create(), 0);

	/* A symbolic link, even to a good directory: refused. */
	snprintf(link, sizeof(link), "%s/link", base);
	assert_int_equal(symlink(dir, link), 0);
	setenv("IDD_RUNTIME_DIR", link, 1);
	assert_int_equal(try_create(), -EPERM);

	/* Not a directory. */
	snprintf(file, sizeof(file), "%s/file", base);
	fclose(fopen(file, "w"));
	setenv("IDD_RUNTIME_DIR", file, 1);
	assert_int_equal(try_create(), -ENOTDIR);

	/* Owned by someone else (needs root to arrange). */
	if (geteuid() == 0) {
		snprintf(dir, sizeof(dir), "%s/theirs", base);
		assert_int_equal(mkdir(dir, 0700), 0);
		assert_int_equal(chown(dir, 12345, 12345), 0);
		setenv("IDD_RUNTIME_DIR", dir, 1);
		assert_int_equal(try_create(), -EPERM);

		/* Someone else's, but shared (1770) with a group of ours:
		 * the way several users share groups. */
		snprintf(dir, sizeof(dir), "%s/shared", base);
		assert_int_equal(mkdir(dir, 0700), 0);
		assert_int_equal(chown(dir, 12345, getegid()), 0);
		assert_int_equal(chmod(dir, 01770), 0);
		setenv("IDD_RUNTIME_DIR", dir, 1);
		assert_int_equal(try_create(), 0);
		/* There, another user's stale socket cannot be removed (the
		 * sticky bit), nor can one be used that is not open to us: a
		 * member of the group skips both ids. */
		{
			struct sockaddr_un addr[2] = {{.sun_family = AF_UNIX},
						      {.sun_family = AF_UNIX}};
			int status;
			pid_t pid;

			assert_true(strlen(dir) <= 60);
			for (int i = 0; i < 2; i++) {
				int sock = socket(AF_UNIX, SOCK_SEQPACKET, 0);

				snprintf(addr[i].sun_path, sizeof(addr[i].sun_path),
					 "%.60s/%.32s.%d.sock", dir, getenv("IDD_NAMESPACE"), i);
				assert_int_equal(bind(sock, (struct sockaddr *)&addr[i],
						      sizeof(addr[i])), 0);
				close(sock); /* root's, and stale */
				assert_int_equal(chmod(addr[i].sun_path, i == 0 ? 0777 : 0700), 0);
			}
			assert_int_equal(chmod(base, 0711), 0); /* the other user reaches it */
			pid = fork();
			assert_true(pid >= 0);
			if (pid == 0) {
				int16_t gid = -1;
				int ret;

				if (setgid(getegid()) != 0 || setuid(23456) != 0)
					_exit(2);
				ret = group_create(next_dev, d0, tok, NULL, &gid);
				if (ret != 0 || gid != 2) {
					fprintf(stderr, "other user's create: %d, group %d\n", ret, gid);
					_exit(3);
				}
				_exit(group_destroy(next_dev, gid) == 0 ? 0 : 4);
			}
			assert_int_equal(waitpid(pid, &status, 0), pid);
			assert_int_equal(chmod(base, 0700), 0);
			assert_true(WIFEXITED(status));
			assert_int_equal(WEXITSTATUS(status), 0);
			for (int i = 0; i < 2; i++) {
				assert_int_equal(access(addr[i].sun_path, F_OK), 0);
				unlink(addr[i].sun_path);
			}
		}

		/* The same directory not opened to the group: refused. */
		snprintf(dir, sizeof(dir), "%s/closed", base);
		assert_int_equal(mkdir(dir, 0700), 0);
		assert_int_equal(chown(dir, 12345, getegid()), 0);
		setenv("IDD_RUNTIME_DIR", dir, 1);
		assert_int_equal(try_create(), -EPERM);
	}

	/* A path too long for sun_path. */
	{
		char longdir[400];
		size_t n = strlen(base);

		memcpy(longdir, base, n);
		longdir[n] = '/';
		memset(longdir + n + 1, 'x', 110);
		longdir[n + 1 + 110] = '\0';
		setenv("IDD_RUNTIME_DIR", longdir, 1);
		assert_int_equal(try_create(), -ENAMETOOLONG);
	}
}

static void
xdg_fallback(void **state)
{
	char xdg[300], want[320];
	struct stat st;

	(void)state;
	snprintf(xdg, sizeof(xdg), "%s/xdg", base);
	assert_int_equal(mkdir(xdg, 0700), 0);
	unsetenv("IDD_RUNTIME_DIR");
	setenv("XDG_RUNTIME_DIR", xdg, 1);
	assert_int_equal(try_create(), 0);
	snprintf(want, sizeof(want), "%s/idd", xdg);
	assert_int_equal(lstat(want, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	unsetenv("XDG_RUNTIME_DIR");
}

static void
env_options(void **state)
{
	struct rdv_opts o;

	(void)state;
	setenv("IDD_NAMESPACE", "../escape", 1);
	assert_int_equal(rdv_opts_from_env(&o), -EINVAL);
	assert_int_equal(try_create(), -EINVAL);
	setenv("IDD_NAMESPACE", "a-very-long-namespace-name-over-32-chars", 1);
	assert_int_equal(rdv_opts_from_env(&o), -EINVAL);
	setenv("IDD_NAMESPACE", "ok_NS-1", 1);
	assert_int_equal(rdv_opts_from_env(&o), 0);
	assert_string_equal(o.ns, "ok_NS-1");
	assert_false(o.abstract);
	setenv("IDD_ABSTRACT_SOCKETS", "2", 1);
	assert_int_equal(rdv_opts_from_env(&o), -EINVAL);
	setenv("IDD_ABSTRACT_SOCKETS", "1", 1);
	assert_int_equal(rdv_opts_from_env(&o), 0);
	assert_true(o.abstract);
	unsetenv("IDD_NAMESPACE");
	unsetenv("IDD_ABSTRACT_SOCKETS");
	assert_int_equal(rdv_opts_from_env(&o), 0);
	assert_string_equal(o.ns, RDV_DEFAULT_NS);
	assert_false(rdv_ns_valid(""));
	assert_false(rdv_ns_valid("a.b"));
	assert_true(rdv_ns_valid("A_b-9"));
}

/* A dead creator's socket file: the id is taken over; joining it is ENOENT. */
static void
stale_socket(void **state)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	const char *ns = getenv("IDD_NAMESPACE");
	int16_t gid = -1;
	int fd;

	(void)state;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/%s.0.sock", harness_runtime_dir(), ns);
	mkdir(harness_runtime_dir(), 0700);
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(fd, 1), 0);
	close(fd); /* the file stays: a creator that died */
	assert_int_equal(access(addr.sun_path, F_OK), 0);
	assert_int_equal(group_join(100, d1, tok, 0, NULL), -ENOENT);
	assert_int_equal(group_create(101, d0, tok, NULL, &gid), 0);
	assert_int_equal(gid, 0);
	assert_int_equal(group_join(100, d1, tok, 0, NULL), 0);
	assert_int_equal(group_leave(100, 0), 0);
	assert_int_equal(group_destroy(101, 0), 0);
	/* Our own socket is removed by destroy. */
	assert_int_equal(access(addr.sun_path, F_OK), -1);
	group_dev_close(100);
	group_dev_close(101);
}

static void
abstract_sockets(void **state)
{
	char path[300];
	int16_t gid = -1, gid2 = -1;

	(void)state;
	setenv("IDD_ABSTRACT_SOCKETS", "1", 1);
	/* The runtime directory does not even need to exist. */
	setenv("IDD_RUNTIME_DIR", "/nonexistent/idd-test", 1);
	assert_int_equal(group_create(110, d0, tok, NULL, &gid), 0);
	assert_int_equal(group_join(111, d1, tok, gid, NULL), 0);
	assert_int_equal(group_create(112, d1, tok, NULL, &gid2), 0);
	assert_int_not_equal(gid, gid2);
	assert_int_equal(group_leave(111, gid), 0);
	assert_int_equal(group_destroy(110, gid), 0);
	assert_int_equal(group_destroy(112, gid2), 0);
	snprintf(path, sizeof(path), "%s/%s.%d.sock", harness_runtime_dir(),
		 getenv("IDD_NAMESPACE"), gid);
	assert_int_equal(access(path, F_OK), -1);
	/* A device option overrides the environment both ways. */
	assert_int_equal(group_dev_set_options(113, NULL, 0), 0);
	setenv("IDD_RUNTIME_DIR", harness_runtime_dir(), 1);
	assert_int_equal(group_create(113, d0, tok, NULL, &gid), 0);
	snprintf(path, sizeof(path), "%s/%s.%d.sock", harness_runtime_dir(),
		 getenv("IDD_NAMESPACE"), gid);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(group_destroy(113, gid), 0);
	for (int16_t d = 110; d <= 113; d++)
		group_dev_close(d);
	unsetenv("IDD_ABSTRACT_SOCKETS");
}

/* The device arguments a driver passes through (namespace=,
 * abstract_sockets=). */
static void
device_arguments(void **state)
{
	struct kvargs kv;
	int16_t gid = -1;
	char path[300];

	(void)state;
	assert_int_equal(kvargs_parse(&kv, "test", "namespace=from-args,abstract_sockets=0"), 0);
	assert_int_equal(group_dev_parse_args(120, &kv), 0);
	assert_int_equal(kvargs_check_all_used(&kv), 0);
	assert_int_equal(group_create(120, d0, tok, NULL, &gid), 0);
	snprintf(path, sizeof(path), "%s/from-args.%d.sock", harness_runtime_dir(), gid);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(group_destroy(120, gid), 0);
	group_dev_close(120);

	assert_int_equal(kvargs_parse(&kv, "test", "namespace=a.b"), 0);
	assert_int_equal(group_dev_parse_args(121, &kv), -EINVAL);
	assert_int_equal(kvargs_parse(&kv, "test", "abstract_sockets=2"), 0);
	assert_int_equal(group_dev_parse_args(121, &kv), -EINVAL);
	assert_int_equal(kvargs_parse(&kv, "test", "abstract_sockets=1"), 0);
	assert_int_equal(group_dev_parse_args(121, &kv), 0);
	assert_int_equal(group_create(121, d0, tok, NULL, &gid), 0);
	snprintf(path, sizeof(path), "%s/%s.%d.sock", harness_runtime_dir(),
		 getenv("IDD_NAMESPACE"), gid);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(group_destroy(121, gid), 0);
	group_dev_close(121);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(dir_created_private, setup),
		cmocka_unit_test_setup(join_makes_no_dir, setup),
		cmocka_unit_test_setup(dir_checks, setup),
		cmocka_unit_test_setup(xdg_fallback, setup),
		cmocka_unit_test_setup(env_options, setup),
		cmocka_unit_test_setup(stale_socket, setup),
		cmocka_unit_test_setup(abstract_sockets, setup),
		cmocka_unit_test_setup(device_arguments, setup),
	};
	int ret = harness_main(argc, argv);

	if (ret >= 0)
		return ret;
	snprintf(base, sizeof(base), "%s", harness_runtime_dir());
	/* Scratch space beside the runtime dir, in the same private tmpdir. */
	*strrchr(base, '/') = '\0';
	test_uuid(1, d0);
	test_uuid(2, d1);
	test_uuid(0x99, tok);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

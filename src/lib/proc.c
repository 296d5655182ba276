/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The /proc gateway: the guards read mounts, swaps and routes through it, so tests can fake them. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "proc.h"

const char proc_default_root[] = "/proc";

#define PROC_FILE_MAX (4 * 1024 * 1024)

struct proc {
	int root_fd;
};

/* Open the proc root DIR once. Returns 0 or -errno. */
int proc_open(const char *root, struct proc **ret)
{
	struct proc *p;
	int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	p = calloc(1, sizeof(*p));
	if (!p) {
		close(fd);
		return -ENOMEM;
	}
	p->root_fd = fd;
	*ret = p;
	return 0;
}

/* Accepts NULL, returns NULL. */
struct proc *proc_close(struct proc *p)
{
	if (p) {
		close(p->root_fd);
		free(p);
	}
	return NULL;
}

/*
 * Read a whole file (relative to the root; proc files have no size, so read
 * until EOF, at most 4 MiB). Returns 0 or -errno; *ret is NUL-terminated.
 */
int proc_read(struct proc *p, const char *path, char **ret)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, alloc = 0;

	if (!path[0] || path[0] == '/' || strstr(path, ".."))
		return -EINVAL;
	fd = openat(p->root_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (len + 4097 > alloc) {
			char *nb;

			if (alloc >= PROC_FILE_MAX)
				return -EFBIG;
			alloc = alloc ? alloc * 2 : 8192;
			nb = realloc(buf, alloc);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		n = read(fd, buf + len, alloc - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += n;
	}
	if (!buf && !(buf = calloc(1, 1)))
		return -ENOMEM;
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	return 0;
}

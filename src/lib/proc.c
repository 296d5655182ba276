/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The /proc gateway: the guards read mounts, swaps and routes through it, so tests can fake them. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "proc.h"
#include "util.h"

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
	if (!path[0] || path[0] == '/' || strstr(path, ".."))
		return -EINVAL;
	return util_read_at(p->root_fd, path, 0, PROC_FILE_MAX, ret);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The /proc gateway: the guards read mounts, swaps and routes through it, so tests can fake them. */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "proc.h"
#include "util.h"

const char proc_default_root[] = "/proc";

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

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

/*
 * The entries of directory PATH (relative to the root; "." for the root),
 * unsorted, without "." and "..". Returns the count or -errno; *ret is a
 * NULL-terminated strv.
 */
int proc_list_dir(struct proc *p, const char *path, char ***ret)
{
	_cleanup_(closedirp) DIR *dir = NULL;
	_cleanup_strv_free_ char **v = NULL;
	size_t n = 0, alloc = 0;
	struct dirent *de;
	int fd;

	if (!path[0] || path[0] == '/' || strstr(path, ".."))
		return -EINVAL;
	fd = openat(p->root_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	while ((errno = 0, de = readdir(dir))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (n + 2 > alloc) {
			size_t na = alloc ? alloc * 2 : 64;
			char **nv = realloc(v, na * sizeof(*nv));

			if (!nv)
				return -ENOMEM;
			v = nv;
			alloc = na;
		}
		v[n] = strdup(de->d_name);
		if (!v[n])
			return -ENOMEM;
		v[++n] = NULL;
	}
	if (errno)
		return -errno;
	if (!v && !(v = calloc(1, sizeof(*v))))
		return -ENOMEM;
	*ret = TAKE_PTR(v);
	return (int)n;
}

/* The target of symlink PATH (relative to the root) in BUF. Returns 0 or -errno. */
int proc_readlink(struct proc *p, const char *path, char *buf, size_t size)
{
	ssize_t n;

	if (!path[0] || path[0] == '/' || strstr(path, ".."))
		return -EINVAL;
	n = readlinkat(p->root_fd, path, buf, size);
	if (n < 0)
		return -errno;
	if ((size_t)n >= size)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The /proc gateway: the guards read mounts, swaps and routes through it, so tests can fake them. */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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

/* ---- processes and what they hold open ---------------------------------- */

static bool all_digits(const char *s)
{
	if (!*s || strlen(s) > 10)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The PIDs under the root, ascending. Returns 0 or -errno; *ret has *ret_n entries. */
int proc_list_pids(struct proc *p, int **ret, size_t *ret_n)
{
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_free_ int *v = NULL;
	size_t n = 0;
	int r;

	r = proc_list_dir(p, ".", &names);
	if (r < 0)
		return r;
	v = calloc((size_t)r + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (char **name = names; *name; name++) {
		long pid;

		if (!all_digits(*name))
			continue;
		pid = strtol(*name, NULL, 10);
		if (pid > 0 && pid <= INT_MAX)
			v[n++] = (int)pid;
	}
	qsort(v, n, sizeof(*v), cmp_int);
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

/* PID's comm (untrusted: the process sets it) in BUF. Returns 0 or -errno. */
int proc_pid_comm(struct proc *p, int pid, char *buf, size_t size)
{
	_cleanup_free_ char *text = NULL;
	char path[32];
	int r;

	snprintf(path, sizeof(path), "%d/comm", pid);
	r = proc_read(p, path, &text);
	if (r < 0)
		return r;
	text[strcspn(text, "\n")] = '\0';
	snprintf(buf, size, "%s", text);
	return 0;
}

static struct proc_file *file_add(struct proc_file **v, size_t *n, size_t *alloc)
{
	if (*n == *alloc) {
		size_t na = *alloc ? *alloc * 2 : 8;
		struct proc_file *nv = realloc(*v, na * sizeof(*nv));

		if (!nv)
			return NULL;
		*v = nv;
		*alloc = na;
	}
	memset(&(*v)[*n], 0, sizeof(**v));
	return &(*v)[(*n)++];
}

/* "/dev/..." or a path a device node may have; sockets, pipes, anon inodes are not. */
static bool maybe_node(const char *target)
{
	return target[0] == '/';
}

/*
 * What PID has open (PID/fd/N) or mapped (PID/maps) that may be a device
 * node: with STAT_NODES each fd is stat()ed through its magic link (the
 * open file itself, whatever path led to it, as fuser and lsof compare
 * st_rdev); without, only the link text counts (a fake /proc, whose links
 * name paths of another machine). Entries that are neither a device node
 * nor a path are left out. Returns 0, -ENOENT (the process is gone),
 * -EACCES (its fds or maps cannot be read: hidepid, another user's) or
 * -errno; *ret has *ret_n entries.
 */
int proc_pid_files(struct proc *p, int pid, bool stat_nodes, struct proc_file **ret,
		   size_t *ret_n)
{
	_cleanup_strv_free_ char **fds = NULL;
	_cleanup_free_ struct proc_file *v = NULL;
	_cleanup_free_ char *maps = NULL;
	size_t n = 0, alloc = 0;
	char path[64], target[256];
	char *save = NULL;
	int r;

	snprintf(path, sizeof(path), "%d/fd", pid);
	r = proc_list_dir(p, path, &fds);
	if (r < 0)
		return r;
	for (char **fd = fds; *fd; fd++) {
		struct proc_file *f;
		struct stat st;

		if (!all_digits(*fd))
			continue;
		snprintf(path, sizeof(path), "%d/fd/%s", pid, *fd);
		r = proc_readlink(p, path, target, sizeof(target));
		if (r == -ENOENT)
			continue; /* closed meanwhile */
		if (r == -ENAMETOOLONG)
			continue; /* no device node has such a name */
		if (r < 0)
			return r;
		if (!maybe_node(target))
			continue;
		f = file_add(&v, &n, &alloc);
		if (!f)
			return -ENOMEM;
		snprintf(f->path, sizeof(f->path), "%s", target);
		if (stat_nodes && fstatat(p->root_fd, path, &st, 0) == 0 &&
		    (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) {
			f->node = true;
			f->block = S_ISBLK(st.st_mode);
			f->major = major(st.st_rdev);
			f->minor = minor(st.st_rdev);
		}
	}
	snprintf(path, sizeof(path), "%d/maps", pid);
	r = proc_read(p, path, &maps);
	if (r < 0 && r != -ENOENT)
		return r;
	/* no maps: a kernel thread, one that exited meanwhile, or a fake /proc */
	/* "7f0c2a000000-7f0c2a100000 rw-s 00000000 00:05 1042  /dev/dri/card0" */
	for (char *line = maps ? strtok_r(maps, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		char *slash = strchr(line, '/');
		struct proc_file *f;

		if (!slash || strncmp(slash, "/dev/", 5))
			continue;
		f = file_add(&v, &n, &alloc);
		if (!f)
			return -ENOMEM;
		f->map = true;
		snprintf(f->path, sizeof(f->path), "%s", slash);
	}
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

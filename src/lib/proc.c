/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The /proc gateway: the guards read mounts, swaps and routes through it, so tests can fake them. */
#include <errno.h>
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
	_cleanup_strv_free_ char **v = NULL;
	_cleanup_free_ struct util_dir *it = NULL;
	_cleanup_close_ int fd = -1;
	size_t n = 0, alloc = 0;
	const char *name;
	int error = 0;

	if (!path[0] || path[0] == '/' || strstr(path, ".."))
		return -EINVAL;
	it = malloc(sizeof(*it));
	if (!it)
		return -ENOMEM;
	fd = openat(p->root_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*it = (struct util_dir){ .fd = fd };
	while ((name = util_dir_next(it, NULL, &error)))
		if (util_strv_push(&v, &n, &alloc, name) < 0)
			return -ENOMEM;
	if (error)
		return error;
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

/*
 * Whether an open file may be a PCI function's device node: a path (sockets,
 * pipes and anon inodes are not), and not one of the nodes every process has
 * that no PCI function owns (the memory devices, ttys and ptys).
 */
static bool maybe_node(const char *target)
{
	static const char *const global[] = { "/dev/null", "/dev/zero", "/dev/full",
					      "/dev/random", "/dev/urandom", "/dev/tty",
					      "/dev/ptmx", "/dev/console" };

	if (target[0] != '/')
		return false;
	if (!strncmp(target, "/dev/pts/", 9))
		return false;
	for (size_t i = 0; i < sizeof(global) / sizeof(global[0]); i++)
		if (streq(target, global[i]))
			return false;
	return true;
}

/* The memory devices (1), ttys and ptmx (4, 5) and ptys (136-143): never a PCI function's. */
static bool global_rdev(bool block, unsigned int maj)
{
	return !block && (maj == 1 || maj == 4 || maj == 5 || (maj >= 136 && maj <= 143));
}

/*
 * What PID has open (PID/fd/N) or mapped (PID/maps) that may be a device
 * node: with STAT_NODES each fd is stat()ed through its magic link (the
 * open file itself, whatever path led to it, as fuser and lsof compare
 * st_rdev); without, only the link text counts (a fake /proc, whose links
 * name paths of another machine). Sockets, pipes, anon inodes and the
 * nodes every process has (/dev/null, ttys) are left out. Returns 0,
 * -ENOENT (the process is gone, or with STAT_NODES has no memory map: a
 * kernel thread or a zombie holds nothing), -EACCES (its fds or maps cannot be read:
 * hidepid, another user's) or -errno; *ret has *ret_n entries.
 */
int proc_pid_files(struct proc *p, int pid, bool stat_nodes, struct proc_file **ret,
		   size_t *ret_n)
{
	_cleanup_free_ struct proc_file *v = NULL;
	_cleanup_free_ struct util_dir *it = NULL;
	_cleanup_free_ char *maps = NULL;
	_cleanup_close_ int fd = -1;
	size_t n = 0, alloc = 0;
	char path[64], target[256];
	const char *name;
	char *save = NULL;
	int r, error = 0;

	/*
	 * A task without a memory map, a kernel thread or a zombie, has no exe
	 * link (proc_exe_link() answers ENOENT): it has no fd a user opened and
	 * maps nothing, so one readlink stands for its fd directory and maps.
	 * The real /proc only: a fake one's processes have no exe link.
	 */
	if (stat_nodes) {
		snprintf(path, sizeof(path), "%d/exe", pid);
		if (readlinkat(p->root_fd, path, target, sizeof(target)) < 0 && errno == ENOENT)
			return -ENOENT;
	}
	it = malloc(sizeof(*it));
	if (!it)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%d/fd", pid);
	fd = openat(p->root_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*it = (struct util_dir){ .fd = fd };
	/* one component per fd, from the directory's own fd */
	while ((name = util_dir_next(it, NULL, &error))) {
		struct proc_file *f;
		struct stat st;
		bool node;
		ssize_t k;

		if (!all_digits(name))
			continue;
		k = readlinkat(fd, name, target, sizeof(target));
		if (k < 0 && errno == ENOENT)
			continue; /* closed meanwhile */
		if (k < 0)
			return -errno;
		if ((size_t)k >= sizeof(target))
			continue; /* no device node has such a name */
		target[k] = '\0';
		/*
		 * A node whose name was removed while open (udev renamed it, the
		 * device went and came back): the fd still holds the device.
		 */
		if ((size_t)k > 10 && streq(target + k - 10, " (deleted)"))
			target[k - 10] = '\0';
		if (!maybe_node(target))
			continue;
		node = stat_nodes && fstatat(fd, name, &st, 0) == 0 &&
		       (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode));
		if (node && global_rdev(S_ISBLK(st.st_mode), major(st.st_rdev)))
			continue;
		f = file_add(&v, &n, &alloc);
		if (!f)
			return -ENOMEM;
		snprintf(f->path, sizeof(f->path), "%s", target);
		if (node) {
			f->node = true;
			f->block = S_ISBLK(st.st_mode);
			f->major = major(st.st_rdev);
			f->minor = minor(st.st_rdev);
		}
	}
	if (error)
		return error;
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

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sysfs gateway: one directory fd for the root, every access relative to it. */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>

#include "sysfs.h"
#include "util.h"

const char sysfs_default_root[] = "/sys";

struct sysfs {
	int root_fd;
	char *root;
	bool read_only;		/* the root is this system's /sys and writes are forbidden */
	bool forbid;		/* PCIBIND_FORBID_REAL_SYSFS: no write may land on /sys */
	bool have_sys_dev;
	dev_t sys_dev;		/* st_dev of the real /sys, for the forbid rule */
};

/* The symlink that led the last refused path out of its root (one per process). */
static char last_escape[PATH_MAX];

/* Whether to try openat2(); cleared when the kernel answers ENOSYS (before 5.6). */
static bool use_openat2 = true;

/*
 * Resolve with openat2() (true) or with the component walker (false). For
 * the tests, which run every confinement case through both.
 */
void sysfs_use_openat2(bool on)
{
	use_openat2 = on;
}

/* Join DIR and NAME ("" for the root) into BUF. Returns 0 or -ENAMETOOLONG. */
static int join_path(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s%s%s", dir, dir[0] ? "/" : "", name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/*
 * Open PATH beneath DIRFD one component at a time, as RESOLVE_BENEATH does:
 * ".." may not climb above DIRFD, a symlink's target must be relative and
 * is resolved from its own directory, and the final component is followed
 * unless FLAGS has O_NOFOLLOW (then a final symlink gives -ELOOP, or its
 * own fd with O_PATH). A path that leads out is -EXDEV, with the symlink
 * (or the path) that did it in ESCAPE. Returns the fd or -errno.
 */
static int open_walk(int dirfd, const char *path, int flags, char *escape, size_t esize)
{
	char rest[2 * PATH_MAX + 2], cur[PATH_MAX] = "", link[PATH_MAX] = "";
	_cleanup_free_ int *stack = NULL;
	size_t depth = 0, alloc = 0;
	int links = 0, r, fd;

	if (strlen(path) >= PATH_MAX)
		return -ENAMETOOLONG;
	strcpy(rest, path);
	for (;;) {
		char comp[NAME_MAX + 1], *p = rest, *end;
		int top = depth ? stack[depth - 1] : dirfd;
		bool last;
		struct stat st;
		size_t n;

		while (*p == '/')
			p++;
		if (!*p) {
			/* "x/", ".", "x/..": open the directory reached */
			fd = openat(top, ".", flags | O_CLOEXEC);
			r = fd < 0 ? -errno : fd;
			goto out;
		}
		end = strchrnul(p, '/');
		n = (size_t)(end - p);
		if (n > NAME_MAX) {
			r = -ENAMETOOLONG;
			goto out;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		while (*end == '/')
			end++;
		last = !*end;
		memmove(rest, end, strlen(end) + 1);

		if (streq(comp, "."))
			continue; /* a final "." leaves REST empty: the directory reached */
		if (streq(comp, "..")) {
			if (!depth) {
				if (strlen(link[0] ? link : path) < esize)
					strcpy(escape, link[0] ? link : path);
				r = -EXDEV;
				goto out;
			}
			close(stack[--depth]);
			end = strrchr(cur, '/');
			if (end)
				*end = '\0';
			else
				cur[0] = '\0';
			continue;
		}
		fd = openat(top, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			r = -errno;
			goto out;
		}
		if (fstat(fd, &st) < 0) {
			r = -errno;
			close(fd);
			goto out;
		}
		if (S_ISLNK(st.st_mode) && (!last || !(flags & O_NOFOLLOW))) {
			char target[PATH_MAX];
			ssize_t k = readlinkat(fd, "", target, sizeof(target));

			close(fd);
			if (k < 0) {
				r = -errno;
				goto out;
			}
			if ((size_t)k >= sizeof(target)) {
				r = -ENAMETOOLONG;
				goto out;
			}
			target[k] = '\0';
			r = join_path(link, sizeof(link), cur, comp);
			if (r < 0)
				goto out;
			if (++links > 40) {
				r = -ELOOP;
				goto out;
			}
			if (target[0] == '/' || !target[0]) {
				if (strlen(link) < esize)
					strcpy(escape, link);
				r = target[0] ? -EXDEV : -ENOENT;
				goto out;
			}
			if (strlen(target) + 1 + strlen(rest) >= sizeof(rest)) {
				r = -ENAMETOOLONG;
				goto out;
			}
			/* the target, then what was left after the link */
			memmove(rest + k + 1, rest, strlen(rest) + 1);
			memcpy(rest, target, k);
			rest[k] = rest[k + 1] ? '/' : '\0';
			continue;
		}
		if (last) {
			if (S_ISLNK(st.st_mode)) {
				/* O_NOFOLLOW: the link itself with O_PATH, else what openat says */
				if (flags & O_PATH) {
					r = fd;
					goto out;
				}
				close(fd);
				r = -ELOOP;
				goto out;
			}
			close(fd);
			fd = openat(top, comp, flags | O_NOFOLLOW | O_CLOEXEC);
			r = fd < 0 ? -errno : fd;
			goto out;
		}
		if (!S_ISDIR(st.st_mode)) {
			close(fd);
			r = -ENOTDIR;
			goto out;
		}
		if (depth == alloc) {
			size_t na = alloc ? alloc * 2 : 16;
			int *ns = realloc(stack, na * sizeof(*stack));

			if (!ns) {
				close(fd);
				r = -ENOMEM;
				goto out;
			}
			stack = ns;
			alloc = na;
		}
		stack[depth++] = fd;
		n = strlen(cur);
		if (n + 1 + strlen(comp) >= sizeof(cur)) {
			r = -ENAMETOOLONG;
			goto out;
		}
		if (n)
			cur[n++] = '/';
		strcpy(cur + n, comp);
	}
out:
	while (depth)
		close(stack[--depth]);
	return r;
}

/*
 * Open PATH (relative) beneath S's root: no symlink and no ".." may lead out
 * of it, and no magic link is followed (openat2() with RESOLVE_BENEATH, or
 * the walker on kernels without it). Returns the fd or -errno; -EXDEV when
 * the path leads out, with the symlink that did it in sysfs_escape().
 */
static int open_beneath(struct sysfs *s, const char *path, int flags)
{
	int fd;

	if (use_openat2) {
		struct open_how how = {
			.flags = (uint64_t)(flags | O_CLOEXEC),
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
		};

		for (int tries = 0; tries < 8; tries++) {
			fd = (int)syscall(SYS_openat2, s->root_fd, path, &how, sizeof(how));
			if (fd >= 0)
				return fd;
			if (errno != EAGAIN)
				break; /* EAGAIN: a rename raced the lookup; try again */
		}
		if (errno != ENOSYS) {
			int r = -errno;

			/* Learn which symlink led out, for the message. */
			if (r == -EXDEV) {
				fd = open_walk(s->root_fd, path, O_PATH, last_escape,
					       sizeof(last_escape));
				if (fd >= 0) {
					close(fd);
					snprintf(last_escape, sizeof(last_escape), "%s", path);
				}
			}
			return r;
		}
		use_openat2 = false;
	}
	return open_walk(s->root_fd, path, flags, last_escape, sizeof(last_escape));
}

/*
 * The symlink (its path under the gateway's root) that led the last path
 * refused with -EXDEV out of the root, or "" if none is known.
 */
const char *sysfs_escape(void)
{
	return last_escape;
}

/*
 * Open the sysfs root DIR once. Returns 0 or -errno (-ENOENT, -ENOTDIR,
 * -EACCES from the kernel); *ret is untouched on failure.
 */
int sysfs_open(const char *root, struct sysfs **ret)
{
	_cleanup_close_ int fd = -1;
	struct sysfs *s;
	struct stat st;

	fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->root = strdup(root);
	if (!s->root) {
		free(s);
		return -ENOMEM;
	}
	s->root_fd = TAKE_FD(fd);
	/*
	 * The test suite sets this so that nothing it runs can write the host's
	 * /sys: not at the root, and not through any path that lands there.
	 */
	s->forbid = getenv("PCIBIND_FORBID_REAL_SYSFS");
	if (s->forbid && stat(sysfs_default_root, &st) == 0) {
		s->have_sys_dev = true;
		s->sys_dev = st.st_dev;
	}
	s->read_only = s->forbid && sysfs_is_default_root(s);
	*ret = s;
	return 0;
}

/* Whether the open file FD is on this system's own sysfs (the forbid rule). */
static bool on_real_sysfs(const struct sysfs *s, int fd)
{
	struct stat st;

	if (!s->have_sys_dev)
		return false;
	return fstat(fd, &st) < 0 || st.st_dev == s->sys_dev;
}

/* Close the root; accepts NULL, returns NULL. */
struct sysfs *sysfs_close(struct sysfs *s)
{
	if (!s)
		return NULL;
	if (s->root_fd >= 0)
		close(s->root_fd);
	free(s->root);
	free(s);
	return NULL;
}

/* The root directory as given, for libraries that need a path (libpci). */
const char *sysfs_root(const struct sysfs *s)
{
	return s->root;
}

/* Whether this gateway writes to the running system's own sysfs. */
bool sysfs_is_default_root(const struct sysfs *s)
{
	struct stat a, b;

	if (stat(sysfs_default_root, &a) < 0 || fstat(s->root_fd, &b) < 0)
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * A name that may form one path component: non-empty, at most NAME_MAX,
 * printable, no '/', not "." or "..". Device and driver names from the
 * command line, policy and journal pass this before they reach a path.
 */
bool sysfs_valid_name(const char *name)
{
	size_t n;

	if (!name || !*name || streq(name, ".") || streq(name, ".."))
		return false;
	n = strlen(name);
	if (n > NAME_MAX)
		return false;
	for (const char *p = name; *p; p++)
		if (*p == '/' || !isgraph((unsigned char)*p))
			return false;
	return true;
}

static int vpath(char *buf, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, PATH_MAX, fmt, ap);

	if (n < 0)
		return -EINVAL;
	if (n >= PATH_MAX)
		return -ENAMETOOLONG;
	if (buf[0] == '/' || buf[0] == '\0')
		return -EINVAL;
	return 0;
}

#define FORMAT_PATH(path, fmt)                          \
	do {                                            \
		va_list _ap;                            \
		int _r;                                 \
		va_start(_ap, fmt);                     \
		_r = vpath(path, fmt, _ap);             \
		va_end(_ap);                            \
		if (_r < 0)                             \
			return _r;                      \
	} while (0)

static int read_fd(int fd, void *buf, size_t size, size_t *ret_len)
{
	size_t len = 0;

	while (len < size) {
		ssize_t n = read(fd, (char *)buf + len, size - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += n;
	}
	*ret_len = len;
	return 0;
}

static int read_path(struct sysfs *s, const char *path, void *buf, size_t size,
		     size_t *ret_len)
{
	_cleanup_close_ int fd = -1;

	fd = open_beneath(s, path, O_RDONLY | O_NOCTTY);
	if (fd < 0)
		return fd;
	return read_fd(fd, buf, size, ret_len);
}

static int read_text(struct sysfs *s, const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = -1;
	size_t len, more;
	char extra[2];
	int r;

	if (size < 2)
		return -EINVAL;
	fd = open_beneath(s, path, O_RDONLY | O_NOCTTY);
	if (fd < 0)
		return fd;
	/*
	 * sysfs hands a text attribute out whole in the first read(); a short
	 * read is the end, so an attribute costs one read, not two.
	 */
	for (;;) {
		ssize_t k = read(fd, buf, size - 1);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		len = (size_t)k;
		break;
	}
	if (len == size - 1) {
		/* BUF is full: the value still fits if all that is left is its newline. */
		r = read_fd(fd, extra, sizeof(extra), &more);
		if (r < 0)
			return r;
		if (more > 1 || (more == 1 && extra[0] != '\n'))
			return -EFBIG;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\0'))
		len--;
	buf[len] = '\0';
	if (memchr(buf, '\0', len))
		return -EBADMSG;
	return (int)len;
}

/*
 * Read a text attribute into BUF, without its trailing newline. Returns the
 * length or -errno; -EFBIG if it does not fit, -EBADMSG if it holds a NUL.
 */
int sysfs_read_attr(struct sysfs *s, char *buf, size_t size, const char *fmt, ...)
{
	char path[PATH_MAX];

	FORMAT_PATH(path, fmt);
	return read_text(s, path, buf, size);
}

/* Like sysfs_read_attr() but allocates the result (attributes up to a page). */
int sysfs_read_attr_alloc(struct sysfs *s, char **ret, const char *fmt, ...)
{
	char path[PATH_MAX], buf[4097];
	char *v;
	int r;

	FORMAT_PATH(path, fmt);
	r = read_text(s, path, buf, sizeof(buf));
	if (r < 0)
		return r;
	v = strdup(buf);
	if (!v)
		return -ENOMEM;
	*ret = v;
	return 0;
}

/* Read a number the kernel prints in decimal or with 0x. Returns 0 or -errno. */
int sysfs_read_u64(struct sysfs *s, uint64_t *ret, const char *fmt, ...)
{
	char path[PATH_MAX], buf[64], *end;
	unsigned long long v;
	int r;

	FORMAT_PATH(path, fmt);
	r = read_text(s, path, buf, sizeof(buf));
	if (r < 0)
		return r;
	if (r == 0)
		return -EBADMSG;
	if (!isdigit((unsigned char)buf[0]))
		return -EBADMSG; /* strtoull() would take " 1", "+1" and "-1" */
	errno = 0;
	v = strtoull(buf, &end, 0);
	if (errno || *end)
		return -EBADMSG;
	*ret = v;
	return 0;
}

/* Read up to SIZE bytes of a binary attribute (config space). Returns the count or -errno. */
int sysfs_read_bin(struct sysfs *s, void *buf, size_t size, const char *fmt, ...)
{
	char path[PATH_MAX];
	size_t len;
	int r;

	FORMAT_PATH(path, fmt);
	r = read_path(s, path, buf, size, &len);
	return r < 0 ? r : (int)len;
}

/* A path of one ordinary component: nothing in it to resolve. */
static bool one_component(const char *path)
{
	return !strchr(path, '/') && !streq(path, ".") && !streq(path, "..");
}

static int read_link(struct sysfs *s, const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = -1;
	ssize_t n;

	if (one_component(path)) {
		n = readlinkat(s->root_fd, path, buf, size);
	} else {
		/* the directories beneath the root, then the link itself */
		fd = open_beneath(s, path, O_PATH | O_NOFOLLOW);
		if (fd < 0)
			return fd;
		n = readlinkat(fd, "", buf, size);
		if (n < 0 && errno == ENOENT)
			errno = EINVAL; /* the fd exists: it is not a link */
	}
	if (n < 0)
		return -errno;
	if ((size_t)n >= size)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return (int)n;
}

/* Read a symlink's target as stored. Returns its length or -errno. */
int sysfs_read_link(struct sysfs *s, char *buf, size_t size, const char *fmt, ...)
{
	char path[PATH_MAX];

	FORMAT_PATH(path, fmt);
	return read_link(s, path, buf, size);
}

/*
 * Read the last component of a symlink's target (a driver link's driver
 * name, an iommu_group link's number). Returns its length or -errno.
 */
int sysfs_read_link_name(struct sysfs *s, char *buf, size_t size, const char *fmt, ...)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	size_t n;
	int r;

	FORMAT_PATH(path, fmt);
	r = read_link(s, path, target, sizeof(target));
	if (r < 0)
		return r;
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	n = strlen(base);
	if (n == 0)
		return -EBADMSG;
	if (n >= size)
		return -ENAMETOOLONG;
	memcpy(buf, base, n + 1);
	return (int)n;
}

/* lstat-like: the path under the root, without following a final symlink. */
static int stat_path(struct sysfs *s, struct stat *st, const char *fmt, va_list ap)
{
	char path[PATH_MAX];
	int r = vpath(path, fmt, ap);

	_cleanup_close_ int fd = -1;

	if (r < 0)
		return r;
	if (one_component(path))
		return fstatat(s->root_fd, path, st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
	fd = open_beneath(s, path, O_PATH | O_NOFOLLOW);
	if (fd < 0)
		return fd;
	return fstat(fd, st) < 0 ? -errno : 0;
}

/* Whether the path exists (without following a final symlink). */
bool sysfs_exists(struct sysfs *s, const char *fmt, ...)
{
	struct stat st;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = stat_path(s, &st, fmt, ap);
	va_end(ap);
	return r == 0;
}

/* Whether the path is a directory itself, not a symlink to one. */
bool sysfs_is_dir(struct sysfs *s, const char *fmt, ...)
{
	struct stat st;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = stat_path(s, &st, fmt, ap);
	va_end(ap);
	return r == 0 && S_ISDIR(st.st_mode);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * List a directory's entries (without "." and ".."), sorted by name, as a
 * NULL-terminated array. Returns the count or -errno.
 */
int sysfs_list_dir(struct sysfs *s, char ***ret, const char *fmt, ...)
{
	_cleanup_strv_free_ char **v = NULL;
	_cleanup_close_ int fd = -1;
	char path[PATH_MAX];
	struct util_dir it;
	size_t n = 0, alloc = 0;
	const char *name;
	int error = 0;

	FORMAT_PATH(path, fmt);
	fd = open_beneath(s, path, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fd;
	it = (struct util_dir){ .fd = fd };
	while ((name = util_dir_next(&it, NULL, &error)))
		if (util_strv_push(&v, &n, &alloc, name) < 0)
			return -ENOMEM;
	if (error)
		return error;
	if (!v) {
		v = calloc(1, sizeof(*v));
		if (!v)
			return -ENOMEM;
	}
	qsort(v, n, sizeof(*v), cmp_str);
	*ret = TAKE_PTR(v);
	return (int)n;
}

/* A root of its own at PATH beneath S (opened with FLAGS), with S's write rules. */
static int open_sub(struct sysfs *s, const char *path, int flags, struct sysfs **ret)
{
	struct sysfs *sub;
	int fd = open_beneath(s, path, flags);

	if (fd < 0)
		return fd;
	sub = calloc(1, sizeof(*sub));
	if (!sub) {
		close(fd);
		return -ENOMEM;
	}
	sub->root_fd = fd;
	sub->read_only = s->read_only;
	sub->forbid = s->forbid;
	sub->have_sys_dev = s->have_sys_dev;
	sub->sys_dev = s->sys_dev;
	*ret = sub;
	return 0;
}

static bool skip_dir(const char *name);

/* Whether NAME in the directory DFD, of d_type TYPE, is a directory (not a link to one). */
static bool entry_is_dir(int dfd, const char *name, unsigned char type)
{
	struct stat st;

	if (type != DT_UNKNOWN)
		return type == DT_DIR;
	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Open the directory at PATH (relative) as a root of its own, as
 * sysfs_open_sub() does, and read its names once into *NAMES: a caller
 * then asks sysfs_names_has() instead of a failing open per attribute the
 * kernel did not make. Returns 0 or -errno.
 */
int sysfs_open_listed(struct sysfs *s, struct sysfs **ret, struct sysfs_names *names,
		      const char *fmt, ...)
{
	_cleanup_(sysfs_closep) struct sysfs *sub = NULL;
	_cleanup_free_ char *blob = NULL;
	char path[PATH_MAX];
	struct util_dir it;
	size_t len = 0, alloc = 0, n = 0;
	bool node_dirs = false;
	unsigned char type;
	const char *name;
	int r, error = 0;

	FORMAT_PATH(path, fmt);
	*names = (struct sysfs_names){ 0 };
	r = open_sub(s, path, O_RDONLY | O_DIRECTORY, &sub);
	if (r < 0)
		return r;
	it = (struct util_dir){ .fd = sub->root_fd };
	while ((name = util_dir_next(&it, &type, &error))) {
		size_t nl = strlen(name) + 1;

		node_dirs = node_dirs || (!skip_dir(name) && entry_is_dir(it.fd, name, type));
		if (len + nl > alloc) {
			size_t na = alloc ? alloc * 2 : 1024;
			char *nb;

			while (na < len + nl)
				na *= 2;
			nb = realloc(blob, na);
			if (!nb)
				return -ENOMEM;
			blob = nb;
			alloc = na;
		}
		memcpy(blob + len, name, nl);
		len += nl;
		n++;
	}
	if (error)
		return error;
	names->v = calloc(n + 1, sizeof(*names->v));
	if (!names->v)
		return -ENOMEM;
	for (size_t i = 0, off = 0; i < n; i++, off += strlen(blob + off) + 1)
		names->v[i] = blob + off;
	qsort(names->v, n, sizeof(*names->v), cmp_cstr);
	names->blob = TAKE_PTR(blob);
	names->n = n;
	names->node_dirs = node_dirs;
	*ret = TAKE_PTR(sub);
	return 0;
}

/* Whether NAMES (sysfs_open_listed()) has NAME. */
bool sysfs_names_has(const struct sysfs_names *names, const char *name)
{
	return names->n && bsearch(&name, names->v, names->n, sizeof(*names->v), cmp_cstr);
}

void sysfs_names_done(struct sysfs_names *names)
{
	free(names->v);
	free(names->blob);
	*names = (struct sysfs_names){ 0 };
}

/*
 * Write VALUE to the attribute at PATH (relative to the root) in one
 * write(2), as the kernel expects. Returns 0, the kernel's -errno unchanged
 * (-EBUSY, -ENODEV, ...), -EIO for a short write, or -EROFS when
 * PCIBIND_FORBID_REAL_SYSFS is set and the root is this system's /sys. The
 * engine calls this one, so that tests can put a fake kernel behind it
 * (ld --wrap).
 */
int sysfs_write(struct sysfs *s, const char *path, const char *value)
{
	_cleanup_close_ int fd = -1;
	size_t len = strlen(value);
	ssize_t n;

	if (s->read_only)
		return -EROFS;
	if (!path[0] || path[0] == '/')
		return -EINVAL;
	if (s->forbid) {
		/* Where the path lands, before anything is opened for writing. */
		fd = open_beneath(s, path, O_PATH | O_NOFOLLOW);
		if (fd < 0)
			return fd;
		if (on_real_sysfs(s, fd))
			return -EROFS;
		close(fd);
	}
	fd = open_beneath(s, path, O_WRONLY | O_TRUNC | O_NOCTTY | O_NOFOLLOW);
	if (fd < 0)
		return fd;
	if (s->forbid && on_real_sysfs(s, fd))
		return -EROFS;
	n = write(fd, value, len);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

/*
 * A gateway rooted at the directory at PATH under S (a device's directory),
 * so that its attributes are reached through one path component instead of
 * the bus/pci/devices/BDF -> ../../../devices/... chain each time. It keeps
 * S's read-only rule. Returns 0 or -errno.
 */
int sysfs_open_sub(struct sysfs *s, struct sysfs **ret, const char *fmt, ...)
{
	char path[PATH_MAX];

	FORMAT_PATH(path, fmt);
	return open_sub(s, path, O_PATH | O_DIRECTORY, ret);
}

/* ---- device nodes below a device --------------------------------------- */

#define NODES_DEPTH_MAX 10
#define NODES_DIRS_MAX 4096

/* "0000:00:1f.0": a PCI function's directory (a bridge's children stop the walk). */
static bool is_pci_dir(const char *name)
{
	unsigned int dom, bus, slot, fn;
	char end;

	return sscanf(name, "%4x:%2x:%2x.%1x%c", &dom, &bus, &slot, &fn, &end) == 4 &&
	       strlen(name) == 12;
}

/* The value after KEY= in an uevent text, in BUF ("" if absent). */
static void uevent_value(const char *text, const char *key, char *buf, size_t size)
{
	size_t kl = strlen(key);

	buf[0] = '\0';
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, key, kl) || l[kl] != '=')
			continue;
		snprintf(buf, size, "%.*s", (int)strcspn(l + kl + 1, "\n"), l + kl + 1);
		return;
	}
}

/* Read a small file NAME of the directory DIRFD (no symlink followed) into BUF. */
static int read_small_at(int dirfd, const char *name, char *buf, size_t size)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	size_t len;
	int r;

	if (fd < 0)
		return -errno;
	r = read_fd(fd, buf, size - 1, &len);
	if (r < 0)
		return r;
	buf[len] = '\0';
	return (int)len;
}

struct nodes_walk {
	struct sysfs_node *v;
	size_t n, alloc, dirs;
};

static int node_at(struct nodes_walk *w, int dirfd, const char *rel, const char *name)
{
	char dev[32], uevent[1024], sub[PATH_MAX], devtype[32];
	struct sysfs_node *nd;
	unsigned int maj, min;
	ssize_t k;

	if (read_small_at(dirfd, "dev", dev, sizeof(dev)) < 0 ||
	    sscanf(dev, "%u:%u", &maj, &min) != 2)
		return 0;
	if (read_small_at(dirfd, "uevent", uevent, sizeof(uevent)) < 0)
		uevent[0] = '\0';
	if (w->n == w->alloc) {
		size_t na = w->alloc ? w->alloc * 2 : 8;
		struct sysfs_node *nv = realloc(w->v, na * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		w->v = nv;
		w->alloc = na;
	}
	nd = &w->v[w->n++];
	*nd = (struct sysfs_node){ .major = maj, .minor = min };
	snprintf(nd->path, sizeof(nd->path), "%s", rel);
	snprintf(nd->name, sizeof(nd->name), "%s", name);
	uevent_value(uevent, "DEVNAME", nd->devname, sizeof(nd->devname));
	uevent_value(uevent, "DEVTYPE", devtype, sizeof(devtype));
	/* block: its subsystem link says so; a recorded tree has only DEVTYPE */
	k = readlinkat(dirfd, "subsystem", sub, sizeof(sub) - 1);
	if (k > 0) {
		const char *base;

		sub[k] = '\0';
		base = strrchr(sub, '/');
		nd->block = streq(base ? base + 1 : sub, "block");
	} else {
		nd->block = streq(devtype, "disk") || streq(devtype, "partition");
	}
	return 0;
}

/*
 * Directories below a device that hold no class device with a node: a
 * child PCI function (its own), power management, MSI vectors, and net
 * devices (no node; their queues and statistics are many).
 */
static bool skip_dir(const char *name)
{
	return is_pci_dir(name) || streq(name, "power") || streq(name, "msi_irqs") ||
	       streq(name, "net") || streq(name, "queues") || streq(name, "statistics");
}

/* Walk the directory FD (taken over) at REL, named NAME, DEPTH below the device. */
static int walk_nodes(struct nodes_walk *w, int fd, const char *rel, const char *name, int depth)
{
	_cleanup_strv_free_ char **subs = NULL;
	_cleanup_close_ int dfd = fd;
	size_t n = 0, alloc = 0;
	bool has_dev = false;
	struct util_dir it = { .fd = fd };
	unsigned char type;
	const char *sub;
	int r = 0, error = 0;

	if (depth > NODES_DEPTH_MAX || ++w->dirs > NODES_DIRS_MAX)
		return 0;
	while ((sub = util_dir_next(&it, &type, &error))) {
		bool dir = entry_is_dir(dfd, sub, type);

		/* a "dev" file: a class device with a node (read below) */
		if (!dir && streq(sub, "dev"))
			has_dev = true;
		if (!dir || skip_dir(sub))
			continue;
		if (util_strv_push(&subs, &n, &alloc, sub) < 0)
			return -ENOMEM;
	}
	if (error)
		return error;
	if (depth > 0 && has_dev) {
		r = node_at(w, dfd, rel, name);
		if (r < 0)
			return r;
	}
	if (subs)
		qsort(subs, n, sizeof(*subs), cmp_str);
	for (size_t i = 0; i < n; i++) {
		int sfd = openat(dfd, subs[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		char srel[PATH_MAX];

		if (sfd < 0)
			continue; /* gone, or replaced by a symlink meanwhile */
		if (join_path(srel, sizeof(srel), rel, subs[i]) < 0) {
			close(sfd);
			continue;
		}
		r = walk_nodes(w, sfd, srel, subs[i], depth + 1);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * Every class device below the device directory DIR (relative to the
 * root; symlinks are not followed, and a child PCI function's directory
 * ends the walk) that has a "dev" attribute: its MAJOR:MINOR, its uevent's
 * DEVNAME and whether it is a block device. Returns the count or -errno;
 * *ret (free() it) is sorted by path.
 */
int sysfs_find_nodes(struct sysfs *s, struct sysfs_node **ret, const char *fmt, ...)
{
	struct nodes_walk w = { 0 };
	char path[PATH_MAX];
	int fd, r;

	FORMAT_PATH(path, fmt);
	fd = open_beneath(s, path, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fd;
	r = walk_nodes(&w, fd, path, "", 0);
	if (r < 0) {
		free(w.v);
		return r;
	}
	*ret = w.v;
	return (int)w.n;
}

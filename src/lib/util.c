/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers every module shares once: reading a whole file (files with no
 * size, like /proc's, and short reads included), writing one atomically
 * (a temporary file, fsync, rename, fsync of the directory), and the
 * monotonic clock in milliseconds.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "util.h"

/*
 * Read FD to its end, whatever the size of each read(); at most MAX bytes
 * (-EFBIG beyond). *RET is NUL-terminated, *RET_LEN (if not NULL) its
 * length. Returns 0 or -errno.
 */
int util_read_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, alloc = 0;

	for (;;) {
		ssize_t n;

		if (len + 1 >= alloc) {
			size_t na = alloc ? alloc * 2 : 4096;
			char *nb;

			if (alloc > max + 1)
				return -EFBIG;
			nb = realloc(buf, na);
			if (!nb)
				return -ENOMEM;
			buf = nb;
			alloc = na;
		}
		n = read(fd, buf + len, alloc - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max)
			return -EFBIG;
	}
	if (!buf && !(buf = calloc(1, 1)))
		return -ENOMEM;
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	*ret = TAKE_PTR(buf);
	return 0;
}

/* util_read_fd() of PATH opened under DIR_FD (AT_FDCWD too) with extra FLAGS. */
int util_read_at(int dir_fd, const char *path, int flags, size_t max, char **ret)
{
	_cleanup_close_ int fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | flags);

	if (fd < 0)
		return -errno;
	return util_read_fd(fd, max, ret, NULL);
}

/*
 * Write CONTENT to NAME under DIR_FD (AT_FDCWD too) so that a reader sees
 * the old file or the new one, never a torn one, and a crash keeps one of
 * them: ".NAME.tmp" beside it, fsync, rename over NAME, fsync of the
 * directory (DIR_FD itself when NAME is a name in it). Returns 0 or -errno
 * (the temporary file is removed).
 */
int util_write_atomic_at(int dir_fd, const char *name, const char *content, mode_t mode)
{
	return util_write_atomic_keep(dir_fd, name, content, mode, NULL);
}

/* util_write_atomic_at(), and with RET_FD the new file stays open (for writing) there. */
int util_write_atomic_keep(int dir_fd, const char *name, const char *content, mode_t mode,
			   int *ret_fd)
{
	const char *base = strrchr(name, '/');
	char tmp[PATH_MAX], dir[PATH_MAX];
	size_t len = strlen(content), done = 0;
	_cleanup_close_ int fd = -1, dfd = -1;
	int r;

	base = base ? base + 1 : name;
	if ((size_t)snprintf(dir, sizeof(dir), "%.*s", (int)(base - name), name) >= sizeof(dir) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s.%s.tmp", dir, base) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	while (done < len) {
		ssize_t n = write(fd, content + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			goto out_unlink;
		}
		done += (size_t)n;
	}
	if (fsync(fd) < 0) {
		r = -errno;
		goto out_unlink;
	}
	if (renameat(dir_fd, tmp, dir_fd, name) < 0) {
		r = -errno;
		goto out_unlink;
	}
	if (!dir[0] && dir_fd != AT_FDCWD) {
		(void)fsync(dir_fd);
	} else {
		dfd = openat(dir_fd, dir[0] ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0)
			(void)fsync(dfd);
	}
	if (ret_fd)
		*ret_fd = TAKE_FD(fd);
	return 0;

out_unlink:
	(void)unlinkat(dir_fd, tmp, 0);
	return r;
}

/* The monotonic clock, in milliseconds. */
long long util_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* S is a non-empty run of decimal digits (a pid, an fd, a domain id). */
/*
 * Append a copy of S to the NULL-terminated array *V of *N strings, room
 * for *ALLOC (grown by doubling). Returns 0 or -ENOMEM (*V stays valid).
 */
int util_strv_push(char ***v, size_t *n, size_t *alloc, const char *s)
{
	if (*n + 2 > *alloc) {
		size_t na = *alloc ? *alloc * 2 : 16;
		char **nv = realloc(*v, na * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*alloc = na;
	}
	(*v)[*n] = strdup(s);
	if (!(*v)[*n])
		return -ENOMEM;
	(*v)[++*n] = NULL;
	return 0;
}

/*
 * The next entry of IT but "." and "..", its d_type (DT_DIR, DT_UNKNOWN, ...)
 * in *RET_TYPE if given; NULL at the end or on an error, with *ERROR 0 or
 * -errno.
 */
const char *util_dir_next(struct util_dir *it, unsigned char *ret_type, int *error)
{
	for (;;) {
		struct dirent64 *de;

		if (it->off >= it->len) {
			ssize_t k = getdents64(it->fd, it->buf, sizeof(it->buf));

			if (k <= 0) {
				*error = k < 0 ? -errno : 0;
				return NULL;
			}
			it->len = k;
			it->off = 0;
		}
		de = (struct dirent64 *)(it->buf + it->off);
		it->off += de->d_reclen;
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (ret_type)
			*ret_type = de->d_type;
		return de->d_name;
	}
}

bool util_all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/*
 * The optimal-string-alignment distance between A and B (insertions,
 * deletions, substitutions and swaps of neighbours, each 1; "lsit" is 1 from
 * "list"), capped at 64 characters a side: for "did you mean" suggestions.
 */
unsigned int util_edit_distance(const char *a, const char *b)
{
	enum { N = 64 };
	unsigned int d[N + 1][N + 1];
	size_t n = strnlen(a, N), m = strnlen(b, N);

	for (size_t i = 0; i <= n; i++)
		d[i][0] = (unsigned int)i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (unsigned int)j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			unsigned int cost = a[i - 1] != b[j - 1], v = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[n][m];
}

/*
 * The candidate of CANDS (N of them) closest to WORD, if it is close enough
 * to be a typo of it (at most 2 edits, and fewer than WORD has letters), else
 * NULL.
 */
const char *util_closest(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL;
	unsigned int best_d = 3, len = (unsigned int)strlen(word);

	for (size_t i = 0; i < n; i++) {
		unsigned int dist;

		if (!cands[i])
			continue;
		dist = util_edit_distance(word, cands[i]);
		if (dist < best_d && dist < len) {
			best = cands[i];
			best_d = dist;
		}
	}
	return best;
}

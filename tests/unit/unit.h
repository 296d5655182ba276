/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared unit-test helpers: a fresh mkdtemp directory per test, and files and links in it. */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

/* A fixture directory; tests build a fake sysfs (or modules dir) under ROOT. */
struct unit_dir {
	char root[PATH_MAX];
};

/* ROOT/REL into BUF (PATH_MAX). */
static inline char *unit_path(const char *root, const char *rel, char *buf)
{
	int n = snprintf(buf, PATH_MAX, "%s/%s", root, rel);

	assert_true(n > 0 && n < PATH_MAX);
	return buf;
}

/* mkdir -p ROOT/REL. */
static inline void unit_mkdirs(const char *root, const char *rel)
{
	char path[PATH_MAX];
	size_t skip = strlen(root) + 1;

	unit_path(root, rel, path);
	for (char *p = path + skip;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", path, strerror(errno));
		*p = c;
		if (!c)
			break;
	}
}

/* Create the parent directories of ROOT/REL. */
static inline void unit_mkparents(const char *root, const char *rel)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", rel);
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		unit_mkdirs(root, dir);
	}
}

/* Write LEN bytes of DATA to ROOT/REL (parents created, file replaced). */
static inline void unit_write(const char *root, const char *rel, const void *data, size_t len)
{
	char path[PATH_MAX];
	int fd;

	unit_mkparents(root, rel);
	fd = open(unit_path(root, rel, path), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static inline void unit_write_str(const char *root, const char *rel, const char *s)
{
	unit_write(root, rel, s, strlen(s));
}

/* Write printf-formatted content to ROOT/REL. */
static inline void unit_writef(const char *root, const char *rel, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline void unit_writef(const char *root, const char *rel, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	unit_write(root, rel, s, (size_t)n);
	free(s);
}

/* A symlink ROOT/REL whose target is TARGET, stored verbatim. */
static inline void unit_symlink(const char *root, const char *rel, const char *target)
{
	char path[PATH_MAX];

	unit_mkparents(root, rel);
	if (symlink(target, unit_path(root, rel, path)) < 0)
		fail_msg("symlink %s: %s", path, strerror(errno));
}

/*
 * A relative symlink ROOT/REL -> ROOT/TARGET_REL, written the way the kernel
 * writes them: "../" once per directory level of REL, then TARGET_REL.
 */
static inline void unit_symlink_to(const char *root, const char *rel, const char *target_rel)
{
	char target[PATH_MAX] = "";
	size_t len = 0;

	for (const char *p = rel; *p; p++)
		if (*p == '/')
			len += snprintf(target + len, sizeof(target) - len, "../");
	snprintf(target + len, sizeof(target) - len, "%s", target_rel);
	unit_symlink(root, rel, target);
}

/* Read ROOT/REL into BUF (NUL-terminated); returns the length. */
static inline size_t unit_read(const char *root, const char *rel, char *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	fd = open(unit_path(root, rel, path), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	n = read(fd, buf, size - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return (size_t)n;
}

static inline bool unit_exists(const char *root, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	return lstat(unit_path(root, rel, path), &st) == 0;
}

static inline int unit_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* rm -rf PATH (never follows symlinks). */
static inline void unit_rm_rf(const char *path)
{
	if (nftw(path, unit_rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
		fprintf(stderr, "unit: could not remove %s: %s\n", path, strerror(errno));
}

/* Fill D with a fresh empty directory under $TMPDIR (default /tmp). */
static inline void unit_dir_init(struct unit_dir *d)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(d->root, sizeof(d->root), "%s/pcibind-unit.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(d->root))
		fail_msg("mkdtemp %s: %s", d->root, strerror(errno));
}

static inline void unit_dir_done(struct unit_dir *d)
{
	if (d->root[0])
		unit_rm_rf(d->root);
}

/* cmocka setup/teardown for tests that only need a fresh directory as *state. */
static inline int unit_setup_dir(void **state)
{
	struct unit_dir *d = calloc(1, sizeof(*d));

	if (!d)
		return -1;
	unit_dir_init(d);
	*state = d;
	return 0;
}

static inline int unit_teardown_dir(void **state)
{
	struct unit_dir *d = *state;

	unit_dir_done(d);
	free(d);
	return 0;
}

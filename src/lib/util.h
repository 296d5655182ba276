/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers every module shares once: whole-file reads, atomic writes, the clock, numbers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

int util_read_fd(int fd, size_t max, char **ret, size_t *ret_len);
int util_read_at(int dir_fd, const char *path, int flags, size_t max, char **ret);
int util_write_atomic_at(int dir_fd, const char *name, const char *content, mode_t mode);
int util_write_atomic_keep(int dir_fd, const char *name, const char *content, mode_t mode,
			   int *ret_fd);
long long util_now_ms(void);
bool util_all_digits(const char *s);
int util_strv_push(char ***v, size_t *n, size_t *alloc, const char *s);

/*
 * A directory read with getdents64() itself, not through a DIR: fdopendir()
 * costs an fstat() and two fcntl() per directory, and pcibind reads one per
 * process (/proc/PID/fd) and per function it decides on. Set .fd, then ask
 * util_dir_next() until it says NULL; the caller closes the fd.
 */
struct util_dir {
	int fd;
	long len, off;
	char buf[16384] __attribute__((aligned(8)));
};
const char *util_dir_next(struct util_dir *it, unsigned char *ret_type, int *error);
unsigned int util_edit_distance(const char *a, const char *b);
const char *util_closest(const char *word, const char *const *cands, size_t n);

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
unsigned int util_edit_distance(const char *a, const char *b);
const char *util_closest(const char *word, const char *const *cands, size_t n);

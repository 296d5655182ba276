/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CLI logging to stderr at syslog levels; the engine returns -errno and never prints. */
#pragma once

#include <syslog.h>

#include "macro.h"

void log_set_max_level(int level);
int log_get_max_level(void);
int log_full_errno(int level, int error, const char *fmt, ...) _printf_(3, 4);
/* A continuation line (no "pcibind: " prefix on stderr) at LEVEL. */
void log_continue(int level, const char *fmt, ...) _printf_(2, 3);
/* Send every message to FN instead of stderr (boot: the kernel log); NULL: stderr. */
typedef void (*log_sink_fn)(void *userdata, int level, const char *msg);
void log_set_sink(log_sink_fn fn, void *userdata);
void log_remember_error(const char *msg);
const char *log_first_error(void);

/* Log with ": <strerror>" appended and return -|R|, so callers can "return log_error_errno(r, ...)". */
#define log_error_errno(r, ...) log_full_errno(LOG_ERR, (r), __VA_ARGS__)
#define log_warning_errno(r, ...) log_full_errno(LOG_WARNING, (r), __VA_ARGS__)
#define log_error(...) log_full_errno(LOG_ERR, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_info(...) log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_debug(...) log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Stage timing: the engine marks points; the caller (PCIBIND_TRACE) decides what to do with them. */
#pragma once

#include "macro.h"

/* Called at each point with its name; nothing happens until a caller sets one. */
typedef void (*trace_fn)(const char *point, void *userdata);

void trace_set(trace_fn fn, void *userdata);
void trace_point(const char *fmt, ...) _printf_(1, 2);

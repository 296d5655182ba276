/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Stage timing: library code marks the points where a change spends its
 * time (libkmod's index, the snapshot, each step's write and check, the
 * journal, udev settling). Without a callback a point costs one branch;
 * the CLI sets one when PCIBIND_TRACE is in the environment.
 */
#include <stdarg.h>
#include <stdio.h>

#include "trace.h"

static trace_fn trace_cb;
static void *trace_data;

void trace_set(trace_fn fn, void *userdata)
{
	trace_cb = fn;
	trace_data = userdata;
}

void trace_point(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	if (!trace_cb)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	trace_cb(buf, trace_data);
}

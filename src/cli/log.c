/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CLI logging: one line per message on stderr, prefixed with the program name. */
#include <stdarg.h>
#include <string.h>

#include "log.h"

static int max_level = LOG_WARNING;
static log_sink_fn sink;
static void *sink_data;

void log_set_sink(log_sink_fn fn, void *userdata)
{
	sink = fn;
	sink_data = userdata;
}

void log_set_max_level(int level)
{
	max_level = level;
}

int log_get_max_level(void)
{
	return max_level;
}

/*
 * Print "pcibind: MESSAGE" (and ": strerror(ERROR)" when ERROR is not 0)
 * if LEVEL is enabled. Returns -|ERROR|.
 */
int log_full_errno(int level, int error, const char *fmt, ...)
{
	int e = error < 0 ? -error : error;
	va_list ap;

	if (level > max_level)
		return -e;
	if (sink) {
		char msg[1536];
		int n;

		va_start(ap, fmt);
		n = vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		if (e && n >= 0 && (size_t)n < sizeof(msg))
			snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", strerror(e));
		sink(sink_data, level, msg);
		return -e;
	}
	fputs("pcibind: ", stderr);
	if (level == LOG_WARNING)
		fputs("warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (e)
		fprintf(stderr, ": %s", strerror(e));
	fputc('\n', stderr);
	return -e;
}

/* A continuation of the message before it: on stderr without the prefix. */
void log_continue(int level, const char *fmt, ...)
{
	char msg[1536];
	va_list ap;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (sink)
		sink(sink_data, level, msg);
	else
		fprintf(stderr, "%s\n", msg);
}

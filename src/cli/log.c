/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CLI logging: one line per message on stderr, prefixed with the program
 * name, escaped for a terminal (it may quote what pcibind did not write).
 */
#include <stdarg.h>
#include <string.h>

#include "log.h"
#include "output.h"
#include "sysfs.h"

static int max_level = LOG_WARNING;
static char first_error[1536];
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
 * MESSAGE formatted, then escaped whole (out_escape()): it may quote a
 * process name, a mount point or a policy line, and pcibind's own words
 * have no control bytes. NULL on OOM.
 */
_printf_(1, 0) static char *format_escaped(const char *fmt, va_list ap)
{
	_cleanup_free_ char *raw = NULL;

	if (vasprintf(&raw, fmt, ap) < 0)
		return NULL;
	return out_escape(raw, 0);
}

/*
 * Print "pcibind: MESSAGE" (and ": strerror(ERROR)" when ERROR is not 0)
 * if LEVEL is enabled, MESSAGE escaped for a terminal. Returns -|ERROR|.
 */
int log_full_errno(int level, int error, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	int e = error < 0 ? -error : error;
	va_list ap;

	if (level <= LOG_ERR && !first_error[0]) {
		int n;

		va_start(ap, fmt);
		n = vsnprintf(first_error, sizeof(first_error), fmt, ap);
		va_end(ap);
		if (e && n >= 0 && (size_t)n < sizeof(first_error))
			snprintf(first_error + n, sizeof(first_error) - (size_t)n, ": %s", strerror(e));
	}
	if (level > max_level)
		return -e;
	va_start(ap, fmt);
	msg = format_escaped(fmt, ap);
	va_end(ap);
	if (!msg)
		return -e;
	if (sink) {
		_cleanup_free_ char *full = NULL;

		if (e && asprintf(&full, "%s: %s", msg, strerror(e)) >= 0)
			sink(sink_data, level, full);
		else
			sink(sink_data, level, msg);
		return -e;
	}
	fputs("pcibind: ", stderr);
	if (level == LOG_WARNING)
		fputs("warning: ", stderr);
	fputs(msg, stderr);
	if (e == EXDEV && sysfs_escape()[0]) {
		/* the gateway refused a path; the kernel's word for it says nothing */
		fputs(": ", stderr);
		out_fputs_escaped(sysfs_escape(), 0, stderr);
		fputs(" is a symlink that leads out of the sysfs root", stderr);
	} else if (e == EXDEV) {
		fputs(": a path leads out of the sysfs root", stderr);
	} else if (e) {
		fprintf(stderr, ": %s", strerror(e));
	}
	fputc('\n', stderr);
	return -e;
}

/* A continuation of the message before it: on stderr without the prefix, escaped. */
void log_continue(int level, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	msg = format_escaped(fmt, ap);
	va_end(ap);
	if (!msg)
		return;
	if (sink)
		sink(sink_data, level, msg);
	else
		fprintf(stderr, "%s\n", msg);
}

/* Remember MSG as the run's error if none was logged yet (usage errors print by themselves). */
void log_remember_error(const char *msg)
{
	if (!first_error[0])
		snprintf(first_error, sizeof(first_error), "%s", msg);
}

/* The first error of this run, without "pcibind: " ("" if none): main's JSON error object. */
const char *log_first_error(void)
{
	return first_error;
}

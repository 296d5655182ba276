/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Printing helpers: one call emits a labelled text line or a JSON member.
 * A KEY is a string that lives as long as the program (a literal, or a
 * name from a static table): JSON mode keeps the pointer, not a copy.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "macro.h"

struct out;

struct out *out_new(bool json, FILE *f);
int out_finish(struct out *o);
struct out *out_free(struct out *o);
static inline void out_freep(struct out **o)
{
	out_free(*o);
}

bool out_is_json(const struct out *o);
bool out_json_written(void);

void out_begin_object(struct out *o, const char *key);
void out_end_object(struct out *o);
void out_begin_array(struct out *o, const char *key, const char *label);
void out_begin_stream(struct out *o, const char *key, const char *label);
void out_end_array(struct out *o);

void out_string(struct out *o, const char *key, const char *label, const char *value);
void out_stringf(struct out *o, const char *key, const char *label, const char *fmt, ...)
	_printf_(4, 5);
void out_hex(struct out *o, const char *key, const char *label, unsigned int value, int width);
void out_int(struct out *o, const char *key, const char *label, long long value);
void out_bool(struct out *o, const char *key, const char *label, bool value);
void out_null(struct out *o, const char *key, const char *label, const char *text);
void out_textf(struct out *o, const char *fmt, ...) _printf_(2, 3);

/*
 * Text from outside pcibind (process names, mount points, sysfs attributes,
 * pci.ids names, policy and journal text) reaches a terminal only escaped:
 * control bytes as \e, \n, \t, \r or \xHH, C1 controls and Unicode's
 * direction and line-separator controls as \uHHHH, a byte that is not
 * UTF-8 as \xHH; printable ASCII and other valid UTF-8 pass as they are.
 * JSON gets valid UTF-8 instead (a byte that is not UTF-8 becomes U+FFFD)
 * and json-c quotes it. out_string() and out_textf() do both by themselves.
 */
enum {
	OUT_ESCAPE_KEEP_NEWLINE = 1 << 0, /* a newline stays one (multi-line text) */
};
bool out_utf8_valid(const char *s);
char *out_utf8(const char *s);
char *out_escape(const char *s, unsigned int flags);
void out_fputs_escaped(const char *s, unsigned int flags, FILE *f);
int out_vfprintf(FILE *f, const char *fmt, va_list ap) _printf_(2, 0);
int out_printf(FILE *f, const char *fmt, ...) _printf_(2, 3);
int out_vasprintf(char **ret, const char *fmt, va_list ap) _printf_(2, 0);

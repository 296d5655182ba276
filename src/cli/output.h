/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Printing helpers: one call emits a labelled text line or a JSON member.
 * A KEY is a string that lives as long as the program (a literal, or a
 * name from a static table): JSON mode keeps the pointer, not a copy.
 */
#pragma once

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

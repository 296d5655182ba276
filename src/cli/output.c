/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Printing helpers in the manner of iproute2's print_*(): commands describe
 * what they print once; text mode writes "Label: value" lines (array
 * elements joined on one line), JSON mode writes the document as the calls
 * come, with stable snake_case keys, into a buffer printed at the end: the
 * layout is json-c's JSON_C_TO_STRING_PRETTY | _SPACED | _NOSLASHESCAPE
 * (tests/unit/test-cli-output.c compares the two), without building a tree
 * of thousands of objects first.
 */
#include <stdarg.h>
#include <string.h>

#include "output.h"

#define OUT_DEPTH 8
#define LABEL_WIDTH 18

struct out {
	bool json;
	bool failed;
	FILE *f;
	int depth;
	/* JSON mode: the document so far, and per open level whether it is an
	 * array and whether it has a member yet */
	FILE *doc;
	char *doc_buf;
	size_t doc_len;
	bool is_array[OUT_DEPTH];
	bool had[OUT_DEPTH];
	/* text mode: scalars of an array join on one line; objects get a line each */
	bool in_array;
	bool array_of_objects;
	bool in_object;
	const char *array_label;
	size_t array_items;
	size_t object_fields;
};

/* A printer for stdout-like F, in JSON mode if JSON. NULL on OOM. */
struct out *out_new(bool json, FILE *f)
{
	struct out *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->json = json;
	o->f = f;
	if (json) {
		o->doc = open_memstream(&o->doc_buf, &o->doc_len);
		if (!o->doc) {
			free(o);
			return NULL;
		}
		fputc('{', o->doc);
	}
	return o;
}

/* Accepts NULL, returns NULL. */
struct out *out_free(struct out *o)
{
	if (!o)
		return NULL;
	if (o->doc)
		fclose(o->doc);
	free(o->doc_buf);
	free(o);
	return NULL;
}

bool out_is_json(const struct out *o)
{
	return o->json;
}

static void json_indent(struct out *o, int level)
{
	fprintf(o->doc, "%*s", 2 * level, "");
}

/* A string in json-c's escaping: \b \f \n \r \t \" \\, other controls as \u00xx. */
static void json_str(struct out *o, const char *s)
{
	FILE *f = o->doc;

	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		size_t run = 0;

		/* a run of bytes that need no escape, in one write */
		while (p[run] >= ' ' && p[run] != '"' && p[run] != '\\')
			run++;
		if (run) {
			fwrite(p, 1, run, f);
			p += run - 1;
			continue;
		}
		switch (*p) {
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		default:
			if (*p < ' ')
				fprintf(f, "\\u00%02x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* Close the innermost open object or array (json-c breaks the line of an empty one too). */
static void json_close(struct out *o)
{
	fputc('\n', o->doc);
	json_indent(o, o->depth);
	fputc(o->is_array[o->depth] ? ']' : '}', o->doc);
}

/* Print the JSON document (JSON mode). Returns 0, -ENOMEM or -EIO. */
int out_finish(struct out *o)
{
	if (o->failed)
		return -ENOMEM;
	if (o->json) {
		for (; o->depth >= 0; o->depth--)
			json_close(o);
		o->depth = 0;
		if (fclose(o->doc) != 0) {
			o->doc = NULL;
			return -ENOMEM;
		}
		o->doc = NULL;
		fwrite(o->doc_buf, 1, o->doc_len, o->f);
		fputc('\n', o->f);
	}
	if (fflush(o->f) != 0 || ferror(o->f))
		return -EIO;
	return 0;
}

/* Start a member: the comma, the line, and "KEY": inside an object. */
static void json_member(struct out *o, const char *key)
{
	if (o->had[o->depth])
		fputc(',', o->doc);
	fputc('\n', o->doc);
	json_indent(o, o->depth + 1);
	o->had[o->depth] = true;
	if (!o->is_array[o->depth]) {
		json_str(o, key ? key : "");
		fputs(": ", o->doc);
	}
}

/* Open an object or array as a member under KEY. */
static void json_open(struct out *o, const char *key, bool array)
{
	if (o->depth + 1 >= OUT_DEPTH) {
		o->failed = true;
		return;
	}
	json_member(o, key);
	fputc(array ? '[' : '{', o->doc);
	o->depth++;
	o->is_array[o->depth] = array;
	o->had[o->depth] = false;
}

/* Text mode: the label column, or blanks under it for a continuation line. */
static void text_label(struct out *o, const char *label)
{
	fprintf(o->f, "%-*s ", LABEL_WIDTH, label ? label : "");
}

static void text_value(struct out *o, const char *label, const char *value)
{
	if (o->in_object) {
		fprintf(o->f, "%s%s", o->object_fields++ ? "  " : "", value);
	} else if (o->in_array) {
		if (o->array_items++)
			fputs(", ", o->f);
		else
			text_label(o, o->array_label);
		fputs(value, o->f);
	} else if (label) {
		text_label(o, label);
		fprintf(o->f, "%s\n", value);
	}
}

/* Begin a nested object under KEY (NULL inside an array). */
void out_begin_object(struct out *o, const char *key)
{
	if (o->json) {
		json_open(o, key, false);
		return;
	}
	/* Text mode: each object of an array is one line under the label. */
	if (o->in_array) {
		text_label(o, o->array_items++ ? NULL : o->array_label);
		o->array_of_objects = true;
		o->in_object = true;
		o->object_fields = 0;
	}
}

void out_end_object(struct out *o)
{
	if (o->json) {
		if (o->depth > 0) {
			json_close(o);
			o->depth--;
		}
		return;
	}
	if (o->in_object) {
		fputc('\n', o->f);
		o->in_object = false;
	}
}

/* Begin an array under KEY; in text mode scalars join on the LABEL line. */
void out_begin_array(struct out *o, const char *key, const char *label)
{
	if (o->json) {
		json_open(o, key, true);
		return;
	}
	o->in_array = true;
	o->array_of_objects = false;
	o->array_label = label;
	o->array_items = 0;
}

void out_end_array(struct out *o)
{
	if (o->json) {
		if (o->depth > 0) {
			json_close(o);
			o->depth--;
		}
		return;
	}
	if (!o->array_items) {
		text_label(o, o->array_label);
		fputs("none\n", o->f);
	} else if (!o->array_of_objects) {
		fputc('\n', o->f);
	}
	o->in_array = false;
}

/* A string member; VALUE NULL prints JSON null and text "none". */
void out_string(struct out *o, const char *key, const char *label, const char *value)
{
	if (o->json) {
		json_member(o, key);
		if (value)
			json_str(o, value);
		else
			fputs("null", o->doc);
		return;
	}
	text_value(o, label, value ? value : "none");
}

void out_stringf(struct out *o, const char *key, const char *label, const char *fmt, ...)
{
	char buf[256], *s = NULL;
	va_list ap;
	int r;

	/* most values are short (IDs, classes): no allocation for them */
	va_start(ap, fmt);
	r = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (r >= 0 && (size_t)r < sizeof(buf)) {
		out_string(o, key, label, buf);
		return;
	}
	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0) {
		o->failed = true;
		return;
	}
	out_string(o, key, label, s);
	free(s);
}

void out_int(struct out *o, const char *key, const char *label, long long value)
{
	if (o->json) {
		json_member(o, key);
		fprintf(o->doc, "%lld", value);
		return;
	}
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", value);
	text_value(o, label, buf);
}

void out_bool(struct out *o, const char *key, const char *label, bool value)
{
	if (o->json) {
		json_member(o, key);
		fputs(value ? "true" : "false", o->doc);
		return;
	}
	text_value(o, label, value ? "yes" : "no");
}

/* JSON null under KEY; in text mode TEXT (or nothing when TEXT is NULL). */
void out_null(struct out *o, const char *key, const char *label, const char *text)
{
	if (o->json) {
		json_member(o, key);
		fputs("null", o->doc);
		return;
	}
	if (text)
		text_value(o, label, text);
}

/* A free-form text line (text mode only). */
void out_textf(struct out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->json)
		return;
	fprintf(o->f, "%*s", 2 * o->depth, "");
	va_start(ap, fmt);
	vfprintf(o->f, fmt, ap);
	va_end(ap);
	fputc('\n', o->f);
}

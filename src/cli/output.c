/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Printing helpers in the manner of iproute2's print_*(): commands describe
 * what they print once; text mode writes "Label: value" lines (array
 * elements joined on one line), JSON mode builds a json-c tree printed at
 * the end with stable snake_case keys. A long array of objects (list's
 * devices) can be streamed instead: each element is its own json-c object,
 * serialised by json-c and freed as soon as it ends, in the same layout the
 * whole tree would have had, so memory does not grow with the machine.
 */
#include <stdarg.h>
#include <string.h>

#include <json.h>

#include "output.h"

#define OUT_DEPTH 8
#define LABEL_WIDTH 18
#define JSON_FLAGS \
	(JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)

struct out {
	bool json;
	bool failed;
	FILE *f;
	int depth;
	json_object *stack[OUT_DEPTH];
	/* text mode: scalars of an array join on one line; objects get a line each */
	bool in_array;
	bool array_of_objects;
	bool in_object;
	const char *array_label;
	size_t array_items;
	size_t object_fields;
	/* JSON: the streamed array's depth (0: none), and whether it ended */
	int stream_depth;
	bool stream_done;
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
		o->stack[0] = json_object_new_object();
		if (!o->stack[0]) {
			free(o);
			return NULL;
		}
	}
	return o;
}

/* Accepts NULL, returns NULL. */
struct out *out_free(struct out *o)
{
	if (!o)
		return NULL;
	if (o->json) {
		/* a streamed element that never ended is not in the tree */
		if (o->stream_depth && o->depth > o->stream_depth)
			json_object_put(o->stack[o->stream_depth + 1]);
		json_object_put(o->stack[0]);
	}
	free(o);
	return NULL;
}

bool out_is_json(const struct out *o)
{
	return o->json;
}

/* Print the JSON document (JSON mode). Returns 0, -ENOMEM or -EIO. */
static bool json_written;

/* Whether a JSON document went to stdout in this run (main's error object goes only where none did). */
bool out_json_written(void)
{
	return json_written;
}

int out_finish(struct out *o)
{
	if (o->failed)
		return -ENOMEM;
	if (o->json && o->f == stdout)
		json_written = true;
	if (o->json && o->stream_depth) {
		/* the document was written as it went; it ends with its array */
		if (!o->stream_done)
			return -EINVAL;
		fputc('\n', o->f);
	} else if (o->json) {
		const char *s = json_object_to_json_string_ext(o->stack[0], JSON_FLAGS);

		if (!s)
			return -ENOMEM;
		fprintf(o->f, "%s\n", s);
	}
	if (fflush(o->f) != 0 || ferror(o->f))
		return -EIO;
	return 0;
}

static void json_add(struct out *o, const char *key, json_object *v)
{
	json_object *top = o->stack[o->depth];

	/* a streamed array holds objects only; nothing follows it in its parent */
	if (o->stream_depth && (o->stream_done || o->depth == o->stream_depth)) {
		json_object_put(v);
		o->failed = true;
		return;
	}

	/* keys are the program's constants: json-c need not copy them */
	if (!v) {
		if (key) /* json_object_new_null() does not exist: NULL is null */
			json_object_object_add_ex(top, key, NULL, JSON_C_OBJECT_KEY_IS_CONSTANT);
		else
			json_object_array_add(top, NULL);
		return;
	}
	if (json_object_is_type(top, json_type_array))
		o->failed |= json_object_array_add(top, v) != 0;
	else
		o->failed |=
			json_object_object_add_ex(top, key, v, JSON_C_OBJECT_KEY_IS_CONSTANT) != 0;
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
		json_object *v = json_object_new_object();

		if (!v || o->depth + 1 >= OUT_DEPTH) {
			o->failed = true;
			json_object_put(v);
			return;
		}
		if (o->stream_depth && o->depth == o->stream_depth)
			o->stack[++o->depth] = v; /* owned here until it ends */
		else {
			json_add(o, key, v);
			o->stack[++o->depth] = v;
		}
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

/*
 * Write one element of the streamed array: json-c's text of it alone, each
 * line indented as it would be two levels down in the whole document.
 */
static void stream_element(struct out *o, json_object *v)
{
	const char *s = json_object_to_json_string_ext(v, JSON_FLAGS);

	if (!s) {
		o->failed = true;
		return;
	}
	fputs(o->array_items++ ? ",\n" : "\n", o->f);
	while (*s) {
		/* JSON strings escape their newlines: a raw one ends a line */
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s + 1) : strlen(s);

		fwrite("    ", 1, 4, o->f);
		fwrite(s, 1, len, o->f);
		s += len;
	}
}

void out_end_object(struct out *o)
{
	if (o->json) {
		if (o->stream_depth && o->depth == o->stream_depth + 1) {
			stream_element(o, o->stack[o->depth]);
			json_object_put(o->stack[o->depth]);
			o->depth--;
			return;
		}
		if (o->depth > 0)
			o->depth--;
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
		json_object *v = json_object_new_array();

		if (!v || o->depth + 1 >= OUT_DEPTH) {
			o->failed = true;
			json_object_put(v);
			return;
		}
		json_add(o, key, v);
		o->stack[++o->depth] = v;
		return;
	}
	o->in_array = true;
	o->array_of_objects = false;
	o->array_label = label;
	o->array_items = 0;
}

/*
 * Like out_begin_array(), but in JSON mode the array's objects are written
 * as each one ends rather than kept. Only for an array of objects that is
 * the document's first member; nothing may follow it. Anywhere else it is
 * out_begin_array().
 */
void out_begin_stream(struct out *o, const char *key, const char *label)
{
	if (!o->json || o->depth != 0 || o->stream_depth ||
	    json_object_object_length(o->stack[0]) != 0) {
		out_begin_array(o, key, label);
		return;
	}
	/* keys are the program's own snake_case names: nothing to escape */
	fprintf(o->f, "{\n  \"%s\": [", key);
	if (o->f == stdout)
		json_written = true;
	o->stream_depth = 1;
	o->array_items = 0;
	o->stack[++o->depth] = o->stack[0]; /* never added to: see json_add() */
}

void out_end_array(struct out *o)
{
	if (o->json) {
		if (o->stream_depth && o->depth == o->stream_depth) {
			fputs("\n  ]\n}", o->f);
			o->stream_done = true;
		}
		if (o->depth > 0)
			o->depth--;
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
		json_object *v = NULL;

		if (value) {
			v = json_object_new_string(value);
			o->failed |= !v;
		}
		json_add(o, key, v);
		return;
	}
	text_value(o, label, value ? value : "none");
}

void out_stringf(struct out *o, const char *key, const char *label, const char *fmt, ...)
{
	char buf[256], *s = NULL;
	va_list ap;
	int r;

	/* most values are short: format them on the stack, not with malloc */
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

/* VALUE as WIDTH lowercase hex digits ("%0*x" without printf: list prints 7 a function). */
void out_hex(struct out *o, const char *key, const char *label, unsigned int value, int width)
{
	static const char digits[] = "0123456789abcdef";
	char buf[sizeof(value) * 2 + 1];
	int n = 1;

	while (n < (int)sizeof(value) * 2 && (value >> (4 * n)))
		n++;
	if (width > (int)sizeof(value) * 2)
		width = (int)sizeof(value) * 2;
	if (n < width)
		n = width;
	buf[n] = '\0';
	for (int i = n - 1; i >= 0; i--, value >>= 4)
		buf[i] = digits[value & 0xf];
	out_string(o, key, label, buf);
}

void out_int(struct out *o, const char *key, const char *label, long long value)
{
	if (o->json) {
		json_object *v = json_object_new_int64(value);

		o->failed |= !v;
		json_add(o, key, v);
		return;
	}
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", value);
	text_value(o, label, buf);
}

void out_bool(struct out *o, const char *key, const char *label, bool value)
{
	if (o->json) {
		json_add(o, key, json_object_new_boolean(value));
		return;
	}
	text_value(o, label, value ? "yes" : "no");
}

/* JSON null under KEY; in text mode TEXT (or nothing when TEXT is NULL). */
void out_null(struct out *o, const char *key, const char *label, const char *text)
{
	if (o->json) {
		json_add(o, key, NULL);
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

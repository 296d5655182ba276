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
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

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

/* ---- escaping what pcibind did not write ---------------------------------- */

/* Only printable ASCII: nothing to escape, nothing to check (the common case). */
static bool plain_ascii(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p >= 0x7f)
			return false;
	return true;
}

/*
 * The length (1 to 4) of the valid UTF-8 sequence S starts with, its code
 * point in *CP; 0 if S does not start with one (a stray continuation byte,
 * an overlong form, a surrogate, beyond U+10FFFF, cut short).
 */
static size_t utf8_char(const unsigned char *s, uint32_t *cp)
{
	uint32_t c;
	size_t n;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] < 0xc2)
		return 0;
	if (s[0] < 0xe0) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] < 0xf0) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] < 0xf5) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* the NUL that ends S stops here too */
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Is S valid UTF-8 (what JSON must be)? */
bool out_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t n;

	for (; *p; p += n) {
		n = utf8_char(p, &cp);
		if (!n)
			return false;
	}
	return true;
}

/* A copy of S in which each byte that is not UTF-8 is U+FFFD; NULL on OOM. */
char *out_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *ret = malloc(strlen(s) * 3 + 1), *q = ret;
	uint32_t cp;
	size_t n;

	if (!ret)
		return NULL;
	for (; *p; p += n) {
		n = utf8_char(p, &cp);
		if (n) {
			memcpy(q, p, n);
			q += n;
		} else {
			memcpy(q, "\xef\xbf\xbd", 3);
			q += 3;
			n = 1;
		}
	}
	*q = '\0';
	return ret;
}

/* Code points a terminal acts on or that reorder what it shows: C1, bidi, separators. */
static bool unicode_control(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x61c || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

#define ESCAPE_MAX 8 /* the longest escape, "\u202e", and its NUL */

/*
 * Escape the character S starts with into BUF (ESCAPE_MAX bytes); *N gets
 * how many bytes of S it took. Returns BUF's length, or 0 when those bytes
 * go out as they are.
 */
static size_t escape_char(const unsigned char *s, unsigned int flags, char *buf, size_t *n)
{
	uint32_t cp;

	*n = utf8_char(s, &cp);
	if (!*n) {
		*n = 1;
		return (size_t)snprintf(buf, ESCAPE_MAX, "\\x%02x", s[0]);
	}
	if (cp >= 0x20 && cp != 0x7f && !unicode_control(cp))
		return 0;
	switch (cp) {
	case '\n':
		if (flags & OUT_ESCAPE_KEEP_NEWLINE)
			return 0;
		return (size_t)snprintf(buf, ESCAPE_MAX, "\\n");
	case '\t':
		return (size_t)snprintf(buf, ESCAPE_MAX, "\\t");
	case '\r':
		return (size_t)snprintf(buf, ESCAPE_MAX, "\\r");
	case 0x1b:
		return (size_t)snprintf(buf, ESCAPE_MAX, "\\e");
	}
	if (cp < 0x80)
		return (size_t)snprintf(buf, ESCAPE_MAX, "\\x%02x", cp);
	return (size_t)snprintf(buf, ESCAPE_MAX, "\\u%04x", cp);
}

/* Write S to F escaped for a terminal (FLAGS: OUT_ESCAPE_*). */
void out_fputs_escaped(const char *s, unsigned int flags, FILE *f)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;
	char buf[ESCAPE_MAX];
	size_t n, len;

	if (plain_ascii(s)) {
		fputs(s, f);
		return;
	}
	for (; *p; p += n) {
		len = escape_char(p, flags, buf, &n);
		if (!len)
			continue;
		fwrite(run, 1, (size_t)(p - run), f);
		fwrite(buf, 1, len, f);
		run = p + n;
	}
	fwrite(run, 1, (size_t)(p - run), f);
}

/* A copy of S escaped for a terminal (FLAGS: OUT_ESCAPE_*); NULL on OOM. */
char *out_escape(const char *s, unsigned int flags)
{
	char *ret = NULL;
	size_t size = 0;
	FILE *f;

	if (plain_ascii(s))
		return strdup(s);
	f = open_memstream(&ret, &size);
	if (!f)
		return NULL;
	out_fputs_escaped(s, flags, f);
	if (fclose(f) != 0)
		return mfree(ret);
	return ret;
}

/*
 * printf() to F whose string arguments (%s, %c) are escaped for a terminal
 * (the format is pcibind's own). Every conversion of C11 but %n, %lc and %ls.
 * Returns 0, -ENOMEM or -EINVAL (a conversion it does not know: nothing
 * more is printed).
 */
int out_vfprintf(FILE *f, const char *fmt, va_list ap)
{
	va_list aq;
	int r = 0;

	va_copy(aq, ap);
	while (*fmt) {
		const char *pct = strchr(fmt, '%');
		char spec[48], length[3] = "";
		size_t k = 0;

		if (!pct) {
			fputs(fmt, f);
			break;
		}
		fwrite(fmt, 1, (size_t)(pct - fmt), f);
		fmt = pct + 1;
		if (*fmt == '%') {
			fputc('%', f);
			fmt++;
			continue;
		}
		/* %[flags][width][.precision][length]conversion, '*' taken from the arguments */
		spec[k++] = '%';
		while (*fmt && strchr("-+ #0'", *fmt) && k < 16)
			spec[k++] = *fmt++;
		if (*fmt == '*') {
			k += (size_t)snprintf(spec + k, 12, "%d", va_arg(aq, int));
			fmt++;
		} else {
			while (*fmt >= '0' && *fmt <= '9' && k < 26)
				spec[k++] = *fmt++;
		}
		if (*fmt == '.') {
			spec[k++] = *fmt++;
			if (*fmt == '*') {
				k += (size_t)snprintf(spec + k, 12, "%d", va_arg(aq, int));
				fmt++;
			} else {
				while (*fmt >= '0' && *fmt <= '9' && k < 40)
					spec[k++] = *fmt++;
			}
		}
		for (size_t i = 0; i < 2 && *fmt && strchr("hljztL", *fmt); i++)
			length[i] = spec[k++] = *fmt++;
		if (!*fmt) {
			r = -EINVAL;
			break;
		}
		spec[k++] = *fmt;
		spec[k] = '\0';
		switch (*fmt++) {
		case 'c':
		case 's': {
			char one[2] = { 0 };
			const char *s;
			_cleanup_free_ char *e = NULL;

			if (length[0]) { /* %lc, %ls: wide characters, never pcibind's */
				r = -EINVAL;
				goto out;
			}
			if (spec[k - 1] == 'c') {
				one[0] = (char)va_arg(aq, int);
				s = one;
				spec[k - 1] = 's';
			} else {
				s = va_arg(aq, const char *);
				if (!s)
					s = "(null)";
			}
			/* the common case, a plain %s: no copy, no second format */
			if (k == 2) {
				out_fputs_escaped(s, 0, f);
				break;
			}
			if (!plain_ascii(s)) {
				e = out_escape(s, 0);
				if (!e) {
					r = -ENOMEM;
					goto out;
				}
				s = e;
			}
			fprintf(f, spec, s);
			break;
		}
		case 'd':
		case 'i':
			if (streq(length, "l"))
				fprintf(f, spec, va_arg(aq, long));
			else if (streq(length, "ll"))
				fprintf(f, spec, va_arg(aq, long long));
			else if (streq(length, "z"))
				fprintf(f, spec, va_arg(aq, ssize_t));
			else if (streq(length, "j"))
				fprintf(f, spec, va_arg(aq, intmax_t));
			else if (streq(length, "t"))
				fprintf(f, spec, va_arg(aq, ptrdiff_t));
			else /* int, and what hh and h promote to */
				fprintf(f, spec, va_arg(aq, int));
			break;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			if (streq(length, "l"))
				fprintf(f, spec, va_arg(aq, unsigned long));
			else if (streq(length, "ll"))
				fprintf(f, spec, va_arg(aq, unsigned long long));
			else if (streq(length, "z"))
				fprintf(f, spec, va_arg(aq, size_t));
			else if (streq(length, "j"))
				fprintf(f, spec, va_arg(aq, uintmax_t));
			else if (streq(length, "t"))
				fprintf(f, spec, va_arg(aq, ptrdiff_t));
			else
				fprintf(f, spec, va_arg(aq, unsigned int));
			break;
		case 'f':
		case 'F':
		case 'e':
		case 'E':
		case 'g':
		case 'G':
		case 'a':
		case 'A':
			if (streq(length, "L"))
				fprintf(f, spec, va_arg(aq, long double));
			else
				fprintf(f, spec, va_arg(aq, double));
			break;
		case 'p':
			fprintf(f, spec, va_arg(aq, void *));
			break;
		default:
			r = -EINVAL;
			goto out;
		}
	}
out:
	va_end(aq);
	return r;
}

/* out_vfprintf() with its arguments. */
int out_printf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = out_vfprintf(f, fmt, ap);
	va_end(ap);
	return r;
}

/* out_vfprintf() into a new string in *RET. Returns 0, -ENOMEM or -EINVAL. */
int out_vasprintf(char **ret, const char *fmt, va_list ap)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	int r;

	if (!f)
		return -ENOMEM;
	r = out_vfprintf(f, fmt, ap);
	if (fclose(f) != 0 && r == 0)
		r = -ENOMEM;
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	return 0;
}

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

/* Text mode: VALUE, escaped (out_escape()), where the array or object puts it. */
static void text_value(struct out *o, const char *label, const char *value)
{
	if (o->in_object) {
		if (o->object_fields++)
			fputs("  ", o->f);
		out_fputs_escaped(value, 0, o->f);
	} else if (o->in_array) {
		if (o->array_items++)
			fputs(", ", o->f);
		else
			text_label(o, o->array_label);
		out_fputs_escaped(value, 0, o->f);
	} else if (label) {
		text_label(o, label);
		out_fputs_escaped(value, 0, o->f);
		fputc('\n', o->f);
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

/*
 * A string member; VALUE NULL prints JSON null and text "none". VALUE may
 * come from outside: text mode escapes it, JSON makes it valid UTF-8.
 */
void out_string(struct out *o, const char *key, const char *label, const char *value)
{
	if (o->json) {
		_cleanup_free_ char *fixed = NULL;
		json_object *v = NULL;

		if (value && !out_utf8_valid(value)) {
			fixed = out_utf8(value);
			if (!fixed) {
				o->failed = true;
				return;
			}
			value = fixed;
		}
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

/* A free-form text line (text mode only), its string arguments escaped. */
void out_textf(struct out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->json)
		return;
	fprintf(o->f, "%*s", 2 * o->depth, "");
	va_start(ap, fmt);
	if (out_vfprintf(o->f, fmt, ap) < 0)
		o->failed = true;
	va_end(ap);
	fputc('\n', o->f);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for output.c: text lines and JSON (parsed back with json-c) from the same calls. */
#include "unit.h"

#include <json.h>

#include "log.h"
#include "output.h"

/* An in-memory stdout for one printer. */
struct capture {
	char *buf;
	size_t len;
	FILE *f;
	struct out *o;
};

static void capture_begin(struct capture *c, bool json)
{
	*c = (struct capture){ 0 };
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	c->o = out_new(json, c->f);
	assert_non_null(c->o);
	assert_int_equal(out_is_json(c->o), json);
}

/* Finish, close the stream and return what was printed (owned by C). */
static const char *capture_end(struct capture *c)
{
	assert_int_equal(out_finish(c->o), 0);
	c->o = out_free(c->o);
	assert_int_equal(fclose(c->f), 0);
	c->f = NULL;
	return c->buf;
}

static void capture_free(struct capture *c)
{
	out_free(c->o);
	if (c->f)
		fclose(c->f);
	free(c->buf);
}

/* Parse TEXT as JSON; the caller puts the result. */
static json_object *parse_json(const char *text)
{
	enum json_tokener_error err;
	json_object *j = json_tokener_parse_verbose(text, &err);

	if (!j)
		fail_msg("not JSON (%s):\n%s", json_tokener_error_desc(err), text);
	return j;
}

static json_object *member(json_object *obj, const char *key, enum json_type type)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(obj, key, &v))
		fail_msg("no key \"%s\" in %s", key, json_object_to_json_string(obj));
	if (!json_object_is_type(v, type))
		fail_msg("\"%s\" is a %s, expected a %s", key,
			 json_type_to_name(json_object_get_type(v)), json_type_to_name(type));
	return v;
}

static const char *member_string(json_object *obj, const char *key)
{
	return json_object_get_string(member(obj, key, json_type_string));
}

/* ---- JSON ---------------------------------------------------------------- */

static void test_json_scalars(void **state)
{
	struct capture c;
	json_object *j;

	(void)state;
	capture_begin(&c, true);
	out_string(c.o, "address", "Address:", "0000:00:1d.0");
	out_string(c.o, "driver", "Driver:", NULL);
	out_stringf(c.o, "class", NULL, "%04x", 0x0c03);
	out_int(c.o, "iommu_group", "IOMMU group:", 7);
	out_int(c.o, "big", NULL, 1LL << 40);
	out_int(c.o, "negative", NULL, -1);
	out_bool(c.o, "stub", "On a stub:", true);
	out_bool(c.o, "multifunction", NULL, false);
	out_null(c.o, "module", "Driver module:", "none (built-in)");
	out_textf(c.o, "text mode only %d", 1);
	j = parse_json(capture_end(&c));

	assert_true(json_object_is_type(j, json_type_object));
	assert_int_equal(json_object_object_length(j), 9);
	assert_string_equal(member_string(j, "address"), "0000:00:1d.0");
	assert_string_equal(member_string(j, "class"), "0c03");
	assert_int_equal(json_object_get_int64(member(j, "iommu_group", json_type_int)), 7);
	assert_true(json_object_get_int64(member(j, "big", json_type_int)) == 1LL << 40);
	assert_int_equal(json_object_get_int64(member(j, "negative", json_type_int)), -1);
	assert_true(json_object_get_boolean(member(j, "stub", json_type_boolean)));
	assert_false(json_object_get_boolean(member(j, "multifunction", json_type_boolean)));
	/* NULL strings and out_null() are JSON null, present under their key. */
	member(j, "driver", json_type_null);
	member(j, "module", json_type_null);
	assert_null(strstr(c.buf, "text mode only"));

	json_object_put(j);
	capture_free(&c);
}

static void test_json_nested(void **state)
{
	struct capture c;
	json_object *j, *a, *o;

	(void)state;
	capture_begin(&c, true);
	out_begin_object(c.o, "device");
	out_string(c.o, "address", NULL, "0000:02:00.0");
	out_end_object(c.o);

	out_begin_array(c.o, "modules", "Modules:");
	out_string(c.o, NULL, NULL, "e1000e");
	out_string(c.o, NULL, NULL, "e1000");
	out_end_array(c.o);

	out_begin_array(c.o, "blacklisted_modules", "Blacklisted:");
	out_end_array(c.o);

	out_begin_array(c.o, "slot_functions", "Slot functions:");
	out_begin_object(c.o, NULL);
	out_string(c.o, "address", NULL, "0000:00:1d.0");
	out_string(c.o, "driver", NULL, "uhci_hcd");
	out_end_object(c.o);
	out_begin_object(c.o, NULL);
	out_string(c.o, "address", NULL, "0000:00:1d.1");
	out_string(c.o, "driver", NULL, NULL);
	out_end_object(c.o);
	out_end_array(c.o);

	out_begin_array(c.o, "holes", NULL);
	out_string(c.o, NULL, NULL, NULL);
	out_end_array(c.o);

	/* Back at the top level after all that. */
	out_string(c.o, "after", NULL, "yes");
	j = parse_json(capture_end(&c));

	o = member(j, "device", json_type_object);
	assert_string_equal(member_string(o, "address"), "0000:02:00.0");

	a = member(j, "modules", json_type_array);
	assert_int_equal(json_object_array_length(a), 2);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(a, 0)), "e1000e");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(a, 1)), "e1000");

	assert_int_equal(json_object_array_length(member(j, "blacklisted_modules",
							 json_type_array)),
			 0);

	a = member(j, "slot_functions", json_type_array);
	assert_int_equal(json_object_array_length(a), 2);
	o = json_object_array_get_idx(a, 0);
	assert_string_equal(member_string(o, "address"), "0000:00:1d.0");
	assert_string_equal(member_string(o, "driver"), "uhci_hcd");
	o = json_object_array_get_idx(a, 1);
	assert_string_equal(member_string(o, "address"), "0000:00:1d.1");
	member(o, "driver", json_type_null);

	a = member(j, "holes", json_type_array);
	assert_int_equal(json_object_array_length(a), 1);
	assert_null(json_object_array_get_idx(a, 0));

	assert_string_equal(member_string(j, "after"), "yes");
	json_object_put(j);
	capture_free(&c);
}

static void test_json_list_shape(void **state)
{
	struct capture c;
	json_object *j, *a;

	(void)state;
	/* What "pcibind --json list" prints: {"devices": [{...}, ...]}. */
	capture_begin(&c, true);
	out_begin_array(c.o, "devices", NULL);
	for (int i = 0; i < 3; i++) {
		out_begin_object(c.o, NULL);
		out_stringf(c.o, "address", NULL, "0000:00:1d.%d", i);
		out_bool(c.o, "stub", NULL, i == 1);
		out_end_object(c.o);
	}
	out_end_array(c.o);
	j = parse_json(capture_end(&c));

	assert_int_equal(json_object_object_length(j), 1);
	a = member(j, "devices", json_type_array);
	assert_int_equal(json_object_array_length(a), 3);
	assert_string_equal(member_string(json_object_array_get_idx(a, 2), "address"),
			    "0000:00:1d.2");
	assert_true(json_object_get_boolean(
		member(json_object_array_get_idx(a, 1), "stub", json_type_boolean)));
	json_object_put(j);
	capture_free(&c);
}

static void test_json_escaping(void **state)
{
	static const char tricky[] = "quote \" backslash \\ newline \n tab \t path /sys/x ünï";
	struct capture c;
	json_object *j;

	(void)state;
	capture_begin(&c, true);
	out_string(c.o, "tricky", NULL, tricky);
	j = parse_json(capture_end(&c));
	assert_string_equal(member_string(j, "tricky"), tricky);
	/* Slashes stay readable. */
	assert_non_null(strstr(c.buf, "/sys/x"));
	json_object_put(j);
	capture_free(&c);
}

/*
 * A string from outside that is not UTF-8 (a process name with 0xff, a
 * stray continuation byte, an overlong form, a surrogate, a cut sequence)
 * still makes valid JSON: each such byte is U+FFFD; valid UTF-8 stays.
 */
static void test_json_invalid_utf8(void **state)
{
	static const char comm[] = "\x1b]0;x\x07\x1b[2J\xff";
	struct capture c;
	json_object *j;

	(void)state;
	capture_begin(&c, true);
	out_string(c.o, "comm", NULL, comm);
	out_string(c.o, "mixed", NULL,
		   "a\x80"
		   "b\xc0\xaf"
		   "c\xed\xa0\x80"
		   "d\xe2\x82"
		   "\xc3\xa9");
	out_stringf(c.o, "in_use", NULL, "in use by pid 666 (%s)", comm);
	out_begin_array(c.o, "list", NULL);
	out_string(c.o, NULL, NULL, "\xfe\xff");
	out_end_array(c.o);
	j = parse_json(capture_end(&c));
	assert_true(out_utf8_valid(c.buf));
	/* json-c quotes the control bytes; the 0xff is U+FFFD */
	assert_non_null(strstr(c.buf, "\"\\u001b]0;x\\u0007\\u001b[2J\xef\xbf\xbd\""));
	assert_string_equal(member_string(j, "comm"), "\x1b]0;x\x07\x1b[2J\xef\xbf\xbd");
	assert_string_equal(member_string(j, "mixed"), "a\xef\xbf\xbd"
						       "b\xef\xbf\xbd\xef\xbf\xbd"
						       "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
						       "d\xef\xbf\xbd\xef\xbf\xbd\xc3\xa9");
	assert_string_equal(member_string(j, "in_use"),
			    "in use by pid 666 (\x1b]0;x\x07\x1b[2J\xef\xbf\xbd)");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(
				    member(j, "list", json_type_array), 0)),
			    "\xef\xbf\xbd\xef\xbf\xbd");
	json_object_put(j);
	capture_free(&c);
}

static void test_json_empty(void **state)
{
	struct capture c;
	json_object *j;

	(void)state;
	capture_begin(&c, true);
	j = parse_json(capture_end(&c));
	assert_true(json_object_is_type(j, json_type_object));
	assert_int_equal(json_object_object_length(j), 0);
	json_object_put(j);
	capture_free(&c);
}

static void test_finish_write_error(void **state)
{
	char small[8];
	struct out *o;
	FILE *f;

	(void)state;
	/* The document does not fit the stream: out_finish() reports it. */
	f = fmemopen(small, sizeof(small), "w");
	assert_non_null(f);
	o = out_new(true, f);
	out_string(o, "address", NULL, "0000:00:1d.0");
	assert_int_equal(out_finish(o), -EIO);
	out_free(o);
	fclose(f);
	assert_null(out_free(NULL));
}

/* ---- text ---------------------------------------------------------------- */

static void test_text_labels(void **state)
{
	struct capture c;

	(void)state;
	capture_begin(&c, false);
	out_string(c.o, "driver", "Driver:", "e1000e");
	out_string(c.o, "module", "Driver module:", NULL);
	out_stringf(c.o, NULL, "Class:", "%s [%04x]", "USB controller", 0x0c03);
	out_int(c.o, "iommu_group", "IOMMU group:", 7);
	out_bool(c.o, "stub", "On a stub:", true);
	out_bool(c.o, "multifunction", "Multi-function:", false);
	out_null(c.o, "header_type", "Header type:", "unknown");
	out_null(c.o, "boot_vga", NULL, NULL);		/* JSON only */
	out_string(c.o, "domain", NULL, "0000");	/* JSON only */
	out_textf(c.o, "free text %d", 42);

	assert_string_equal(capture_end(&c),
			    "Driver:            e1000e\n"
			    "Driver module:     none\n"
			    "Class:             USB controller [0c03]\n"
			    "IOMMU group:       7\n"
			    "On a stub:         yes\n"
			    "Multi-function:    no\n"
			    "Header type:       unknown\n"
			    "free text 42\n");
	capture_free(&c);
}

static void test_text_arrays(void **state)
{
	struct capture c;

	(void)state;
	capture_begin(&c, false);
	out_begin_array(c.o, "modules", "Modules:");
	out_string(c.o, NULL, NULL, "e1000e");
	out_string(c.o, NULL, NULL, "e1000");
	out_string(c.o, NULL, NULL, "igb");
	out_end_array(c.o);
	out_begin_array(c.o, "blacklisted_modules", "Blacklisted:");
	out_end_array(c.o);
	out_begin_array(c.o, "reset_methods", "Reset methods:");
	out_string(c.o, NULL, NULL, "flr");
	out_end_array(c.o);
	out_string(c.o, "after", "After:", "ok");

	assert_string_equal(capture_end(&c),
			    "Modules:           e1000e, e1000, igb\n"
			    "Blacklisted:       none\n"
			    "Reset methods:     flr\n"
			    "After:             ok\n");
	capture_free(&c);
}

static void test_text_array_of_objects(void **state)
{
	struct capture c;

	(void)state;
	capture_begin(&c, false);
	out_begin_array(c.o, "slot_functions", "Slot functions:");
	out_begin_object(c.o, NULL);
	out_string(c.o, "address", NULL, "0000:00:1d.0");
	out_string(c.o, "driver", NULL, "uhci_hcd");
	out_end_object(c.o);
	out_begin_object(c.o, NULL);
	out_string(c.o, "address", NULL, "0000:00:1d.1");
	out_string(c.o, "driver", NULL, NULL);
	out_end_object(c.o);
	out_end_array(c.o);
	out_begin_array(c.o, "iommu_group_members", "IOMMU members:");
	out_end_array(c.o);
	out_string(c.o, "after", "After:", "ok");

	assert_string_equal(capture_end(&c),
			    "Slot functions:    0000:00:1d.0  uhci_hcd\n"
			    "                   0000:00:1d.1  none\n"
			    "IOMMU members:     none\n"
			    "After:             ok\n");
	capture_free(&c);
}

/*
 * The printer writes the document as it goes; the bytes must be those
 * json-c prints for the same tree (JSON_C_TO_STRING_PRETTY | _SPACED |
 * _NOSLASHESCAPE, what pcibind printed before and the goldens hold): nested
 * and empty objects and arrays, nulls in arrays, every ASCII byte 1..127 in a
 * key and a value, and valid UTF-8 of two, three and four bytes. (Bytes that
 * are not UTF-8 do not reach json-c: test_json_invalid_utf8.)
 */
static void test_json_same_bytes_as_json_c(void **state)
{
	static const char *const keys[] = { "k0", "k1", "k2" };
	json_object *root = json_object_new_object(), *arr, *obj, *inner;
	static const char utf8[] = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
	static char all[128]; /* a key lives as long as the program (output.h) */
	struct capture c;
	const char *want;

	(void)state;
	for (int i = 1; i < 128; i++)
		all[i - 1] = (char)i;
	all[127] = '\0';

	capture_begin(&c, true);
	out_string(c.o, "name", NULL, "a/b \"q\" \\ tab\t");
	json_object_object_add(root, "name", json_object_new_string("a/b \"q\" \\ tab\t"));
	out_string(c.o, all, NULL, all);
	json_object_object_add(root, all, json_object_new_string(all));
	out_string(c.o, "utf8", NULL, utf8);
	json_object_object_add(root, "utf8", json_object_new_string(utf8));
	out_int(c.o, "neg", NULL, -42);
	json_object_object_add(root, "neg", json_object_new_int64(-42));
	out_int(c.o, "big", NULL, 1LL << 62);
	json_object_object_add(root, "big", json_object_new_int64(1LL << 62));
	out_bool(c.o, "yes", NULL, true);
	json_object_object_add(root, "yes", json_object_new_boolean(1));
	out_null(c.o, "none", NULL, NULL);
	json_object_object_add(root, "none", NULL);
	out_string(c.o, "nothing", NULL, NULL);
	json_object_object_add(root, "nothing", NULL);

	out_begin_array(c.o, "empty_array", NULL);
	out_end_array(c.o);
	json_object_object_add(root, "empty_array", json_object_new_array());
	out_begin_object(c.o, "empty_object");
	out_end_object(c.o);
	json_object_object_add(root, "empty_object", json_object_new_object());

	out_begin_array(c.o, "devices", NULL);
	arr = json_object_new_array();
	json_object_object_add(root, "devices", arr);
	for (int i = 0; i < 3; i++) {
		out_begin_object(c.o, NULL);
		obj = json_object_new_object();
		json_object_array_add(arr, obj);
		out_int(c.o, keys[i], NULL, i);
		json_object_object_add(obj, keys[i], json_object_new_int64(i));
		out_begin_array(c.o, "list", NULL);
		inner = json_object_new_array();
		json_object_object_add(obj, "list", inner);
		for (int k = 0; k < i; k++) {
			out_string(c.o, NULL, NULL, k ? "x" : NULL);
			json_object_array_add(inner, k ? json_object_new_string("x") : NULL);
		}
		out_end_array(c.o);
		out_begin_object(c.o, "nested");
		json_object_object_add(obj, "nested", json_object_new_object());
		out_end_object(c.o);
		out_end_object(c.o);
	}
	out_end_array(c.o);

	want = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							   JSON_C_TO_STRING_SPACED |
							   JSON_C_TO_STRING_NOSLASHESCAPE);
	{
		const char *got = capture_end(&c);
		size_t n = strlen(want);

		if (strncmp(got, want, n) || strcmp(got + n, "\n"))
			fail_msg("out_*:\n%s\njson-c:\n%s\n", got, want);
	}
	json_object_put(root);
	capture_free(&c);
}

/*
 * out_begin_stream(): each element written as it ends, the document the
 * same bytes as json-c's whole tree, for N elements (0 included).
 */
static void stream_case(int n)
{
	static const char *const names[] = { "a\"b", "tab\there", "x/y", "\xc3\xa9", "last" };
	json_object *root = json_object_new_object(), *arr = json_object_new_array();
	struct capture c;
	const char *want, *got;

	json_object_object_add(root, "devices", arr);
	capture_begin(&c, true);
	out_begin_stream(c.o, "devices", NULL);
	for (int i = 0; i < n; i++) {
		json_object *obj = json_object_new_object(), *inner = json_object_new_array();

		json_object_array_add(arr, obj);
		out_begin_object(c.o, NULL);
		out_string(c.o, "name", NULL, names[i % 5]);
		json_object_object_add(obj, "name", json_object_new_string(names[i % 5]));
		out_hex(c.o, "id", NULL, 0x10d3u + (unsigned int)i, 4);
		json_object_object_add(obj, "id", json_object_new_string(i ? "10d4" : "10d3"));
		out_null(c.o, "driver", NULL, NULL);
		json_object_object_add(obj, "driver", NULL);
		out_begin_array(c.o, "list", NULL);
		json_object_object_add(obj, "list", inner);
		for (int k = 0; k < i; k++) {
			out_int(c.o, NULL, NULL, k);
			json_object_array_add(inner, json_object_new_int64(k));
		}
		out_end_array(c.o);
		out_bool(c.o, "stub", NULL, i & 1);
		json_object_object_add(obj, "stub", json_object_new_boolean(i & 1));
		out_end_object(c.o);
	}
	out_end_array(c.o);
	want = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							   JSON_C_TO_STRING_SPACED |
							   JSON_C_TO_STRING_NOSLASHESCAPE);
	got = capture_end(&c);
	if (strncmp(got, want, strlen(want)) || strcmp(got + strlen(want), "\n"))
		fail_msg("%d streamed:\n%s\njson-c:\n%s\n", n, got, want);
	json_object_put(root);
	capture_free(&c);
}

static void test_stream_same_bytes_as_json_c(void **state)
{
	(void)state;
	stream_case(0);
	stream_case(1);
	stream_case(2);
}

/* Nothing may follow a streamed array: the document would not be one. */
static void test_stream_then_member_fails(void **state)
{
	struct capture c;

	(void)state;
	capture_begin(&c, true);
	out_begin_stream(c.o, "devices", NULL);
	out_end_array(c.o);
	out_string(c.o, "late", NULL, "x");
	assert_int_equal(out_finish(c.o), -ENOMEM);
	capture_free(&c);
}

/* ---- escaping ------------------------------------------------------------ */

static void check_escape(const char *in, unsigned int flags, const char *want)
{
	_cleanup_free_ char *got = out_escape(in, flags);
	_cleanup_free_ char *again = NULL;
	char *buf = NULL;
	size_t size = 0;
	FILE *f;

	assert_non_null(got);
	if (strcmp(got, want))
		fail_msg("out_escape(\"%s\"): \"%s\", expected \"%s\"", want, got, want);
	/* the escaped text is plain: escaping it again changes nothing */
	again = out_escape(got, flags);
	assert_string_equal(again, got);
	/* out_fputs_escaped() writes the same */
	f = open_memstream(&buf, &size);
	assert_non_null(f);
	out_fputs_escaped(in, flags, f);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(buf, want);
	free(buf);
}

/* Control bytes, C1 and bidi controls, bytes that are not UTF-8: escaped; the rest stays. */
static void test_escape(void **state)
{
	(void)state;
	check_escape("", 0, "");
	check_escape("qemu-system-x86", 0, "qemu-system-x86");
	check_escape("/mnt/a b\\c", 0, "/mnt/a b\\c");
	/* a process name that retitles and clears the terminal, and a 0xff */
	check_escape("\x1b]0;x\x07\x1b[2J\xff", 0, "\\e]0;x\\x07\\e[2J\\xff");
	check_escape("a\nb\tc\rd\x01\x1f\x7f", 0, "a\\nb\\tc\\rd\\x01\\x1f\\x7f");
	check_escape("two\nlines\r\n", OUT_ESCAPE_KEEP_NEWLINE, "two\nlines\\r\n");
	/* valid UTF-8 passes: two, three and four bytes */
	check_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 0,
		     "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	/* C1 controls (CSI U+009B), right-to-left override, line separator */
	check_escape("\xc2\x9b"
		     "2J",
		     0, "\\u009b2J");
	check_escape("\xc2\x80\xc2\x9f\xc2\xa0", 0, "\\u0080\\u009f\xc2\xa0");
	check_escape("a\xe2\x80\xae"
		     "b\xe2\x80\xa8"
		     "c\xe2\x81\xa6"
		     "d\xd8\x9c",
		     0, "a\\u202eb\\u2028c\\u2066d\\u061c");
	/* not UTF-8: stray continuation, overlong, surrogate, beyond U+10FFFF, cut short */
	check_escape("\x80", 0, "\\x80");
	check_escape("\xc0\xaf\xc1\xbf", 0, "\\xc0\\xaf\\xc1\\xbf");
	check_escape("\xe0\x80\xaf", 0, "\\xe0\\x80\\xaf");
	check_escape("\xed\xa0\x80", 0, "\\xed\\xa0\\x80");
	check_escape("\xf4\x90\x80\x80", 0, "\\xf4\\x90\\x80\\x80");
	check_escape("\xf5\x80", 0, "\\xf5\\x80");
	check_escape("\xe2\x82", 0, "\\xe2\\x82");
	check_escape("\xe2\x82x", 0, "\\xe2\\x82x");
	check_escape("\xf0\x9f\x98", 0, "\\xf0\\x9f\\x98");
}

static void test_utf8(void **state)
{
	char *s;

	(void)state;
	assert_true(out_utf8_valid(""));
	assert_true(out_utf8_valid("ascii \x1b control"));
	assert_true(out_utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf"));
	assert_false(out_utf8_valid("\xff"));
	assert_false(out_utf8_valid("\xc3"));
	assert_false(out_utf8_valid("\xc0\x80"));
	assert_false(out_utf8_valid("\xed\xbf\xbf"));
	assert_false(out_utf8_valid("\xf4\x90\x80\x80"));
	s = out_utf8("ok\xff\xc3\xa9\xc3");
	assert_string_equal(s, "ok\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd");
	assert_true(out_utf8_valid(s));
	free(s);
}

/* out_printf(): the string arguments escaped, the format and numbers as printf does them. */
static void test_printf(void **state)
{
	char *buf = NULL, *s = NULL, want[256];
	size_t size = 0;
	FILE *f;

	(void)state;
	f = open_memstream(&buf, &size);
	assert_non_null(f);
	assert_int_equal(out_printf(f, "%s: in use by pid %d (%s)\n", "0000:06:00.0", 666,
				    "\x1b]0;x\x07\x1b[2J\xff"),
			 0);
	assert_int_equal(out_printf(f, "[%-6s|%6s|%.2s|%*s|%-*s|%c%c]\n", "ab", "\x07", "xyz", 3,
				    "a", 3, "b", 'q', '\x1b'),
			 0);
	assert_int_equal(out_printf(f,
				    "%zu %zd %lld %llx %lu %ld %u %x %X %o %05d %+d %hhu %hd "
				    "%jd %td %.3f %g %e %Lf %p %%\n",
				    (size_t)7, (ssize_t)-7, -8LL, 0xabcdefULL, 9UL, -10L, 11U, 255U,
				    255U, 8U, 42, 5, (unsigned char)200, (short)-3, (intmax_t)-12,
				    (ptrdiff_t)13, 1.5, 0.25, 1e10, (long double)2.5,
				    (void *)0x1234),
			 0);
	assert_int_equal(fclose(f), 0);
	snprintf(
		want, sizeof(want),
		"%zu %zd %lld %llx %lu %ld %u %x %X %o %05d %+d %hhu %hd %jd %td %.3f %g %e %Lf %p "
		"%%\n",
		(size_t)7, (ssize_t)-7, -8LL, 0xabcdefULL, 9UL, -10L, 11U, 255U, 255U, 8U, 42, 5,
		(unsigned char)200, (short)-3, (intmax_t)-12, (ptrdiff_t)13, 1.5, 0.25, 1e10,
		(long double)2.5, (void *)0x1234);
	assert_true(asprintf(&s,
			     "0000:06:00.0: in use by pid 666 (\\e]0;x\\x07\\e[2J\\xff)\n"
			     "[ab    |  \\x07|xy|  a|b  |q\\e]\n%s",
			     want) > 0);
	assert_string_equal(buf, s);
	free(s);
	free(buf);
}

/* Text mode: out_string(), out_stringf() and out_textf() escape what they print. */
static void test_text_escaped(void **state)
{
	static const char comm[] = "\x1b]0;x\x07\x1b[2J\xff";
	struct capture c;

	(void)state;
	capture_begin(&c, false);
	out_stringf(c.o, "in_use", "In use:", "in use by pid 666 (%s)", comm);
	out_string(c.o, "driver", "Driver:", "vfio-pci\n\x1b[31mFAKE");
	out_begin_array(c.o, "mounts", "Mounts:");
	out_string(c.o, NULL, NULL, "/mnt/\x1b]0;x\x07");
	out_string(c.o, NULL, NULL, "/home");
	out_end_array(c.o);
	out_begin_array(c.o, "slot_functions", "Slot functions:");
	out_begin_object(c.o, NULL);
	out_string(c.o, "address", NULL, "0000:00:1d.0");
	out_string(c.o, "driver", NULL, "\x9b");
	out_end_object(c.o);
	out_end_array(c.o);
	out_textf(c.o, "%s  %s", "dom0:06_00.0",
		  "\xe2\x80\xae"
		  "evil");
	assert_string_equal(capture_end(&c),
			    "In use:            in use by pid 666 (\\e]0;x\\x07\\e[2J\\xff)\n"
			    "Driver:            vfio-pci\\n\\e[31mFAKE\n"
			    "Mounts:            /mnt/\\e]0;x\\x07, /home\n"
			    "Slot functions:    0000:00:1d.0  \\x9b\n"
			    "dom0:06_00.0  \\u202eevil\n");
	capture_free(&c);
}

static char *sunk;

static void sink(void *userdata, int level, const char *msg)
{
	(void)userdata;
	(void)level;
	free(sunk);
	sunk = strdup(msg);
}

/* The logger escapes its whole message: the refusal quotes a process name. */
static void test_log_escaped(void **state)
{
	(void)state;
	log_set_sink(sink, NULL);
	assert_int_equal(log_error("release refused: in use by pid 666 (%s)", "\x1b]0;x\x07\xff"),
			 0);
	assert_string_equal(sunk, "release refused: in use by pid 666 (\\e]0;x\\x07\\xff)");
	assert_int_equal(log_error_errno(-EBUSY, "mounted on %s", "/mnt/\x1b[2J"), -EBUSY);
	assert_string_equal(sunk, "mounted on /mnt/\\e[2J: Device or resource busy");
	log_continue(LOG_ERR, "  rules: [%s]", "\x07");
	assert_string_equal(sunk, "  rules: [\\x07]");
	log_set_sink(NULL, NULL);
	sunk = mfree(sunk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_scalars),
		cmocka_unit_test(test_json_nested),
		cmocka_unit_test(test_json_list_shape),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_json_invalid_utf8),
		cmocka_unit_test(test_json_empty),
		cmocka_unit_test(test_json_same_bytes_as_json_c),
		cmocka_unit_test(test_stream_same_bytes_as_json_c),
		cmocka_unit_test(test_stream_then_member_fails),
		cmocka_unit_test(test_finish_write_error),
		cmocka_unit_test(test_text_labels),
		cmocka_unit_test(test_text_arrays),
		cmocka_unit_test(test_text_array_of_objects),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_printf),
		cmocka_unit_test(test_text_escaped),
		cmocka_unit_test(test_log_escaped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

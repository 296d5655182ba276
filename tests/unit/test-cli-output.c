/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for output.c: text lines and JSON (parsed back with json-c) from the same calls. */
#include "unit.h"

#include <json.h>

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
 * and empty objects and arrays, nulls in arrays, and every byte 1..255 in a
 * key and a value.
 */
static void test_json_same_bytes_as_json_c(void **state)
{
	static const char *const keys[] = { "k0", "k1", "k2" };
	json_object *root = json_object_new_object(), *arr, *obj, *inner;
	static char all[256]; /* a key lives as long as the program (output.h) */
	struct capture c;
	const char *want;

	(void)state;
	for (int i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = '\0';

	capture_begin(&c, true);
	out_string(c.o, "name", NULL, "a/b \"q\" \\ tab\t");
	json_object_object_add(root, "name", json_object_new_string("a/b \"q\" \\ tab\t"));
	out_string(c.o, all, NULL, all);
	json_object_object_add(root, all, json_object_new_string(all));
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_scalars),
		cmocka_unit_test(test_json_nested),
		cmocka_unit_test(test_json_list_shape),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_json_empty),
		cmocka_unit_test(test_json_same_bytes_as_json_c),
		cmocka_unit_test(test_stream_same_bytes_as_json_c),
		cmocka_unit_test(test_stream_then_member_fails),
		cmocka_unit_test(test_finish_write_error),
		cmocka_unit_test(test_text_labels),
		cmocka_unit_test(test_text_arrays),
		cmocka_unit_test(test_text_array_of_objects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

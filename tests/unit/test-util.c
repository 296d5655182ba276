/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* util.c: the edit distance and the closest name behind "did you mean". */
#include "unit.h"

#include "util.h"

static void test_edit_distance(void **state)
{
	(void)state;
	assert_int_equal(util_edit_distance("list", "list"), 0);
	assert_int_equal(util_edit_distance("lsit", "list"), 1); /* a swap is one edit */
	assert_int_equal(util_edit_distance("jsno", "json"), 1);
	assert_int_equal(util_edit_distance("permisive", "permissive"), 1);
	assert_int_equal(util_edit_distance("", "abc"), 3);
	assert_int_equal(util_edit_distance("seize", "show"), 4);
}

static void test_closest(void **state)
{
	static const char *const cmds[] = { "list", "show", "seize", "release", "status" };

	(void)state;
	assert_string_equal(util_closest("lsit", cmds, 5), "list");
	assert_string_equal(util_closest("relase", cmds, 5), "release");
	assert_string_equal(util_closest("stauts", cmds, 5), "status");
	assert_null(util_closest("frobnicate", cmds, 5));
	assert_null(util_closest("x", cmds, 5)); /* a letter is no typo of a word */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edit_distance),
		cmocka_unit_test(test_closest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for udevq.c: the variable of udev's environment that is missing or bad is named. */
#include "unit.h"

#include "udevq.h"

static void set_all(void)
{
	setenv("ACTION", "add", 1);
	setenv("DEVPATH", "/devices/pci0000:00/0000:00:1f.6", 1);
	setenv("SUBSYSTEM", "pci", 1);
	setenv("SEQNUM", "4711", 1);
}

static void test_env_problem(void **state)
{
	static const char *const names[] = { "ACTION", "DEVPATH", "SUBSYSTEM", "SEQNUM" };
	char why[128], want[64];

	(void)state;
	set_all();
	assert_int_equal(udevq_env_problem(why, sizeof(why)), 0);
	for (size_t i = 0; i < 4; i++) {
		set_all();
		unsetenv(names[i]);
		assert_int_equal(udevq_env_problem(why, sizeof(why)), -ENXIO);
		snprintf(want, sizeof(want), "%s is not set", names[i]);
		assert_string_equal(why, want);
	}
	set_all();
	setenv("SEQNUM", "12x", 1);
	assert_int_equal(udevq_env_problem(why, sizeof(why)), -ENXIO);
	assert_string_equal(why, "SEQNUM='12x' is not a number");
	set_all();
	setenv("ACTION", "explode", 1);
	assert_int_equal(udevq_env_problem(why, sizeof(why)), -ENXIO);
	assert_non_null(strstr(why, "ACTION='explode'"));
	set_all();
	setenv("DEVPATH", "devices/x", 1);
	assert_int_equal(udevq_env_problem(why, sizeof(why)), -ENXIO);
	assert_non_null(strstr(why, "DEVPATH="));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_problem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for vfio.c: wildcard ranking, the /proc scan. */
#include "unit.h"

#include "kmodq.h"
#include "macro.h"
#include "proc.h"
#include "vfio.h"

static void test_wildcards(void **state)
{
	struct kmodq_alias v[3] = {
		{ "vfio_pci", "vfio_pci:v*d*sv*sd*bc*sc*i*" },
		{ "b_vfio_pci", "vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*" },
		{ "a_vfio_pci", "vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*" },
	};

	(void)state;
	assert_int_equal(vfio_count_wildcards(v[0].pattern), 7);
	assert_int_equal(vfio_count_wildcards(v[1].pattern), 5);
	assert_int_equal(vfio_best_alias(v, 0), -1);
	assert_int_equal(vfio_best_alias(v, 1), 0);
	assert_int_equal(vfio_best_alias(v, 2), 1);
	/* A tie goes to the name that sorts first, whatever the order. */
	assert_int_equal(vfio_best_alias(v, 3), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wildcards),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

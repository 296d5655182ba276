/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* decide.c: verdicts from the policy's settings, the guards and the device's facts (pure). */
#include "unit.h"

#include "decide.h"
#include "guard.h"
#include "pcidev.h"
#include "policy.h"

static struct pcidev dev = { .bdf = "0000:01:00.0", .vendor = 0x8086, .device = 0x10d3 };
static struct pcidev_list list;
static struct pcidev *devs[1];

static struct policy_eval defaults(void)
{
	struct policy_eval e = { 0 };

	e.v.strict_reset = 1;
	e.v.release = RELEASE_IF_RESETTABLE;
	e.v.expect_vendor = e.v.expect_device = -1;
	return e;
}

static void setup_list(void)
{
	devs[0] = &dev;
	list = (struct pcidev_list){ .devs = devs, .n = 1 };
	dev.iommu_group = 1;
}

static void test_seize_allowed(void **state)
{
	struct policy_eval e = defaults();
	struct guards g = { 0 };
	struct verdict v;

	(void)state;
	decide_seize(&dev, &e, &g, &v);
	assert_true(v.allowed);
	assert_non_null(strstr(v.reason, "no safety guard"));
}

static void test_seize_protected(void **state)
{
	struct policy_rule rule = { .name = "nic", .file = "p.conf" };
	struct policy_eval e = defaults();
	struct guards g = { 0 };
	struct verdict v;

	(void)state;
	e.v.protect = 1;
	rule.key_line[PK_PROTECT] = 7;
	e.source[PK_PROTECT] = &rule;
	decide_seize(&dev, &e, &g, &v);
	assert_false(v.allowed);
	assert_non_null(strstr(v.reason, "rule [nic] at p.conf:7"));
}

static void test_seize_expect_id(void **state)
{
	struct policy_eval e = defaults();
	struct guards g = { 0 };
	struct verdict v;

	(void)state;
	e.v.expect_vendor = 0x8086;
	e.v.expect_device = 0x1533;
	decide_seize(&dev, &e, &g, &v);
	assert_false(v.allowed);
	assert_non_null(strstr(v.reason, "expects 8086:1533"));
	e.v.expect_device = 0x10d3;
	decide_seize(&dev, &e, &g, &v);
	assert_true(v.allowed);
}

static void test_seize_guard_and_force(void **state)
{
	struct policy_eval e = defaults();
	struct guards g = { .n = 1 };
	struct verdict v;

	(void)state;
	g.hits[0].kind = GUARD_NETWORK;
	snprintf(g.hits[0].detail, sizeof(g.hits[0].detail), "it carries the default route");
	decide_seize(&dev, &e, &g, &v);
	assert_false(v.allowed);
	assert_non_null(strstr(v.reason, "default route"));
	e.v.force = 1;
	decide_seize(&dev, &e, &g, &v);
	assert_true(v.allowed);
	assert_non_null(strstr(v.reason, "force = yes"));
}

static void test_release_never(void **state)
{
	struct policy_eval e = defaults();
	struct verdict v;

	(void)state;
	setup_list();
	dev.resettable = true;
	e.v.release = RELEASE_NEVER;
	decide_release(&list, &dev, &e, &v);
	assert_false(v.allowed);
	assert_non_null(strstr(v.reason, "release = never"));
}

static void test_release_unresettable(void **state)
{
	struct policy_eval e = defaults();
	struct verdict v;

	(void)state;
	setup_list();
	dev.resettable = false;
	decide_release(&list, &dev, &e, &v);
	assert_false(v.allowed);
	assert_non_null(strstr(v.reason, "no-strict-reset"));
	e.v.strict_reset = 0;
	e.cli_source[PK_STRICT_RESET] = "-o no-strict-reset";
	decide_release(&list, &dev, &e, &v);
	assert_true(v.allowed);
	assert_non_null(strstr(v.reason, "-o no-strict-reset on the command line"));
	e = defaults();
	e.v.release = RELEASE_ALWAYS;
	decide_release(&list, &dev, &e, &v);
	assert_true(v.allowed);
	assert_non_null(strstr(v.reason, "release = always"));
	dev.resettable = true;
	e = defaults();
	decide_release(&list, &dev, &e, &v);
	assert_true(v.allowed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seize_allowed),
		cmocka_unit_test(test_seize_protected),
		cmocka_unit_test(test_seize_expect_id),
		cmocka_unit_test(test_seize_guard_and_force),
		cmocka_unit_test(test_release_never),
		cmocka_unit_test(test_release_unresettable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

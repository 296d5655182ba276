/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* policy.c: rules parsed from text, evaluated per function, the last match wins, with provenance. */
#include "unit.h"

#include "addr.h"
#include "pcidev.h"
#include "policy.h"

static struct pcidev nic, usb;
static struct pcidev *devs[2];
static struct pcidev_list list;

static void mk(struct pcidev *d, const char *bdf, uint32_t class, uint16_t vendor,
	       uint16_t device, const char *driver)
{
	*d = (struct pcidev){ .class = class, .vendor = vendor, .device = device,
			      .driver = (char *)driver, .iommu_group = -1 };
	assert_int_equal(addr_parse_bdf(bdf, &d->addr), 0);
	addr_format_bdf(&d->addr, d->bdf);
}

static int setup(void **state)
{
	(void)state;
	mk(&nic, "0000:01:00.0", 0x020000, 0x8086, 0x10d3, "e1000e");
	mk(&usb, "0000:00:14.0", 0x0c0330, 0x8086, 0xa36d, "xhci_hcd");
	devs[0] = &nic;
	devs[1] = &usb;
	list = (struct pcidev_list){ .devs = devs, .n = 2 };
	return 0;
}

static struct policy *parse(const char *file, const char *text)
{
	struct policy *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	assert_int_equal(policy_parse_string(p, file, text), 0);
	return p;
}

static void test_last_match_wins(void **state)
{
	struct policy *p = parse("50-a.conf", "[net]\nmatch-class = network\nhotplug = yes\n"
					      "driver = pciback\n\n[this nic]\n"
					      "match-id = 8086:10d3\ndriver = vfio-pci\n");
	struct policy_eval e;

	(void)state;
	assert_int_equal(p->n_errors, 0);
	assert_int_equal(p->n_rules, 2);
	assert_int_equal(policy_eval(p, &list, &nic, &e), 0);
	assert_int_equal(e.n_matched, 2);
	assert_string_equal(e.v.driver, "vfio-pci");
	assert_string_equal(e.source[PK_DRIVER]->name, "this nic");
	assert_int_equal(e.source[PK_DRIVER]->key_line[PK_DRIVER], 8);
	assert_true(e.v.hotplug);
	assert_string_equal(e.source[PK_HOTPLUG]->name, "net");
	policy_eval_done(&e);
	assert_int_equal(policy_eval(p, &list, &usb, &e), 0);
	assert_int_equal(e.n_matched, 0);
	assert_false(e.v.hotplug);
	assert_null(e.source[PK_HOTPLUG]);
	policy_eval_done(&e);
	policy_free(p);
}

static void test_errors_name_file_and_line(void **state)
{
	struct policy *p = parse("60-bad.conf", "[x]\nmatch-class = network\n"
						"permissive = perhaps\nstrict_reset = no\n");

	(void)state;
	assert_int_equal(p->n_errors, 2);
	assert_string_equal(p->errors[0].file, "60-bad.conf");
	assert_int_equal(p->errors[0].line, 3);
	assert_non_null(strstr(p->errors[0].message, "perhaps"));
	assert_int_equal(p->errors[1].line, 4);
	assert_non_null(strstr(p->errors[1].message, "strict_reset"));
	policy_free(p);
}

static void test_force_needs_exact_address(void **state)
{
	struct policy *p = parse("60-force.conf",
				 "[all storage]\nmatch-class = storage\nforce = yes\n");

	(void)state;
	assert_int_equal(p->n_errors, 1);
	assert_non_null(strstr(p->errors[0].message, "force needs a match-address"));
	policy_free(p);
	p = parse("60-force.conf", "[one]\nmatch-address = 0000:01:00.0\nforce = yes\n");
	assert_int_equal(p->n_errors, 0);
	policy_free(p);
}

static void test_bool_words(void **state)
{
	(void)state;
	assert_int_equal(policy_parse_bool("yes"), 1);
	assert_int_equal(policy_parse_bool("true"), 1);
	assert_int_equal(policy_parse_bool("off"), 0);
	assert_int_equal(policy_parse_bool("perhaps"), -1);
}

/* match-physfn names VFs by their PF; vfs = N is a count, -1 when not set. */
static void test_physfn_and_vfs(void **state)
{
	struct policy *p = parse("50-vf.conf", "[pf]\nmatch-address = 01:00.0\nvfs = 2\n\n"
					       "[its vf0]\nmatch-physfn = 01:00.0\n"
					       "match-address = 01:00.1\ndriver = vfio-pci\n"
					       "hotplug = yes\n\n[bad]\nmatch-address = 01:00.0\n"
					       "vfs = many\n");
	struct pcidev vf0, vf1, other;
	struct policy_eval e;

	(void)state;
	mk(&vf0, "0000:01:00.1", 0x020000, 0x8086, 0x154c, NULL);
	mk(&vf1, "0000:01:00.2", 0x020000, 0x8086, 0x154c, NULL);
	mk(&other, "0000:01:00.1", 0x020000, 0x8086, 0x154c, NULL);
	vf0.physfn = vf1.physfn = &nic;
	assert_int_equal(p->n_errors, 1);
	assert_non_null(strstr(p->errors[0].message, "vfs: bad value 'many' (a VF count"));
	assert_int_equal(policy_eval(p, &list, &nic, &e), 0);
	assert_int_equal(e.v.vfs, 2);
	assert_string_equal(e.source[PK_VFS]->name, "pf");
	policy_eval_done(&e);
	/* VF0 of that PF: seized; VF1: not named; a function without that PF: not a VF of it */
	assert_int_equal(policy_eval(p, &list, &vf0, &e), 0);
	assert_string_equal(e.v.driver, "vfio-pci");
	assert_true(e.v.hotplug);
	assert_int_equal(e.v.vfs, -1);
	policy_eval_done(&e);
	assert_int_equal(policy_eval(p, &list, &vf1, &e), 0);
	assert_false(e.v.hotplug);
	policy_eval_done(&e);
	assert_int_equal(policy_eval(p, &list, &other, &e), 0);
	assert_false(e.v.hotplug);
	policy_eval_done(&e);
	/* usb is nobody's VF */
	assert_int_equal(policy_eval(p, &list, &usb, &e), 0);
	assert_string_equal(e.v.driver, "");
	policy_eval_done(&e);
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_last_match_wins, setup),
		cmocka_unit_test_setup(test_errors_name_file_and_line, setup),
		cmocka_unit_test_setup(test_force_needs_exact_address, setup),
		cmocka_unit_test_setup(test_bool_words, setup),
		cmocka_unit_test_setup(test_physfn_and_vfs, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for addr.c: parsing and printing PCI addresses in the kernel's and Qubes' forms. */
#include "unit.h"

#include "addr.h"
#include "macro.h"

/* A value no parser produces, to see that *ret is left alone on failure. */
static const struct pci_addr sentinel = { 0xdeadbeef, 0xee, 0xee, 0xee };

static void assert_addr(const struct pci_addr *a, uint32_t domain, uint8_t bus, uint8_t slot,
			uint8_t func)
{
	assert_int_equal(a->domain, domain);
	assert_int_equal(a->bus, bus);
	assert_int_equal(a->slot, slot);
	assert_int_equal(a->func, func);
}

/* Either form, the kernel's first: what select.c tries for an address. */
static int parse_any(const char *s, struct pci_addr *ret)
{
	int r = addr_parse_bdf(s, ret);

	if (r == -EINVAL)
		r = addr_parse_qubes(s, ret);
	return r;
}

static void test_parse_bdf_forms(void **state)
{
	struct pci_addr a;

	(void)state;
	assert_int_equal(addr_parse_bdf("0000:00:1d.0", &a), 0);
	assert_addr(&a, 0, 0x00, 0x1d, 0);

	assert_int_equal(addr_parse_bdf("0001:02:03.7", &a), 0);
	assert_addr(&a, 1, 0x02, 0x03, 7);

	/* Domain-less: domain 0. */
	a = sentinel;
	assert_int_equal(addr_parse_bdf("00:1d.0", &a), 0);
	assert_addr(&a, 0, 0x00, 0x1d, 0);

	/* Upper-case hex, as users type it. */
	assert_int_equal(addr_parse_bdf("0000:FF:1F.7", &a), 0);
	assert_addr(&a, 0, 0xff, 0x1f, 7);

	/* Wide domains (VMD, Hyper-V) print with more than four digits. */
	assert_int_equal(addr_parse_bdf("10000:00:00.0", &a), 0);
	assert_addr(&a, 0x10000, 0, 0, 0);
	assert_int_equal(addr_parse_bdf("ffffffff:e1:1f.7", &a), 0);
	assert_addr(&a, 0xffffffff, 0xe1, 0x1f, 7);
}

static void test_parse_qubes_forms(void **state)
{
	struct pci_addr a;

	(void)state;
	assert_int_equal(addr_parse_qubes("dom0:00_1d.0", &a), 0);
	assert_addr(&a, 0, 0x00, 0x1d, 0);

	a = sentinel;
	assert_int_equal(addr_parse_qubes("00_1d.0", &a), 0);
	assert_addr(&a, 0, 0x00, 0x1d, 0);

	assert_int_equal(addr_parse_qubes("dom0:0001_00_1d.0", &a), 0);
	assert_addr(&a, 1, 0x00, 0x1d, 0);

	assert_int_equal(addr_parse_qubes("0001_02_03.4", &a), 0);
	assert_addr(&a, 1, 0x02, 0x03, 4);

	assert_int_equal(addr_parse_qubes("dom0:10000_00_00.0", &a), 0);
	assert_addr(&a, 0x10000, 0, 0, 0);
}

static void test_parse_any(void **state)
{
	struct pci_addr a;

	(void)state;
	assert_int_equal(parse_any("0000:00:1d.0", &a), 0);
	assert_addr(&a, 0, 0, 0x1d, 0);
	assert_int_equal(parse_any("00:1d.1", &a), 0);
	assert_addr(&a, 0, 0, 0x1d, 1);
	assert_int_equal(parse_any("dom0:00_1d.2", &a), 0);
	assert_addr(&a, 0, 0, 0x1d, 2);
	assert_int_equal(parse_any("00_1d.3", &a), 0);
	assert_addr(&a, 0, 0, 0x1d, 3);
	assert_int_equal(parse_any("dom0:0001_00_1d.4", &a), 0);
	assert_addr(&a, 1, 0, 0x1d, 4);
	assert_int_equal(parse_any("10000:00:00.5", &a), 0);
	assert_addr(&a, 0x10000, 0, 0, 5);
}

static void test_parse_rejects(void **state)
{
	static const struct {
		const char *text;
		int error;
	} bad[] = {
		{ "0:0:0.0", -EINVAL },		/* too few digits */
		{ "000:00:1d.0", -EINVAL },	/* three-digit domain */
		{ "0000:0:1d.0", -EINVAL },
		{ "0000:00:1d", -EINVAL },	/* no function */
		{ "00:1d", -EINVAL },
		{ "00:20.0", -ERANGE },		/* slot > 1f */
		{ "0000:00:ff.0", -ERANGE },
		{ "00:1d.8", -ERANGE },		/* function > 7 */
		{ "00:1d.0x", -EINVAL },	/* trailing junk */
		{ "0000:00:1d.0\n", -EINVAL },
		{ "0000:00:1d.0 ", -EINVAL },
		{ " 00:1d.0", -EINVAL },
		{ "0000:00:1d.00", -EINVAL },
		{ "100000000:00:00.0", -EINVAL }, /* more than 32 bits of domain */
		{ "../x", -EINVAL },
		{ "0000:00:1d.0/../..", -EINVAL },
		{ "", -EINVAL },
		{ "dom0:", -EINVAL },
		{ "dom0:00:1d.0", -EINVAL },	/* kernel separators behind dom0: */
		{ "dom1:00_1d.0", -EINVAL },
		{ "dom0:00_20.0", -ERANGE },
		{ "00_1d.0_", -EINVAL },
		{ "0000_00:1d.0", -EINVAL },	/* mixed separators */
		{ "g0:1d.0", -EINVAL },
	};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		struct pci_addr a = sentinel;
		int r = parse_any(bad[i].text, &a);

		if (r != bad[i].error)
			fail_msg("parse_any(\"%s\") = %d, expected %d", bad[i].text, r,
				 bad[i].error);
		assert_memory_equal(&a, &sentinel, sizeof(a));
	}
	assert_int_equal(parse_any(NULL, NULL), -EINVAL);
	assert_int_equal(addr_parse_bdf(NULL, NULL), -EINVAL);
	assert_int_equal(addr_parse_qubes(NULL, NULL), -EINVAL);
}

static void test_parse_keeps_forms_apart(void **state)
{
	struct pci_addr a = sentinel;

	(void)state;
	/* Each strict parser refuses the other one's form. */
	assert_int_equal(addr_parse_bdf("dom0:00_1d.0", &a), -EINVAL);
	assert_int_equal(addr_parse_bdf("00_1d.0", &a), -EINVAL);
	assert_int_equal(addr_parse_qubes("0000:00:1d.0", &a), -EINVAL);
	assert_int_equal(addr_parse_qubes("00:1d.0", &a), -EINVAL);
	assert_memory_equal(&a, &sentinel, sizeof(a));
}

static void test_format(void **state)
{
	static const struct {
		struct pci_addr a;
		const char *bdf, *qubes;
	} cases[] = {
		{ { 0, 0x00, 0x1d, 0 }, "0000:00:1d.0", "dom0:00_1d.0" },
		{ { 0, 0xff, 0x1f, 7 }, "0000:ff:1f.7", "dom0:ff_1f.7" },
		{ { 1, 0x02, 0x03, 4 }, "0001:02:03.4", "dom0:0001_02_03.4" },
		{ { 0x10000, 0, 0, 0 }, "10000:00:00.0", "dom0:10000_00_00.0" },
		{ { 0xffffffff, 0xe1, 0x1f, 7 }, "ffffffff:e1:1f.7", "dom0:ffffffff_e1_1f.7" },
	};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		char bdf[ADDR_BDF_MAX], qubes[ADDR_QUBES_MAX];
		struct pci_addr back;

		assert_ptr_equal(addr_format_bdf(&cases[i].a, bdf), bdf);
		assert_string_equal(bdf, cases[i].bdf);
		assert_ptr_equal(addr_format_qubes(&cases[i].a, qubes), qubes);
		assert_string_equal(qubes, cases[i].qubes);

		/* Both printed forms parse back to the same address. */
		assert_int_equal(addr_parse_bdf(bdf, &back), 0);
		assert_int_equal(addr_cmp(&back, &cases[i].a), 0);
		assert_int_equal(addr_parse_qubes(qubes, &back), 0);
		assert_int_equal(addr_cmp(&back, &cases[i].a), 0);
	}
}

static void test_cmp_order(void **state)
{
	/* In lspci's order: domain, then bus, slot, function; numeric, not textual. */
	static const struct pci_addr sorted[] = {
		{ 0, 0x00, 0x00, 0 }, { 0, 0x00, 0x1d, 0 }, { 0, 0x00, 0x1d, 7 },
		{ 0, 0x00, 0x1f, 0 }, { 0, 0x02, 0x00, 0 }, { 0, 0xff, 0x00, 0 },
		{ 1, 0x00, 0x00, 0 }, { 0x2000, 0x00, 0x00, 0 }, { 0x10000, 0x00, 0x00, 0 },
	};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(sorted); i++)
		for (size_t j = 0; j < ELEMENTSOF(sorted); j++) {
			int expected = i < j ? -1 : i > j ? 1 : 0;

			if (addr_cmp(&sorted[i], &sorted[j]) != expected)
				fail_msg("addr_cmp(#%zu, #%zu) != %d", i, j, expected);
		}
}

static void test_same_slot(void **state)
{
	const struct pci_addr a = { 0, 0x00, 0x1d, 0 };
	const struct pci_addr b = { 0, 0x00, 0x1d, 7 };
	const struct pci_addr other_slot = { 0, 0x00, 0x1c, 0 };
	const struct pci_addr other_bus = { 0, 0x01, 0x1d, 0 };
	const struct pci_addr other_domain = { 1, 0x00, 0x1d, 0 };

	(void)state;
	assert_true(addr_same_slot(&a, &a));
	assert_true(addr_same_slot(&a, &b));
	assert_true(addr_same_slot(&b, &a));
	assert_false(addr_same_slot(&a, &other_slot));
	assert_false(addr_same_slot(&a, &other_bus));
	assert_false(addr_same_slot(&a, &other_domain));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_bdf_forms),
		cmocka_unit_test(test_parse_qubes_forms),
		cmocka_unit_test(test_parse_any),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_parse_keeps_forms_apart),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_cmp_order),
		cmocka_unit_test(test_same_slot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

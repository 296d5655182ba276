/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for select.c: class names, Qubes and lspci selectors, -d filters, resolving. */
#include "unit.h"

#include "macro.h"
#include "pcidev.h"
#include "select.h"

/* A small machine, in address order. */
static struct pcidev devs[] = {
	{ .addr = { 0, 0x00, 0x1c, 0 }, .bdf = "0000:00:1c.0", .vendor = 0x8086, .device = 0x2940,
	  .class = 0x060400 },
	{ .addr = { 0, 0x00, 0x1d, 0 }, .bdf = "0000:00:1d.0", .vendor = 0x8086, .device = 0x2934,
	  .class = 0x0c0300 },
	{ .addr = { 0, 0x00, 0x1d, 1 }, .bdf = "0000:00:1d.1", .vendor = 0x8086, .device = 0x2935,
	  .class = 0x0c0300 },
	{ .addr = { 0, 0x00, 0x1d, 7 }, .bdf = "0000:00:1d.7", .vendor = 0x8086, .device = 0x293a,
	  .class = 0x0c0320 },
	{ .addr = { 0, 0x02, 0x00, 0 }, .bdf = "0000:02:00.0", .vendor = 0x8086, .device = 0x10d3,
	  .class = 0x020000 },
	{ .addr = { 0, 0x03, 0x00, 0 }, .bdf = "0000:03:00.0", .vendor = 0x10de, .device = 0x1c82,
	  .class = 0x030000 },
	{ .addr = { 0, 0x03, 0x00, 1 }, .bdf = "0000:03:00.1", .vendor = 0x10de, .device = 0x0fb9,
	  .class = 0x040300 },
	{ .addr = { 1, 0x00, 0x1d, 0 }, .bdf = "0001:00:1d.0", .vendor = 0x1af4, .device = 0x1000,
	  .class = 0x020000 },
};

static struct pcidev *dev_ptrs[ELEMENTSOF(devs)];
static struct pcidev_list list = { .devs = dev_ptrs, .n = ELEMENTSOF(devs) };

static int setup_list(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(devs); i++)
		dev_ptrs[i] = &devs[i];
	return 0;
}

/* The BDFs a selector matches, space-separated ("" for none); fails the test on a parse error. */
static const char *matches_of(const struct selector *sel)
{
	static char buf[512];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < list.n; i++)
		if (select_match(sel, list.devs[i]))
			len += snprintf(buf + len, sizeof(buf) - len, "%s%s", len ? " " : "",
					list.devs[i]->bdf);
	return buf;
}

static const char *matches(const char *text)
{
	const char *error = NULL;
	struct selector sel;
	int r;

	r = select_parse(text, &sel, &error);
	if (r < 0)
		fail_msg("select_parse(\"%s\") = %d (%s)", text, r, error ? error : "?");
	assert_ptr_equal(sel.text, text);
	return matches_of(&sel);
}

static const char *id_matches(const char *text)
{
	const char *error = NULL;
	struct selector sel;
	int r;

	r = select_parse_id(text, &sel, &error);
	if (r < 0)
		fail_msg("select_parse_id(\"%s\") = %d (%s)", text, r, error ? error : "?");
	return matches_of(&sel);
}

#define USB "0000:00:1d.0 0000:00:1d.1 0000:00:1d.7"

static void test_class_names(void **state)
{
	(void)state;
	assert_string_equal(matches("usb"), USB);
	assert_string_equal(matches("USB"), USB);
	assert_string_equal(matches("Usb"), USB);
	assert_string_equal(matches("serial-bus"), USB);
	assert_string_equal(matches("network"), "0000:02:00.0 0001:00:1d.0");
	assert_string_equal(matches("ethernet"), "0000:02:00.0 0001:00:1d.0");
	assert_string_equal(matches("bridge"), "0000:00:1c.0");
	assert_string_equal(matches("display"), "0000:03:00.0");
	assert_string_equal(matches("VGA"), "0000:03:00.0");
	assert_string_equal(matches("multimedia"), "0000:03:00.1");
	assert_string_equal(matches("audio"), "0000:03:00.1");
	assert_string_equal(matches("storage"), "");
	assert_string_equal(matches("nvme"), "");
}

static void test_class_name_list(void **state)
{
	const char *names = select_class_names();

	(void)state;
	assert_non_null(strstr(names, "usb"));
	assert_non_null(strstr(names, "serial-bus"));
	assert_non_null(strstr(names, "accelerator"));
	assert_int_equal(names[0], 's'); /* "storage ..." */
	assert_null(strstr(names, "  "));
	/* Stable across calls (a static buffer filled once). */
	assert_string_equal(select_class_names(), names);
}

static void test_addresses(void **state)
{
	(void)state;
	assert_string_equal(matches("0000:00:1d.0"), "0000:00:1d.0");
	assert_string_equal(matches("0001:00:1d.0"), "0001:00:1d.0");
	assert_string_equal(matches("02:00.0"), "0000:02:00.0");
	assert_string_equal(matches("0000:00:1D.7"), "0000:00:1d.7");
	assert_string_equal(matches("00:1f.0"), "");
}

static void test_qubes_forms(void **state)
{
	(void)state;
	assert_string_equal(matches("dom0:03_00.1"), "0000:03:00.1");
	assert_string_equal(matches("02_00.0"), "0000:02:00.0");
	assert_string_equal(matches("dom0:0001_00_1d.0"), "0001:00:1d.0");
	assert_string_equal(matches("0001_00_1d.0"), "0001:00:1d.0");
	assert_string_equal(matches("dom0:0000_00_1d.1"), "0000:00:1d.1");
	assert_string_equal(matches("03_00.*"), "0000:03:00.0 0000:03:00.1");
}

/*
 * Without a domain, a Qubes address means domain 0000: addr.c prints
 * 0001:00:1d.0 as "dom0:0001_00_1d.0", so "dom0:00_1d.0" must not pick it.
 */
static void test_qubes_form_means_domain_0(void **state)
{
	(void)state;
	assert_string_equal(matches("dom0:00_1d.0"), "0000:00:1d.0");
	assert_string_equal(matches("00_1d.0"), "0000:00:1d.0");
	assert_string_equal(matches("dom0:00_1d.*"), USB);
}

static void test_wildcards(void **state)
{
	(void)state;
	/* lspci's slot syntax: a missing domain or bus means any. */
	assert_string_equal(matches("00:1d.*"), USB " 0001:00:1d.0");
	assert_string_equal(matches("0000:00:1d.*"), USB);
	assert_string_equal(matches("0000:00:1d"), USB);
	assert_string_equal(matches(":1d"), USB " 0001:00:1d.0");
	assert_string_equal(matches("1d.7"), "0000:00:1d.7");
	assert_string_equal(matches("*:*.1"), "0000:00:1d.1 0000:03:00.1");
	assert_string_equal(matches("03:"), "0000:03:00.0 0000:03:00.1");
}

static void test_ids(void **state)
{
	(void)state;
	assert_string_equal(id_matches("8086:"),
			    "0000:00:1c.0 " USB " 0000:02:00.0");
	assert_string_equal(id_matches(":10d3"), "0000:02:00.0");
	assert_string_equal(id_matches("10de:0fb9"), "0000:03:00.1");
	assert_string_equal(id_matches("10DE:*"), "0000:03:00.0 0000:03:00.1");
	assert_string_equal(id_matches("::0c03"), USB);
	assert_string_equal(id_matches("::0c03:20"), "0000:00:1d.7");
	assert_string_equal(id_matches("8086::0200"), "0000:02:00.0");
	assert_string_equal(id_matches("::0cxx"), USB);
	assert_string_equal(id_matches("::02xx"), "0000:02:00.0 0001:00:1d.0");
	assert_string_equal(id_matches("abcd:"), "");
}

/* A word that is no class name is -ENOENT (the CLI lists the class names), not libpci's slot error. */
static void test_unknown_class_word(void **state)
{
	static const char *const words[] = { "nosuchclass", "usbb", "netwrok", "serial-buss" };
	struct selector sel;
	const char *error = NULL;

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(words); i++)
		assert_int_equal(select_parse(words[i], &sel, &error), -ENOENT);
	/* hex-only words are still slots for libpci */
	assert_int_equal(select_parse("1d", &sel, &error), 0);
	assert_int_equal(select_parse("bad", &sel, &error), -EINVAL);
}

/* libvirt's node-device name is the kernel address. */
static void test_libvirt_name(void **state)
{
	struct selector sel;
	const char *error = NULL;

	(void)state;
	assert_int_equal(select_parse("pci_0000_00_1d_7", &sel, &error), 0);
	assert_int_equal(sel.f.domain, 0);
	assert_int_equal(sel.f.bus, 0);
	assert_int_equal(sel.f.slot, 0x1d);
	assert_int_equal(sel.f.func, 7);
	assert_string_equal(sel.text, "pci_0000_00_1d_7");
	assert_int_equal(select_parse("pci_0001_03_00_1", &sel, &error), 0);
	assert_int_equal(sel.f.domain, 1);
	assert_int_equal(sel.f.bus, 3);
	assert_int_equal(sel.f.func, 1);
	assert_int_not_equal(select_parse("pci_0000_00_1d", &sel, &error), 0);
}

static void test_parse_errors(void **state)
{
	static const struct {
		const char *text;
		const char *error; /* a part of the reason */
	} bad[] = {
		{ "", "empty" },
		{ "00:1d.8", "function" },
		{ "00:20.0", "slot" },
		{ "100:00.0", "bus" },
		{ "a/b", "'/'" },
		{ "../0000:00:1d.0", "'/'" },
		{ "dom0:00_1d-0", "Qubes" },
		{ "0000:00_1d.0", "Qubes" },
		{ "dom0:00_1d.0:", "Qubes" },
	};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		struct selector sel = { .text = "untouched" };
		const char *error = NULL;
		int r = select_parse(bad[i].text, &sel, &error);

		if (r != -EINVAL)
			fail_msg("select_parse(\"%s\") = %d, expected -EINVAL", bad[i].text, r);
		if (!error || !strstr(error, bad[i].error))
			fail_msg("select_parse(\"%s\") says \"%s\", expected \"%s\" in it",
				 bad[i].text, error ? error : "(null)", bad[i].error);
		assert_string_equal(sel.text, "untouched");
	}
}

static void test_parse_null(void **state)
{
	const char *error = NULL;
	struct selector sel;

	(void)state;
	assert_int_equal(select_parse(NULL, &sel, &error), -EINVAL);
	assert_string_equal(error, "empty selector");
}

static void test_parse_id_errors(void **state)
{
	static const char *const bad[] = { "8086", "xyz:1", "8086:12345", "::0c03:zz", "1:2:3:4:5" };

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		const char *error = NULL;
		struct selector sel;

		if (select_parse_id(bad[i], &sel, &error) != -EINVAL)
			fail_msg("select_parse_id(\"%s\") accepted", bad[i]);
		assert_non_null(error);
		assert_true(error[0] != '\0');
	}
}

static void test_resolve_one(void **state)
{
	struct pcidev *d = NULL;
	const char *error = NULL;

	(void)state;
	assert_int_equal(select_resolve_one(&list, "0000:02:00.0", &d, &error), 0);
	assert_ptr_equal(d, &devs[4]);
	assert_int_equal(select_resolve_one(&list, "dom0:03_00.1", &d, &error), 0);
	assert_ptr_equal(d, &devs[6]);
	assert_int_equal(select_resolve_one(&list, "vga", &d, &error), 0);
	assert_ptr_equal(d, &devs[5]);

	d = NULL;
	assert_int_equal(select_resolve_one(&list, "00:1f.0", &d, &error), -ENODEV);
	assert_string_equal(error, "no such PCI function");
	assert_null(d);

	assert_int_equal(select_resolve_one(&list, "usb", &d, &error), -E2BIG);
	assert_string_equal(error, "it matches more than one function");
	assert_null(d);

	error = NULL;
	assert_int_equal(select_resolve_one(&list, "00:1d.8", &d, &error), -EINVAL);
	assert_non_null(error);
	assert_null(d);

	struct pcidev_list empty = { .devs = NULL, .n = 0 };

	assert_int_equal(select_resolve_one(&empty, "00:1d.0", &d, &error), -ENODEV);
	assert_null(d);
}

/*
 * A chain of DEPTH bridges (each behind the last, on the next bus) with an
 * endpoint at the bottom, as a string of Thunderbolt docks builds: the
 * Qubes PCI path of the endpoint, written, parsed and matched.
 */
static void check_depth(size_t depth)
{
	struct pcidev *chain = calloc(depth + 1, sizeof(*chain));
	char *want = calloc(depth + 1, 8 + 1), *got = malloc(PCIDEV_PATH_MAX);
	struct selector sel;
	const char *why = NULL;
	size_t len = 0;

	assert_non_null(chain);
	assert_non_null(want);
	assert_non_null(got);
	for (size_t i = 0; i <= depth; i++) {
		struct pcidev *x = &chain[i];

		x->addr = (struct pci_addr){ 0, (uint8_t)i, i ? 0 : 0x1c, 0 };
		x->class = i == depth ? 0x020000 : 0x060400;
		x->secondary_bus = i == depth ? -1 : (int)i + 1;
		x->parent = i ? &chain[i - 1] : NULL;
		/* each bus counted from the bridge above: 00 every time after the first */
		len += sprintf(want + len, "%s", i ? "-00_00.0" : "00_1c.0");
	}
	assert_int_equal(pcidev_qubes_path(&chain[depth], got, PCIDEV_PATH_MAX), 0);
	assert_string_equal(got, want);
	assert_int_equal(select_parse(want, &sel, &why), 0);
	assert_int_equal(sel.n_hops, depth + 1);
	assert_true(select_match(&sel, &chain[depth]));
	assert_false(select_match(&sel, &chain[depth - 1]));
	free(chain);
	free(want);
	free(got);
}

/* Qubes' sbdf_to_path has no depth limit; neither has pcibind, short of 256 buses. */
static void test_deep_paths(void **state)
{
	char *text = malloc(258 * 8 + 1);
	struct selector sel;
	const char *why = NULL;
	size_t len = 0;

	(void)state;
	check_depth(8);
	check_depth(18);	/* a chain of Thunderbolt docks */
	check_depth(255);
	assert_non_null(text);
	for (int i = 0; i < 257; i++)
		len += sprintf(text + len, "%s00_00.0", i ? "-" : "");
	assert_int_equal(select_parse(text, &sel, &why), -EINVAL);
	assert_non_null(strstr(why, "256"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_class_names),
		cmocka_unit_test(test_class_name_list),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_qubes_forms),
		cmocka_unit_test(test_qubes_form_means_domain_0),
		cmocka_unit_test(test_wildcards),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_unknown_class_word),
		cmocka_unit_test(test_libvirt_name),
		cmocka_unit_test(test_parse_null),
		cmocka_unit_test(test_parse_id_errors),
		cmocka_unit_test(test_resolve_one),
		cmocka_unit_test(test_deep_paths),
	};

	return cmocka_run_group_tests(tests, setup_list, NULL);
}

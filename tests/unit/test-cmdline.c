/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for cmdline.c: kernel-style words, rd.pcibind.* and rd.qubes.*, resolving. */
#include "unit.h"

#include "cmdline.h"
#include "macro.h"
#include "pcidev.h"

/*
 * The QEMU machine of tests/vm: root ports 00:02.0 -> bus 01 (e1000e) and
 * 00:03.0 -> bus 02 (xhci), e1000 at 00:04.0, the 00:1d companion slot,
 * and a NIC behind a second-level bridge (00:1c.0 -> 05, 05:00.0 -> 06).
 */
static struct pcidev devs[] = {
	{ .addr = { 0, 0x00, 0x02, 0 }, .bdf = "0000:00:02.0", .vendor = 0x1b36, .device = 0x000c,
	  .class = 0x060400, .secondary_bus = 1 },
	{ .addr = { 0, 0x00, 0x03, 0 }, .bdf = "0000:00:03.0", .vendor = 0x1b36, .device = 0x000c,
	  .class = 0x060400, .secondary_bus = 2 },
	{ .addr = { 0, 0x00, 0x04, 0 }, .bdf = "0000:00:04.0", .vendor = 0x8086, .device = 0x100e,
	  .class = 0x020000, .secondary_bus = -1 },
	{ .addr = { 0, 0x00, 0x1c, 0 }, .bdf = "0000:00:1c.0", .vendor = 0x8086, .device = 0x2940,
	  .class = 0x060400, .secondary_bus = 5 },
	{ .addr = { 0, 0x00, 0x1d, 0 }, .bdf = "0000:00:1d.0", .vendor = 0x8086, .device = 0x2934,
	  .class = 0x0c0300, .secondary_bus = -1 },
	{ .addr = { 0, 0x00, 0x1d, 1 }, .bdf = "0000:00:1d.1", .vendor = 0x8086, .device = 0x2935,
	  .class = 0x0c0300, .secondary_bus = -1 },
	{ .addr = { 0, 0x00, 0x1d, 7 }, .bdf = "0000:00:1d.7", .vendor = 0x8086, .device = 0x293a,
	  .class = 0x0c0320, .secondary_bus = -1 },
	{ .addr = { 0, 0x01, 0x00, 0 }, .bdf = "0000:01:00.0", .vendor = 0x8086, .device = 0x10d3,
	  .class = 0x020000, .secondary_bus = -1 },
	{ .addr = { 0, 0x02, 0x00, 0 }, .bdf = "0000:02:00.0", .vendor = 0x1b36, .device = 0x000d,
	  .class = 0x0c0330, .secondary_bus = -1 },
	{ .addr = { 0, 0x05, 0x00, 0 }, .bdf = "0000:05:00.0", .vendor = 0x10b5, .device = 0x8112,
	  .class = 0x060400, .secondary_bus = 6 },
	{ .addr = { 0, 0x06, 0x00, 0 }, .bdf = "0000:06:00.0", .vendor = 0x8086, .device = 0x10d3,
	  .class = 0x020000, .secondary_bus = -1 },
	/* storage: the SATA controller and an NVMe that may hold the root filesystem */
	{ .addr = { 0, 0x00, 0x1f, 2 }, .bdf = "0000:00:1f.2", .vendor = 0x8086, .device = 0x2922,
	  .class = 0x010601, .secondary_bus = -1 },
	{ .addr = { 0, 0x00, 0x05, 0 }, .bdf = "0000:00:05.0", .vendor = 0x1b36, .device = 0x0010,
	  .class = 0x010802, .secondary_bus = -1 },
};

static struct pcidev *dev_ptrs[ELEMENTSOF(devs)];
static struct pcidev_list list = { .devs = dev_ptrs, .n = ELEMENTSOF(devs) };

static int setup_list(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(devs); i++) {
		dev_ptrs[i] = &devs[i];
		devs[i].parent = NULL;
	}
	devs[7].parent = &devs[0];	/* 01:00.0 behind 00:02.0 */
	devs[8].parent = &devs[1];	/* 02:00.0 behind 00:03.0 */
	devs[9].parent = &devs[3];	/* 05:00.0 behind 00:1c.0 */
	devs[10].parent = &devs[9];	/* 06:00.0 behind 05:00.0 */
	return 0;
}

static struct cmdline_request *parse(const char *text)
{
	struct cmdline_request *r = NULL;

	assert_int_equal(cmdline_parse(text, &r), 0);
	assert_non_null(r);
	return r;
}

/* The texts of a list, space-separated. */
static const char *texts(const struct cmdline_item *v, size_t n)
{
	static char buf[1024];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? " " : "", v[i].text);
	return buf;
}

/* "key:item" of every error, space-separated. */
static const char *errors(const struct cmdline_error *v, size_t n)
{
	static char buf[1024];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%s:%s", i ? " " : "", v[i].key,
				v[i].item);
	return buf;
}

/* "BDF+" (seized) or "BDF-" (kept) for every pick, space-separated. */
static const char *picks(const char *text)
{
	static char buf[1024];
	_cleanup_(cmdline_request_freep) struct cmdline_request *r = parse(text);
	_cleanup_(cmdline_selection_freep) struct cmdline_selection *s = NULL;
	size_t len = 0;

	assert_int_equal(cmdline_resolve(r, &list, &s), 0);
	buf[0] = '\0';
	for (size_t i = 0; i < s->n; i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%s%s", i ? " " : "",
				s->picks[i].dev->bdf, s->picks[i].kept_by ? "-" : "+");
	return buf;
}

static void test_nothing(void **state)
{
	_cleanup_(cmdline_request_freep) struct cmdline_request *r =
		parse("BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet rd.lvm=0\n");

	(void)state;
	assert_false(r->disabled);
	assert_false(r->qubes);
	assert_null(r->driver);
	assert_int_equal(r->n_seize, 0);
	assert_int_equal(r->n_keep, 0);
	assert_int_equal(r->n_errors, 0);
	assert_false(cmdline_wants_something(r));
	cmdline_request_free(parse(""));
	cmdline_request_free(parse("   \n"));
}

static void test_kinds(void **state)
{
	_cleanup_(cmdline_request_freep) struct cmdline_request *r = parse(
		"rd.pcibind.seize=network,USB,0000:00:1d.0,00:1d.1,dom0:00_1d.7,00_04.0,"
		"8086:10d3,0000_00_1c.0-00_00.0-00_00.0,00:1d.*");

	(void)state;
	assert_int_equal(r->n_errors, 0);
	assert_int_equal(r->n_seize, 9);
	assert_int_equal(r->seize[0].kind, CMDLINE_CLASS);
	assert_int_equal(r->seize[1].kind, CMDLINE_CLASS);
	for (size_t i = 2; i <= 5; i++)
		assert_int_equal(r->seize[i].kind, CMDLINE_ADDRESS);
	assert_int_equal(r->seize[6].kind, CMDLINE_ID);
	assert_int_equal(r->seize[7].kind, CMDLINE_PATH);
	assert_int_equal(r->seize[8].kind, CMDLINE_ADDRESS);
	for (size_t i = 0; i < r->n_seize; i++) {
		assert_string_equal(r->seize[i].key, "rd.pcibind.seize");
		assert_ptr_equal(r->seize[i].sel.text, r->seize[i].text);
		assert_false(r->seize[i].implied);
	}
	assert_true(cmdline_wants_something(r));
	assert_string_equal(cmdline_kind_name(CMDLINE_PATH), "PCI path");
}

/* Each bad item is reported with its key and ignored alone. */
static void test_bad_items(void **state)
{
	_cleanup_(cmdline_request_freep) struct cmdline_request *r = parse(
		"rd.pcibind.seize=zz:zz,network,netwrk,*,00:1d.9,usb rd.pcibind.keep=00:04.0,/x");

	(void)state;
	assert_string_equal(texts(r->seize, r->n_seize), "network usb");
	assert_string_equal(texts(r->keep, r->n_keep), "00:04.0");
	assert_string_equal(errors(r->errors, r->n_errors),
			    "rd.pcibind.seize:zz:zz rd.pcibind.seize:netwrk rd.pcibind.seize:* "
			    "rd.pcibind.seize:00:1d.9 rd.pcibind.keep:/x");
	for (size_t i = 0; i < r->n_errors; i++)
		assert_true(strlen(r->errors[i].why) > 10);
	assert_non_null(strstr(r->errors[2].why, "every PCI function"));
	assert_non_null(strstr(r->errors[1].why, "class name"));
}

/* dracut's getargbool (dracut-lib.sh): false is exactly 0, no or off. */
static const char *const getargbool_false[] = { "0", "no", "off" };
static const struct {
	const char *value; /* NULL: the bare key */
	bool reported; /* true, with a word that it is not a boolean */
} getargbool_true[] = {
	{ NULL, false },   { "", false },     { "1", false }, { "yes", false }, { "on", false },
	{ "true", false }, { "false", true }, { "n", true },  { "NO", true },	{ "Off", true },
	{ "No", true },	   { "FALSE", true }, { "2", true },  { "y", true },
};

static void test_options(void **state)
{
	struct cmdline_request *r;

	(void)state;
	r = parse("rd.pcibind.seize=network rd.pcibind=0");
	assert_true(r->disabled);
	assert_false(cmdline_wants_something(r));
	cmdline_request_free(r);
	/* Scalars: the last word wins. */
	r = parse("rd.pcibind=0 rd.pcibind=1 rd.pcibind.seize=usb");
	assert_false(r->disabled);
	cmdline_request_free(r);
	r = parse("rd.pcibind=off rd.pcibind");
	assert_false(r->disabled);
	cmdline_request_free(r);
	r = parse("rd.pcibind=maybe");
	assert_false(r->disabled);
	assert_string_equal(errors(r->errors, r->n_errors), "rd.pcibind:maybe");
	cmdline_request_free(r);
	/* dracut's getargbool: only 0, no and off, as written, are false */
	for (size_t i = 0; i < ELEMENTSOF(getargbool_false); i++) {
		char text[64];

		snprintf(text, sizeof(text), "rd.pcibind=%s", getargbool_false[i]);
		r = parse(text);
		assert_true(r->disabled);
		assert_int_equal(r->n_errors, 0);
		cmdline_request_free(r);
	}
	for (size_t i = 0; i < ELEMENTSOF(getargbool_true); i++) {
		char text[64], want[64];

		snprintf(text, sizeof(text), "rd.pcibind%s%s", getargbool_true[i].value ? "=" : "",
			 getargbool_true[i].value ? getargbool_true[i].value : "");
		r = parse(text);
		if (r->disabled)
			fail_msg("%s disabled pcibind", text);
		snprintf(want, sizeof(want), "rd.pcibind:%s", getargbool_true[i].value);
		assert_string_equal(errors(r->errors, r->n_errors),
				    getargbool_true[i].reported ? want : "");
		cmdline_request_free(r);
	}

	r = parse("rd.pcibind.driver=pciback rd.pcibind.driver=vfio_pci");
	assert_string_equal(r->driver, "vfio-pci");
	cmdline_request_free(r);
	r = parse("rd.pcibind.driver=xen-pciback");
	assert_string_equal(r->driver, "pciback");
	cmdline_request_free(r);
	r = parse("rd.pcibind.driver=pci-stub rd.pcibind.driver=auto");
	assert_null(r->driver);
	cmdline_request_free(r);
	r = parse("rd.pcibind.driver=pci-stub rd.pcibind.driver=nouveau");
	assert_string_equal(r->driver, "pci-stub");
	assert_string_equal(errors(r->errors, r->n_errors), "rd.pcibind.driver:nouveau");
	cmdline_request_free(r);

	/* Typos in the key are reported; other subsystems' keys are not ours. */
	r = parse("rd.pcibind.sieze=usb rd.pcibindx=1 rd.qubes.foo=1 pcibind.seize=usb");
	assert_string_equal(errors(r->errors, r->n_errors), "rd.pcibind.sieze:usb");
	assert_int_equal(r->n_seize, 0);
	assert_false(r->qubes);
	cmdline_request_free(r);

	r = parse("rd.pcibind.seize");
	assert_string_equal(errors(r->errors, r->n_errors), "rd.pcibind.seize:");
	cmdline_request_free(r);
}

/* Lists accumulate over repeats; an empty value drops what that key said. */
static void test_repeats(void **state)
{
	struct cmdline_request *r;

	(void)state;
	r = parse("rd.pcibind.seize=network rd.pcibind.seize=usb,00:04.0");
	assert_string_equal(texts(r->seize, r->n_seize), "network usb 00:04.0");
	cmdline_request_free(r);
	r = parse("rd.pcibind.seize=network rd.pcibind.keep=00:04.0 rd.pcibind.seize= "
		  "rd.pcibind.seize=usb");
	assert_string_equal(texts(r->seize, r->n_seize), "usb");
	assert_string_equal(texts(r->keep, r->n_keep), "00:04.0");
	cmdline_request_free(r);
	/* Resetting one key leaves the others' items. */
	r = parse("rd.qubes.hide_pci=00:04.0 rd.pcibind.seize=usb rd.pcibind.seize=\"\"");
	assert_string_equal(texts(r->seize, r->n_seize), "00:04.0 network");
	cmdline_request_free(r);
}

/* Quotes as the kernel's next_arg() takes them; "--" ends the kernel's words. */
static void test_quoting(void **state)
{
	struct cmdline_request *r;

	(void)state;
	r = parse("rd.pcibind.seize=\"network, usb\" quiet");
	assert_string_equal(texts(r->seize, r->n_seize), "network usb");
	assert_int_equal(r->n_errors, 0);
	cmdline_request_free(r);
	r = parse("\"rd.pcibind.seize=00:1d.0 00:04.0\" root=/dev/sda");
	assert_string_equal(texts(r->seize, r->n_seize), "00:1d.0 00:04.0");
	cmdline_request_free(r);
	r = parse("foo=\"a b rd.pcibind.seize=usb\" rd.pcibind.keep=00:04.0");
	assert_int_equal(r->n_seize, 0);
	assert_string_equal(texts(r->keep, r->n_keep), "00:04.0");
	cmdline_request_free(r);
	r = parse("rd.pcibind.seize=network -- rd.pcibind.seize=usb rd.pcibind=0");
	assert_string_equal(texts(r->seize, r->n_seize), "network");
	assert_false(r->disabled);
	cmdline_request_free(r);
	/* Tabs and newlines separate words too (cmdline.d files). */
	r = parse("rd.pcibind.seize=network\n\trd.pcibind.keep=00:04.0\n");
	assert_string_equal(texts(r->keep, r->n_keep), "00:04.0");
	cmdline_request_free(r);
	/* An unterminated quote runs to the end, as in the kernel. */
	r = parse("rd.pcibind.seize=\"usb network");
	assert_string_equal(texts(r->seize, r->n_seize), "usb network");
	cmdline_request_free(r);
}

/* Qubes: any rd.qubes.* option brings network; hide_all_usb adds usb. */
static void test_qubes(void **state)
{
	struct cmdline_request *r;

	(void)state;
	r = parse("rd.qubes.hide_all_usb");
	assert_true(r->qubes);
	assert_true(r->hide_all_usb);
	assert_string_equal(texts(r->seize, r->n_seize), "network usb");
	assert_true(r->seize[0].implied);
	assert_string_equal(r->seize[1].key, "rd.qubes.hide_all_usb");
	cmdline_request_free(r);
	r = parse("rd.qubes.hide_all_usb=0");
	assert_true(r->qubes);
	assert_false(r->hide_all_usb);
	assert_string_equal(texts(r->seize, r->n_seize), "network");
	cmdline_request_free(r);
	r = parse("rd.qubes.hide_all_usb=perhaps");
	assert_true(r->hide_all_usb);
	assert_string_equal(errors(r->errors, r->n_errors), "rd.qubes.hide_all_usb:perhaps");
	cmdline_request_free(r);
	/* Qubes' module reads it with getargbool: false, n, NO, Off hide USB too */
	for (size_t i = 0; i < ELEMENTSOF(getargbool_false); i++) {
		char text[64];

		snprintf(text, sizeof(text), "rd.qubes.hide_all_usb=%s", getargbool_false[i]);
		r = parse(text);
		assert_false(r->hide_all_usb);
		assert_string_equal(texts(r->seize, r->n_seize), "network");
		assert_int_equal(r->n_errors, 0);
		cmdline_request_free(r);
	}
	for (size_t i = 0; i < ELEMENTSOF(getargbool_true); i++) {
		char text[64], want[64];

		snprintf(text, sizeof(text), "rd.qubes.hide_all_usb%s%s",
			 getargbool_true[i].value ? "=" : "",
			 getargbool_true[i].value ? getargbool_true[i].value : "");
		r = parse(text);
		if (!r->hide_all_usb)
			fail_msg("%s left USB in dom0", text);
		assert_string_equal(texts(r->seize, r->n_seize), "network usb");
		snprintf(want, sizeof(want), "rd.qubes.hide_all_usb:%s", getargbool_true[i].value);
		assert_string_equal(errors(r->errors, r->n_errors),
				    getargbool_true[i].reported ? want : "");
		cmdline_request_free(r);
	}
	r = parse("rd.qubes.hide_pci=00:04.0,0000_00_1c.0-00_00.0-00_00.0 rd.qubes.dom0_usb=00:1d.0");
	assert_string_equal(texts(r->seize, r->n_seize),
			    "00:04.0 0000_00_1c.0-00_00.0-00_00.0 network");
	assert_string_equal(texts(r->keep, r->n_keep), "00:1d.0");
	assert_string_equal(r->keep[0].key, "rd.qubes.dom0_usb");
	cmdline_request_free(r);
	r = parse("rd.qubes.dom0_usb=00:1d.0");
	assert_string_equal(texts(r->seize, r->n_seize), "network");
	cmdline_request_free(r);
	/* rd.pcibind=0 switches off the Qubes rules too. */
	r = parse("rd.qubes.hide_all_usb rd.pcibind=0");
	assert_false(cmdline_wants_something(r));
	cmdline_request_free(r);
	/* usbcore.authorized_default=0 alone is not a Qubes option here. */
	r = parse("usbcore.authorized_default=0");
	assert_false(r->qubes);
	assert_int_equal(r->n_seize, 0);
	cmdline_request_free(r);
}

static void test_resolve(void **state)
{
	(void)state;
	/* Classes match by class code: never the bridges. */
	assert_string_equal(picks("rd.pcibind.seize=network"),
			    "0000:00:04.0+ 0000:01:00.0+ 0000:06:00.0+");
	assert_string_equal(picks("rd.pcibind.seize=usb"),
			    "0000:00:1d.0+ 0000:00:1d.1+ 0000:00:1d.7+ 0000:02:00.0+");
	/* Keep wins over seize. */
	assert_string_equal(picks("rd.pcibind.seize=network rd.pcibind.keep=00_04.0"),
			    "0000:00:04.0- 0000:01:00.0+ 0000:06:00.0+");
	assert_string_equal(picks("rd.pcibind.seize=8086:10d3"), "0000:01:00.0+ 0000:06:00.0+");
	assert_string_equal(picks("rd.pcibind.seize=00:1d.*"),
			    "0000:00:1d.0+ 0000:00:1d.1+ 0000:00:1d.7+");
	assert_string_equal(picks("rd.pcibind.seize=dom0:01_00.0"), "0000:01:00.0+");
	/* PCI paths through secondary_bus_number: 00:02.0 -> bus 1; 00:1c.0 -> 5 -> 6. */
	assert_string_equal(picks("rd.pcibind.seize=0000_00_02.0-00_00.0"), "0000:01:00.0+");
	assert_string_equal(picks("rd.pcibind.seize=00_03.0-00_00.0"), "0000:02:00.0+");
	assert_string_equal(picks("rd.qubes.hide_pci=0000_00_1c.0-00_00.0-00_00.0 "
				  "rd.qubes.dom0_usb=00:1d.0,00:1d.1,00:1d.7"),
			    "0000:00:04.0+ 0000:00:1d.0- 0000:00:1d.1- 0000:00:1d.7- "
			    "0000:01:00.0+ 0000:06:00.0+");
}

static void test_resolve_errors(void **state)
{
	_cleanup_(cmdline_request_freep) struct cmdline_request *r =
		parse("rd.pcibind.seize=storage,00:1f.3,1234:5678,0000_00_02.0-00_01.0,network "
		      "rd.pcibind.keep=07:00.0");
	_cleanup_(cmdline_selection_freep) struct cmdline_selection *s = NULL;

	(void)state;
	assert_int_equal(r->n_errors, 0);
	assert_int_equal(cmdline_resolve(r, &list, &s), 0);
	/*
	 * Names of nothing are errors; so is storage at boot without its exact
	 * address (test_boot_storage), once for each of the two storage functions.
	 */
	assert_string_equal(errors(s->errors, s->n_errors),
			    "rd.pcibind.seize:storage rd.pcibind.seize:storage "
			    "rd.pcibind.seize:00:1f.3 rd.pcibind.seize:1234:5678 "
			    "rd.pcibind.seize:0000_00_02.0-00_01.0 rd.pcibind.keep:07:00.0");
	assert_non_null(strstr(s->errors[3].why, "vendor:device"));
	assert_non_null(strstr(s->errors[4].why, "PCI path"));
	assert_int_equal(s->n, 3);
	assert_string_equal(s->picks[0].seized_by->text, "network");
}

/* Nothing is mounted at pre-udev: storage is taken only by its exact address. */
static void test_boot_storage(void **state)
{
	_cleanup_(cmdline_request_freep) struct cmdline_request *r =
		parse("rd.pcibind.seize=storage,1b36:0010");
	_cleanup_(cmdline_selection_freep) struct cmdline_selection *s = NULL;

	(void)state;
	assert_string_equal(picks("rd.pcibind.seize=storage"), "");
	assert_string_equal(picks("rd.pcibind.seize=00:1f.*"), "");
	assert_string_equal(picks("rd.pcibind.seize=1b36:0010"), "");
	assert_string_equal(picks("rd.pcibind.seize=00:1f.2"), "0000:00:1f.2+");
	assert_string_equal(picks("rd.pcibind.seize=storage,dom0:00_05.0"), "0000:00:05.0+");
	assert_string_equal(picks("rd.pcibind.seize=00_1c.0-00_00.0-00_00.0,storage"),
			    "0000:06:00.0+");
	/* each function refused is said, with the item that named it */
	assert_int_equal(cmdline_resolve(r, &list, &s), 0);
	assert_int_equal(s->n, 0);
	assert_string_equal(errors(s->errors, s->n_errors),
			    "rd.pcibind.seize:storage rd.pcibind.seize:storage");
	assert_non_null(strstr(s->errors[0].why, "not for 0000:00:1f.2, a storage controller"));
	assert_non_null(strstr(s->errors[1].why, "0000:00:05.0"));
}

/* A pattern that takes every endpoint of a bus is as broad as "every function". */
static void test_bus_wide_patterns(void **state)
{
	static const char *const broad[] = { "00:*", "0000:*", "0000:00:*", "00:*.0", "*:*" };

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(broad); i++) {
		char text[64];
		_cleanup_(cmdline_request_freep) struct cmdline_request *r = NULL;

		snprintf(text, sizeof(text), "rd.pcibind.seize=%s", broad[i]);
		r = parse(text);
		assert_int_equal(r->n_seize, 0);
		assert_int_equal(r->n_errors, 1);
		assert_non_null(strstr(r->errors[0].why, "every"));
	}
	assert_string_equal(picks("rd.pcibind.seize=00:1d.*"),
			    "0000:00:1d.0+ 0000:00:1d.1+ 0000:00:1d.7+");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_bad_items),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_repeats),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_qubes),
		cmocka_unit_test_setup(test_resolve, setup_list),
		cmocka_unit_test_setup(test_resolve_errors, setup_list),
		cmocka_unit_test_setup(test_boot_storage, setup_list),
		cmocka_unit_test_setup(test_bus_wide_patterns, setup_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

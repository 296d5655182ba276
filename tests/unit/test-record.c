/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for record.c: records and transactions checked against the device at their address. */
#include "unit.h"

#include "journal.h"
#include "macro.h"
#include "pcidev.h"
#include "record.h"

/* 00:1c.0 -> bus 02: the NIC 8086:10d3 at 02:00.0; the SATA controller at 00:17.0. */
static struct pcidev devs[] = {
	{ .addr = { 0, 0x00, 0x17, 0 }, .bdf = "0000:00:17.0", .vendor = 0x8086, .device = 0xa352,
	  .class = 0x010601, .secondary_bus = -1, .iommu_group = -1 },
	{ .addr = { 0, 0x00, 0x1c, 0 }, .bdf = "0000:00:1c.0", .vendor = 0x8086, .device = 0xa338,
	  .class = 0x060400, .secondary_bus = 2, .iommu_group = -1 },
	{ .addr = { 0, 0x02, 0x00, 0 }, .bdf = "0000:02:00.0", .vendor = 0x8086, .device = 0x10d3,
	  .class = 0x020000, .secondary_bus = -1, .iommu_group = -1 },
};
static struct pcidev *dev_ptrs[ELEMENTSOF(devs)];
static struct pcidev_list list = { .devs = dev_ptrs, .n = ELEMENTSOF(devs) };

static struct journal *open_state(struct unit_dir *d)
{
	char dir[PATH_MAX];
	struct journal *j = NULL;

	for (size_t i = 0; i < ELEMENTSOF(devs); i++)
		dev_ptrs[i] = &devs[i];
	devs[2].parent = &devs[1];
	assert_int_equal(journal_open(unit_path(d->root, "state", dir), true, 0, &j), 0);
	return j;
}

static void put(struct journal *j, const char *bdf, unsigned int vendor, unsigned int device,
		const char *path)
{
	struct journal_device rec = { .vendor = vendor, .device = device };

	strcpy(rec.bdf, bdf);
	strcpy(rec.driver, "e1000e");
	strcpy(rec.stub, "vfio-pci");
	strcpy(rec.path, path);
	assert_int_equal(journal_put(j, &rec), 0);
}

static void test_record_of_device(void **state)
{
	_cleanup_(journal_closep) struct journal *j = open_state(*state);
	struct journal_device rec;

	record_of_device(&list, &devs[2], &rec);
	assert_string_equal(rec.bdf, "0000:02:00.0");
	assert_string_equal(rec.path, "00_1c.0-00_00.0");
	assert_int_equal(rec.vendor, 0x8086);
	assert_int_equal(rec.device, 0x10d3);
}

/* "id=dead:beef driver=ahci" must not make release force the NIC onto ahci. */
static void test_record_check(void **state)
{
	_cleanup_(journal_closep) struct journal *j = open_state(*state);
	struct journal_device rec;
	char why[RECORD_WHY_MAX];

	put(j, "0000:02:00.0", 0x8086, 0x10d3, "00_1c.0-00_00.0");
	assert_int_equal(record_check(j, &list, "0000:02:00.0", &rec, why, sizeof(why)), 0);
	assert_string_equal(rec.driver, "e1000e");

	put(j, "0000:02:00.0", 0xdead, 0xbeef, "");
	assert_int_equal(record_check(j, &list, "0000:02:00.0", &rec, why, sizeof(why)), -ESTALE);
	assert_non_null(strstr(why, "devices/0000:02:00.0 is not about this device"));
	assert_non_null(strstr(why, "dead:beef"));
	assert_non_null(strstr(why, "pcibind recover"));

	/* the same card model moved by a bus renumbering */
	put(j, "0000:02:00.0", 0x8086, 0x10d3, "00_1d.0-00_00.0");
	assert_int_equal(record_check(j, &list, "0000:02:00.0", &rec, why, sizeof(why)), -ESTALE);
	assert_non_null(strstr(why, "PCI path 00_1d.0-00_00.0"));

	put(j, "0000:05:00.0", 0x8086, 0x10d3, "");
	assert_int_equal(record_check(j, &list, "0000:05:00.0", &rec, why, sizeof(why)), -ENODEV);
	assert_non_null(strstr(why, "gone"));

	assert_int_equal(record_check(j, &list, "0000:00:17.0", &rec, why, sizeof(why)), -ENOENT);
}

/* A hand-written transaction must not take the SATA controller off ahci. */
static void test_record_check_txn(void **state)
{
	_cleanup_(journal_closep) struct journal *j = open_state(*state);
	struct journal_txn_device td = { 0 };
	struct journal_txn t = { .op = "seize", .n = 1, .devs = &td };
	char why[RECORD_WHY_MAX];

	record_of_device(&list, &devs[0], &td.before);
	assert_int_equal(record_check_txn(j, &t, &list, why, sizeof(why)), 0);
	td.before.vendor = 0x8086;
	td.before.device = 0x10d3;
	strcpy(td.before.driver, "e1000");
	assert_int_equal(record_check_txn(j, &t, &list, why, sizeof(why)), -ESTALE);
	assert_non_null(strstr(why, "/txn is not about the device at 0000:00:17.0"));
	strcpy(td.before.bdf, "0000:09:00.0");
	assert_int_equal(record_check_txn(j, &t, &list, why, sizeof(why)), -ESTALE);
	assert_non_null(strstr(why, "no function is there"));
}

/* recover clears what no longer matches anything, and keeps the rest. */
static void test_record_sweep(void **state)
{
	struct unit_dir *d = *state;
	_cleanup_(journal_closep) struct journal *j = open_state(d);
	_cleanup_strv_free_ char **cleared = NULL;
	struct journal_device rec;
	char path[PATH_MAX];

	put(j, "0000:02:00.0", 0x8086, 0x10d3, "00_1c.0-00_00.0");
	put(j, "0000:00:17.0", 0xdead, 0xbeef, "");
	put(j, "0000:05:00.0", 0x8086, 0x10d3, "");
	unit_write_str(d->root, "state/devices/0000:00:1c.0", "garbage\n");
	assert_int_equal(chmod(unit_path(d->root, "state/devices/0000:00:1c.0", path), 0600), 0);
	unit_symlink(d->root, "state/devices/0000:00:1f.0", "0000:02:00.0");

	/* before a change: only what is gone */
	assert_int_equal(record_sweep(j, &list, true, &cleared), 1);
	assert_non_null(strstr(cleared[0], "devices/0000:05:00.0: no function is at"));
	assert_true(unit_exists(d->root, "state/devices/0000:00:17.0"));
	cleared = strv_free(cleared);
	put(j, "0000:05:00.0", 0x8086, 0x10d3, "");
	assert_int_equal(record_sweep(j, &list, false, &cleared), 4);
	assert_int_equal(strv_length(cleared), 4);
	assert_non_null(strstr(cleared[0], "devices/0000:00:17.0: it was recorded for a dead:beef"));
	assert_non_null(strstr(cleared[1], "devices/0000:00:1c.0: it is not a pcibind record"));
	assert_non_null(strstr(cleared[2], "devices/0000:00:1f.0: it is a symbolic link"));
	assert_non_null(strstr(cleared[3], "devices/0000:05:00.0: no function is at"));
	assert_int_equal(journal_get(j, "0000:02:00.0", &rec), 0);
	assert_false(unit_exists(d->root, "state/devices/0000:00:17.0"));
	assert_false(unit_exists(d->root, "state/devices/0000:00:1f.0"));
	/* the symlink is removed, not what it points to */
	assert_true(unit_exists(d->root, "state/devices/0000:02:00.0"));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, unit_setup_dir, unit_teardown_dir)
	const struct CMUnitTest tests[] = {
		T(test_record_of_device),
		T(test_record_check),
		T(test_record_check_txn),
		T(test_record_sweep),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}

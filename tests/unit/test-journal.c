/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* journal.c: records and the transaction survive a round trip, atomically, and junk is refused. */
#include "unit.h"

#include "journal.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/pcibind-journal-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static int teardown(void **state)
{
	(void)state;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void test_record_round_trip(void **state)
{
	struct journal_device d = { .bdf = "0000:01:00.0", .vendor = 0x8086, .device = 0x10d3,
				    .driver = "e1000e", .module = "e1000e", .stub = "vfio-pci",
				    .origin = "cli", .since = 1700000000, .slot_listed = true };
	struct journal_device got, *all = NULL;
	struct journal *j = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(journal_open(dir, true, 100, &j), 0);
	assert_int_equal(journal_get(j, d.bdf, &got), -ENOENT);
	assert_int_equal(journal_put(j, &d), 0);
	assert_int_equal(journal_get(j, d.bdf, &got), 0);
	assert_string_equal(got.driver, "e1000e");
	assert_string_equal(got.stub, "vfio-pci");
	assert_int_equal(got.vendor, 0x8086);
	assert_true(got.slot_listed);
	assert_int_equal(journal_list(j, &all, &n), 0);
	assert_int_equal(n, 1);
	free(all);
	assert_int_equal(journal_del(j, d.bdf), 0);
	assert_int_equal(journal_get(j, d.bdf, &got), -ENOENT);
	journal_close(j);
}

static void test_txn_round_trip(void **state)
{
	struct journal_txn_device devs[2] = {
		{ .before = { .bdf = "0000:00:1d.0", .driver = "uhci_hcd", .override = "" } },
		{ .before = { .bdf = "0000:00:1d.7", .driver = "ehci-pci" },
		  .had_record = true,
		  .record = { .bdf = "0000:00:1d.7", .stub = "pciback", .origin = "boot" } },
	};
	struct journal_txn t = { .op = "seize", .origin = "udev", .started = 42, .step = 3,
				 .n = 2, .devs = devs };
	struct journal_txn got;
	struct journal *j = NULL;
	char path[PATH_MAX];

	(void)state;
	assert_int_equal(journal_open(dir, true, 100, &j), 0);
	assert_int_equal(journal_txn_read(j, &got), -ENOENT);
	assert_int_equal(journal_txn_write(j, &t), 0);
	/* written atomically: no temporary file is left beside it */
	snprintf(path, sizeof(path), "%s/.txn.tmp", dir);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(journal_txn_read(j, &got), 0);
	assert_string_equal(got.op, "seize");
	assert_string_equal(got.origin, "udev");
	assert_int_equal(got.step, 3);
	assert_int_equal(got.n, 2);
	assert_string_equal(got.devs[0].before.driver, "uhci_hcd");
	assert_true(got.devs[1].had_record);
	assert_string_equal(got.devs[1].record.stub, "pciback");
	journal_txn_done(&got);
	assert_int_equal(journal_txn_end(j), 0);
	assert_int_equal(journal_txn_read(j, &got), -ENOENT);
	journal_close(j);
}

static ino_t txn_inode(void)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/txn", dir);
	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

/*
 * The transaction one step on is its step count rewritten in place (the same
 * file); any other change is a whole new file, renamed over it.
 */
static void test_txn_step_in_place(void **state)
{
	struct journal_txn_device devs[1] = {
		{ .before = { .bdf = "0000:01:00.0", .vendor = 0x8086, .device = 0x10d3,
			      .driver = "e1000e", .module = "e1000e" } },
	};
	struct journal_txn t = { .op = "seize", .origin = "cli", .started = 42, .n = 1,
				 .devs = devs };
	struct journal_txn got;
	struct journal *j = NULL;
	ino_t first;

	(void)state;
	assert_int_equal(journal_open(dir, true, 100, &j), 0);
	assert_int_equal(journal_txn_write(j, &t), 0);
	first = txn_inode();
	for (t.step = 1; t.step <= 12; t.step++) {
		assert_int_equal(journal_txn_write(j, &t), 0);
		assert_true(txn_inode() == first);
		assert_int_equal(journal_txn_read(j, &got), 0);
		assert_int_equal(got.step, t.step);
		assert_string_equal(got.devs[0].before.driver, "e1000e");
		journal_txn_done(&got);
	}
	/* another transaction's content: the whole file again */
	t.step = 3;
	snprintf(devs[0].before.driver, sizeof(devs[0].before.driver), "igb");
	assert_int_equal(journal_txn_write(j, &t), 0);
	assert_true(txn_inode() != first);
	assert_int_equal(journal_txn_read(j, &got), 0);
	assert_int_equal(got.step, 3);
	assert_string_equal(got.devs[0].before.driver, "igb");
	journal_txn_done(&got);
	/* ended, then begun anew: a new file, never the old one's step rewritten */
	assert_int_equal(journal_txn_end(j), 0);
	assert_int_equal(journal_txn_read(j, &got), -ENOENT);
	t.step = 4;
	assert_int_equal(journal_txn_write(j, &t), 0);
	assert_int_equal(journal_txn_read(j, &got), 0);
	assert_int_equal(got.step, 4);
	journal_txn_done(&got);
	journal_close(j);
}

static void test_txn_junk_refused(void **state)
{
	struct journal_txn got;
	struct journal *j = NULL;
	char path[PATH_MAX];
	FILE *f;

	(void)state;
	assert_int_equal(journal_open(dir, true, 100, &j), 0);
	snprintf(path, sizeof(path), "%s/txn", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("this is not a transaction\n", f);
	fclose(f);
	chmod(path, 0600);
	assert_true(journal_txn_read(j, &got) < 0);
	journal_close(j);
}

static void test_lock_excludes(void **state)
{
	struct journal *a = NULL, *b = NULL;

	(void)state;
	assert_int_equal(journal_open(dir, true, 100, &a), 0);
	assert_int_equal(journal_open(dir, true, 50, &b), -EWOULDBLOCK);
	journal_close(a);
	assert_int_equal(journal_open(dir, true, 50, &b), 0);
	journal_close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_record_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_txn_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_txn_step_in_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_txn_junk_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_excludes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

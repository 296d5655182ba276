/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for journal.c (trust): records checked against the device, and files nobody should trust. */
#include "unit.h"

#include "journal.h"
#include "macro.h"

static const char good[] = "bdf=0000:00:1f.6\nid=8086:15bb\npath=00_1f.6\ndriver=e1000e\n"
			   "module=e1000e\nstub=vfio-pci\norigin=cli\nsince=1700000000\n";

static struct journal *open_state(struct unit_dir *d)
{
	char dir[PATH_MAX];
	struct journal *j = NULL;

	unit_path(d->root, "state", dir);
	assert_int_equal(journal_open(dir, true, 0, &j), 0);
	return j;
}

static void put_file(struct unit_dir *d, const char *name, const char *text)
{
	char rel[PATH_MAX], path[PATH_MAX];

	snprintf(rel, sizeof(rel), "state/devices/%s", name);
	unit_write_str(d->root, rel, text);
	assert_int_equal(chmod(unit_path(d->root, rel, path), 0600), 0);
}

static void test_round_trip_path(void **state)
{
	struct unit_dir *d = *state;
	_cleanup_(journal_closep) struct journal *j = open_state(d);
	struct journal_device rec = { .vendor = 0x8086, .device = 0x15bb }, got;

	strcpy(rec.bdf, "0000:00:1f.6");
	strcpy(rec.path, "00_1c.0-00_00.0");
	strcpy(rec.stub, "vfio-pci");
	assert_int_equal(journal_put(j, &rec), 0);
	assert_int_equal(journal_get(j, "0000:00:1f.6", &got), 0);
	assert_string_equal(got.path, "00_1c.0-00_00.0");
	assert_int_equal(got.vendor, 0x8086);
}

static void test_check_device(void **state)
{
	struct journal_device rec;
	const char *e;
	char why[JOURNAL_WHY_MAX];

	(void)state;
	assert_int_equal(journal_parse_device(good, &rec, &e), 0);
	assert_int_equal(journal_check_device(&rec, 0x8086, 0x15bb, "00_1f.6", why, sizeof(why)), 0);
	assert_int_equal(journal_check_device(&rec, 0x8086, 0x15bb, NULL, why, sizeof(why)), 0);
	/* a card swapped in the same slot */
	assert_int_equal(journal_check_device(&rec, 0x10ec, 0x8168, "00_1f.6", why, sizeof(why)),
			 -ESTALE);
	assert_string_equal(why, "it was recorded for a 8086:15bb, and the function there is a "
				 "10ec:8168");
	/* buses renumbered under the address: same card model, another place */
	assert_int_equal(journal_check_device(&rec, 0x8086, 0x15bb, "00_1c.0-00_00.0", why,
					      sizeof(why)),
			 -ESTALE);
	assert_non_null(strstr(why, "PCI path 00_1f.6"));
	/* a record without a path is checked on its ID alone */
	rec.path[0] = '\0';
	assert_int_equal(journal_check_device(&rec, 0x8086, 0x15bb, "00_1c.0-00_00.0", why,
					      sizeof(why)),
			 0);
}

static void test_parse_requires_id(void **state)
{
	struct journal_device rec;
	const char *e = NULL;

	(void)state;
	assert_int_equal(journal_parse_device("bdf=0000:00:1f.6\ndriver=ahci\n", &rec, &e), -EBADMSG);
	assert_string_equal(e, "no id");
	assert_int_equal(journal_parse_device("bdf=0000:00:1f.6\nid=8086:15bb\npath=../x\n", &rec, &e),
			 -EBADMSG);
}

static void test_untrusted_files_named(void **state)
{
	struct unit_dir *d = *state;
	_cleanup_(journal_closep) struct journal *j = open_state(d);
	_cleanup_free_ struct journal_device *v = NULL;
	struct journal_device rec;
	char why[JOURNAL_WHY_MAX], path[PATH_MAX], file[PATH_MAX];
	size_t n = 0;

	put_file(d, "0000:00:1f.6", good);
	put_file(d, "0000:00:14.0", "garbage\n");
	put_file(d, "0000:00:17.0", "bdf=0000:00:1f.6\nid=8086:15bb\n");
	put_file(d, "0000:00:16.0", "bdf=0000:00:16.0\nid=8086:15bb\n");
	assert_int_equal(chmod(unit_path(d->root, "state/devices/0000:00:16.0", path), 0666), 0);
	unit_symlink(d->root, "state/devices/0000:00:02.0", "0000:00:1f.6");

	assert_int_equal(journal_get_why(j, "0000:00:02.0", &rec, why, sizeof(why)), -ELOOP);
	assert_string_equal(why, "it is a symbolic link");
	assert_int_equal(journal_get_why(j, "0000:00:14.0", &rec, why, sizeof(why)), -EBADMSG);
	assert_string_equal(why, "it is not a pcibind record (bad line 'garbage')");
	assert_int_equal(journal_get_why(j, "0000:00:17.0", &rec, why, sizeof(why)), -EBADMSG);
	assert_string_equal(why, "it names another function (bdf=0000:00:1f.6)");
	assert_int_equal(journal_get_why(j, "0000:00:16.0", &rec, why, sizeof(why)), -EPERM);
	assert_string_equal(why, "it is writable by group or others (mode 0666)");
	assert_int_equal(journal_get_why(j, "0000:00:1d.0", &rec, why, sizeof(why)), -ENOENT);

	assert_int_equal(journal_record_path(j, "0000:00:02.0", file, sizeof(file)), 0);
	assert_string_equal(file, unit_path(d->root, "state/devices/0000:00:02.0", path));

	/* listed with the reason, not hidden and not silently "stranded" */
	assert_int_equal(journal_list(j, &v, &n), 0);
	assert_int_equal(n, 5);
	assert_string_equal(v[0].bdf, "0000:00:02.0");
	assert_string_equal(v[0].bad, "it is a symbolic link");
	assert_string_equal(v[1].bdf, "0000:00:14.0");
	assert_true(v[1].stranded);
	assert_non_null(strstr(v[1].bad, "garbage"));
	assert_string_equal(v[4].bdf, "0000:00:1f.6");
	assert_string_equal(v[4].bad, "");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, unit_setup_dir, unit_teardown_dir)
	const struct CMUnitTest tests[] = {
		T(test_round_trip_path),
		cmocka_unit_test(test_check_device),
		cmocka_unit_test(test_parse_requires_id),
		T(test_untrusted_files_named),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}

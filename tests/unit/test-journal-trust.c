/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for journal.c (trust): records checked against the device, and files nobody should trust. */
#include "unit.h"

#include "journal.h"
#include "macro.h"
#include "pcidev.h"
#include "record.h"

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

/*
 * Only a function's full address names a record: "00:14.0" is listed under
 * its own name (never as 0000:00:14.0) and the sweep removes it by that
 * name. A record whose header says a newer pcibind wrote it is unusable
 * here, named so, and kept.
 */
static void test_names_and_versions(void **state)
{
	static const char newer[] = "# pcibind device record v2\nbdf=0000:00:1f.6\nid=8086:15bb\n"
				    "shiny=1\n";
	struct unit_dir *d = *state;
	_cleanup_(journal_closep) struct journal *j = open_state(d);
	_cleanup_free_ struct journal_device *v = NULL;
	_cleanup_strv_free_ char **cleared = NULL;
	struct pcidev_list none = { 0 };
	struct journal_device rec;
	const char *e = NULL;
	char why[RECORD_WHY_MAX], path[PATH_MAX];
	size_t n = 0;

	put_file(d, "00:14.0", "bdf=0000:00:14.0\nid=8086:a36d\n");
	put_file(d, "0000:00:14.00", "bdf=0000:00:14.0\nid=8086:a36d\n");
	put_file(d, "notes", "x\n");
	put_file(d, "0000:00:1f.6", newer);
	put_file(d, "0000:00:1d.0", "# pcibind device record v1\nbdf=0000:00:1d.0\nid=8086:2934\n");

	assert_int_equal(journal_parse_device(newer, &rec, &e), -EPROTONOSUPPORT);
	assert_string_equal(e, "device record v2");
	assert_int_equal(journal_get_why(j, "0000:00:1f.6", &rec, why, sizeof(why)),
			 -EPROTONOSUPPORT);
	assert_string_equal(why, "a newer pcibind wrote it (device record v2; this one reads v1)");
	assert_int_equal(journal_get_why(j, "0000:00:1d.0", &rec, why, sizeof(why)), 0);
	assert_int_equal(journal_get_why(j, "0000:00:14.0", &rec, why, sizeof(why)), -ENOENT);

	assert_int_equal(journal_list(j, &v, &n), 0);
	assert_int_equal(n, 5);
	/* the three that are no record's, under their own names, first */
	assert_string_equal(v[0].bdf, "");
	assert_string_equal(v[0].file, "0000:00:14.00");
	assert_string_equal(v[1].bdf, "");
	assert_string_equal(v[1].file, "00:14.0");
	assert_non_null(strstr(v[1].bad, "its name is not a record's"));
	assert_string_equal(v[2].file, "notes");
	assert_string_equal(v[3].bdf, "0000:00:1d.0");
	assert_string_equal(v[3].bad, "");
	assert_string_equal(v[4].bdf, "0000:00:1f.6");
	assert_true(v[4].newer);
	assert_non_null(strstr(v[4].bad, "a newer pcibind wrote it"));
	for (size_t i = 0; i < n; i++)
		assert_string_not_equal(v[i].bdf, "0000:00:14.0");

	/* recover's sweep: the misnamed ones go, by their names; the newer one stays */
	assert_int_equal(record_sweep(j, &none, false, &cleared), 4);
	assert_non_null(strstr(cleared[1], "/devices/00:14.0: its name is not a record's"));
	assert_false(unit_exists(d->root, "state/devices/00:14.0"));
	assert_false(unit_exists(d->root, "state/devices/0000:00:14.00"));
	assert_false(unit_exists(d->root, "state/devices/notes"));
	assert_true(unit_exists(d->root, "state/devices/0000:00:1f.6"));
	/* 0000:00:1d.0: its function is gone (the list is empty) */
	assert_false(unit_exists(d->root, "state/devices/0000:00:1d.0"));
	/* and a change is refused with the file named */
	assert_int_equal(record_check(j, &none, "0000:00:1f.6", &rec, why, sizeof(why)),
			 -EPROTONOSUPPORT);
	assert_non_null(strstr(why, unit_path(d->root, "state/devices/0000:00:1f.6", path)));
	assert_non_null(strstr(why, "a newer pcibind wrote it"));
	assert_non_null(strstr(why, "neither act on it nor remove it"));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, unit_setup_dir, unit_teardown_dir)
	const struct CMUnitTest tests[] = {
		T(test_round_trip_path),
		cmocka_unit_test(test_check_device),
		cmocka_unit_test(test_parse_requires_id),
		T(test_untrusted_files_named),
		T(test_names_and_versions),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}

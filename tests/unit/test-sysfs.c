/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for sysfs.c, the gateway: names, reads, links, listings and writes in a temp root. */
#include "unit.h"

#include "macro.h"
#include "sysfs.h"

struct fixture {
	struct unit_dir dir;
	struct sysfs *s;
};

static int setup(void **state)
{
	struct fixture *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	unit_dir_init(&t->dir);
	if (sysfs_open(t->dir.root, &t->s) < 0) {
		unit_dir_done(&t->dir);
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *t = *state;

	sysfs_close(t->s);
	unit_dir_done(&t->dir);
	free(t);
	return 0;
}

static void test_valid_name(void **state)
{
	char longest[NAME_MAX + 1], too_long[NAME_MAX + 2];

	(void)state;
	memset(longest, 'a', NAME_MAX);
	longest[NAME_MAX] = '\0';
	memset(too_long, 'a', NAME_MAX + 1);
	too_long[NAME_MAX + 1] = '\0';

	assert_true(sysfs_valid_name("0000:00:1d.0"));
	assert_true(sysfs_valid_name("vfio-pci"));
	assert_true(sysfs_valid_name("..."));
	assert_true(sysfs_valid_name(longest));

	assert_false(sysfs_valid_name(NULL));
	assert_false(sysfs_valid_name(""));
	assert_false(sysfs_valid_name("."));
	assert_false(sysfs_valid_name(".."));
	assert_false(sysfs_valid_name("a/b"));
	assert_false(sysfs_valid_name("/"));
	assert_false(sysfs_valid_name("../x"));
	assert_false(sysfs_valid_name("a b"));
	assert_false(sysfs_valid_name("a\nb"));
	assert_false(sysfs_valid_name("\t"));
	assert_false(sysfs_valid_name("a\x7f"));
	assert_false(sysfs_valid_name("a\x1b[0m"));
	assert_false(sysfs_valid_name(too_long));
}

static void test_open_errors(void **state)
{
	struct fixture *t = *state;
	struct sysfs *s = (struct sysfs *)&s; /* a value sysfs_open must not replace */
	char path[PATH_MAX];

	assert_int_equal(sysfs_open(unit_path(t->dir.root, "missing", path), &s), -ENOENT);
	assert_ptr_equal(s, (struct sysfs *)&s);

	unit_write_str(t->dir.root, "file", "x");
	assert_int_equal(sysfs_open(unit_path(t->dir.root, "file", path), &s), -ENOTDIR);
	assert_ptr_equal(s, (struct sysfs *)&s);

	assert_null(sysfs_close(NULL));
}

static void test_root(void **state)
{
	struct fixture *t = *state;

	assert_string_equal(sysfs_root(t->s), t->dir.root);
	assert_false(sysfs_is_default_root(t->s));
}

static void test_default_root(void **state)
{
	struct sysfs *s = NULL;

	(void)state;
	/* Opening (O_PATH) the real /sys is a read-only operation. */
	if (access(sysfs_default_root, F_OK) < 0)
		skip();
	assert_int_equal(sysfs_open(sysfs_default_root, &s), 0);
	assert_true(sysfs_is_default_root(s));
	sysfs_close(s);
}

static void test_forbid_real_sysfs(void **state)
{
	struct fixture *t = *state;
	struct sysfs *s = NULL;

	if (access(sysfs_default_root, F_OK) < 0)
		skip();
	/*
	 * With PCIBIND_FORBID_REAL_SYSFS set, a gateway on the real /sys refuses
	 * every write. The probe names no attribute and nothing is created
	 * (no O_CREAT), so even a broken guard could not change the host.
	 */
	setenv("PCIBIND_FORBID_REAL_SYSFS", "1", 1);
	assert_int_equal(sysfs_open(sysfs_default_root, &s), 0);
	unsetenv("PCIBIND_FORBID_REAL_SYSFS");
	assert_int_equal(sysfs_write(s, "pcibind-unit-no-such-attribute", "1"), -EROFS);
	sysfs_close(s);

	/* A fixture root is not affected by the variable. */
	setenv("PCIBIND_FORBID_REAL_SYSFS", "1", 1);
	assert_int_equal(sysfs_open(t->dir.root, &s), 0);
	unsetenv("PCIBIND_FORBID_REAL_SYSFS");
	unit_write_str(t->dir.root, "attr", "");
	assert_int_equal(sysfs_write(s, "attr", "1"), 0);
	sysfs_close(s);
}

static void test_read_attr_strips_newline(void **state)
{
	struct fixture *t = *state;
	char buf[64];

	unit_write_str(t->dir.root, "d/vendor", "0x8086\n");
	assert_int_equal(sysfs_read_attr(t->s, buf, sizeof(buf), "d/%s", "vendor"), 6);
	assert_string_equal(buf, "0x8086");

	/* No newline at all, and a trailing NUL (some attributes print one). */
	unit_write_str(t->dir.root, "d/plain", "abc");
	assert_int_equal(sysfs_read_attr(t->s, buf, sizeof(buf), "d/plain"), 3);
	assert_string_equal(buf, "abc");
	unit_write(t->dir.root, "d/nul", "abc\n", 5);
	assert_int_equal(sysfs_read_attr(t->s, buf, sizeof(buf), "d/nul"), 3);
	assert_string_equal(buf, "abc");

	/* Only trailing newlines go; inner ones stay. */
	unit_write_str(t->dir.root, "d/slots", "0000:00:1d.0\n0000:00:1d.1\n");
	assert_int_equal(sysfs_read_attr(t->s, buf, sizeof(buf), "d/slots"), 25);
	assert_string_equal(buf, "0000:00:1d.0\n0000:00:1d.1");

	unit_write_str(t->dir.root, "d/empty", "\n");
	assert_int_equal(sysfs_read_attr(t->s, buf, sizeof(buf), "d/empty"), 0);
	assert_string_equal(buf, "");
}

static void test_read_attr_too_big(void **state)
{
	struct fixture *t = *state;
	char buf[8];

	unit_write_str(t->dir.root, "big", "0123456789\n");
	assert_int_equal(sysfs_read_attr(t->s, buf, sizeof(buf), "big"), -EFBIG);
	assert_int_equal(sysfs_read_attr(t->s, buf, 1, "big"), -EINVAL);
}

/* A value that fits BUF once its newline is gone must be accepted. */
static void test_read_attr_exact_fit(void **state)
{
	struct fixture *t = *state;
	char buf[4];

	unit_write_str(t->dir.root, "abc", "abc\n");
	assert_int_equal(sysfs_read_attr(t->s, buf, sizeof(buf), "abc"), 3);
	assert_string_equal(buf, "abc");
}

/* The kernel fills attributes up to PAGE_SIZE: 4095 characters and the newline. */
static void test_read_attr_alloc_full_page(void **state)
{
	struct fixture *t = *state;
	char page[4096];
	char *v = NULL;

	memset(page, 'x', sizeof(page));
	page[sizeof(page) - 1] = '\n';
	unit_write(t->dir.root, "page", page, sizeof(page));
	assert_int_equal(sysfs_read_attr_alloc(t->s, &v, "page"), 0);
	assert_non_null(v);
	assert_int_equal(strlen(v), 4095);
	free(v);
}

static void test_read_attr_embedded_nul(void **state)
{
	struct fixture *t = *state;
	char buf[64];
	char *v = NULL;

	unit_write(t->dir.root, "nul", "ab\0cd\n", 6);
	assert_int_equal(sysfs_read_attr(t->s, buf, sizeof(buf), "nul"), -EBADMSG);
	assert_int_equal(sysfs_read_attr_alloc(t->s, &v, "nul"), -EBADMSG);
	assert_null(v);
}

static void test_read_attr_paths(void **state)
{
	struct fixture *t = *state;
	char buf[64], abs[PATH_MAX];
	char *v = NULL;

	unit_write_str(t->dir.root, "x", "secret\n");
	assert_int_equal(sysfs_read_attr(t->s, buf, sizeof(buf), "missing"), -ENOENT);
	assert_int_equal(sysfs_read_attr(t->s, buf, sizeof(buf), "missing/x"), -ENOENT);
	/* An absolute path would escape the root: refused, even if it names a real file. */
	assert_int_equal(sysfs_read_attr(t->s, buf, sizeof(buf), "%s",
					 unit_path(t->dir.root, "x", abs)),
			 -EINVAL);
	assert_int_equal(sysfs_read_attr(t->s, buf, sizeof(buf), "%s", ""), -EINVAL);
	assert_int_equal(sysfs_read_attr_alloc(t->s, &v, "%s", abs), -EINVAL);
	assert_null(v);
	assert_false(sysfs_exists(t->s, "%s", abs));
}

static void test_read_attr_alloc(void **state)
{
	struct fixture *t = *state;
	char *v = NULL;

	unit_write_str(t->dir.root, "bus/pci/devices/0000:00:1d.0/modalias",
		       "pci:v00008086d00002934sv00001AF4sd00001100bc0Csc03i00\n");
	assert_int_equal(sysfs_read_attr_alloc(t->s, &v, "bus/pci/devices/%s/modalias",
					       "0000:00:1d.0"),
			 0);
	assert_string_equal(v, "pci:v00008086d00002934sv00001AF4sd00001100bc0Csc03i00");
	free(v);

	v = NULL;
	assert_int_equal(sysfs_read_attr_alloc(t->s, &v, "nothing"), -ENOENT);
	assert_null(v);
}

static void test_read_u64(void **state)
{
	struct fixture *t = *state;
	uint64_t v = 42;

	unit_write_str(t->dir.root, "dec", "32902\n");
	assert_int_equal(sysfs_read_u64(t->s, &v, "dec"), 0);
	assert_int_equal(v, 32902);

	unit_write_str(t->dir.root, "hex", "0x8086\n");
	assert_int_equal(sysfs_read_u64(t->s, &v, "hex"), 0);
	assert_int_equal(v, 0x8086);

	unit_write_str(t->dir.root, "class", "0x0c0300\n");
	assert_int_equal(sysfs_read_u64(t->s, &v, "class"), 0);
	assert_int_equal(v, 0x0c0300);

	unit_write_str(t->dir.root, "zero", "0\n");
	assert_int_equal(sysfs_read_u64(t->s, &v, "zero"), 0);
	assert_int_equal(v, 0);

	unit_write_str(t->dir.root, "max", "18446744073709551615\n");
	assert_int_equal(sysfs_read_u64(t->s, &v, "max"), 0);
	assert_true(v == UINT64_MAX);
}

static void test_read_u64_garbage(void **state)
{
	static const char *const garbage[] = {
		"abc\n", "12abc\n", "0x\n", "0xzz\n", "1 2\n", "\n", "",
		"18446744073709551616\n", /* 2^64 */
	};
	struct fixture *t = *state;

	for (size_t i = 0; i < ELEMENTSOF(garbage); i++) {
		uint64_t v = 42;
		int r;

		unit_write_str(t->dir.root, "g", garbage[i]);
		r = sysfs_read_u64(t->s, &v, "g");
		if (r != -EBADMSG)
			fail_msg("read_u64 of \"%s\" = %d, expected -EBADMSG", garbage[i], r);
		assert_int_equal(v, 42);
	}
	assert_int_equal(sysfs_read_u64(t->s, &(uint64_t){ 0 }, "missing"), -ENOENT);
}

/* strtoull() takes "-1" as 2^64-1; a u64 attribute that prints a minus sign is not a u64. */
static void test_read_u64_negative(void **state)
{
	struct fixture *t = *state;
	uint64_t v = 42;

	unit_write_str(t->dir.root, "numa_node", "-1\n");
	assert_int_equal(sysfs_read_u64(t->s, &v, "numa_node"), -EBADMSG);
	assert_int_equal(v, 42);
}

static void test_read_bin(void **state)
{
	struct fixture *t = *state;
	uint8_t config[64], back[256];

	for (size_t i = 0; i < sizeof(config); i++)
		config[i] = (uint8_t)(i * 7); /* includes NUL bytes */
	unit_write(t->dir.root, "config", config, sizeof(config));

	assert_int_equal(sysfs_read_bin(t->s, back, sizeof(back), "config"), 64);
	assert_memory_equal(back, config, sizeof(config));
	assert_int_equal(sysfs_read_bin(t->s, back, 16, "config"), 16);
	assert_memory_equal(back, config, 16);
	assert_int_equal(sysfs_read_bin(t->s, back, sizeof(back), "nope"), -ENOENT);
}

static void test_read_link(void **state)
{
	struct fixture *t = *state;
	char buf[PATH_MAX], small[4];

	unit_mkdirs(t->dir.root, "bus/pci/drivers/e1000e");
	unit_symlink(t->dir.root, "devices/pci0000:00/0000:00:1c.0/0000:02:00.0/driver",
		     "../../../../bus/pci/drivers/e1000e");

	assert_int_equal(sysfs_read_link_name(t->s, buf, sizeof(buf),
					      "devices/pci0000:00/0000:00:1c.0/%s/driver",
					      "0000:02:00.0"),
			 6);
	assert_string_equal(buf, "e1000e");

	assert_int_equal(sysfs_read_link(t->s, buf, sizeof(buf),
					 "devices/pci0000:00/0000:00:1c.0/0000:02:00.0/driver"),
			 34);
	assert_string_equal(buf, "../../../../bus/pci/drivers/e1000e");

	/* A target without a slash is its own last component. */
	unit_symlink(t->dir.root, "plain", "e1000e");
	assert_int_equal(sysfs_read_link_name(t->s, buf, sizeof(buf), "plain"), 6);
	assert_string_equal(buf, "e1000e");

	/* Too small for the name, a link ending in '/', not a link, not there. */
	assert_int_equal(sysfs_read_link_name(t->s, small, sizeof(small), "plain"),
			 -ENAMETOOLONG);
	assert_int_equal(sysfs_read_link(t->s, small, sizeof(small), "plain"), -ENAMETOOLONG);
	unit_symlink(t->dir.root, "slash", "../x/");
	assert_int_equal(sysfs_read_link_name(t->s, buf, sizeof(buf), "slash"), -EBADMSG);
	assert_int_equal(sysfs_read_link_name(t->s, buf, sizeof(buf), "bus/pci"), -EINVAL);
	assert_int_equal(sysfs_read_link_name(t->s, buf, sizeof(buf), "none"), -ENOENT);
}

static void test_exists(void **state)
{
	struct fixture *t = *state;

	unit_write_str(t->dir.root, "d/reset", "");
	unit_symlink(t->dir.root, "d/dangling", "../nowhere");

	assert_true(sysfs_exists(t->s, "d"));
	assert_true(sysfs_exists(t->s, "d/reset"));
	assert_true(sysfs_exists(t->s, "d/dangling")); /* the link itself is there */
	assert_false(sysfs_exists(t->s, "d/missing"));
	assert_false(sysfs_exists(t->s, "%s", ""));
}

static void test_list_dir(void **state)
{
	static const char *const names[] = { "virtfn9", "b", "virtfn10", "a", "0000:00:1d.0" };
	struct fixture *t = *state;
	char **v = NULL;
	char rel[64];

	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		snprintf(rel, sizeof(rel), "dir/%s", names[i]);
		unit_write_str(t->dir.root, rel, "");
	}
	unit_mkdirs(t->dir.root, "dir/sub");

	assert_int_equal(sysfs_list_dir(t->s, &v, "dir"), 6);
	/* Sorted by name (strcmp), "." and ".." left out, NULL-terminated. */
	assert_string_equal(v[0], "0000:00:1d.0");
	assert_string_equal(v[1], "a");
	assert_string_equal(v[2], "b");
	assert_string_equal(v[3], "sub");
	assert_string_equal(v[4], "virtfn10");
	assert_string_equal(v[5], "virtfn9");
	assert_null(v[6]);
	strv_free(v);
}

static void test_list_dir_empty_and_errors(void **state)
{
	struct fixture *t = *state;
	char **v = NULL;

	unit_mkdirs(t->dir.root, "empty");
	assert_int_equal(sysfs_list_dir(t->s, &v, "empty"), 0);
	assert_non_null(v);
	assert_null(v[0]);
	strv_free(v);

	v = NULL;
	assert_int_equal(sysfs_list_dir(t->s, &v, "missing"), -ENOENT);
	assert_null(v);
	unit_write_str(t->dir.root, "file", "");
	assert_int_equal(sysfs_list_dir(t->s, &v, "file"), -ENOTDIR);
	assert_null(v);
	assert_int_equal(sysfs_list_dir(t->s, &v, "%s", "/"), -EINVAL);
	assert_null(v);
}

static void test_write_attr(void **state)
{
	struct fixture *t = *state;
	char buf[64];

	/* Write-only attributes exist empty (mode 0200 in fixtures). */
	unit_write_str(t->dir.root, "bus/pci/drivers/e1000e/unbind", "");
	assert_int_equal(sysfs_write(t->s, "bus/pci/drivers/e1000e/unbind", "0000:02:00.0"), 0);
	unit_read(t->dir.root, "bus/pci/drivers/e1000e/unbind", buf, sizeof(buf));
	assert_string_equal(buf, "0000:02:00.0");
}

/* The value replaces the attribute, as it does in the kernel: nothing of the old content stays. */
static void test_write_attr_replaces(void **state)
{
	struct fixture *t = *state;
	char buf[64];

	unit_write_str(t->dir.root, "driver_override", "vfio-pci\n");
	assert_int_equal(sysfs_write(t->s, "driver_override", "\n"), 0);
	unit_read(t->dir.root, "driver_override", buf, sizeof(buf));
	assert_string_equal(buf, "\n");
}

static void test_write_attr_errors(void **state)
{
	struct fixture *t = *state;
	char abs[PATH_MAX], buf[64];

	/* A missing attribute is not created. */
	assert_int_equal(sysfs_write(t->s, "bus/pci/rescan", "1"), -ENOENT);
	assert_false(unit_exists(t->dir.root, "bus/pci/rescan"));

	/* An absolute or empty path is refused before anything is opened. */
	unit_write_str(t->dir.root, "target", "old");
	assert_int_equal(sysfs_write(t->s, unit_path(t->dir.root, "target", abs), "new"),
			 -EINVAL);
	assert_int_equal(sysfs_write(t->s, "", "new"), -EINVAL);
	unit_read(t->dir.root, "target", buf, sizeof(buf));
	assert_string_equal(buf, "old");

	/* The final component is never followed: sysfs attributes are not links. */
	unit_symlink(t->dir.root, "link", "target");
	assert_int_equal(sysfs_write(t->s, "link", "new"), -ELOOP);
	unit_read(t->dir.root, "target", buf, sizeof(buf));
	assert_string_equal(buf, "old");

	/* A directory is not an attribute. */
	unit_mkdirs(t->dir.root, "dir");
	assert_int_equal(sysfs_write(t->s, "dir", "x"), -EISDIR);
}


/*
 * A sysfs root SYS inside the test directory, with the kernel's own kind of
 * relative links (they stay inside), and a decoy folder beside it that
 * links lead out to. Nothing here touches the real /sys.
 */
static struct sysfs *confined_tree(struct fixture *t, char *sys)
{
	char decoy[PATH_MAX];
	struct sysfs *s = NULL;

	unit_mkdirs(t->dir.root, "sys");
	unit_path(t->dir.root, "sys", sys);
	unit_write_str(sys, "devices/pci0000:00/0000:00:1f.6/vendor", "0x8086\n");
	unit_symlink(sys, "devices/pci0000:00/0000:00:1f.6/driver",
		     "../../../bus/pci/drivers/e1000e");
	unit_symlink(sys, "bus/pci/devices/0000:00:1f.6", "../../../devices/pci0000:00/0000:00:1f.6");
	unit_write_str(sys, "bus/pci/drivers/e1000e/unbind", "");
	/* the decoy, outside the root */
	unit_write_str(t->dir.root, "decoy/unbind", "");
	unit_write_str(t->dir.root, "decoy/vendor", "0x8086\n");
	unit_symlink(t->dir.root, "decoy/inner", "unbind");
	/* a driver folder that is a relative link out of the root */
	unit_symlink(sys, "bus/pci/drivers/evil", "../../../../decoy");
	/* an absolute one */
	unit_symlink(sys, "bus/pci/drivers/abs", unit_path(t->dir.root, "decoy", decoy));
	/* a device whose own driver link leads out, reached through an inside link */
	unit_write_str(sys, "devices/pci0000:00/0000:00:1f.7/vendor", "0x8086\n");
	unit_symlink(sys, "devices/pci0000:00/0000:00:1f.7/driver", "../../../../decoy");
	unit_symlink(sys, "bus/pci/devices/0000:00:1f.7", "../../../devices/pci0000:00/0000:00:1f.7");
	/* a link that goes up and comes back in is inside */
	unit_symlink(sys, "bus/pci/drivers/roundtrip", "../../../../sys/bus/pci/drivers/e1000e");
	assert_int_equal(sysfs_open(sys, &s), 0);
	return s;
}

static void check_confined(struct fixture *t)
{
	char sys[PATH_MAX], buf[64];
	struct sysfs *s = confined_tree(t, sys), *sub = NULL;
	char **v = NULL;

	/* The kernel's relative links stay inside the root: they work. */
	assert_int_equal(sysfs_read_attr(s, buf, sizeof(buf), "bus/pci/devices/0000:00:1f.6/vendor"),
			 6);
	assert_int_equal(sysfs_write(s, "bus/pci/devices/0000:00:1f.6/driver/unbind", "0000:00:1f.6"),
			 0);
	unit_read(sys, "bus/pci/drivers/e1000e/unbind", buf, sizeof(buf));
	assert_string_equal(buf, "0000:00:1f.6");
	assert_int_equal(sysfs_read_link_name(s, buf, sizeof(buf),
					      "bus/pci/devices/0000:00:1f.6/driver"),
			 6);
	assert_string_equal(buf, "e1000e");
	assert_true(sysfs_exists(s, "bus/pci/devices/0000:00:1f.6/driver/unbind"));
	assert_int_equal(sysfs_open_sub(s, &sub, "bus/pci/devices/0000:00:1f.6"), 0);
	assert_int_equal(sysfs_read_attr(sub, buf, sizeof(buf), "vendor"), 6);
	/* a device gateway keeps its own root: its driver link climbs out of it */
	assert_int_equal(sysfs_write(sub, "driver/unbind", "x"), -EXDEV);
	sysfs_close(sub);

	/* A link out of the root is an error that names it; the decoy stays empty. */
	assert_int_equal(sysfs_write(s, "bus/pci/drivers/evil/unbind", "0000:00:1f.6"), -EXDEV);
	assert_string_equal(sysfs_escape(), "bus/pci/drivers/evil");
	assert_int_equal(sysfs_write(s, "bus/pci/drivers/abs/unbind", "0000:00:1f.6"), -EXDEV);
	assert_string_equal(sysfs_escape(), "bus/pci/drivers/abs");
	assert_int_equal(sysfs_write(s, "bus/pci/devices/0000:00:1f.7/driver/unbind", "x"), -EXDEV);
	assert_string_equal(sysfs_escape(), "devices/pci0000:00/0000:00:1f.7/driver");
	assert_int_equal(sysfs_write(s, "../decoy/unbind", "x"), -EXDEV);
	assert_int_equal(sysfs_write(s, "bus/../../decoy/unbind", "x"), -EXDEV);
	assert_int_equal(sysfs_write(s, "bus/pci/drivers/roundtrip/unbind", "x"), -EXDEV);
	unit_read(t->dir.root, "decoy/unbind", buf, sizeof(buf));
	assert_string_equal(buf, "");

	/* Reads through it fail the same way: nothing outside is believed. */
	assert_int_equal(sysfs_read_attr(s, buf, sizeof(buf), "bus/pci/drivers/evil/vendor"), -EXDEV);
	assert_int_equal(sysfs_read_attr(s, buf, sizeof(buf), "bus/pci/drivers/abs/vendor"), -EXDEV);
	assert_int_equal(sysfs_list_dir(s, &v, "bus/pci/drivers/evil"), -EXDEV);
	assert_null(v);
	assert_false(sysfs_exists(s, "bus/pci/drivers/evil/unbind"));
	assert_int_equal(sysfs_read_link(s, buf, sizeof(buf), "bus/pci/drivers/evil/inner"), -EXDEV);
	assert_int_equal(sysfs_open_sub(s, &sub, "bus/pci/drivers/evil"), -EXDEV);
	/* The link itself may be read: that is not following it. */
	assert_int_equal(sysfs_read_link_name(s, buf, sizeof(buf), "bus/pci/drivers/evil"), 5);
	assert_string_equal(buf, "decoy");
	assert_true(sysfs_exists(s, "bus/pci/drivers/evil"));
	assert_false(sysfs_is_dir(s, "bus/pci/drivers/evil"));

	/* Inside the root, "." and ".." resolve as usual. */
	assert_int_equal(sysfs_write(s, "bus/./pci/../pci/drivers/e1000e/unbind", "y"), 0);
	assert_int_equal(sysfs_list_dir(s, &v, "bus/pci/drivers/e1000e/.."), 4);
	strv_free(v);
	assert_int_equal(sysfs_write(s, "bus/pci/drivers/e1000e/nothing", "y"), -ENOENT);
	assert_int_equal(sysfs_write(s, "bus/pci/drivers/e1000e/unbind/x", "y"), -ENOTDIR);
	sysfs_close(s);
}

static void test_confined_openat2(void **state)
{
	sysfs_use_openat2(true);
	check_confined(*state);
}

/* The same with the component walker that kernels before 5.6 get. */
static void test_confined_walker(void **state)
{
	sysfs_use_openat2(false);
	check_confined(*state);
	sysfs_use_openat2(true);
}

/* Symlink loops end, in both resolvers. */
static void test_confined_loop(void **state)
{
	struct fixture *t = *state;
	char buf[8];

	unit_symlink(t->dir.root, "a", "b");
	unit_symlink(t->dir.root, "b", "a");
	for (int i = 0; i < 2; i++) {
		sysfs_use_openat2(i == 0);
		assert_int_equal(sysfs_read_attr(t->s, buf, sizeof(buf), "a/x"), -ELOOP);
	}
	sysfs_use_openat2(true);
}

/*
 * With PCIBIND_FORBID_REAL_SYSFS, a write that would land on this system's
 * sysfs is refused even when the root is not /sys itself. The attribute is
 * read-only (0444): without the rule the kernel says EACCES, so the probe
 * cannot change the host either way.
 */
static void test_forbid_lands_on_sysfs(void **state)
{
	struct sysfs *s = NULL, *sub = NULL;
	char sub_root[PATH_MAX];

	(void)state;
	snprintf(sub_root, sizeof(sub_root), "%s/kernel", sysfs_default_root);
	if (access(sub_root, F_OK) < 0)
		skip();
	setenv("PCIBIND_FORBID_REAL_SYSFS", "1", 1);
	assert_int_equal(sysfs_open(sub_root, &s), 0);
	unsetenv("PCIBIND_FORBID_REAL_SYSFS");
	assert_false(sysfs_is_default_root(s));
	assert_int_equal(sysfs_write(s, "uevent_seqnum", "1"), -EROFS);
	sysfs_close(s);

	setenv("PCIBIND_FORBID_REAL_SYSFS", "1", 1);
	assert_int_equal(sysfs_open(sysfs_default_root, &s), 0);
	unsetenv("PCIBIND_FORBID_REAL_SYSFS");
	assert_int_equal(sysfs_open_sub(s, &sub, "kernel"), 0);
	assert_int_equal(sysfs_write(sub, "uevent_seqnum", "1"), -EROFS);
	sysfs_close(sub);
	sysfs_close(s);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_name),
		T(test_open_errors),
		T(test_root),
		cmocka_unit_test(test_default_root),
		T(test_forbid_real_sysfs),
		T(test_read_attr_strips_newline),
		T(test_read_attr_too_big),
		T(test_read_attr_exact_fit),
		T(test_read_attr_alloc_full_page),
		T(test_read_attr_embedded_nul),
		T(test_read_attr_paths),
		T(test_read_attr_alloc),
		T(test_read_u64),
		T(test_read_u64_garbage),
		T(test_read_u64_negative),
		T(test_read_bin),
		T(test_read_link),
		T(test_exists),
		T(test_list_dir),
		T(test_list_dir_empty_and_errors),
		T(test_write_attr),
		T(test_write_attr_replaces),
		T(test_write_attr_errors),
		T(test_confined_openat2),
		T(test_confined_walker),
		T(test_confined_loop),
		cmocka_unit_test(test_forbid_lands_on_sysfs),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}

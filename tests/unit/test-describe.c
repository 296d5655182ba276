/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for describe.c (and the pciname.c lookups under it) against a tiny pci.ids. */
#include "unit.h"

#include <signal.h>
#include <sys/wait.h>

#include "describe.h"
#include "pcidev.h"
#include "pciname.h"

static const char pci_ids[] =
	"# a tiny pci.ids for the unit tests\n"
	"1af4  Red Hat, Inc.\n"
	"8086  Intel Corporation\n"
	"\t2934  82801I (ICH9 Family) USB UHCI Controller #1\n"
	"\t\t1af4 1100  QEMU Virtual Machine\n"
	"\n"
	"C 0c  Serial bus controller\n"
	"\t03  USB controller\n"
	"\t\t00  UHCI\n"
	"\t\t20  EHCI\n";

struct fixture {
	struct unit_dir dir;
	struct pciname *names;
};

static int setup(void **state)
{
	struct fixture *t = calloc(1, sizeof(*t));
	char path[PATH_MAX];

	if (!t)
		return -1;
	unit_dir_init(&t->dir);
	unit_write_str(t->dir.root, "pci.ids", pci_ids);
	if (pciname_new(unit_path(t->dir.root, "pci.ids", path), &t->names) < 0) {
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

	pciname_free(t->names);
	unit_dir_done(&t->dir);
	free(t);
	return 0;
}

static struct pcidev uhci(uint16_t vendor, uint16_t device, uint32_t class, uint8_t rev)
{
	return (struct pcidev){
		.addr = { 0, 0, 0x1d, 0 }, .bdf = "0000:00:1d.0",
		.vendor = vendor, .device = device,
		.subsys_vendor = 0x1af4, .subsys_device = 0x1100,
		.class = class, .revision = rev,
	};
}

/* The one-line description of D. */
static const char *line_of(struct fixture *t, const struct pcidev *d, struct describe *names)
{
	static char buf[512];

	describe_device(t->names, d, names);
	assert_int_equal(describe_line(d, names, buf, sizeof(buf)), 0);
	return buf;
}

static void test_known_device(void **state)
{
	struct fixture *t = *state;
	struct pcidev d = uhci(0x8086, 0x2934, 0x0c0300, 0x03);
	struct describe n;

	assert_string_equal(line_of(t, &d, &n),
			    "USB controller [0c03]: Intel Corporation 82801I (ICH9 Family) USB "
			    "UHCI Controller #1 [8086:2934] (rev 03)");
	assert_string_equal(n.class_name, "USB controller");
	assert_string_equal(n.vendor_name, "Intel Corporation");
	assert_string_equal(n.device_name, "82801I (ICH9 Family) USB UHCI Controller #1");
	assert_string_equal(n.progif_name, "UHCI");
	assert_string_equal(n.subsys_vendor_name, "Red Hat, Inc.");
	assert_string_equal(n.subsys_device_name, "QEMU Virtual Machine");
}

static void test_revision_zero(void **state)
{
	struct fixture *t = *state;
	struct pcidev d = uhci(0x8086, 0x2934, 0x0c0320, 0x00);
	struct describe n;

	/* lspci leaves out "(rev 00)". */
	assert_string_equal(line_of(t, &d, &n),
			    "USB controller [0c03]: Intel Corporation 82801I (ICH9 Family) USB "
			    "UHCI Controller #1 [8086:2934]");
	assert_string_equal(n.progif_name, "EHCI");
}

static void test_unknown_device(void **state)
{
	struct fixture *t = *state;
	struct pcidev d = uhci(0x8086, 0xffff, 0x0c0300, 0x03);
	struct describe n;

	assert_string_equal(line_of(t, &d, &n),
			    "USB controller [0c03]: Intel Corporation Device [8086:ffff] (rev 03)");
	assert_string_equal(n.device_name, "");
	assert_string_equal(n.subsys_device_name, "");
}

static void test_unknown_vendor(void **state)
{
	struct fixture *t = *state;
	struct pcidev d = uhci(0xabcd, 0x1234, 0x0c0300, 0x01);
	struct describe n;

	assert_string_equal(line_of(t, &d, &n), "USB controller [0c03]: Device [abcd:1234] (rev 01)");
	assert_string_equal(n.vendor_name, "");
	assert_string_equal(n.device_name, "");
}

static void test_unknown_class(void **state)
{
	struct fixture *t = *state;
	struct pcidev d = uhci(0x8086, 0x2934, 0xff0000, 0x03);
	struct describe n;

	assert_string_equal(line_of(t, &d, &n),
			    "Class [ff00]: Intel Corporation 82801I (ICH9 Family) USB UHCI "
			    "Controller #1 [8086:2934] (rev 03)");
	assert_string_equal(n.class_name, "");
	assert_string_equal(n.progif_name, "");
}

static void test_base_class_only(void **state)
{
	struct fixture *t = *state;
	struct pcidev d = uhci(0xabcd, 0x1234, 0x0c8000, 0x00);
	struct describe n;

	/* libpci names the base class and appends " [0c80]"; the line must not say it twice. */
	assert_string_equal(line_of(t, &d, &n), "Serial bus controller [0c80]: Device [abcd:1234]");
	assert_string_equal(n.class_name, "Serial bus controller");
}

static void test_line_too_small(void **state)
{
	struct fixture *t = *state;
	struct pcidev d = uhci(0x8086, 0x2934, 0x0c0300, 0x03);
	static const char full[] = "USB controller [0c03]: Intel Corporation 82801I (ICH9 "
				   "Family) USB UHCI Controller #1 [8086:2934] (rev 03)";
	struct describe n;
	char buf[sizeof(full)];

	describe_device(t->names, &d, &n);
	assert_int_equal(describe_line(&d, &n, buf, 40), -ENOSPC);
	/* Room for everything but " (rev 03)", then for all but its last character. */
	assert_int_equal(describe_line(&d, &n, buf, sizeof(full) - 9), -ENOSPC);
	assert_int_equal(describe_line(&d, &n, buf, sizeof(full) - 1), -ENOSPC);
	assert_int_equal(describe_line(&d, &n, buf, sizeof(full)), 0);
	assert_string_equal(buf, full);
}

/*
 * pciname_lookup() caches by (vendor, device, subsystem, class): the same
 * tuple gives the same names without asking libpci again, a tuple that
 * differs in any one of them is looked up on its own, and the cache keeps
 * its answers across growth (hundreds of tuples).
 */
static void test_lookup_cache(void **state)
{
	struct fixture *t = *state;
	const struct pciname_set *a, *b, *c;
	char buf[256];

	assert_int_equal(pciname_lookup(t->names, 0x8086, 0x2934, 0x1af4, 0x1100, 0x0c0300, &a), 0);
	assert_string_equal(a->vendor, "Intel Corporation");
	assert_string_equal(a->device, "82801I (ICH9 Family) USB UHCI Controller #1");
	assert_string_equal(a->subsys_vendor, "Red Hat, Inc.");
	assert_string_equal(a->subsys_device, "QEMU Virtual Machine");
	assert_string_equal(a->class_name, "USB controller");
	assert_string_equal(a->progif, "UHCI");
	assert_int_equal(pciname_lookup(t->names, 0x8086, 0x2934, 0x1af4, 0x1100, 0x0c0300, &b), 0);
	assert_ptr_equal(a, b);
	/* Each key field counts. */
	assert_int_equal(pciname_lookup(t->names, 0x8086, 0x2934, 0x1af4, 0x1100, 0x0c0320, &c), 0);
	assert_string_equal(c->progif, "EHCI");
	assert_int_equal(pciname_lookup(t->names, 0x8086, 0x2934, 0x1af4, 0x1101, 0x0c0300, &c), 0);
	assert_null(c->subsys_device);
	assert_int_equal(pciname_lookup(t->names, 0x8086, 0x2935, 0x1af4, 0x1100, 0x0c0300, &c), 0);
	assert_null(c->device);
	assert_int_equal(pciname_lookup(t->names, 0x1af4, 0x2934, 0x1af4, 0x1100, 0x0c0300, &c), 0);
	assert_string_equal(c->vendor, "Red Hat, Inc.");
	assert_null(c->device);
	/* Many tuples: the cache grows, and every answer is still the uncached one. */
	for (unsigned int i = 0; i < 600; i++) {
		assert_int_equal(pciname_lookup(t->names, 0x8086, (uint16_t)i, 0x1af4, 0x1100,
						0x0c0300, &c), 0);
		assert_string_equal(c->vendor, "Intel Corporation");
		if (pciname_device(t->names, buf, sizeof(buf), 0x8086, (uint16_t)i))
			assert_string_equal(c->device, buf);
		else
			assert_null(c->device);
	}
	assert_int_equal(pciname_lookup(t->names, 0x8086, 0x2934, 0x1af4, 0x1100, 0x0c0300, &b), 0);
	assert_string_equal(b->device, "82801I (ICH9 Family) USB UHCI Controller #1");
	assert_string_equal(b->subsys_device, "QEMU Virtual Machine");
}

static void test_missing_ids_file(void **state)
{
	struct fixture *t = *state;
	struct pcidev d = uhci(0x8086, 0x2934, 0x0c0300, 0x03);
	struct pciname *names = NULL;
	struct describe n;
	char path[PATH_MAX], buf[256];

	/* No names at all: numbers only, no crash. */
	assert_int_equal(pciname_new(unit_path(t->dir.root, "missing.ids", path), &names), 0);
	describe_device(names, &d, &n);
	assert_int_equal(describe_line(&d, &n, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "Class [0c03]: Device [8086:2934] (rev 03)");
	pciname_free(names);
	assert_null(pciname_free(NULL));
}

/*
 * A damaged pci.ids must not take pcibind down: names are best-effort.
 * libpci reports a parse error through pci_access->error, which pciname_new()
 * leaves unset (NULL without pci_init()). Runs in a child to survive a crash.
 */
static void test_malformed_ids_file(void **state)
{
	struct fixture *t = *state;
	char path[PATH_MAX];
	int status;
	pid_t pid;

	unit_write_str(t->dir.root, "bad.ids", "8086  Intel Corporation\n\tzz  not hex\n");
	unit_path(t->dir.root, "bad.ids", path);

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct pcidev d = uhci(0x8086, 0x2934, 0x0c0300, 0x03);
		struct pciname *names = NULL;
		struct describe n;

		/* Die of the signal, not in cmocka's handler (which would go on running tests). */
		signal(SIGSEGV, SIG_DFL);
		signal(SIGABRT, SIG_DFL);
		if (pciname_new(path, &names) < 0)
			_exit(10);
		describe_device(names, &d, &n);
		pciname_free(names);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("describing with a malformed pci.ids %s %d",
			 WIFSIGNALED(status) ? "died of signal" : "exited with",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_known_device),
		T(test_revision_zero),
		T(test_unknown_device),
		T(test_unknown_vendor),
		T(test_unknown_class),
		T(test_base_class_only),
		T(test_line_too_small),
		T(test_missing_ids_file),
		T(test_lookup_cache),
		T(test_malformed_ids_file),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for kmodq.c: modalias lookups in a modules dir built by depmod in a temp dir. */
#include "unit.h"

#include <sys/wait.h>

#include "kmodq.h"
#include "macro.h"

#define KVER "0.0.0-t"
#define MODDIR "lib/modules/" KVER

/* Built-in modules' modinfo, NUL-terminated records, as the kernel build writes it. */
static const char modinfo[] =
	"e1000e.alias=pci:v00008086d000010D3sv*sd*bc*sc*i*\0"
	"e1000e.license=GPL\0"
	"igb_alt.alias=pci:v00008086d000010D3sv*sd*bc*sc*i*\0"
	"uhci_hcd.alias=pci:v*d*sv*sd*bc0Csc03i00*\0"
	"uhci_hcd.description=USB Universal Host Controller Interface driver\0";

#define E1000E_ALIAS "pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00"
#define UHCI_ALIAS "pci:v00008086d00002934sv00001AF4sd00001100bc0Csc03i00"
#define NO_ALIAS "pci:v0000ABCDd00001234sv00000000sd00000000bcFFsc00i00"

struct fixture {
	struct unit_dir dir;
	char modules_dir[PATH_MAX];
	struct kmodq *q;
};

/* Run depmod -b ROOT KVER quietly; false if depmod is not there. */
static bool run_depmod(const char *root)
{
	static const char *const paths[] = { "/sbin/depmod", "/usr/sbin/depmod", "/bin/depmod",
					     "/usr/bin/depmod" };
	const char *depmod = NULL;
	int status;
	pid_t pid;

	for (size_t i = 0; i < ELEMENTSOF(paths) && !depmod; i++)
		if (access(paths[i], X_OK) == 0)
			depmod = paths[i];
	if (!depmod)
		return false;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		execl(depmod, "depmod", "-b", root, KVER, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("%s -b %s " KVER " failed (status %d)", depmod, root, status);
	return true;
}

static int setup(void **state)
{
	struct fixture *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	unit_dir_init(&t->dir);
	unit_write(t->dir.root, MODDIR "/modules.builtin.modinfo", modinfo, sizeof(modinfo) - 1);
	unit_write_str(t->dir.root, MODDIR "/modules.order", "");
	unit_write_str(t->dir.root, MODDIR "/modules.builtin", "");
	unit_path(t->dir.root, MODDIR, t->modules_dir);
	/* Without depmod there is no index: each test then skips. */
	if (run_depmod(t->dir.root) && kmodq_new(t->modules_dir, &t->q) < 0) {
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

	kmodq_free(t->q);
	unit_dir_done(&t->dir);
	free(t);
	return 0;
}

static bool contains(char **v, const char *s)
{
	for (; v && *v; v++)
		if (streq(*v, s))
			return true;
	return false;
}

static void test_lookup_match(void **state)
{
	struct fixture *t = *state;
	char **mods = NULL, **blacklisted = NULL;

	if (!t->q)
		skip();
	assert_int_equal(kmodq_lookup(t->q, UHCI_ALIAS, &mods, &blacklisted), 1);
	assert_string_equal(mods[0], "uhci_hcd");
	assert_null(mods[1]);
	/* Nothing blacklists it (this test cannot point libkmod's modprobe.d elsewhere). */
	assert_non_null(blacklisted);
	assert_null(blacklisted[0]);
	strv_free(mods);
	strv_free(blacklisted);
}

static void test_lookup_two_modules(void **state)
{
	struct fixture *t = *state;
	char **mods = NULL;

	if (!t->q)
		skip();
	/* RET_BLACKLISTED is optional. */
	assert_int_equal(kmodq_lookup(t->q, E1000E_ALIAS, &mods, NULL), 2);
	assert_true(contains(mods, "e1000e"));
	assert_true(contains(mods, "igb_alt"));
	assert_false(contains(mods, "uhci_hcd"));
	assert_null(mods[2]);
	strv_free(mods);
}

static void test_lookup_no_match(void **state)
{
	struct fixture *t = *state;
	char **mods = NULL, **blacklisted = NULL;

	if (!t->q)
		skip();
	assert_int_equal(kmodq_lookup(t->q, NO_ALIAS, &mods, &blacklisted), 0);
	assert_non_null(mods);
	assert_null(mods[0]);
	assert_non_null(blacklisted);
	assert_null(blacklisted[0]);
	strv_free(mods);
	strv_free(blacklisted);
}

static void test_load_needs_permission(void **state)
{
	struct fixture *t = *state;

	if (!t->q)
		skip();
	/* Never reaches libkmod here (and the name exists nowhere, so nothing could load). */
	assert_int_equal(kmodq_load(t->q, "pcibind_unit_no_such_module"), -EOPNOTSUPP);
	kmodq_allow_load(t->q, false);
	assert_int_equal(kmodq_load(t->q, "pcibind_unit_no_such_module"), -EOPNOTSUPP);
	assert_int_equal(kmodq_load(NULL, "pcibind_unit_no_such_module"), -EOPNOTSUPP);
}

static void test_missing_dir(void **state)
{
	struct fixture *t = *state;
	struct kmodq *q = (struct kmodq *)&q;
	char path[PATH_MAX];

	assert_int_equal(kmodq_new(unit_path(t->dir.root, "lib/modules/nope", path), &q), -ENOENT);
	assert_ptr_equal(q, (struct kmodq *)&q);

	/* A directory without indexes is no better. */
	unit_mkdirs(t->dir.root, "lib/modules/empty");
	assert_int_equal(kmodq_new(unit_path(t->dir.root, "lib/modules/empty", path), &q), -ENOENT);
	assert_ptr_equal(q, (struct kmodq *)&q);

	assert_null(kmodq_free(NULL));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_lookup_match),
		T(test_lookup_two_modules),
		T(test_lookup_no_match),
		T(test_load_needs_permission),
		T(test_missing_dir),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}

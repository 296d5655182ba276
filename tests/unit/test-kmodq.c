/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for kmodq.c: modalias lookups in a modules dir built by depmod in a temp dir. */
#include "unit.h"

#include <sys/wait.h>

#include "kmodq.h"
#include "macro.h"
#include "pcidev.h"
#include "vfio.h"

#define KVER "0.0.0-t"
#define MODDIR "lib/modules/" KVER

/* Built-in modules' modinfo, NUL-terminated records, as the kernel build writes it. */
static const char modinfo[] =
	"e1000e.alias=pci:v00008086d000010D3sv*sd*bc*sc*i*\0"
	"e1000e.license=GPL\0"
	"igb_alt.alias=pci:v00008086d000010D3sv*sd*bc*sc*i*\0"
	"uhci_hcd.alias=pci:v*d*sv*sd*bc0Csc03i00*\0"
	"uhci_hcd.description=USB Universal Host Controller Interface driver\0"
	/* vfio_pci's generic alias and two variants' specific ones (modpost's form) */
	"vfio_pci.alias=vfio_pci:v*d*sv*sd*bc*sc*i*\0"
	"mlx5_vfio_pci.alias=vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*\0"
	"mlx5_vfio_pci.alias=vfio_pci:v000015B3d00001021sv*sd*bc*sc*i*\0"
	"any15b3_vfio_pci.alias=vfio_pci:v000015B3d*sv*sd*bc*sc*i*\0";

#define MLX5_VF_ALIAS "pci:v000015B3d0000101Esv000015B3sd00000091bc02sc00i00"

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

/* The vfio_pci aliases that match, each with its pattern: the generic and two specific. */
static void test_vfio_aliases(void **state)
{
	struct fixture *t = *state;
	struct kmodq_alias *v = NULL;
	bool generic = false, mlx5 = false, any = false;
	int n;

	if (!t->q)
		skip();
	n = kmodq_vfio_aliases(t->q, MLX5_VF_ALIAS, &v);
	assert_int_equal(n, 3);
	for (int i = 0; i < n; i++) {
		if (streq(v[i].module, "vfio_pci"))
			generic = streq(v[i].pattern, "vfio_pci:v*d*sv*sd*bc*sc*i*");
		else if (streq(v[i].module, "mlx5_vfio_pci"))
			mlx5 = streq(v[i].pattern, "vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*");
		else if (streq(v[i].module, "any15b3_vfio_pci"))
			any = true;
	}
	assert_true(generic && mlx5 && any);
	assert_int_equal(vfio_best_alias(v, (size_t)n) >= 0, 1);
	assert_string_equal(v[vfio_best_alias(v, (size_t)n)].module, "mlx5_vfio_pci");
	free(v);
	/* An e1000e matches only the generic alias. */
	assert_int_equal(kmodq_vfio_aliases(t->q, E1000E_ALIAS, &v), 1);
	assert_string_equal(v[0].module, "vfio_pci");
	free(v);
	assert_int_equal(kmodq_vfio_aliases(t->q, "usb:v1234p5678", &v), -EINVAL);
}

/* vfio_choose: the most specific variant wins; a symbolic driver until its module loads. */
static void test_vfio_choose(void **state)
{
	struct fixture *t = *state;
	struct pcidev d = { .bdf = "0000:05:00.0", .modalias = (char *)MLX5_VF_ALIAS };
	struct vfio_choice ch;

	if (!t->q)
		skip();
	assert_int_equal(vfio_choose(t->q, NULL, &d, &ch), 0);
	assert_true(ch.variant);
	assert_string_equal(ch.module, "mlx5_vfio_pci");
	assert_string_equal(ch.driver, "<driver of mlx5_vfio_pci>");
	assert_int_equal(ch.wildcards, 5);
	assert_non_null(strstr(ch.why, "most specific of 3"));

	d.modalias = (char *)E1000E_ALIAS;
	assert_int_equal(vfio_choose(t->q, NULL, &d, &ch), 0);
	assert_false(ch.variant);
	assert_string_equal(ch.driver, "vfio-pci");
	assert_string_equal(ch.module, "vfio_pci");
	assert_int_equal(ch.wildcards, 7);

	/* No module index: the generic driver, and it says so. */
	assert_int_equal(vfio_choose(NULL, NULL, &d, &ch), 0);
	assert_false(ch.variant);
	assert_string_equal(ch.driver, "vfio-pci");
	assert_int_equal(ch.wildcards, -1);
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
		T(test_vfio_aliases),
		T(test_vfio_choose),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}

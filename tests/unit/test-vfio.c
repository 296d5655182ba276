/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for vfio.c: wildcard ranking, the /proc scan. */
#include "unit.h"

#include "kmodq.h"
#include "macro.h"
#include "proc.h"
#include "vfio.h"

static void test_wildcards(void **state)
{
	struct kmodq_alias v[3] = {
		{ "vfio_pci", "vfio_pci:v*d*sv*sd*bc*sc*i*" },
		{ "b_vfio_pci", "vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*" },
		{ "a_vfio_pci", "vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*" },
	};

	(void)state;
	assert_int_equal(vfio_count_wildcards(v[0].pattern), 7);
	assert_int_equal(vfio_count_wildcards(v[1].pattern), 5);
	assert_int_equal(vfio_best_alias(v, 0), -1);
	assert_int_equal(vfio_best_alias(v, 1), 0);
	assert_int_equal(vfio_best_alias(v, 2), 1);
	/* A tie goes to the name that sorts first, whatever the order. */
	assert_int_equal(vfio_best_alias(v, 3), 2);
}

static void test_fd_matches(void **state)
{
	(void)state;
	assert_true(vfio_fd_matches("/dev/vfio/9", 9, NULL));
	assert_false(vfio_fd_matches("/dev/vfio/90", 9, NULL));
	assert_false(vfio_fd_matches("/dev/vfio/vfio", 9, NULL));
	assert_true(vfio_fd_matches("/dev/vfio/devices/vfio0", -1, "vfio0"));
	assert_false(vfio_fd_matches("/dev/vfio/devices/vfio01", 9, "vfio0"));
	assert_false(vfio_fd_matches("/dev/vfio/9", -1, "vfio0"));
}

/* A fake /proc: two holders (group fd and cdev fd), a near miss, a process without fds. */
static void test_users(void **state)
{
	struct unit_dir *d = *state;
	_cleanup_(proc_closep) struct proc *p = NULL;
	struct vfio_user *u = NULL;
	char text[128];
	size_t n = 0;

	unit_write_str(d->root, "4121/comm", "qemu-system-x86\n");
	unit_symlink(d->root, "4121/fd/0", "/dev/null");
	unit_symlink(d->root, "4121/fd/17", "/dev/vfio/9");
	unit_write_str(d->root, "88/comm", "vfio-hold\n");
	unit_symlink(d->root, "88/fd/3", "/dev/vfio/devices/vfio0");
	unit_write_str(d->root, "977/comm", "bash\n");
	unit_symlink(d->root, "977/fd/3", "/dev/vfio/90");
	unit_write_str(d->root, "5/comm", "kthread\n");
	unit_mkdirs(d->root, "self");
	unit_write_str(d->root, "cmdline", "x\n");

	assert_int_equal(proc_open(d->root, &p), 0);
	assert_int_equal(vfio_users(p, 9, "vfio0", &u, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(u[0].pid, 88);
	assert_string_equal(u[0].comm, "vfio-hold");
	assert_string_equal(u[0].path, "/dev/vfio/devices/vfio0");
	assert_int_equal(u[1].pid, 4121);
	assert_string_equal(u[1].comm, "qemu-system-x86");
	assert_int_equal(vfio_users_text(u, n, text, sizeof(text)), 0);
	assert_string_equal(text, "pid 88 (vfio-hold), pid 4121 (qemu-system-x86)");
	free(u);

	assert_int_equal(vfio_users(p, 7, NULL, &u, &n), 0);
	assert_int_equal(n, 0);
	assert_null(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wildcards),
		cmocka_unit_test(test_fd_matches),
		cmocka_unit_test_setup_teardown(test_users, unit_setup_dir, unit_teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for vfio.c: group viability, wildcard ranking, the /proc scan; and reset truth. */
#include "unit.h"

#include "kmodq.h"
#include "macro.h"
#include "pcidev.h"
#include "proc.h"
#include "vfio.h"

static char *methods_bus[] = { "bus", NULL };
static char *methods_flr_bus[] = { "flr", "bus", NULL };

/* A group like the harness's: a PCIe-to-PCI bridge (no driver) and two NICs behind it. */
struct topo {
	struct pcidev port, bridge, nic1, nic2, other;
	struct pcidev *devs[5];
	struct pcidev_list l;
};

static void topo_init(struct topo *t)
{
	*t = (struct topo){
		.port = { .bdf = "0000:00:06.0", .class = 0x060400, .driver = "pcieport",
			  .iommu_group = 4, .addr = { 0, 0, 6, 0 } },
		.bridge = { .bdf = "0000:03:00.0", .class = 0x060400, .iommu_group = 5,
			    .addr = { 0, 3, 0, 0 } },
		.nic1 = { .bdf = "0000:04:01.0", .class = 0x020000, .driver = "e1000",
			  .iommu_group = 5, .addr = { 0, 4, 1, 0 } },
		.nic2 = { .bdf = "0000:04:02.0", .class = 0x020000, .driver = "8139cp",
			  .iommu_group = 5, .addr = { 0, 4, 2, 0 } },
		.other = { .bdf = "0000:05:00.0", .class = 0x020000, .driver = "e1000e",
			   .iommu_group = 6, .addr = { 0, 5, 0, 0 } },
	};
	t->devs[0] = &t->port;
	t->devs[1] = &t->bridge;
	t->devs[2] = &t->nic1;
	t->devs[3] = &t->nic2;
	t->devs[4] = &t->other;
	t->l = (struct pcidev_list){ .devs = t->devs, .n = 5 };
}

static void test_member_states(void **state)
{
	struct topo t;
	struct pcidev *moving[1];

	(void)state;
	topo_init(&t);
	moving[0] = &t.nic1;
	assert_int_equal(vfio_member_state(&t.nic1, moving, 1), VFIO_MEMBER_MOVING);
	assert_int_equal(vfio_member_state(&t.bridge, moving, 1), VFIO_MEMBER_UNBOUND);
	assert_int_equal(vfio_member_state(&t.port, moving, 1), VFIO_MEMBER_PCIEPORT);
	assert_int_equal(vfio_member_state(&t.nic2, moving, 1), VFIO_MEMBER_BLOCKS);
	t.nic2.driver = "pci-stub";
	assert_int_equal(vfio_member_state(&t.nic2, moving, 1), VFIO_MEMBER_PCI_STUB);
	t.nic2.driver = "vfio-pci";
	assert_int_equal(vfio_member_state(&t.nic2, moving, 1), VFIO_MEMBER_VFIO);
	/* A variant is known by its vfio-dev/ directory, whatever its name. */
	t.nic2.driver = "foo_passthru";
	t.nic2.vfio_dev = "vfio3";
	assert_int_equal(vfio_member_state(&t.nic2, moving, 1), VFIO_MEMBER_VFIO);
	/* pcieport counts only for a bridge. */
	t.nic2.vfio_dev = NULL;
	t.nic2.driver = "pcieport";
	assert_int_equal(vfio_member_state(&t.nic2, moving, 1), VFIO_MEMBER_BLOCKS);
}

static void test_blockers(void **state)
{
	struct topo t;
	struct pcidev *moving[2];
	char buf[256];

	(void)state;
	topo_init(&t);
	moving[0] = &t.nic1;
	assert_int_equal(vfio_blockers(&t.l, 5, moving, 1, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "0000:04:02.0 (8139cp)");
	/* Before anything moves, both NICs block. */
	assert_int_equal(vfio_blockers(&t.l, 5, moving, 0, buf, sizeof(buf)), 2);
	assert_string_equal(buf, "0000:04:01.0 (e1000), 0000:04:02.0 (8139cp)");
	/* Both moving (--group): viable; the driverless bridge does not matter. */
	moving[1] = &t.nic2;
	assert_int_equal(vfio_blockers(&t.l, 5, moving, 2, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	/* Another group's members are not looked at. */
	assert_int_equal(vfio_blockers(&t.l, 6, moving, 2, buf, sizeof(buf)), 1);
	assert_int_equal(vfio_blockers(&t.l, -1, moving, 2, buf, sizeof(buf)), 0);
	assert_int_equal(vfio_blockers(&t.l, 5, moving, 0, buf, 8), -ENOSPC);
}

static void test_group_members(void **state)
{
	struct topo t;
	const struct pcidev *m[2];

	(void)state;
	topo_init(&t);
	assert_int_equal(vfio_group_members(&t.l, 5, m, 2), 3);
	assert_ptr_equal(m[0], &t.bridge);
	assert_ptr_equal(m[1], &t.nic1);
	assert_int_equal(vfio_group_members(&t.l, -1, m, 2), 0);
}

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
	assert_true(vfio_is_vfio_driver("vfio-pci"));
	assert_true(vfio_is_vfio_driver("mlx5_vfio_pci"));
	assert_true(vfio_is_vfio_driver("xe-vfio-pci"));
	assert_false(vfio_is_vfio_driver("pci-stub"));
	assert_false(vfio_is_vfio_driver("vfio_pci_x"));
	assert_false(vfio_is_vfio_driver(NULL));
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

/* Reset truth: "bus" alone works only while nothing else sits on the bus. */
static void test_reset_works(void **state)
{
	struct topo t;

	(void)state;
	topo_init(&t);
	t.nic1.resettable = true;
	t.nic1.reset_methods = methods_bus;
	t.nic1.parent = &t.bridge;
	assert_false(pcidev_reset_works(&t.l, &t.nic1));
	/* Alone on its bus, the bus reset works. */
	t.nic2.addr.bus = 8;
	assert_true(pcidev_reset_works(&t.l, &t.nic1));
	t.nic2.addr.bus = 4;
	/* A function reset does not care about siblings. */
	t.nic1.reset_methods = methods_flr_bus;
	assert_true(pcidev_reset_works(&t.l, &t.nic1));
	t.nic1.resettable = false;
	assert_false(pcidev_reset_works(&t.l, &t.nic1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_member_states),
		cmocka_unit_test(test_blockers),
		cmocka_unit_test(test_group_members),
		cmocka_unit_test(test_wildcards),
		cmocka_unit_test(test_fd_matches),
		cmocka_unit_test_setup_teardown(test_users, unit_setup_dir, unit_teardown_dir),
		cmocka_unit_test(test_reset_works),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

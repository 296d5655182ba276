/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for holders.c: matching on in-memory data (by path, by
 * st_rdev, unreadable processes), the /proc reads (a process that exited,
 * one whose fds cannot be read, a fixture that must never be stat()ed), and
 * a function's nodes, block stacks and VFs on a fake sysfs.
 */
#include "unit.h"

#include <sys/sysmacros.h>

#include "holders.h"
#include "macro.h"
#include "pcidev.h"
#include "proc.h"
#include "sysfs.h"

static struct sysfs_node node(const char *name, const char *devname, bool block,
			      unsigned int maj, unsigned int min)
{
	struct sysfs_node n = { .block = block, .major = maj, .minor = min };

	snprintf(n.name, sizeof(n.name), "%s", name);
	snprintf(n.devname, sizeof(n.devname), "%s", devname);
	return n;
}

static struct proc_file pfile(const char *path, bool map)
{
	struct proc_file f = { .map = map };

	snprintf(f.path, sizeof(f.path), "%s", path);
	return f;
}

/* A display server and a sound server, as the GPU-shaped slot has them. */
static struct holders_index *desktop_index(bool by_rdev)
{
	struct holders_index *ix = NULL;
	struct proc_file xorg[] = { pfile("/dev/null", false), pfile("/dev/dri/card0", false),
				    pfile("/dev/dri/card0", true) };
	struct proc_file pw[] = { pfile("/dev/snd/timer", false), pfile("/dev/snd/pcmC0D0p", false) };

	assert_int_equal(holders_index_new(by_rdev, &ix), 0);
	assert_int_equal(holders_index_add(ix, 1001, "Xorg", xorg, ELEMENTSOF(xorg)), 0);
	assert_int_equal(holders_index_add(ix, 1002, "pipewire", pw, ELEMENTSOF(pw)), 0);
	return ix;
}

static void test_match_by_path(void **state)
{
	_cleanup_(holders_index_freep) struct holders_index *ix = desktop_index(false);
	struct sysfs_node card[] = { node("card0", "dri/card0", false, 226, 0) };
	struct sysfs_node snd[] = { node("controlC0", "snd/controlC0", false, 116, 2),
				    node("pcmC0D0p", "snd/pcmC0D0p", false, 116, 3) };
	struct sysfs_node usb[] = { node("usb1", "bus/usb/001/001", false, 189, 0) };
	struct holders h = { 0 };
	char text[256];

	(void)state;
	/* not sealed: no answer rather than a wrong one */
	assert_int_equal(holders_match(ix, "0000:02:00.0", NULL, card, 1, &h), -EINVAL);
	assert_int_equal(holders_index_seal(ix), 0);

	assert_int_equal(holders_match(ix, "0000:02:00.0", NULL, card, 1, &h), 0);
	assert_int_equal(h.n, 1); /* open and mapped: one holder, said open */
	assert_int_equal(h.v[0].kind, HOLDER_PROCESS);
	assert_int_equal(h.v[0].pid, 1001);
	assert_string_equal(h.v[0].node, "/dev/dri/card0");
	assert_false(h.v[0].map);
	assert_int_equal(holder_text(&h.v[0], text, sizeof(text)), 0);
	assert_string_equal(text, "pid 1001 (Xorg) has /dev/dri/card0 open");
	holders_done(&h);

	assert_int_equal(holders_match(ix, "0000:02:00.1", NULL, snd, 2, &h), 0);
	assert_int_equal(h.n, 1);
	assert_int_equal(h.v[0].pid, 1002);
	assert_string_equal(h.v[0].node, "/dev/snd/pcmC0D0p");
	holders_done(&h);

	/* /dev/snd/timer is global, not the card's; nobody holds the root hub */
	assert_int_equal(holders_match(ix, "0000:00:14.0", NULL, usb, 1, &h), 0);
	assert_int_equal(h.n, 0);
	/* no nodes: nothing to hold */
	assert_int_equal(holders_match(ix, "0000:00:14.0", NULL, usb, 0, &h), 0);
	assert_int_equal(h.n, 0);
}

static void test_match_by_rdev(void **state)
{
	_cleanup_(holders_index_freep) struct holders_index *ix = NULL;
	struct proc_file f[2] = { pfile("/run/udev/other-name-for-card0", false),
				  pfile("/dev/sda", false) };
	struct sysfs_node card = node("card0", "dri/card0", false, 226, 0);
	struct sysfs_node blk = node("nvme0n1", "nvme0n1", true, 226, 0);
	struct holders h = { 0 };

	(void)state;
	/* the node through another path (a bind mount, a deleted name): st_rdev tells */
	f[0].node = true;
	f[0].major = 226;
	f[0].minor = 0;
	/* a block device with the same numbers is another device */
	f[1].node = true;
	f[1].block = true;
	f[1].major = 8;
	f[1].minor = 0;
	assert_int_equal(holders_index_new(true, &ix), 0);
	assert_int_equal(holders_index_add(ix, 7, "compositor", f, 2), 0);
	assert_int_equal(holders_index_seal(ix), 0);
	assert_int_equal(holders_match(ix, "0000:02:00.0", NULL, &card, 1, &h), 0);
	assert_int_equal(h.n, 1);
	assert_int_equal(h.v[0].pid, 7);
	assert_string_equal(h.v[0].node, "/dev/dri/card0");
	holders_done(&h);
	assert_int_equal(holders_match(ix, "0000:03:00.0", NULL, &blk, 1, &h), 0);
	assert_int_equal(h.n, 0);
	holders_index_free(ix);

	/* a fixture's index compares paths only: the same entries match nothing */
	assert_int_equal(holders_index_new(false, &ix), 0);
	assert_int_equal(holders_index_add(ix, 7, "compositor", f, 2), 0);
	assert_int_equal(holders_index_seal(ix), 0);
	assert_int_equal(holders_match(ix, "0000:02:00.0", NULL, &card, 1, &h), 0);
	assert_int_equal(h.n, 0);
}

/* "Could not read" is never "nobody holds it". */
static void test_unreadable(void **state)
{
	_cleanup_(holders_index_freep) struct holders_index *ix = desktop_index(false);
	struct sysfs_node usb[] = { node("usb1", "bus/usb/001/001", false, 189, 0) };
	struct holders h = { 0 };
	char text[256];

	(void)state;
	assert_int_equal(holders_index_add_unreadable(ix, 4242, "secret\x1b[2J", -EACCES), 0);
	assert_int_equal(holders_index_seal(ix), 0);
	assert_int_equal(holders_match(ix, "0000:00:14.0", NULL, usb, 1, &h), 0);
	assert_int_equal(h.n, 1);
	assert_int_equal(h.v[0].kind, HOLDER_UNREADABLE);
	assert_int_equal(h.v[0].pid, 4242);
	assert_int_equal(h.v[0].error, -EACCES);
	assert_int_equal(holders_unreadable(&h), 1);
	/*
	 * its name is its own, kept as it is: the CLI's output layer escapes it
	 * (tests/policy/hostile.sh: status, show, explain, the refusal, JSON)
	 */
	assert_int_equal(holder_text(&h.v[0], text, sizeof(text)), 0);
	assert_non_null(strstr(text, "pid 4242 (secret\x1b[2J)"));
	assert_non_null(strstr(text, strerror(EACCES)));
	holders_done(&h);

	/* /proc itself unreadable: one holder that says so */
	holders_index_free(ix);
	assert_int_equal(holders_index_new(false, &ix), 0);
	holders_index_set_error(ix, -EACCES);
	assert_int_equal(holders_index_seal(ix), 0);
	assert_int_equal(holders_match(ix, "0000:00:14.0", NULL, usb, 1, &h), 0);
	assert_int_equal(h.n, 1);
	assert_int_equal(h.v[0].kind, HOLDER_UNREADABLE);
	assert_int_equal(h.v[0].pid, 0);
	holders_done(&h);
}

/* A fake /proc: processes that hold, that exited, whose fds cannot be read. */
static void test_proc_read(void **state)
{
	struct unit_dir *d = *state;
	_cleanup_(proc_closep) struct proc *p = NULL;
	_cleanup_(holders_index_freep) struct holders_index *ix = NULL;
	_cleanup_free_ struct proc_file *f = NULL;
	_cleanup_free_ int *pids = NULL;
	struct sysfs_node snd = node("pcmC0D0p", "snd/pcmC0D0p", false, 116, 3);
	struct sysfs_node kmsg = node("kmsg", "kmsg", false, 1, 11);
	struct holders h = { 0 };
	size_t n = 0;

	unit_write_str(d->root, "10/comm", "pipewire\n");
	unit_symlink(d->root, "10/fd/31", "/dev/snd/pcmC0D0p");
	unit_symlink(d->root, "10/fd/3", "socket:[4242]");
	unit_symlink(d->root, "10/fd/4", "/dev/kmsg");
	unit_symlink(d->root, "10/fd/5", "/dev/null"); /* every process has it: left out */
	unit_symlink(d->root, "10/exe", "/usr/bin/pipewire");
	unit_write_str(d->root, "10/maps",
		       "7f0c2a000000-7f0c2a100000 rw-s 00000000 00:05 1042   /dev/snd/pcmC0D0p\n"
		       "7f0c2b000000-7f0c2b021000 r-xp 00000000 08:01 4242   /usr/bin/pipewire\n");
	/* a node whose name vanished while it was open: still held */
	unit_write_str(d->root, "13/comm", "vanished\n");
	unit_symlink(d->root, "13/fd/7", "/dev/snd/pcmC0D0p (deleted)");
	/* exited mid-scan: the directory is there, its fd/ is gone */
	unit_write_str(d->root, "11/comm", "gone\n");
	/* its fds cannot be read (as hidepid= or another namespace make them) */
	unit_write_str(d->root, "12/comm", "hidden\n");
	unit_write_str(d->root, "12/fd", "not a directory\n");
	unit_mkdirs(d->root, "self");
	unit_mkdirs(d->root, "net");

	assert_int_equal(proc_open(d->root, &p), 0);
	assert_int_equal(proc_list_pids(p, &pids, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(pids[0], 10);
	assert_int_equal(pids[2], 12);
	assert_int_equal(pids[3], 13);

	/* path only: /dev/kmsg exists here, but a fixture's link is never stat()ed */
	assert_int_equal(proc_pid_files(p, 10, false, &f, &n), 0);
	assert_int_equal(n, 3); /* two fds that may be nodes, one mapping */
	for (size_t i = 0; i < n; i++)
		assert_false(f[i].node);
	free(f);
	f = NULL;
	/* stat()ed, the fixture's /dev/kmsg is this host's (1:11, a memory device, left
	 * out): what a fixture would match if it were stat()ed */
	if (access("/dev/kmsg", F_OK) == 0) {
		size_t nstat = 0;

		assert_int_equal(proc_pid_files(p, 10, true, &f, &nstat), 0);
		assert_int_equal(nstat, 2);
		for (size_t i = 0; i < nstat; i++)
			assert_string_not_equal(f[i].path, "/dev/kmsg");
		free(f);
		f = NULL;
	}
	assert_int_equal(proc_pid_files(p, 11, false, &f, &n), -ENOENT);
	assert_true(proc_pid_files(p, 12, false, &f, &n) < 0);
	/*
	 * Without an exe link (a kernel thread, a zombie: no memory map), the
	 * real /proc's reader skips the task; a fake /proc has no exe links, so
	 * its reader reads the fds whatever exe says.
	 */
	assert_int_equal(proc_pid_files(p, 13, true, &f, &n), -ENOENT);
	assert_int_equal(proc_pid_files(p, 13, false, &f, &n), 0);
	assert_int_equal(n, 1);
	free(f);
	f = NULL;

	assert_int_equal(holders_index_read(p, false, &ix), 0);
	assert_int_equal(holders_match(ix, "0000:02:00.1", NULL, &snd, 1, &h), 0);
	assert_int_equal(h.n, 3);
	assert_int_equal(h.v[0].kind, HOLDER_PROCESS);
	assert_int_equal(h.v[0].pid, 10);
	assert_string_equal(h.v[0].comm, "pipewire");
	assert_int_equal(h.v[1].kind, HOLDER_PROCESS);
	assert_int_equal(h.v[1].pid, 13);
	assert_string_equal(h.v[1].node, "/dev/snd/pcmC0D0p");
	assert_int_equal(h.v[2].kind, HOLDER_UNREADABLE);
	assert_int_equal(h.v[2].pid, 12);
	assert_string_equal(h.v[2].comm, "hidden");
	holders_done(&h);
	/* the fixture's /dev/kmsg matches by its path, never by this host's rdev */
	assert_int_equal(holders_match(ix, "x", NULL, &kmsg, 1, &h), 0);
	assert_int_equal(h.n, 2); /* pid 10's kmsg, and the unreadable pid 12 */
	holders_done(&h);
}

/* The /proc root cannot be listed: every function with nodes is "could not read". */
static void test_proc_missing(void **state)
{
	_cleanup_(holders_index_freep) struct holders_index *ix = NULL;
	struct sysfs_node card = node("card0", "dri/card0", false, 226, 0);
	struct holders h = { 0 };

	(void)state;
	assert_int_equal(holders_index_read(NULL, false, &ix), 0);
	assert_int_equal(holders_match(ix, "0000:02:00.0", NULL, &card, 1, &h), 0);
	assert_int_equal(h.n, 1);
	assert_int_equal(h.v[0].kind, HOLDER_UNREADABLE);
	holders_done(&h);
}

static int give_index(void *userdata, const struct holders_index **ret)
{
	*ret = userdata;
	return 0;
}

static void mknode(const char *root, const char *dir, unsigned int maj, unsigned int min,
		   const char *devname, bool block)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), "%s/dev", dir);
	unit_writef(root, rel, "%u:%u\n", maj, min);
	snprintf(rel, sizeof(rel), "%s/uevent", dir);
	unit_writef(root, rel, "MAJOR=%u\nMINOR=%u\nDEVNAME=%s\n%s", maj, min, devname,
		    block ? "DEVTYPE=disk\n" : "");
}

/* A function's nodes, its block stack (recursively), what holds the top. */
static void test_holders_of(void **state)
{
	struct unit_dir *d = *state;
	const char *fn = "devices/pci0000:00/0000:00:04.0/0000:03:00.0";
	char dir[PATH_MAX];
	_cleanup_(sysfs_closep) struct sysfs *s = NULL;
	_cleanup_(holders_index_freep) struct holders_index *ix = NULL;
	_cleanup_free_ struct sysfs_node *nodes = NULL;
	struct proc_file top = pfile("/dev/dm-1", false);
	struct pcidev dev = { .bdf = "0000:03:00.0", .driver = "nvme", .iommu_group = -1,
			      .sriov_numvfs = -1 };
	struct pcidev gone = { .bdf = "0000:09:00.0", .driver = "nvme", .iommu_group = -1,
			       .sriov_numvfs = -1 };
	struct holders h = { 0 };
	int n;

	unit_symlink_to(d->root, "bus/pci/devices/0000:03:00.0", fn);
	snprintf(dir, sizeof(dir), "%s/nvme/nvme0", fn);
	mknode(d->root, dir, 241, 0, "nvme0", false);
	snprintf(dir, sizeof(dir), "%s/nvme/nvme0/nvme0n1", fn);
	mknode(d->root, dir, 259, 0, "nvme0n1", true);
	snprintf(dir, sizeof(dir), "%s/nvme/nvme0/nvme0n1/nvme0n1p1", fn);
	mknode(d->root, dir, 259, 1, "nvme0n1p1", true);
	/* dm-0 on the partition, dm-1 on dm-0 */
	snprintf(dir, sizeof(dir), "%s/nvme/nvme0/nvme0n1/nvme0n1p1/holders/dm-0", fn);
	unit_symlink_to(d->root, dir, "devices/virtual/block/dm-0");
	mknode(d->root, "devices/virtual/block/dm-0", 254, 0, "dm-0", true);
	unit_symlink_to(d->root, "devices/virtual/block/dm-0/holders/dm-1",
			"devices/virtual/block/dm-1");
	mknode(d->root, "devices/virtual/block/dm-1", 254, 1, "dm-1", true);
	unit_mkdirs(d->root, "devices/virtual/block/dm-1/holders");
	unit_symlink_to(d->root, "class/block/dm-0", "devices/virtual/block/dm-0");
	unit_symlink_to(d->root, "class/block/dm-1", "devices/virtual/block/dm-1");
	/* a link out of the function (subsystem) and power/ are never walked */
	snprintf(dir, sizeof(dir), "%s/subsystem", fn);
	unit_symlink_to(d->root, dir, "devices/virtual/block");
	snprintf(dir, sizeof(dir), "%s/power", fn);
	mknode(d->root, dir, 1, 1, "mem", false);
	/* a child function (behind a bridge) is its own */
	snprintf(dir, sizeof(dir), "%s/0000:04:00.0/drm/card1", fn);
	mknode(d->root, dir, 226, 1, "dri/card1", false);

	assert_int_equal(sysfs_open(d->root, &s), 0);
	n = sysfs_find_nodes(s, &nodes, "bus/pci/devices/%s", dev.bdf);
	assert_int_equal(n, 3);
	assert_string_equal(nodes[0].name, "nvme0");
	assert_false(nodes[0].block);
	assert_string_equal(nodes[1].devname, "nvme0n1");
	assert_true(nodes[1].block);
	assert_int_equal(nodes[2].major, 259);
	assert_int_equal(nodes[2].minor, 1);

	assert_int_equal(holders_index_new(false, &ix), 0);
	assert_int_equal(holders_index_add(ix, 55, "qemu-raw", &top, 1), 0);
	assert_int_equal(holders_index_seal(ix), 0);
	assert_int_equal(holders_of(s, NULL, &dev, give_index, ix, &h), 0);
	assert_int_equal(h.n, 3);
	assert_int_equal(h.v[0].kind, HOLDER_STACK);
	assert_string_equal(h.v[0].node, "dm-0");
	assert_string_equal(h.v[0].on, "nvme0n1p1");
	assert_int_equal(h.v[1].kind, HOLDER_STACK);
	assert_string_equal(h.v[1].node, "dm-1");
	assert_string_equal(h.v[1].on, "dm-0");
	/* whoever has the top of the stack open holds the disk */
	assert_int_equal(h.v[2].kind, HOLDER_PROCESS);
	assert_int_equal(h.v[2].pid, 55);
	assert_string_equal(h.v[2].node, "/dev/dm-1");
	holders_done(&h);

	/* a function whose directory vanished: unknown, not "nobody" */
	assert_int_equal(holders_of(s, NULL, &gone, give_index, ix, &h), 0);
	assert_int_equal(h.n, 1);
	assert_int_equal(h.v[0].kind, HOLDER_UNKNOWN);
	assert_int_equal(h.v[0].error, -ENOENT);
	holders_done(&h);
}

/* An SR-IOV PF: each enabled VF with its driver, and what holds the VF. */
static void test_sriov(void **state)
{
	struct unit_dir *d = *state;
	_cleanup_(sysfs_closep) struct sysfs *s = NULL;
	_cleanup_(holders_index_freep) struct holders_index *ix = NULL;
	struct proc_file qemu[] = { pfile("/dev/vfio/vfio", false), pfile("/dev/vfio/9", false) };
	char *vfs[] = { "0000:05:00.1", "0000:05:00.2", NULL };
	struct pcidev pf = { .bdf = "0000:05:00.0", .addr = { 0, 5, 0, 0 }, .driver = "nvme",
			     .iommu_group = 8,
			     .sriov_numvfs = 2, .virtfns = vfs };
	struct pcidev vf1 = { .bdf = "0000:05:00.1", .addr = { 0, 5, 0, 1 }, .driver = "vfio-pci",
			      .iommu_group = 9, .sriov_numvfs = -1 };
	struct pcidev vf2 = { .bdf = "0000:05:00.2", .addr = { 0, 5, 0, 2 }, .iommu_group = 10,
			      .sriov_numvfs = -1 };
	struct pcidev *devs[] = { &pf, &vf1, &vf2 };
	struct pcidev_list l = { .devs = devs, .n = 3 };
	struct holders h = { 0 };
	char text[256];

	unit_symlink_to(d->root, "bus/pci/devices/0000:05:00.0", "devices/p/0000:05:00.0");
	unit_symlink_to(d->root, "bus/pci/devices/0000:05:00.1", "devices/p/0000:05:00.1");
	unit_symlink_to(d->root, "bus/pci/devices/0000:05:00.2", "devices/p/0000:05:00.2");
	unit_mkdirs(d->root, "devices/p/0000:05:00.0");
	unit_mkdirs(d->root, "devices/p/0000:05:00.1");
	unit_mkdirs(d->root, "devices/p/0000:05:00.2");
	assert_int_equal(sysfs_open(d->root, &s), 0);
	assert_int_equal(holders_index_new(false, &ix), 0);
	assert_int_equal(holders_index_add(ix, 1003, "qemu-system-x86", qemu, 2), 0);
	assert_int_equal(holders_index_seal(ix), 0);

	assert_int_equal(holders_of(s, &l, &pf, give_index, ix, &h), 0);
	assert_int_equal(h.n, 3);
	assert_int_equal(h.v[0].kind, HOLDER_VF);
	assert_string_equal(h.v[0].node, "0000:05:00.1");
	assert_string_equal(h.v[0].on, "vfio-pci");
	/* the VF's group node is outside its directory: /dev/vfio/9 */
	assert_int_equal(h.v[1].kind, HOLDER_PROCESS);
	assert_string_equal(h.v[1].bdf, "0000:05:00.0");
	assert_string_equal(h.v[1].via, "0000:05:00.1");
	assert_string_equal(h.v[1].node, "/dev/vfio/9");
	assert_int_equal(h.v[2].kind, HOLDER_VF);
	assert_string_equal(h.v[2].on, "");
	assert_int_equal(holder_text(&h.v[2], text, sizeof(text)), 0);
	assert_string_equal(text, "its SR-IOV VF 0000:05:00.2 (no driver) is enabled");
	holders_done(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_by_path),
		cmocka_unit_test(test_match_by_rdev),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test_setup_teardown(test_proc_read, unit_setup_dir, unit_teardown_dir),
		cmocka_unit_test(test_proc_missing),
		cmocka_unit_test_setup_teardown(test_holders_of, unit_setup_dir, unit_teardown_dir),
		cmocka_unit_test_setup_teardown(test_sriov, unit_setup_dir, unit_teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

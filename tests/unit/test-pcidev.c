/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for pcidev.c: the device model read from small sysfs trees in the kernel's layout;
 * an IOMMU group's viability and reset truth over a hand-made snapshot. */
#include "unit.h"

#include "macro.h"
#include "pcidev.h"
#include "sysfs.h"

struct fixture {
	struct unit_dir dir;
	struct sysfs *s;
	struct pcidev_list *l;
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

	pcidev_list_free(t->l);
	sysfs_close(t->s);
	unit_dir_done(&t->dir);
	free(t);
	return 0;
}

/* ---- building trees ------------------------------------------------------ */

/* The BDF of a device path: its last component. */
static const char *bdf_of(const char *devpath)
{
	const char *slash = strrchr(devpath, '/');

	return slash ? slash + 1 : devpath;
}

/* Write devices/DEVPATH/ATTR. */
static void dev_attr(struct fixture *t, const char *devpath, const char *attr, const char *value)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), "devices/%s/%s", devpath, attr);
	unit_write_str(t->dir.root, rel, value);
}

/* devices/DEVPATH/NAME -> TARGET (relative to the root, made relative like the kernel's). */
static void dev_link(struct fixture *t, const char *devpath, const char *name, const char *target)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), "devices/%s/%s", devpath, name);
	unit_symlink_to(t->dir.root, rel, target);
}

/* devices/DEVPATH/NAME -> TARGET, stored as given. */
static void dev_link_verbatim(struct fixture *t, const char *devpath, const char *name,
			      const char *target)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), "devices/%s/%s", devpath, name);
	unit_symlink(t->dir.root, rel, target);
}

/*
 * A function at devices/DEVPATH (e.g. "pci0000:00/0000:00:1c.0/0000:02:00.0")
 * with its IDs as the kernel prints them, and its bus/pci/devices link.
 */
static void add_fn(struct fixture *t, const char *devpath, unsigned int vendor,
		   unsigned int device, unsigned int class)
{
	char rel[PATH_MAX], target[PATH_MAX], v[32];

	snprintf(v, sizeof(v), "0x%04x\n", vendor);
	dev_attr(t, devpath, "vendor", v);
	snprintf(v, sizeof(v), "0x%04x\n", device);
	dev_attr(t, devpath, "device", v);
	snprintf(v, sizeof(v), "0x%06x\n", class);
	dev_attr(t, devpath, "class", v);
	dev_attr(t, devpath, "subsystem_vendor", "0x1af4\n");
	dev_attr(t, devpath, "subsystem_device", "0x1100\n");
	dev_attr(t, devpath, "revision", "0x03\n");

	snprintf(rel, sizeof(rel), "bus/pci/devices/%s", bdf_of(devpath));
	snprintf(target, sizeof(target), "devices/%s", devpath);
	unit_symlink_to(t->dir.root, rel, target);
}

/* A registered driver; with a module link unless MODULE is NULL (built-in). */
static void add_driver(struct fixture *t, const char *driver, const char *module)
{
	char rel[PATH_MAX], target[PATH_MAX];

	snprintf(rel, sizeof(rel), "bus/pci/drivers/%s/bind", driver);
	unit_write_str(t->dir.root, rel, "");
	if (!module)
		return;
	snprintf(target, sizeof(target), "module/%s", module);
	unit_mkdirs(t->dir.root, target);
	snprintf(rel, sizeof(rel), "bus/pci/drivers/%s/module", driver);
	unit_symlink_to(t->dir.root, rel, target);
}

static void bind_fn(struct fixture *t, const char *devpath, const char *driver)
{
	char target[PATH_MAX];

	snprintf(target, sizeof(target), "bus/pci/drivers/%s", driver);
	dev_link(t, devpath, "driver", target);
}

static void add_iommu_group(struct fixture *t, const char *devpath, int group)
{
	char rel[PATH_MAX], target[PATH_MAX];

	snprintf(target, sizeof(target), "kernel/iommu_groups/%d", group);
	dev_link(t, devpath, "iommu_group", target);
	snprintf(rel, sizeof(rel), "kernel/iommu_groups/%d/devices/%s", group, bdf_of(devpath));
	snprintf(target, sizeof(target), "devices/%s", devpath);
	unit_symlink_to(t->dir.root, rel, target);
}

/* 64 bytes of config space with header type byte HDR (bit 7: multi-function). */
static void add_config(struct fixture *t, const char *devpath, uint8_t hdr, uint8_t secondary)
{
	char rel[PATH_MAX];
	uint8_t config[64] = { 0 };

	config[0x0e] = hdr;
	config[0x19] = secondary;
	snprintf(rel, sizeof(rel), "devices/%s/config", devpath);
	unit_write(t->dir.root, rel, config, sizeof(config));
}

#define HOST "pci0000:00/0000:00:00.0"
#define RP1 "pci0000:00/0000:00:1c.0"
#define NIC RP1 "/0000:02:00.0"
#define RP2 "pci0000:00/0000:00:1c.1"
#define GPU RP2 "/0000:03:00.0"
#define GPU_AUDIO RP2 "/0000:03:00.1"
#define RP3 "pci0000:00/0000:00:1c.2"
#define LONE RP3 "/0000:04:00.0"
#define UHCI0 "pci0000:00/0000:00:1d.0"
#define UHCI1 "pci0000:00/0000:00:1d.1"
#define UHCI2 "pci0000:00/0000:00:1d.2"

/*
 * A host bridge, three root ports with a NIC (resettable), a GPU with its
 * audio function (a shared bus, no reset) and a lone device (no reset), and
 * a three-function USB controller on stubs, one of them in pciback's slots.
 */
static void build_base(struct fixture *t)
{
	add_driver(t, "e1000e", "e1000e");
	add_driver(t, "pcieport", NULL);
	add_driver(t, "pciback", "xen_pciback");
	add_driver(t, "vfio-pci", "vfio_pci");
	add_driver(t, "pci-stub", NULL);
	unit_write_str(t->dir.root, "bus/pci/drivers/pciback/slots",
		       "0000:00:1d.0\n0000:00:1f.3\n");

	add_fn(t, HOST, 0x8086, 0x29c0, 0x060000);

	add_fn(t, RP1, 0x8086, 0x2940, 0x060400);
	add_config(t, RP1, 0x01, 0x02);
	bind_fn(t, RP1, "pcieport");
	add_fn(t, NIC, 0x8086, 0x10d3, 0x020000);
	bind_fn(t, NIC, "e1000e");
	dev_attr(t, NIC, "reset", "");
	dev_attr(t, NIC, "reset_method", "flr bus\n");
	dev_attr(t, NIC, "driver_override", "(null)\n");
	dev_attr(t, NIC, "modalias", "pci:v00008086d000010D3sv00001AF4sd00001100bc02sc00i00\n");
	dev_attr(t, NIC, "net/eth0/address", "52:54:00:12:34:56\n");
	add_iommu_group(t, NIC, 7);

	add_fn(t, RP2, 0x8086, 0x2942, 0x060400);
	dev_attr(t, RP2, "secondary_bus_number", "3\n");
	add_fn(t, GPU, 0x10de, 0x1c82, 0x030000);
	add_config(t, GPU, 0x80, 0);
	add_fn(t, GPU_AUDIO, 0x10de, 0x0fb9, 0x040300);
	add_config(t, GPU_AUDIO, 0x80, 0);

	add_fn(t, RP3, 0x8086, 0x2944, 0x060400);
	add_fn(t, LONE, 0x1b21, 0x1142, 0x0c0330);

	add_fn(t, UHCI0, 0x8086, 0x2934, 0x0c0300);
	add_fn(t, UHCI1, 0x8086, 0x2935, 0x0c0300);
	add_fn(t, UHCI2, 0x8086, 0x2936, 0x0c0300);
	add_config(t, UHCI0, 0x80, 0);
	add_config(t, UHCI1, 0x80, 0);
	add_config(t, UHCI2, 0x80, 0);
	bind_fn(t, UHCI0, "pciback");
	bind_fn(t, UHCI1, "vfio-pci");
	dev_attr(t, UHCI1, "driver_override", "vfio-pci\n");
	bind_fn(t, UHCI2, "pci-stub");
	add_iommu_group(t, UHCI2, 5);
	add_iommu_group(t, UHCI0, 5);
	add_iommu_group(t, UHCI1, 5);

	/* Not a function: skipped. */
	unit_mkdirs(t->dir.root, "bus/pci/devices/foo");
}

static struct pcidev *scan_and_find(struct fixture *t, const char *bdf)
{
	struct pcidev *d;

	if (!t->l)
		assert_int_equal(pcidev_scan(t->s, 0, &t->l), 0);
	d = pcidev_find_bdf(t->l, bdf);
	if (!d)
		fail_msg("%s not in the snapshot", bdf);
	return d;
}

static void scan(struct fixture *t)
{
	assert_int_equal(pcidev_scan(t->s, 0, &t->l), 0);
	assert_non_null(t->l);
}

/* ---- tests --------------------------------------------------------------- */

static void test_scan_sorted_and_skips_non_bdf(void **state)
{
	static const char *const order[] = {
		"0000:00:00.0", "0000:00:1c.0", "0000:00:1c.1", "0000:00:1c.2",
		"0000:00:1d.0", "0000:00:1d.1", "0000:00:1d.2", "0000:02:00.0",
		"0000:03:00.0", "0000:03:00.1", "0000:04:00.0",
	};
	struct fixture *t = *state;

	build_base(t);
	scan(t);
	assert_int_equal(t->l->n, ELEMENTSOF(order));
	for (size_t i = 0; i < t->l->n; i++)
		assert_string_equal(t->l->devs[i]->bdf, order[i]);
}

static void test_ids_and_names(void **state)
{
	struct fixture *t = *state;
	struct pcidev *d;

	build_base(t);
	d = scan_and_find(t, "0000:02:00.0");
	assert_int_equal(d->addr.bus, 2);
	assert_string_equal(d->qubes, "dom0:02_00.0");
	assert_int_equal(d->vendor, 0x8086);
	assert_int_equal(d->device, 0x10d3);
	assert_int_equal(d->class, 0x020000);
	assert_int_equal(d->subsys_vendor, 0x1af4);
	assert_int_equal(d->subsys_device, 0x1100);
	assert_int_equal(d->revision, 0x03);
	assert_string_equal(d->modalias, "pci:v00008086d000010D3sv00001AF4sd00001100bc02sc00i00");
	assert_null(d->driver_override); /* "(null)" */
	assert_false(pcidev_is_bridge(d));
	assert_true(pcidev_is_bridge(scan_and_find(t, "0000:00:1c.0")));
	assert_true(pcidev_is_bridge(scan_and_find(t, "0000:00:00.0")));

	/* Optional attributes that are absent. */
	d = scan_and_find(t, "0000:00:00.0");
	assert_null(d->modalias);
	assert_int_equal(d->boot_vga, -1);
	assert_int_equal(d->sriov_totalvfs, -1);
	assert_int_equal(d->iommu_group, -1);
	assert_null(d->net_ifaces);
}

static void test_find(void **state)
{
	struct fixture *t = *state;
	struct pci_addr a = { 0, 0x03, 0x00, 1 };

	build_base(t);
	scan(t);
	assert_ptr_equal(pcidev_find(t->l, &a), pcidev_find_bdf(t->l, "0000:03:00.1"));
	assert_non_null(pcidev_find(t->l, &a));
	assert_ptr_equal(pcidev_find_bdf(t->l, "03:00.1"), pcidev_find(t->l, &a));
	assert_null(pcidev_find_bdf(t->l, "0000:09:00.0"));
	assert_null(pcidev_find_bdf(t->l, "foo"));
}

static void test_parent_links(void **state)
{
	struct fixture *t = *state;
	struct pcidev *nic, *rp1, *audio;

	build_base(t);
	nic = scan_and_find(t, "0000:02:00.0");
	rp1 = scan_and_find(t, "0000:00:1c.0");
	audio = scan_and_find(t, "0000:03:00.1");

	assert_ptr_equal(nic->parent, rp1);
	assert_string_equal(nic->parent_bdf, "0000:00:1c.0");
	assert_ptr_equal(audio->parent, scan_and_find(t, "0000:00:1c.1"));
	/* On the root bus: the parent directory is "pci0000:00", not a function. */
	assert_null(rp1->parent);
	assert_string_equal(rp1->parent_bdf, "");
	assert_null(scan_and_find(t, "0000:00:1d.0")->parent);
}

static void test_driver_and_module(void **state)
{
	struct fixture *t = *state;
	struct pcidev *d;

	build_base(t);
	d = scan_and_find(t, "0000:02:00.0");
	assert_string_equal(d->driver, "e1000e");
	assert_string_equal(d->driver_module, "e1000e");

	/* Built in: a driver without a module link. */
	d = scan_and_find(t, "0000:00:1c.0");
	assert_string_equal(d->driver, "pcieport");
	assert_null(d->driver_module);

	/* The module's name differs from the driver's. */
	d = scan_and_find(t, "0000:00:1d.0");
	assert_string_equal(d->driver, "pciback");
	assert_string_equal(d->driver_module, "xen_pciback");

	d = scan_and_find(t, "0000:00:00.0");
	assert_null(d->driver);
	assert_null(d->driver_module);
	assert_int_equal(d->stub, PCIDEV_STUB_NONE);
}

static void test_stubs(void **state)
{
	struct fixture *t = *state;
	struct pcidev *d;

	build_base(t);
	assert_int_equal(scan_and_find(t, "0000:00:1d.0")->stub, PCIDEV_STUB_PCIBACK);
	d = scan_and_find(t, "0000:00:1d.1");
	assert_int_equal(d->stub, PCIDEV_STUB_VFIO_PCI);
	assert_string_equal(d->driver_override, "vfio-pci");
	assert_int_equal(scan_and_find(t, "0000:00:1d.2")->stub, PCIDEV_STUB_PCI_STUB);
	assert_int_equal(scan_and_find(t, "0000:02:00.0")->stub, PCIDEV_STUB_NONE);
	assert_int_equal(scan_and_find(t, "0000:00:1c.0")->stub, PCIDEV_STUB_NONE);
}

static void test_stub_names(void **state)
{
	(void)state;
	for (int i = PCIDEV_STUB_NONE + 1; i < _PCIDEV_STUB_MAX; i++)
		assert_int_equal(pcidev_stub_from_driver(pcidev_stub_name(i)), i);
	assert_string_equal(pcidev_stub_name(PCIDEV_STUB_PCIBACK), "pciback");
	assert_string_equal(pcidev_stub_name(PCIDEV_STUB_VFIO_PCI), "vfio-pci");
	assert_string_equal(pcidev_stub_name(PCIDEV_STUB_PCI_STUB), "pci-stub");
	assert_null(pcidev_stub_name(PCIDEV_STUB_NONE));
	assert_null(pcidev_stub_name(_PCIDEV_STUB_MAX));
	assert_int_equal(pcidev_stub_from_driver(NULL), PCIDEV_STUB_NONE);
	assert_int_equal(pcidev_stub_from_driver("e1000e"), PCIDEV_STUB_NONE);
	assert_int_equal(pcidev_stub_from_driver("vfio_pci"), PCIDEV_STUB_NONE); /* module name */
}

static void test_pciback_slots(void **state)
{
	struct fixture *t = *state;

	build_base(t);
	scan(t);
	assert_true(t->l->have_pciback);
	assert_true(scan_and_find(t, "0000:00:1d.0")->in_pciback_slots);
	assert_false(scan_and_find(t, "0000:00:1d.1")->in_pciback_slots);
	assert_false(scan_and_find(t, "0000:02:00.0")->in_pciback_slots);
}

static void test_no_pciback(void **state)
{
	struct fixture *t = *state;

	add_fn(t, UHCI0, 0x8086, 0x2934, 0x0c0300);
	scan(t);
	assert_false(t->l->have_pciback);
	assert_false(scan_and_find(t, "0000:00:1d.0")->in_pciback_slots);
}

static void test_reset_fields(void **state)
{
	struct fixture *t = *state;
	struct pcidev *d;

	build_base(t);
	d = scan_and_find(t, "0000:02:00.0");
	assert_true(d->resettable);
	assert_non_null(d->reset_methods);
	assert_int_equal(strv_length(d->reset_methods), 2);
	assert_string_equal(d->reset_methods[0], "flr");
	assert_string_equal(d->reset_methods[1], "bus");

	d = scan_and_find(t, "0000:03:00.0");
	assert_false(d->resettable);
	assert_null(d->reset_methods);
}

static void test_reset_reasons(void **state)
{
	struct fixture *t = *state;
	char buf[512];

	build_base(t);
	/* reset_method lists what the kernel offers. */
	assert_int_equal(pcidev_reset_reason(t->l, scan_and_find(t, "0000:02:00.0"), buf,
					     sizeof(buf)),
			 0);
	assert_string_equal(buf, "resettable: the kernel offers flr, bus");

	assert_int_equal(pcidev_reset_reason(t->l, scan_and_find(t, "0000:00:1d.0"), buf,
					     sizeof(buf)),
			 0);
	assert_string_equal(buf, "not resettable: the kernel offers no reset method (no FLR, "
				 "no PM reset); bus reset impossible: it sits on root bus 00, "
				 "which has no bridge to reset");

	assert_int_equal(pcidev_reset_reason(t->l, scan_and_find(t, "0000:03:00.0"), buf,
					     sizeof(buf)),
			 0);
	assert_string_equal(buf, "not resettable: the kernel offers no reset method (no FLR, "
				 "no PM reset); bus reset impossible: bus shared with "
				 "0000:03:00.1");

	assert_int_equal(pcidev_reset_reason(t->l, scan_and_find(t, "0000:04:00.0"), buf,
					     sizeof(buf)),
			 0);
	assert_string_equal(buf, "not resettable: the kernel offers no reset method (no FLR, "
				 "no PM reset); the kernel will not reset bus 04 behind bridge "
				 "0000:00:1c.2");
}

static void test_reset_reason_without_methods(void **state)
{
	struct fixture *t = *state;
	char buf[256];

	/* Older kernels have "reset" but no "reset_method". */
	add_fn(t, UHCI0, 0x8086, 0x2934, 0x0c0300);
	dev_attr(t, UHCI0, "reset", "");
	scan(t);
	assert_int_equal(pcidev_reset_reason(t->l, t->l->devs[0], buf, sizeof(buf)), 0);
	assert_string_equal(buf,
			    "resettable: the kernel offers a reset (it does not list the methods)");
	assert_true(t->l->devs[0]->resettable);
	assert_null(t->l->devs[0]->reset_methods);

	assert_int_equal(pcidev_reset_reason(t->l, t->l->devs[0], buf, 16), -ENOSPC);
}

static void test_config_header(void **state)
{
	struct fixture *t = *state;
	struct pcidev *d;

	build_base(t);
	d = scan_and_find(t, "0000:00:1d.0");
	assert_true(d->multifunction);
	assert_int_equal(d->header_type, 0);
	assert_false(scan_and_find(t, "0000:04:00.0")->multifunction);

	/* A bridge: header type 1, secondary bus from config byte 0x19. */
	d = scan_and_find(t, "0000:00:1c.0");
	assert_false(d->multifunction);
	assert_int_equal(d->header_type, 1);
	assert_int_equal(d->secondary_bus, 2);
	/* ... or from secondary_bus_number when the kernel has it. */
	assert_int_equal(scan_and_find(t, "0000:00:1c.1")->secondary_bus, 3);

	/* No config file: unknown. */
	d = scan_and_find(t, "0000:02:00.0");
	assert_int_equal(d->header_type, -1);
	assert_int_equal(d->secondary_bus, -1);
}

static void test_slot_functions(void **state)
{
	struct fixture *t = *state;
	struct pcidev *out[8], *d;

	build_base(t);
	d = scan_and_find(t, "0000:00:1d.1");
	assert_int_equal(pcidev_slot_functions(t->l, d, out, ELEMENTSOF(out)), 3);
	assert_string_equal(out[0]->bdf, "0000:00:1d.0");
	assert_ptr_equal(out[1], d);
	assert_string_equal(out[2]->bdf, "0000:00:1d.2");

	/* Counts all even when OUT is short. */
	out[1] = NULL;
	assert_int_equal(pcidev_slot_functions(t->l, d, out, 1), 3);
	assert_string_equal(out[0]->bdf, "0000:00:1d.0");
	assert_null(out[1]);

	d = scan_and_find(t, "0000:02:00.0");
	assert_int_equal(pcidev_slot_functions(t->l, d, out, ELEMENTSOF(out)), 1);
	assert_ptr_equal(out[0], d);
}

static void test_iommu_members(void **state)
{
	struct fixture *t = *state;
	char **m = NULL;
	struct pcidev *d;

	build_base(t);
	d = scan_and_find(t, "0000:00:1d.1");
	assert_int_equal(d->iommu_group, 5);
	assert_int_equal(pcidev_iommu_members(t->s, d, &m), 3);
	assert_string_equal(m[0], "0000:00:1d.0");
	assert_string_equal(m[1], "0000:00:1d.1");
	assert_string_equal(m[2], "0000:00:1d.2");
	assert_null(m[3]);
	m = strv_free(m);

	d = scan_and_find(t, "0000:02:00.0");
	assert_int_equal(d->iommu_group, 7);
	assert_int_equal(pcidev_iommu_members(t->s, d, &m), 1);
	assert_string_equal(m[0], "0000:02:00.0");
	m = strv_free(m);

	m = (char **)&m;
	assert_int_equal(pcidev_iommu_members(t->s, scan_and_find(t, "0000:00:00.0"), &m), 0);
	assert_null(m);
}

static void test_net_ifaces(void **state)
{
	struct fixture *t = *state;
	struct pcidev *d;

	build_base(t);
	d = scan_and_find(t, "0000:02:00.0");
	assert_non_null(d->net_ifaces);
	assert_string_equal(d->net_ifaces[0], "eth0");
	assert_null(d->net_ifaces[1]);
	assert_null(scan_and_find(t, "0000:03:00.0")->net_ifaces);
}

#define PF RP1 "/0000:05:00.0"

static void test_sriov(void **state)
{
	/* virtfn0..virtfn11 in the kernel's numbering; a name sort would put 10 before 2. */
	static const char *const vfs[] = {
		"0000:05:00.1", "0000:05:00.2", "0000:05:00.3", "0000:05:00.4",
		"0000:05:00.5", "0000:05:00.6", "0000:05:00.7", "0000:05:01.0",
		"0000:05:01.1", "0000:05:01.2", "0000:05:01.3", "0000:05:01.4",
	};
	struct fixture *t = *state;
	struct pcidev *pf, *vf;

	add_fn(t, RP1, 0x8086, 0x2940, 0x060400);
	add_fn(t, PF, 0x8086, 0x10c9, 0x020000);
	dev_attr(t, PF, "sriov_totalvfs", "16\n");
	dev_attr(t, PF, "sriov_numvfs", "12\n");
	for (size_t i = 0; i < ELEMENTSOF(vfs); i++) {
		char vfpath[128], name[32], target[32];

		snprintf(vfpath, sizeof(vfpath), RP1 "/%s", vfs[i]);
		add_fn(t, vfpath, 0x8086, 0x10ca, 0x020000);
		/* The kernel's own relative forms: "../0000:05:00.0". */
		dev_link_verbatim(t, vfpath, "physfn", "../0000:05:00.0");
		snprintf(name, sizeof(name), "virtfn%zu", i);
		snprintf(target, sizeof(target), "../%s", vfs[i]);
		dev_link_verbatim(t, PF, name, target);
	}
	scan(t);

	pf = scan_and_find(t, "0000:05:00.0");
	assert_int_equal(pf->sriov_totalvfs, 16);
	assert_int_equal(pf->sriov_numvfs, 12);
	assert_null(pf->physfn);
	assert_string_equal(pf->physfn_bdf, "");
	assert_non_null(pf->virtfns);
	assert_int_equal(strv_length(pf->virtfns), ELEMENTSOF(vfs));
	for (size_t i = 0; i < ELEMENTSOF(vfs); i++)
		assert_string_equal(pf->virtfns[i], vfs[i]);

	vf = scan_and_find(t, "0000:05:01.3");
	assert_ptr_equal(vf->physfn, pf);
	assert_string_equal(vf->physfn_bdf, "0000:05:00.0");
	assert_null(vf->virtfns);
	assert_int_equal(vf->sriov_totalvfs, -1);
	assert_ptr_equal(vf->parent, scan_and_find(t, "0000:00:1c.0"));
}

static void test_sort_by_address(void **state)
{
	struct fixture *t = *state;

	/* Directory order is "0000", "10000", "2000"; address order is 0, 0x2000, 0x10000. */
	add_fn(t, "pci10000:00/10000:00:00.0", 0x8086, 0x201d, 0x060400);
	add_fn(t, "pci2000:00/2000:00:00.0", 0x8086, 0x201d, 0x060400);
	add_fn(t, "pci0000:00/0000:00:1f.0", 0x8086, 0x2918, 0x060100);
	add_fn(t, "pci0000:00/0000:00:02.0", 0x8086, 0x2e12, 0x030000);
	scan(t);
	assert_int_equal(t->l->n, 4);
	assert_string_equal(t->l->devs[0]->bdf, "0000:00:02.0");
	assert_string_equal(t->l->devs[1]->bdf, "0000:00:1f.0");
	assert_string_equal(t->l->devs[2]->bdf, "2000:00:00.0");
	assert_string_equal(t->l->devs[3]->bdf, "10000:00:00.0");
	assert_string_equal(t->l->devs[3]->qubes, "dom0:10000_00_00.0");
}

static void test_drivers_and_pciback_lists(void **state)
{
	struct fixture *t = *state;

	build_base(t);
	unit_write_str(t->dir.root, "bus/pci/drivers/pciback/permissive", "0000:00:1d.0\n");
	unit_write_str(t->dir.root, "hypervisor/type", "xen\n");
	scan(t);

	/* Every registered driver, sorted. */
	assert_int_equal(strv_length(t->l->drivers), 5);
	assert_string_equal(t->l->drivers[0], "e1000e");
	assert_string_equal(t->l->drivers[1], "pci-stub");
	assert_string_equal(t->l->drivers[2], "pciback");
	assert_string_equal(t->l->drivers[3], "pcieport");
	assert_string_equal(t->l->drivers[4], "vfio-pci");
	assert_true(pcidev_driver_registered(t->l, "vfio-pci"));
	assert_false(pcidev_driver_registered(t->l, "nvme"));
	assert_false(pcidev_driver_registered(t->l, NULL));

	assert_true(pcidev_permissive(t->l, scan_and_find(t, "0000:00:1d.0")));
	assert_false(pcidev_permissive(t->l, scan_and_find(t, "0000:00:1d.1")));
	assert_true(t->l->xen);
}

static void test_no_drivers_no_xen(void **state)
{
	struct fixture *t = *state;

	add_fn(t, UHCI0, 0x8086, 0x2934, 0x0c0300);
	unit_write_str(t->dir.root, "hypervisor/type", "kvm\n");
	scan(t);
	assert_int_equal(strv_length(t->l->drivers), 0);
	assert_false(pcidev_driver_registered(t->l, "vfio-pci"));
	assert_false(pcidev_permissive(t->l, t->l->devs[0]));
	assert_false(t->l->xen);
}

static void test_usb_kinds_and_function_reset(void **state)
{
	char *flr_bus[] = { "flr", "bus", NULL }, *bus[] = { "bus", NULL };
	char *pm[] = { "pm", NULL }, *af_flr[] = { "af_flr", NULL };
	char *specific[] = { "device_specific", NULL };
	struct pcidev d = { .class = 0x0c0320 };

	(void)state;
	assert_true(pcidev_is_ehci(&d));
	assert_false(pcidev_is_usb_companion(&d));
	d.class = 0x0c0300; /* UHCI */
	assert_false(pcidev_is_ehci(&d));
	assert_true(pcidev_is_usb_companion(&d));
	d.class = 0x0c0310; /* OHCI */
	assert_true(pcidev_is_usb_companion(&d));
	d.class = 0x0c0330; /* xHCI: neither */
	assert_false(pcidev_is_ehci(&d));
	assert_false(pcidev_is_usb_companion(&d));

	/* Only resets that stay within the function count. */
	d.resettable = true;
	d.reset_methods = flr_bus;
	assert_true(pcidev_has_function_reset(&d));
	d.reset_methods = pm;
	assert_true(pcidev_has_function_reset(&d));
	d.reset_methods = af_flr;
	assert_true(pcidev_has_function_reset(&d));
	d.reset_methods = specific;
	assert_true(pcidev_has_function_reset(&d));
	d.reset_methods = bus;
	assert_false(pcidev_has_function_reset(&d));
	d.reset_methods = NULL;
	assert_false(pcidev_has_function_reset(&d));
	d.reset_methods = flr_bus;
	d.resettable = false;
	assert_false(pcidev_has_function_reset(&d));
}

static void test_empty_and_missing(void **state)
{
	struct fixture *t = *state;
	struct pcidev_list *l = (struct pcidev_list *)&l;

	/* No bus/pci/devices: not a sysfs root. */
	assert_int_equal(pcidev_scan(t->s, 0, &l), -ENOENT);
	assert_ptr_equal(l, (struct pcidev_list *)&l);

	/* An empty bus, and one with nothing but junk in it. */
	unit_mkdirs(t->dir.root, "bus/pci/devices/foo");
	unit_write_str(t->dir.root, "bus/pci/devices/uevent", "");
	/* A link left by a function removed while we look (hot-unplug). */
	unit_symlink_to(t->dir.root, "bus/pci/devices/0000:00:1f.0", "devices/pci0000:00/0000:00:1f.0");
	scan(t);
	assert_int_equal(t->l->n, 0);
	assert_false(t->l->have_pciback);
	assert_null(pcidev_list_free(NULL));
}

/*
 * A lazy scan reads identity, driver and the bridges' secondary bus only;
 * pcidev_load_details() reads the rest for one function, its slot and its
 * IOMMU group, and nothing else.
 */
static void test_lazy_details(void **state)
{
	struct fixture *t = *state;
	struct pcidev *d, *nic, *gpu;

	build_base(t);
	assert_int_equal(pcidev_scan(t->s, PCIDEV_SCAN_LAZY, &t->l), 0);
	for (size_t i = 0; i < t->l->n; i++)
		assert_false(t->l->devs[i]->details);
	nic = pcidev_find_bdf(t->l, "0000:02:00.0");
	assert_non_null(nic);
	assert_string_equal(nic->driver, "e1000e");
	assert_string_equal(nic->parent_bdf, "0000:00:1c.0");
	assert_false(nic->resettable);
	assert_null(nic->net_ifaces);
	assert_int_equal(nic->iommu_group, -1);
	/* RP2's secondary bus comes with the cheap pass (Qubes paths need it). */
	assert_int_equal(pcidev_find_bdf(t->l, "0000:00:1c.1")->secondary_bus, 3);

	/* UHCI 1d.1: its slot siblings, nothing more. */
	d = pcidev_find_bdf(t->l, "0000:00:1d.1");
	assert_int_equal(pcidev_load_details(t->s, t->l, d), 0);
	assert_true(d->details);
	assert_int_equal(d->iommu_group, 5);
	assert_string_equal(d->driver_override, "vfio-pci");
	assert_true(pcidev_find_bdf(t->l, "0000:00:1d.0")->details);
	assert_true(pcidev_find_bdf(t->l, "0000:00:1d.2")->details);
	assert_false(nic->details);
	gpu = pcidev_find_bdf(t->l, "0000:03:00.0");
	assert_false(gpu->details);

	/* The GPU: its audio function comes along (same slot). */
	assert_int_equal(pcidev_load_details(t->s, t->l, gpu), 0);
	assert_true(pcidev_find_bdf(t->l, "0000:03:00.1")->details);
	/* what only show prints is not a decision's: read on request */
	assert_int_equal(gpu->header_type, -1);
	assert_false(gpu->shown);
	assert_int_equal(pcidev_load_shown(t->s, gpu), 0);
	assert_int_equal(gpu->header_type, 0);
	assert_true(gpu->multifunction);

	assert_int_equal(pcidev_load_details(t->s, t->l, nic), 0);
	assert_true(nic->resettable);
	assert_string_equal(nic->reset_methods[0], "flr");
	assert_null(nic->net_ifaces);
	assert_int_equal(nic->revision, 0);
	assert_int_equal(nic->iommu_group, 7);
	/* its listing saw net/ and no directory a device node could be in */
	assert_true(nic->no_node_dirs);
	assert_int_equal(pcidev_load_shown(t->s, nic), 0);
	assert_string_equal(nic->net_ifaces[0], "eth0");
	assert_int_equal(nic->revision, 0x03);
	/* Loading again reads nothing new and changes nothing. */
	assert_int_equal(pcidev_load_details(t->s, t->l, nic), 0);
	assert_string_equal(nic->net_ifaces[0], "eth0");

	assert_int_equal(pcidev_load_all_details(t->s, t->l), 0);
	for (size_t i = 0; i < t->l->n; i++)
		assert_true(t->l->devs[i]->details);
}

/*
 * IDs and class come from the one uevent read when it has PCI_CLASS, PCI_ID
 * and PCI_SUBSYS_ID (the values below differ from the attribute files on
 * purpose, to show which was read); a uevent without them or with a bad
 * value sends the scan back to the attribute files.
 */
static void test_ids_from_uevent(void **state)
{
	struct fixture *t = *state;
	struct pcidev *d;

	add_fn(t, "pci0000:00/0000:00:01.0", 0x8086, 0x10d3, 0x020000);
	dev_attr(t, "pci0000:00/0000:00:01.0", "uevent",
		 "DRIVER=e1000e\nPCI_CLASS=C0330\nPCI_ID=1B21:1142\nPCI_SUBSYS_ID=1028:089E\n"
		 "PCI_SLOT_NAME=0000:00:01.0\nMODALIAS=pci:v00001B21d00001142sv*\n");
	add_fn(t, "pci0000:00/0000:00:02.0", 0x8086, 0x10d3, 0x020000);
	dev_attr(t, "pci0000:00/0000:00:02.0", "uevent",
		 "PCI_CLASS=20000\nPCI_ID=1B21:11x2\nPCI_SUBSYS_ID=1028:089E\n");
	add_fn(t, "pci0000:00/0000:00:03.0", 0x8086, 0x10d3, 0x020000);
	dev_attr(t, "pci0000:00/0000:00:03.0", "uevent", "PCI_CLASS=C0330\nPCI_ID=1B21:1142\n");
	add_fn(t, "pci0000:00/0000:00:04.0", 0x8086, 0x10d3, 0x020000);
	dev_attr(t, "pci0000:00/0000:00:04.0", "uevent",
		 "PCI_CLASS=10C0330\nPCI_ID=1B21:1142\nPCI_SUBSYS_ID=1028:089E\n");

	for (unsigned int flags = 0; flags <= PCIDEV_SCAN_LAZY; flags++) {
		t->l = pcidev_list_free(t->l);
		assert_int_equal(pcidev_scan(t->s, flags, &t->l), 0);
		d = pcidev_find_bdf(t->l, "0000:00:01.0");
		assert_int_equal(d->vendor, 0x1b21);
		assert_int_equal(d->device, 0x1142);
		assert_int_equal(d->class, 0x0c0330);
		assert_int_equal(d->subsys_vendor, 0x1028);
		assert_int_equal(d->subsys_device, 0x089e);
		/* the driver still comes from the driver link: there is none */
		assert_null(d->driver);
		for (const char *const *b = (const char *const[]){ "0000:00:02.0", "0000:00:03.0",
								  "0000:00:04.0", NULL };
		     *b; b++) {
			d = pcidev_find_bdf(t->l, *b);
			assert_int_equal(d->vendor, 0x8086);
			assert_int_equal(d->device, 0x10d3);
			assert_int_equal(d->class, 0x020000);
		}
	}
}

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
	assert_int_equal(pcidev_group_member_state(&t.nic1, moving, 1), PCIDEV_GROUP_MOVING);
	assert_int_equal(pcidev_group_member_state(&t.bridge, moving, 1), PCIDEV_GROUP_UNBOUND);
	assert_int_equal(pcidev_group_member_state(&t.port, moving, 1), PCIDEV_GROUP_PCIEPORT);
	assert_int_equal(pcidev_group_member_state(&t.nic2, moving, 1), PCIDEV_GROUP_BLOCKS);
	t.nic2.driver = "pci-stub";
	assert_int_equal(pcidev_group_member_state(&t.nic2, moving, 1), PCIDEV_GROUP_PCI_STUB);
	t.nic2.driver = "vfio-pci";
	assert_int_equal(pcidev_group_member_state(&t.nic2, moving, 1), PCIDEV_GROUP_VFIO);
	/* A variant is known by its vfio-dev/ directory, whatever its name. */
	t.nic2.driver = "foo_passthru";
	t.nic2.vfio_dev = "vfio3";
	assert_int_equal(pcidev_group_member_state(&t.nic2, moving, 1), PCIDEV_GROUP_VFIO);
	/* pcieport counts only for a bridge. */
	t.nic2.vfio_dev = NULL;
	t.nic2.driver = "pcieport";
	assert_int_equal(pcidev_group_member_state(&t.nic2, moving, 1), PCIDEV_GROUP_BLOCKS);
}

static void test_blockers(void **state)
{
	struct topo t;
	struct pcidev *moving[2];
	char buf[256];

	(void)state;
	topo_init(&t);
	moving[0] = &t.nic1;
	assert_int_equal(pcidev_group_blockers(&t.l, 5, moving, 1, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "0000:04:02.0 (8139cp)");
	/* Before anything moves, both NICs block. */
	assert_int_equal(pcidev_group_blockers(&t.l, 5, moving, 0, buf, sizeof(buf)), 2);
	assert_string_equal(buf, "0000:04:01.0 (e1000), 0000:04:02.0 (8139cp)");
	/* Both moving (--group): viable; the driverless bridge does not matter. */
	moving[1] = &t.nic2;
	assert_int_equal(pcidev_group_blockers(&t.l, 5, moving, 2, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	/* Another group's members are not looked at. */
	assert_int_equal(pcidev_group_blockers(&t.l, 6, moving, 2, buf, sizeof(buf)), 1);
	assert_int_equal(pcidev_group_blockers(&t.l, -1, moving, 2, buf, sizeof(buf)), 0);
	assert_int_equal(pcidev_group_blockers(&t.l, 5, moving, 0, buf, 8), -ENOSPC);
}

static void test_group_members(void **state)
{
	struct topo t;
	const struct pcidev *m[2];

	(void)state;
	topo_init(&t);
	assert_int_equal(pcidev_group_members(&t.l, 5, m, 2), 3);
	assert_ptr_equal(m[0], &t.bridge);
	assert_ptr_equal(m[1], &t.nic1);
	assert_int_equal(pcidev_group_members(&t.l, -1, m, 2), 0);
}

/* A vfio-pci variant is known by name too. */
static void test_is_vfio_driver(void **state)
{
	(void)state;
	assert_true(pcidev_is_vfio_driver("vfio-pci"));
	assert_true(pcidev_is_vfio_driver("mlx5_vfio_pci"));
	assert_true(pcidev_is_vfio_driver("xe-vfio-pci"));
	assert_false(pcidev_is_vfio_driver("pci-stub"));
	assert_false(pcidev_is_vfio_driver("vfio_pci_x"));
	assert_false(pcidev_is_vfio_driver(NULL));
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
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_scan_sorted_and_skips_non_bdf),
		T(test_ids_and_names),
		T(test_find),
		T(test_parent_links),
		T(test_driver_and_module),
		T(test_stubs),
		cmocka_unit_test(test_stub_names),
		T(test_pciback_slots),
		T(test_no_pciback),
		T(test_reset_fields),
		T(test_reset_reasons),
		T(test_reset_reason_without_methods),
		T(test_config_header),
		T(test_slot_functions),
		T(test_iommu_members),
		T(test_net_ifaces),
		T(test_sriov),
		T(test_sort_by_address),
		T(test_drivers_and_pciback_lists),
		T(test_no_drivers_no_xen),
		cmocka_unit_test(test_usb_kinds_and_function_reset),
		T(test_empty_and_missing),
		T(test_lazy_details),
		T(test_ids_from_uevent),
		cmocka_unit_test(test_member_states),
		cmocka_unit_test(test_blockers),
		cmocka_unit_test(test_group_members),
		cmocka_unit_test(test_is_vfio_driver),
		cmocka_unit_test(test_reset_works),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* plan.c: grouping and the ordered steps, from a hand-made snapshot (pure, no I/O). */
#include "unit.h"

#include "addr.h"
#include "pcidev.h"
#include "plan.h"

#define N 5
static struct pcidev fn[N];
static struct pcidev *devs[N];
static char *drivers[] = { "uhci_hcd", "ehci-pci", "e1000e", "vfio-pci", NULL };
static char *flr[] = { "flr", NULL };
static struct pcidev_list list;

static void mk(struct pcidev *d, const char *bdf, uint32_t class, const char *driver)
{
	*d = (struct pcidev){ .class = class, .iommu_group = 3, .driver = (char *)driver };
	assert_int_equal(addr_parse_bdf(bdf, &d->addr), 0);
	addr_format_bdf(&d->addr, d->bdf);
}

static int cmp_addr(const void *a, const void *b)
{
	return addr_cmp(&(*(struct pcidev *const *)a)->addr, &(*(struct pcidev *const *)b)->addr);
}

static int setup(void **state)
{
	(void)state;
	mk(&fn[0], "0000:00:1d.0", 0x0c0300, "uhci_hcd");
	mk(&fn[1], "0000:00:1d.7", 0x0c0320, "ehci-pci");
	mk(&fn[2], "0000:01:00.0", 0x020000, "e1000e");
	fn[2].resettable = true;
	fn[2].reset_methods = flr;
	fn[2].iommu_group = 5;	/* alone in its group: vfio-pci can claim it */
	mk(&fn[3], "0000:00:1f.0", 0x060100, NULL);
	mk(&fn[4], "0000:00:1f.3", 0x040300, "snd_hda_intel");
	for (int i = 0; i < N; i++)
		devs[i] = &fn[i];
	/* A snapshot is sorted by address (pcidev_scan); lookups rely on it. */
	qsort(devs, N, sizeof(*devs), cmp_addr);
	list = (struct pcidev_list){ .devs = devs, .n = N, .drivers = drivers };
	return 0;
}

static void test_companion_slot_never_split(void **state)
{
	struct pcidev *req[] = { &fn[0] };
	struct plan_request r = { .op = PLAN_SEIZE, .devs = req, .n = 1, .stub = "vfio-pci",
				  .no_strict_reset = true };
	struct plan_refusal why = { 0 };
	struct pcidev **set = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(plan_group(&list, &r, &set, &n, &why), -EPERM);
	assert_string_equal(why.bdf, "0000:00:1d.0");
	assert_non_null(strstr(why.reason, "USB companion slot"));
	r.all_functions = true;
	assert_int_equal(plan_group(&list, &r, &set, &n, &why), 0);
	assert_int_equal(n, 2);
	free(set);
}

static void test_strict_reset_split(void **state)
{
	struct pcidev *req[] = { &fn[4] };
	struct plan_request r = { .op = PLAN_SEIZE, .devs = req, .n = 1, .stub = "vfio-pci" };
	struct plan_refusal why = { 0 };
	struct pcidev **set = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(plan_group(&list, &r, &set, &n, &why), -EPERM);
	assert_non_null(strstr(why.reason, "-o no-strict-reset"));
	r.no_strict_reset = true;
	assert_int_equal(plan_group(&list, &r, &set, &n, &why), 0);
	assert_int_equal(n, 1);
	free(set);
}

static void test_seize_order(void **state)
{
	struct pcidev *req[] = { &fn[2] };
	struct plan_request r = { .op = PLAN_SEIZE, .devs = req, .n = 1, .stub = "vfio-pci" };
	struct plan_refusal why = { 0 };
	struct plan p;

	(void)state;
	plan_init(&p);
	assert_int_equal(plan_seize(&list, &r, &p, &why), 0);
	/* override before unbind, unbind before bind, nothing loaded (registered) */
	assert_int_equal(p.n, 3);
	assert_string_equal(p.steps[0].path, "bus/pci/devices/0000:01:00.0/driver_override");
	assert_string_equal(p.steps[0].value, "vfio-pci");
	assert_string_equal(p.steps[1].path, "bus/pci/drivers/e1000e/unbind");
	assert_string_equal(p.steps[2].path, "bus/pci/drivers/vfio-pci/bind");
	assert_int_equal(p.steps[2].check, CHECK_BOUND);
	plan_done(&p);
}

static void test_release_symbolic_driver(void **state)
{
	struct pcidev *req[] = { &fn[2] };
	struct plan_request r = { .op = PLAN_RELEASE, .devs = req, .n = 1 };
	struct plan_native nat = { .bdf = "0000:01:00.0", .module = "e1000e_mod" };
	struct plan_refusal why = { 0 };
	char sym[PLAN_NAME_MAX];
	struct plan p;

	(void)state;
	fn[2].driver = "vfio-pci";
	fn[2].stub = PCIDEV_STUB_VFIO_PCI;
	fn[2].driver_override = "vfio-pci";
	plan_init(&p);
	assert_int_equal(plan_release(&list, &r, &nat, 1, &p, &why), 0);
	assert_int_equal(plan_symbol("e1000e_mod", sym, sizeof(sym)), 0);
	assert_true(plan_is_symbol(sym));
	assert_false(plan_is_symbol("e1000e"));
	/* the module is loaded first, and its driver is named symbolically after */
	assert_int_equal(p.steps[0].op, STEP_LOAD_MODULE);
	assert_string_equal(p.steps[0].module, "e1000e_mod");
	assert_string_equal(p.steps[0].driver, sym);
	assert_string_equal(p.steps[1].path, "bus/pci/devices/0000:01:00.0/reset");
	assert_string_equal(p.steps[p.n - 2].path, "bus/pci/drivers/<driver of e1000e_mod>/bind");
	assert_string_equal(p.steps[p.n - 1].value, "\n");
	plan_done(&p);
	fn[2].driver = "e1000e";
	fn[2].stub = PCIDEV_STUB_NONE;
	fn[2].driver_override = NULL;
}

static void test_release_needs_a_native(void **state)
{
	struct pcidev *req[] = { &fn[2] };
	struct plan_request r = { .op = PLAN_RELEASE, .devs = req, .n = 1 };
	struct plan_native nat = { .bdf = "0000:01:00.0" };
	struct plan_refusal why = { 0 };
	struct plan p;

	(void)state;
	plan_init(&p);
	assert_int_equal(plan_release(&list, &r, &nat, 1, &p, &why), -EPERM);
	assert_non_null(strstr(why.reason, "no native driver is known"));
	plan_done(&p);
}

/* A GPU-shaped slot behind root port 00:03.0: display (bus reset only) + audio (none). */
static struct pcidev gpu[4];
static struct pcidev *gpu_devs[4];
static char *bus_only[] = { "bus", NULL };
static char *gpu_drivers[] = { "bochs-drm", "snd_hda_intel", "vfio-pci", "pciback", NULL };
static struct pcidev_list gpu_list;

static void gpu_setup(const char *stub, size_t n)
{
	mk(&gpu[0], "0000:00:03.0", 0x060400, "pcieport");
	gpu[0].secondary_bus = 2;
	mk(&gpu[1], "0000:02:00.0", 0x038000, stub);
	gpu[1].resettable = true;
	gpu[1].reset_methods = bus_only;
	mk(&gpu[2], "0000:02:00.1", 0x040300, stub);
	mk(&gpu[3], "0000:02:01.0", 0x020000, "e1000");
	for (size_t i = 1; i < 4; i++) {
		gpu[i].parent = &gpu[0];
		gpu[i].iommu_group = 7;
	}
	for (size_t i = 1; i < 3; i++) {
		gpu[i].stub = pcidev_stub_from_driver(stub);
		gpu[i].driver_override = (char *)stub;
	}
	for (size_t i = 0; i < 4; i++)
		gpu_devs[i] = &gpu[i];
	gpu_list = (struct pcidev_list){ .devs = gpu_devs, .n = n, .drivers = gpu_drivers };
}

static void test_bus_reset_covers_the_slot(void **state)
{
	struct pcidev *set[] = { &gpu[1], &gpu[2] };
	struct pcidev *req[] = { &gpu[1] };
	struct plan_request r = { .op = PLAN_RELEASE, .devs = req, .n = 1, .all_functions = true };
	struct plan_native nat[] = { { .bdf = "0000:02:00.0", .driver = "bochs-drm" },
				     { .bdf = "0000:02:00.1", .driver = "snd_hda_intel" } };
	struct plan_refusal why = { 0 };
	struct plan_bus_reset br;
	struct plan p;
	size_t resets = 0;

	(void)state;
	gpu_setup("vfio-pci", 3);
	/* Neither can be reset alone; one bus reset covers both. */
	assert_false(pcidev_reset_works(&gpu_list, &gpu[1]));
	assert_int_equal(plan_bus_reset(&gpu_list, &gpu[2], set, 2, &br), 0);
	assert_int_equal(br.how, BUS_RESET_VFIO);
	assert_int_equal(br.n, 2);
	assert_string_equal(br.fact, "a bus reset of bus 02 covers 0000:02:00.0 and 0000:02:00.1, "
				     "both in this change (VFIO's hot reset, while vfio-pci holds "
				     "them)");
	/* Only one of them in the change: no bus reset, naming the other. */
	assert_int_equal(plan_bus_reset(&gpu_list, &gpu[1], set, 1, &br), 0);
	assert_int_equal(br.how, BUS_RESET_NONE);
	assert_non_null(strstr(br.fact, "would also reset 0000:02:00.1 (vfio-pci)"));

	plan_init(&p);
	assert_int_equal(plan_release(&gpu_list, &r, nat, 2, &p, &why), 0);
	/* one hot reset, first, covering both, with their group; no per-function reset */
	assert_int_equal(p.steps[0].op, STEP_HOT_RESET);
	assert_string_equal(p.steps[0].covers, "0000:02:00.0 0000:02:00.1");
	assert_string_equal(p.steps[0].value, "7");
	assert_string_equal(p.steps[0].path, "0000:00:03.0");
	assert_false(p.steps[0].optional);
	for (size_t i = 0; i < p.n; i++)
		resets += p.steps[i].op == STEP_HOT_RESET || strstr(p.steps[i].path, "/reset");
	assert_int_equal(resets, 1);
	assert_string_equal(p.steps[3].path, "bus/pci/drivers/vfio-pci/unbind");
	plan_done(&p);
}

static void test_bus_reset_refusals(void **state)
{
	struct pcidev *set[] = { &gpu[1], &gpu[2] };
	struct plan_bus_reset br;

	(void)state;
	/* A third device on the bus stays: named. */
	gpu_setup("vfio-pci", 4);
	assert_int_equal(plan_bus_reset(&gpu_list, &gpu[1], set, 2, &br), 0);
	assert_int_equal(br.how, BUS_RESET_NONE);
	assert_non_null(strstr(br.fact, "would also reset 0000:02:01.0 (e1000), which is not"));
	/* pciback without reset_subordinate: no way to ask. */
	gpu_setup("pciback", 3);
	assert_int_equal(plan_bus_reset(&gpu_list, &gpu[1], set, 2, &br), 0);
	assert_int_equal(br.how, BUS_RESET_NONE);
	assert_non_null(strstr(br.fact, "has no reset_subordinate"));
	/* with it: the bridge's reset_subordinate */
	gpu[0].reset_subordinate = true;
	assert_int_equal(plan_bus_reset(&gpu_list, &gpu[1], set, 2, &br), 0);
	assert_int_equal(br.how, BUS_RESET_BRIDGE);
	/* no function offered a bus reset: the bridge may not do one */
	gpu[1].reset_methods = NULL;
	gpu[1].resettable = false;
	assert_int_equal(plan_bus_reset(&gpu_list, &gpu[1], set, 2, &br), 0);
	assert_int_equal(br.how, BUS_RESET_NONE);
	assert_non_null(strstr(br.fact, "offers a bus reset to none"));
	/* not on a stub: no bus reset is in question */
	gpu_setup("vfio-pci", 3);
	gpu[1].stub = PCIDEV_STUB_NONE;
	assert_int_equal(plan_bus_reset(&gpu_list, &gpu[1], set, 2, &br), 0);
	assert_string_equal(br.fact, "");
}

/* pcibind vfs: where VFs appear, and the order that keeps native drivers off them. */
static void test_vfs_plan(void **state)
{
	struct pcidev pf, vf[2];
	struct plan_vf pv[2];
	struct pcidev *d1[] = { &pf };
	struct pcidev_list l1 = { .devs = d1, .n = 1, .drivers = drivers };
	struct plan p;

	(void)state;
	mk(&pf, "0000:01:00.0", 0x010802, "nvme");
	pf.vendor = 0x1b36;
	pf.device = 0x0010;
	pf.sriov_totalvfs = 2;
	pf.sriov_numvfs = 0;
	pf.sriov_autoprobe = 1;
	pf.sriov_offset = 1;
	pf.sriov_stride = 1;
	pf.sriov_vf_device = 0x0011;
	for (int i = 0; i < 2; i++)
		assert_int_equal(plan_vf_predict(&pf, i, &vf[i]), 0);
	assert_string_equal(vf[0].bdf, "0000:01:00.1");
	assert_string_equal(vf[1].bdf, "0000:01:00.2");
	assert_int_equal(vf[1].device, 0x0011);
	assert_ptr_equal(vf[1].physfn, &pf);
	/* a routing ID past bus ff; a PF that does not say */
	pf.sriov_offset = 0xffff;
	assert_int_equal(plan_vf_predict(&pf, 1, &vf[1]), -ERANGE);
	pf.sriov_offset = -1;
	assert_int_equal(plan_vf_predict(&pf, 0, &vf[1]), -ENODATA);
	pf.sriov_offset = 1;
	assert_int_equal(plan_vf_predict(&pf, 1, &vf[1]), 0);

	pv[0] = (struct plan_vf){ .dev = &vf[0], .stub = "vfio-pci", .module = "vfio_pci" };
	pv[1] = (struct plan_vf){ .dev = &vf[1] };
	plan_init(&p);
	assert_int_equal(plan_vfs(&l1, &pf, 2, pv, 2, &p), 0);
	/* autoprobe off, the count, VF0 to its stub, autoprobe back, VF1 natively */
	assert_int_equal(p.n, 6);
	assert_string_equal(p.steps[0].path, "bus/pci/devices/0000:01:00.0/sriov_drivers_autoprobe");
	assert_string_equal(p.steps[0].value, "0");
	assert_string_equal(p.steps[1].path, "bus/pci/devices/0000:01:00.0/sriov_numvfs");
	assert_string_equal(p.steps[1].value, "2");
	assert_int_equal(p.steps[1].check, CHECK_ATTR);
	assert_string_equal(p.steps[2].path, "bus/pci/devices/0000:01:00.1/driver_override");
	assert_string_equal(p.steps[3].path, "bus/pci/drivers/vfio-pci/bind");
	assert_int_equal(p.steps[3].check, CHECK_BOUND);
	assert_string_equal(p.steps[4].value, "1");
	assert_string_equal(p.steps[5].path, "bus/pci/drivers_probe");
	assert_string_equal(p.steps[5].value, "0000:01:00.2");
	plan_done(&p);

	/* from 2 to 1: to 0 first (the kernel needs it); the same count: nothing */
	pf.sriov_numvfs = 2;
	plan_init(&p);
	assert_int_equal(plan_vfs(&l1, &pf, 1, pv + 1, 1, &p), 0);
	assert_string_equal(p.steps[0].path, "bus/pci/devices/0000:01:00.0/sriov_numvfs");
	assert_string_equal(p.steps[0].value, "0");
	assert_string_equal(p.steps[2].value, "1");
	plan_done(&p);
	plan_init(&p);
	assert_int_equal(plan_vfs(&l1, &pf, 2, pv, 2, &p), 0);
	assert_int_equal(p.n, 0);
	assert_int_equal(plan_vfs(&l1, &pf, 3, pv, 2, &p), -EINVAL);
	/* to 0: one step */
	assert_int_equal(plan_vfs(&l1, &pf, 0, NULL, 0, &p), 0);
	assert_int_equal(p.n, 1);
	/* the way back after a killed run: autoprobe, then the count */
	pf.sriov_autoprobe = 0;
	plan_done(&p);
	plan_init(&p);
	assert_int_equal(plan_sriov_restore(&pf, 0, 1, &p), 0);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.steps[0].value, "1");
	assert_string_equal(p.steps[1].value, "0");
	plan_done(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_companion_slot_never_split, setup),
		cmocka_unit_test_setup(test_strict_reset_split, setup),
		cmocka_unit_test_setup(test_seize_order, setup),
		cmocka_unit_test_setup(test_release_symbolic_driver, setup),
		cmocka_unit_test_setup(test_release_needs_a_native, setup),
		cmocka_unit_test(test_bus_reset_covers_the_slot),
		cmocka_unit_test(test_bus_reset_refusals),
		cmocka_unit_test(test_vfs_plan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

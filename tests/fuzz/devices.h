/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small fixed snapshot for the fuzz targets, built in memory (no sysfs):
 * a root port with a card behind it (so that Qubes PCI paths resolve), a
 * USB companion slot, a NIC on its driver, a function on the stub, a bridge
 * with a bridge behind it, and a function in PCI domain 1.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "pcidev.h"

static char fz_drv_e1000e[] = "e1000e", fz_drv_uhci[] = "uhci_hcd", fz_drv_ehci[] = "ehci-pci",
	    fz_drv_vfio[] = "vfio-pci", fz_drv_nvme[] = "nvme", fz_drv_pcieport[] = "pcieport";

static struct pcidev fz_devs[] = {
	/* 0: root port 00:1c.0 -> bus 02 */
	{ .addr = { 0, 0x00, 0x1c, 0 }, .vendor = 0x8086, .device = 0x2940, .class = 0x060400,
	  .header_type = 1, .driver = fz_drv_pcieport, .secondary_bus = 0x02, .iommu_group = 5,
	  .boot_vga = -1, .sriov_totalvfs = -1 },
	/* 1: 02:00.0 behind it: path 00_1c.0-00_00.0 */
	{ .addr = { 0, 0x02, 0x00, 0 }, .vendor = 0x10ec, .device = 0x8168, .subsys_vendor = 0x1028,
	  .subsys_device = 0x089e, .class = 0x020000, .driver = NULL, .secondary_bus = -1,
	  .iommu_group = 6, .boot_vga = -1, .sriov_totalvfs = -1 },
	/* 2, 3: USB companion slot 00:1d.0 (UHCI) and 00:1d.7 (EHCI) */
	{ .addr = { 0, 0x00, 0x1d, 0 }, .vendor = 0x8086, .device = 0x2934, .subsys_vendor = 0x1af4,
	  .subsys_device = 0x1100, .class = 0x0c0300, .multifunction = true, .driver = fz_drv_uhci,
	  .secondary_bus = -1, .iommu_group = 7, .boot_vga = -1, .sriov_totalvfs = -1 },
	{ .addr = { 0, 0x00, 0x1d, 7 }, .vendor = 0x8086, .device = 0x293a, .class = 0x0c0320,
	  .driver = fz_drv_ehci, .secondary_bus = -1, .iommu_group = 7, .boot_vga = -1,
	  .sriov_totalvfs = -1 },
	/* 4: NIC 00:1f.6 on e1000e */
	{ .addr = { 0, 0x00, 0x1f, 6 }, .vendor = 0x8086, .device = 0x15bb, .subsys_vendor = 0x1028,
	  .subsys_device = 0x07be, .class = 0x020000, .driver = fz_drv_e1000e,
	  .secondary_bus = -1, .iommu_group = 9, .boot_vga = -1, .sriov_totalvfs = -1,
	  .resettable = true },
	/* 5: NVMe 03:00.0 on vfio-pci (a stub) */
	{ .addr = { 0, 0x03, 0x00, 0 }, .vendor = 0x144d, .device = 0xa808, .class = 0x010802,
	  .driver = fz_drv_vfio, .stub = PCIDEV_STUB_VFIO_PCI, .secondary_bus = -1,
	  .iommu_group = 10, .boot_vga = -1, .sriov_totalvfs = -1, .resettable = true },
	/* 6, 7: bridge 00:01.0 -> bus 04, bridge 04:00.0 -> bus 05, 8: 05:00.1 behind both */
	{ .addr = { 0, 0x00, 0x01, 0 }, .vendor = 0x8086, .device = 0x1901, .class = 0x060400,
	  .header_type = 1, .secondary_bus = 0x04, .iommu_group = 1, .boot_vga = -1,
	  .sriov_totalvfs = -1 },
	{ .addr = { 0, 0x04, 0x00, 0 }, .vendor = 0x1b21, .device = 0x1184, .class = 0x060400,
	  .header_type = 1, .secondary_bus = 0x05, .iommu_group = 11, .boot_vga = -1,
	  .sriov_totalvfs = -1 },
	{ .addr = { 0, 0x05, 0x00, 1 }, .vendor = 0x10de, .device = 0x10f0, .class = 0x040300,
	  .driver = fz_drv_nvme, .secondary_bus = -1, .iommu_group = 12, .boot_vga = -1,
	  .sriov_totalvfs = -1 },
	/* 9: VGA 00:02.0, the boot VGA device */
	{ .addr = { 0, 0x00, 0x02, 0 }, .vendor = 0x8086, .device = 0x5917, .class = 0x030000,
	  .secondary_bus = -1, .iommu_group = 2, .boot_vga = 1, .sriov_totalvfs = -1 },
	/* 10: a function in PCI domain 1 */
	{ .addr = { 1, 0x01, 0x00, 0 }, .vendor = 0x15b3, .device = 0x1017, .class = 0x020000,
	  .secondary_bus = -1, .iommu_group = -1, .boot_vga = -1, .sriov_totalvfs = 8 },
};

static struct pcidev *fz_ptrs[sizeof(fz_devs) / sizeof(fz_devs[0])];
static struct pcidev_list fz_list;

/* The snapshot, built once. */
static inline const struct pcidev_list *fz_devices(void)
{
	if (fz_list.n)
		return &fz_list;
	for (size_t i = 0; i < sizeof(fz_devs) / sizeof(fz_devs[0]); i++) {
		struct pcidev *d = &fz_devs[i];

		addr_format_bdf(&d->addr, d->bdf);
		addr_format_qubes(&d->addr, d->qubes);
		fz_ptrs[i] = d;
	}
	fz_devs[1].parent = &fz_devs[0];
	snprintf(fz_devs[1].parent_bdf, sizeof(fz_devs[1].parent_bdf), "%s", fz_devs[0].bdf);
	fz_devs[7].parent = &fz_devs[6];
	snprintf(fz_devs[7].parent_bdf, sizeof(fz_devs[7].parent_bdf), "%s", fz_devs[6].bdf);
	fz_devs[8].parent = &fz_devs[7];
	snprintf(fz_devs[8].parent_bdf, sizeof(fz_devs[8].parent_bdf), "%s", fz_devs[7].bdf);
	fz_list.devs = fz_ptrs;
	fz_list.n = sizeof(fz_devs) / sizeof(fz_devs[0]);
	return &fz_list;
}

/* The input as a C string (libFuzzer's data is not NUL-terminated). */
static inline char *fz_string(const unsigned char *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* An invariant broken: libFuzzer records the input as a crash. */
#define FZ_CHECK(cond)                                                                         \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                               \
		}                                                                              \
	} while (0)

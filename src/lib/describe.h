/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Human names of a device from pci.ids, in lspci's wording. */
#pragma once

#include <stddef.h>

struct pcidev;
struct pciname;

struct describe {
	char class_name[128];	/* "" when unknown */
	char vendor_name[128];
	char device_name[256];
	char subsys_vendor_name[128];
	char subsys_device_name[256];
	char progif_name[64];
};

void describe_device(struct pciname *n, const struct pcidev *d, struct describe *ret);
int describe_line(const struct pcidev *d, const struct describe *names, char *buf, size_t size);

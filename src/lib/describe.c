/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Human names of a device, and the one-line description lspci -nn would print. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "describe.h"
#include "pcidev.h"
#include "pciname.h"

static void copy_name(char *dst, size_t size, const char *name)
{
	if (name)
		snprintf(dst, size, "%s", name);
	else
		dst[0] = '\0';
}

/* Look up every name of D (libpci, through pciname's per-run cache); an unknown one is "". */
void describe_device(struct pciname *n, const struct pcidev *d, struct describe *ret)
{
	const struct pciname_set *s;

	if (pciname_lookup(n, d->vendor, d->device, d->subsys_vendor, d->subsys_device, d->class,
			   &s) < 0) {
		*ret = (struct describe){ 0 };
		return;
	}
	copy_name(ret->class_name, sizeof(ret->class_name), s->class_name);
	/* For an unknown subclass libpci names the base class and appends " [ccss]". */
	{
		char tail[16];
		size_t len = strlen(ret->class_name), tl;

		snprintf(tail, sizeof(tail), " [%04x]", d->class >> 8);
		tl = strlen(tail);
		if (len > tl && strcmp(ret->class_name + len - tl, tail) == 0)
			ret->class_name[len - tl] = '\0';
	}
	copy_name(ret->vendor_name, sizeof(ret->vendor_name), s->vendor);
	copy_name(ret->device_name, sizeof(ret->device_name), s->device);
	copy_name(ret->subsys_vendor_name, sizeof(ret->subsys_vendor_name), s->subsys_vendor);
	copy_name(ret->subsys_device_name, sizeof(ret->subsys_device_name), s->subsys_device);
	copy_name(ret->progif_name, sizeof(ret->progif_name), s->progif);
}

/*
 * "USB controller [0c03]: Intel Corporation 82801I ... [8086:2934] (rev 03)",
 * as lspci -nn prints it. Returns 0 or -ENOSPC.
 */
int describe_line(const struct pcidev *d, const struct describe *names, char *buf, size_t size)
{
	char cls[160], dev[400];
	int n;

	if (names->class_name[0])
		snprintf(cls, sizeof(cls), "%s [%04x]", names->class_name, d->class >> 8);
	else
		snprintf(cls, sizeof(cls), "Class [%04x]", d->class >> 8);
	if (names->vendor_name[0] && names->device_name[0])
		snprintf(dev, sizeof(dev), "%s %s", names->vendor_name, names->device_name);
	else if (names->vendor_name[0])
		snprintf(dev, sizeof(dev), "%s Device", names->vendor_name);
	else
		snprintf(dev, sizeof(dev), "Device");
	n = snprintf(buf, size, "%s: %s [%04x:%04x]", cls, dev, d->vendor, d->device);
	if (n >= 0 && (size_t)n < size && d->revision)
		n += snprintf(buf + n, size - n, " (rev %02x)", d->revision);
	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

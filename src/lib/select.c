/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Device selectors: the Qubes forms and class names on top of libpci's filter syntax. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "macro.h"
#include "pcidev.h"
#include "select.h"

/* Class names, after the categories qvm-pci and driverctl use. */
static const struct {
	const char *name;
	unsigned int class16;
	unsigned int mask;
} class_names[] = {
	{ "storage", 0x0100, 0xff00 },	 { "sata", 0x0106, 0xffff },
	{ "nvme", 0x0108, 0xffff },	 { "network", 0x0200, 0xff00 },
	{ "ethernet", 0x0200, 0xffff },	 { "display", 0x0300, 0xff00 },
	{ "vga", 0x0300, 0xffff },	 { "multimedia", 0x0400, 0xff00 },
	{ "audio", 0x0403, 0xffff },	 { "memory", 0x0500, 0xff00 },
	{ "bridge", 0x0600, 0xff00 },	 { "communication", 0x0700, 0xff00 },
	{ "system", 0x0800, 0xff00 },	 { "input", 0x0900, 0xff00 },
	{ "docking", 0x0a00, 0xff00 },	 { "processor", 0x0b00, 0xff00 },
	{ "serial-bus", 0x0c00, 0xff00 }, { "firewire", 0x0c00, 0xffff },
	{ "usb", 0x0c03, 0xffff },	 { "smbus", 0x0c05, 0xffff },
	{ "thunderbolt", 0x0c0a, 0xffff }, { "wireless", 0x0d00, 0xff00 },
	{ "crypto", 0x1000, 0xff00 },	 { "signal", 0x1100, 0xff00 },
	{ "accelerator", 0x1200, 0xff00 },
};

/* The accepted class names, space-separated, for help and messages. */
const char *select_class_names(void)
{
	static char buf[512];

	if (!buf[0])
		for (size_t i = 0; i < ELEMENTSOF(class_names); i++) {
			if (i)
				strcat(buf, " ");
			strcat(buf, class_names[i].name);
		}
	return buf;
}

static void filter_any(struct pciname_filter *f)
{
	*f = (struct pciname_filter){ -1, -1, -1, -1, -1, -1, -1, ~0U, -1 };
}

/*
 * A Qubes PCI path, "[DDDD_]BB_SS.F-BB_SS.F...": the first hop on a root
 * bus, every later bus relative to the secondary bus of the bridge before
 * (qubes-core-admin's sbdf_to_path). It names a device by where it is
 * plugged in, which stays true when a new card shifts the bus numbers.
 */
static int parse_path(const char *text, struct selector *sel, const char **ret_error)
{
	static const char bad[] = "not a Qubes PCI path (expected e.g. 00_1c.0-00_00.0)";
	const char *p = text, *q;
	uint32_t dom = 0;

	if (strncmp(p, "dom0:", 5) == 0)
		p += 5;
	/* "DDDD_" in front only for a non-zero domain: four digits, then '_'. */
	q = p;
	if (addr_parse_hex(&q, 4, 4, &dom) == 0 && *q == '_')
		p = q + 1;
	else
		dom = 0;
	sel->domain = dom;
	sel->n_hops = 0;
	for (;;) {
		uint32_t bus, slot, func;

		if (sel->n_hops == SELECT_PATH_MAX) {
			*ret_error = "a PCI path of more than 256 hops (there are 256 buses)";
			return -EINVAL;
		}
		if (addr_parse_hex(&p, 2, 2, &bus) < 0 || *p++ != '_' ||
		    addr_parse_hex(&p, 2, 2, &slot) < 0 || *p++ != '.' ||
		    addr_parse_hex(&p, 1, 1, &func) < 0 || slot > 0x1f || func > 7) {
			*ret_error = bad;
			return -EINVAL;
		}
		sel->hops[sel->n_hops++] =
			(struct select_hop){ .bus = bus, .slot = slot, .func = func };
		if (!*p)
			break;
		if (*p++ != '-') {
			*ret_error = bad;
			return -EINVAL;
		}
	}
	/* One hop is a plain Qubes address, parsed elsewhere; a path has two or more. */
	if (sel->n_hops < 2) {
		*ret_error = bad;
		return -EINVAL;
	}
	return 0;
}

/*
 * A word that can only mean a class name: letters and '-', and a letter
 * that is not a hex digit (so "usbb" is a misspelt class, "bad" an address).
 */
static bool looks_like_word(const char *text)
{
	bool non_hex = false;

	for (const char *c = text; *c; c++) {
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '-'))
			return false;
		if (!strchr("abcdefABCDEF", *c))
			non_hex = true;
	}
	return non_hex;
}

/* "pci_0000_03_00_0" (libvirt's node device) into "0000:03:00.0" in BUF. */
static bool libvirt_name(const char *text, char *buf, size_t size)
{
	static const char shape[] = "pci_hhhh_hh_hh_h";

	if (strlen(text) != sizeof(shape) - 1 || size < sizeof("0000:00:00.0"))
		return false;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'h' ? !strchr("0123456789abcdefABCDEF", text[i]) : text[i] != shape[i])
			return false;
	snprintf(buf, size, "%.4s:%.2s:%.2s.%c", text + 4, text + 9, text + 12, text[15]);
	return true;
}

/*
 * Parse a selector: a class name ("usb"), the Qubes forms ("dom0:00_1d.0",
 * "00_1d.*"), a Qubes PCI path ("00_1c.0-00_00.0"), or lspci's slot syntax
 * ("0000:00:1d.0", "00:1d.*", ":1d"), or libvirt's node-device name
 * ("pci_0000_00_1d_0"). Returns 0; -ENOENT for a word that is no class name
 * (select_class_names() lists them), -EINVAL with a reason in *ret_error.
 */
int select_parse(const char *text, struct selector *ret, const char **ret_error)
{
	struct selector sel = { .text = text };
	_cleanup_free_ char *slot = NULL;
	const char *p = text;
	char libvirt[sizeof("0000:00:00.0")];
	int r;

	if (!text || !*text) {
		*ret_error = "empty selector";
		return -EINVAL;
	}
	filter_any(&sel.f);
	for (size_t i = 0; i < ELEMENTSOF(class_names); i++)
		if (strcasecmp(text, class_names[i].name) == 0) {
			sel.f.device_class = class_names[i].class16;
			sel.f.device_class_mask = class_names[i].mask;
			*ret = sel;
			return 0;
		}
	if (looks_like_word(text)) {
		*ret_error = "not a class name";
		return -ENOENT;
	}
	/* libvirt's node-device name, pci_DDDD_BB_SS_F: the kernel address. */
	if (libvirt_name(text, libvirt, sizeof(libvirt)))
		p = text = libvirt;

	if (strchr(text, '_') && strchr(text, '-')) {
		r = parse_path(text, &sel, ret_error);
		if (r < 0)
			return r;
		*ret = sel;
		return 0;
	}
	if (strchr(text, '_')) {
		/* Qubes writes BB_SS.F behind "dom0:"; libpci parses BB:SS.F. */
		if (strncmp(p, "dom0:", 5) == 0)
			p += 5;
		slot = strdup(p);
		if (!slot)
			return -ENOMEM;
		for (char *c = slot; *c; c++) {
			if (*c == '_')
				*c = ':';
			else if (*c == ':' || *c == '-') {
				*ret_error = "not a Qubes address (expected dom0:BB_SS.F)";
				return -EINVAL;
			}
		}
		p = slot;
	} else if (strchr(text, '/')) {
		*ret_error = "'/' is not part of any PCI address";
		return -EINVAL;
	}
	r = pciname_parse_slot(p, &sel.f, ret_error);
	if (r < 0)
		return r;
	/* A Qubes address without a domain part means domain 0000 (see addr.c). */
	if (slot && sel.f.domain < 0)
		sel.f.domain = 0;
	*ret = sel;
	return 0;
}

/* Parse lspci's -d "VENDOR:DEVICE[:CLASS[:PROGIF]]". Returns 0 or -EINVAL. */
int select_parse_id(const char *text, struct selector *ret, const char **ret_error)
{
	struct selector sel = { .text = text };
	int r;

	r = pciname_parse_id(text, &sel.f, ret_error);
	if (r < 0)
		return r;
	*ret = sel;
	return 0;
}

/* Whether D sits at the end of the PCI path SEL. */
static bool path_match(const struct selector *sel, const struct pcidev *d)
{
	const struct pcidev *chain[SELECT_PATH_MAX];
	size_t n = 0;

	for (const struct pcidev *x = d; x; x = x->parent) {
		if (n == sel->n_hops)
			return false;
		chain[n++] = x;
	}
	if (n != sel->n_hops || d->addr.domain != sel->domain)
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct pcidev *x = chain[n - 1 - i];
		const struct select_hop *h = &sel->hops[i];
		int base = 0;

		if (i > 0) {
			base = chain[n - i]->secondary_bus;
			if (base < 0)
				return false;
		}
		if ((int)x->addr.bus - base != (int)h->bus || x->addr.slot != h->slot ||
		    x->addr.func != h->func)
			return false;
	}
	return true;
}

/* Whether D is selected. */
bool select_match(const struct selector *sel, const struct pcidev *d)
{
	const struct pciname_filter *f = &sel->f;
	unsigned int class16 = d->class >> 8;

	if (sel->n_hops > 1)
		return path_match(sel, d);
	if ((f->domain >= 0 && (unsigned int)f->domain != d->addr.domain) ||
	    (f->bus >= 0 && f->bus != d->addr.bus) || (f->slot >= 0 && f->slot != d->addr.slot) ||
	    (f->func >= 0 && f->func != d->addr.func))
		return false;
	if ((f->vendor >= 0 && f->vendor != d->vendor) ||
	    (f->device >= 0 && f->device != d->device))
		return false;
	if (f->device_class >= 0 &&
	    ((class16 ^ (unsigned int)f->device_class) & f->device_class_mask))
		return false;
	if (f->prog_if >= 0 && f->prog_if != (int)(d->class & 0xff))
		return false;
	return true;
}

/*
 * Resolve TEXT to exactly one function of L. Returns 0; -EINVAL for a bad
 * selector, -ENOENT for a word that is no class name, -ENODEV for no match,
 * -E2BIG for several; *ret_error says why.
 */
int select_resolve_one(const struct pcidev_list *l, const char *text, struct pcidev **ret,
		       const char **ret_error)
{
	struct selector sel;
	struct pcidev *found = NULL;
	int r;

	r = select_parse(text, &sel, ret_error);
	if (r < 0)
		return r;
	/* A whole address names at most one function: a binary search, not a scan
	 * (boot resolves thousands of them). */
	if (sel.n_hops <= 1 && sel.f.domain >= 0 && sel.f.bus >= 0 && sel.f.slot >= 0 &&
	    sel.f.func >= 0) {
		struct pci_addr a = { .domain = (unsigned int)sel.f.domain,
				      .bus = (unsigned int)sel.f.bus,
				      .slot = (unsigned int)sel.f.slot,
				      .func = (unsigned int)sel.f.func };

		found = pcidev_find(l, &a);
		if (found && !select_match(&sel, found))
			found = NULL;
		if (!found) {
			*ret_error = "no such PCI function";
			return -ENODEV;
		}
		*ret = found;
		return 0;
	}
	for (size_t i = 0; i < l->n; i++) {
		if (!select_match(&sel, l->devs[i]))
			continue;
		if (found) {
			*ret_error = "it matches more than one function";
			return -E2BIG;
		}
		found = l->devs[i];
	}
	if (!found) {
		*ret_error = "no such PCI function";
		return -ENODEV;
	}
	*ret = found;
	return 0;
}

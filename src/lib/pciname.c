/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libpci adapter: the only file that asks libpci for names. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pci/pci.h>

#include "macro.h"
#include "pciname.h"

struct pciname {
	struct pci_access *pacc;
	int flags;
};

/* libpci's default error callback exits; names are best-effort, so stay quiet. */
static void pciname_warn(char *msg _unused_, ...)
{
}

/*
 * Set up name lookups from IDS_FILE (a pci.ids), NULL for libpci's default.
 * libpci never scans the bus here: pcibind reads devices itself.
 */
int pciname_new(const char *ids_file, struct pciname **ret)
{
	struct pciname *n;

	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->pacc = pci_alloc();
	if (!n->pacc) {
		free(n);
		return -ENOMEM;
	}
	n->pacc->warning = pciname_warn;
	n->pacc->debug = pciname_warn;
	/*
	 * pci_alloc() leaves error NULL (pci_init() would set it); libpci calls it
	 * for a damaged pci.ids and then keeps what it parsed, so returning is fine.
	 */
	{
		void (*quiet)(char *, ...) = pciname_warn;

		/* A plain assignment warns: the field is declared noreturn. */
		memcpy(&n->pacc->error, &quiet, sizeof(quiet));
	}
	n->flags = PCI_LOOKUP_NO_NUMBERS;
	if (ids_file) {
		pci_set_name_list_path(n->pacc, (char *)ids_file, 0);
		/* A given file is the whole truth: no udev hwdb. */
		n->flags |= PCI_LOOKUP_NO_HWDB;
	}
	*ret = n;
	return 0;
}

/* Accepts NULL, returns NULL. */
struct pciname *pciname_free(struct pciname *n)
{
	if (!n)
		return NULL;
	pci_cleanup(n->pacc);
	free(n);
	return NULL;
}

/* Each returns the name, or NULL when pci.ids does not know it. */
const char *pciname_vendor(struct pciname *n, char *buf, size_t size, uint16_t vendor)
{
	return pci_lookup_name(n->pacc, buf, size, n->flags | PCI_LOOKUP_VENDOR, vendor);
}

const char *pciname_device(struct pciname *n, char *buf, size_t size, uint16_t vendor,
			   uint16_t device)
{
	return pci_lookup_name(n->pacc, buf, size, n->flags | PCI_LOOKUP_DEVICE, vendor, device);
}

const char *pciname_subsystem(struct pciname *n, char *buf, size_t size, uint16_t vendor,
			      uint16_t device, uint16_t sv, uint16_t sd)
{
	return pci_lookup_name(n->pacc, buf, size,
			       n->flags | PCI_LOOKUP_SUBSYSTEM | PCI_LOOKUP_DEVICE, vendor, device,
			       sv, sd);
}

const char *pciname_class(struct pciname *n, char *buf, size_t size, uint16_t class16)
{
	return pci_lookup_name(n->pacc, buf, size, n->flags | PCI_LOOKUP_CLASS, class16);
}

const char *pciname_progif(struct pciname *n, char *buf, size_t size, uint32_t class24)
{
	return pci_lookup_name(n->pacc, buf, size, n->flags | PCI_LOOKUP_PROGIF,
			       (class24 >> 8) & 0xffff, class24 & 0xff);
}

static void filter_copy(const struct pci_filter *f, struct pciname_filter *ret)
{
	*ret = (struct pciname_filter){
		.domain = f->domain,
		.bus = f->bus,
		.slot = f->slot,
		.func = f->func,
		.vendor = f->vendor,
		.device = f->device,
		.device_class = f->device_class,
		.device_class_mask = f->device_class_mask,
		.prog_if = f->prog_if,
	};
}

typedef char *(*filter_parser)(struct pci_filter *, char *);

static int parse_with(filter_parser fn, const char *text, struct pciname_filter *ret,
		      const char **ret_error)
{
	_cleanup_free_ char *copy = strdup(text);
	struct pci_filter f;
	char *err;

	if (!copy)
		return -ENOMEM;
	pci_filter_init(NULL, &f);
	err = fn(&f, copy);
	if (err) {
		*ret_error = err; /* libpci's static message */
		return -EINVAL;
	}
	filter_copy(&f, ret);
	return 0;
}

/*
 * Parse lspci's -s syntax ("[[[[DOMAIN]:]BUS]:][SLOT][.[FUNC]]", '*' for
 * any) with libpci. Returns 0 or -EINVAL with libpci's reason in *ret_error.
 */
int pciname_parse_slot(const char *text, struct pciname_filter *ret, const char **ret_error)
{
	return parse_with(pci_filter_parse_slot, text, ret, ret_error);
}

/* Parse lspci's -d syntax ("[VENDOR]:[DEVICE][:CLASS[:PROGIF]]") with libpci. */
int pciname_parse_id(const char *text, struct pciname_filter *ret, const char **ret_error)
{
	return parse_with(pci_filter_parse_id, text, ret, ret_error);
}

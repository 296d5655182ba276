/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libpci adapter: names from pci.ids, and libpci's selector parsing. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct pciname;
struct pci_filter;

int pciname_new(const char *ids_file, struct pciname **ret);
struct pciname *pciname_free(struct pciname *n);
static inline void pciname_freep(struct pciname **n)
{
	pciname_free(*n);
}

const char *pciname_vendor(struct pciname *n, char *buf, size_t size, uint16_t vendor);
const char *pciname_device(struct pciname *n, char *buf, size_t size, uint16_t vendor,
			   uint16_t device);
const char *pciname_subsystem(struct pciname *n, char *buf, size_t size, uint16_t vendor,
			      uint16_t device, uint16_t sv, uint16_t sd);
const char *pciname_class(struct pciname *n, char *buf, size_t size, uint16_t class16);
const char *pciname_progif(struct pciname *n, char *buf, size_t size, uint32_t class24);

/* Every name of one (vendor, device, subsystem, class) tuple; NULL when pci.ids does not know it. */
struct pciname_set {
	const char *class_name;	/* libpci's wording, " [ccss]" included for an unknown subclass */
	const char *vendor, *device;
	const char *subsys_vendor, *subsys_device;
	const char *progif;
};
int pciname_lookup(struct pciname *n, uint16_t vendor, uint16_t device, uint16_t sv,
		   uint16_t sd, uint32_t class24, const struct pciname_set **ret);

/* libpci's filter, copied out so that callers need not include <pci/pci.h>. -1 = any. */
struct pciname_filter {
	int domain, bus, slot, func;
	int vendor, device;
	int device_class;		/* 16 bits: base and sub class */
	unsigned int device_class_mask;
	int prog_if;
};

int pciname_parse_slot(const char *text, struct pciname_filter *ret, const char **ret_error);
int pciname_parse_id(const char *text, struct pciname_filter *ret, const char **ret_error);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libpci adapter: the only file that asks libpci for names. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <pci/pci.h>

#include "macro.h"
#include "pciname.h"

/* One cached tuple: a machine has few distinct ones but may have thousands of functions. */
struct name_entry {
	bool used;
	uint16_t vendor, device, sv, sd;
	uint32_t class24;
	struct pciname_set names;
};

struct pciname {
	struct pci_access *pacc;
	int flags;
	struct name_entry *cache;	/* open addressing, a power of two long */
	size_t cache_size, cache_n;
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

static void names_clear(struct pciname_set *s)
{
	free((char *)s->class_name);
	free((char *)s->vendor);
	free((char *)s->device);
	free((char *)s->subsys_vendor);
	free((char *)s->subsys_device);
	free((char *)s->progif);
}

/* Accepts NULL, returns NULL. */
struct pciname *pciname_free(struct pciname *n)
{
	if (!n)
		return NULL;
	for (size_t i = 0; i < n->cache_size; i++)
		if (n->cache[i].used)
			names_clear(&n->cache[i].names);
	free(n->cache);
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

static size_t tuple_hash(uint16_t v, uint16_t d, uint16_t sv, uint16_t sd, uint32_t c)
{
	uint64_t h = ((uint64_t)v << 48 | (uint64_t)d << 32 | (uint64_t)sv << 16 | sd) ^
		     ((uint64_t)c * 0x9e3779b97f4a7c15ULL);

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return (size_t)(h ^ (h >> 32));
}

static struct name_entry *cache_slot(struct name_entry *cache, size_t size, uint16_t v,
				     uint16_t d, uint16_t sv, uint16_t sd, uint32_t c)
{
	for (size_t i = tuple_hash(v, d, sv, sd, c) & (size - 1);; i = (i + 1) & (size - 1)) {
		struct name_entry *e = &cache[i];

		if (!e->used || (e->vendor == v && e->device == d && e->sv == sv && e->sd == sd &&
				 e->class24 == c))
			return e;
	}
}

static int cache_grow(struct pciname *n)
{
	size_t size = n->cache_size ? 2 * n->cache_size : 64;
	struct name_entry *c = calloc(size, sizeof(*c));

	if (!c)
		return -ENOMEM;
	for (size_t i = 0; i < n->cache_size; i++) {
		const struct name_entry *o = &n->cache[i];

		if (o->used)
			*cache_slot(c, size, o->vendor, o->device, o->sv, o->sd, o->class24) = *o;
	}
	free(n->cache);
	n->cache = c;
	n->cache_size = size;
	return 0;
}

static int dup_name(const char *name, const char **ret)
{
	*ret = NULL;
	if (!name)
		return 0;
	*ret = strdup(name);
	return *ret ? 0 : -ENOMEM;
}

/*
 * Every name of the tuple, looked up in libpci once per run and then from
 * the cache (keyed on vendor, device, subsystem and the 24-bit class).
 * *RET stays valid until pciname_free(). Returns 0 or -ENOMEM.
 */
int pciname_lookup(struct pciname *n, uint16_t vendor, uint16_t device, uint16_t sv,
		   uint16_t sd, uint32_t class24, const struct pciname_set **ret)
{
	struct pciname_set s = { 0 };
	struct name_entry *e;
	char buf[256];
	int r = 0;

	if (2 * (n->cache_n + 1) > n->cache_size && cache_grow(n) < 0)
		return -ENOMEM;
	e = cache_slot(n->cache, n->cache_size, vendor, device, sv, sd, class24);
	if (e->used) {
		*ret = &e->names;
		return 0;
	}
	if (r >= 0)
		r = dup_name(pciname_class(n, buf, sizeof(buf), (class24 >> 8) & 0xffff),
			     &s.class_name);
	if (r >= 0)
		r = dup_name(pciname_vendor(n, buf, sizeof(buf), vendor), &s.vendor);
	if (r >= 0)
		r = dup_name(pciname_device(n, buf, sizeof(buf), vendor, device), &s.device);
	if (r >= 0)
		r = dup_name(pciname_vendor(n, buf, sizeof(buf), sv), &s.subsys_vendor);
	if (r >= 0)
		r = dup_name(pciname_subsystem(n, buf, sizeof(buf), vendor, device, sv, sd),
			     &s.subsys_device);
	if (r >= 0)
		r = dup_name(pciname_progif(n, buf, sizeof(buf), class24), &s.progif);
	if (r < 0) {
		names_clear(&s);
		return r;
	}
	*e = (struct name_entry){ .used = true, .vendor = vendor, .device = device, .sv = sv,
				  .sd = sd, .class24 = class24, .names = s };
	n->cache_n++;
	*ret = &e->names;
	return 0;
}

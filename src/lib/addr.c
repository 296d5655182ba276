/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PCI function addresses: strict parsing and the two printed forms. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "macro.h"

/*
 * Parse at least N and at most MAXN hex digits at *P (no sign, no "0x", no
 * blanks: what sscanf's %x would take too) and advance *P past them. Every
 * parser of hex IDs and addresses uses this one. Returns 0 or -EINVAL.
 */
int addr_parse_hex(const char **p, int n, int maxn, uint32_t *ret)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < maxn; i++) {
		char c = (*p)[i];
		int d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			break;
		v = v * 16 + d;
	}
	if (i < n)
		return -EINVAL;
	*p += i;
	*ret = v;
	return 0;
}

static int parse_tail(const char *p, char busdev_sep, struct pci_addr *ret)
{
	uint32_t bus, slot, func;

	if (addr_parse_hex(&p, 2, 2, &bus) < 0 || *p++ != busdev_sep)
		return -EINVAL;
	if (addr_parse_hex(&p, 2, 2, &slot) < 0 || *p++ != '.')
		return -EINVAL;
	if (addr_parse_hex(&p, 1, 1, &func) < 0 || *p)
		return -EINVAL;
	if (slot > 0x1f || func > 7)
		return -ERANGE;
	ret->bus = bus;
	ret->slot = slot;
	ret->func = func;
	return 0;
}

/*
 * Parse the kernel's form "DDDD:BB:SS.F" or the domain-less "BB:SS.F"
 * (domain 0). Strict: exact digit counts, slot <= 1f, function <= 7.
 * Returns 0, -EINVAL or -ERANGE; *ret is untouched on failure.
 */
int addr_parse_bdf(const char *s, struct pci_addr *ret)
{
	struct pci_addr a = { 0 };
	const char *p = s;
	uint32_t dom = 0;
	int r;

	if (!s)
		return -EINVAL;
	if (strlen(s) > 8) {
		if (addr_parse_hex(&p, 4, 8, &dom) < 0 || *p++ != ':')
			return -EINVAL;
	}
	a.domain = dom;
	r = parse_tail(p, ':', &a);
	if (r < 0)
		return r;
	*ret = a;
	return 0;
}

/*
 * Parse the Qubes form "dom0:BB_SS.F", "BB_SS.F", and for a non-zero
 * domain "dom0:DDDD_BB_SS.F" / "DDDD_BB_SS.F". Returns 0, -EINVAL or -ERANGE.
 */
int addr_parse_qubes(const char *s, struct pci_addr *ret)
{
	struct pci_addr a = { 0 };
	const char *p = s;
	uint32_t dom = 0;
	int r;

	if (!s)
		return -EINVAL;
	if (strncmp(p, "dom0:", 5) == 0)
		p += 5;
	if (strlen(p) > 7) {
		if (addr_parse_hex(&p, 4, 8, &dom) < 0 || *p++ != '_')
			return -EINVAL;
	}
	a.domain = dom;
	r = parse_tail(p, '_', &a);
	if (r < 0)
		return r;
	*ret = a;
	return 0;
}

/* "0000:00:1d.0", the name of the device in sysfs. Returns BUF. */
/*
 * V in lowercase hex, at least WIDTH digits, at P; returns the end. The
 * formatters below run for every function of a snapshot: snprintf() was a
 * tenth of a boot's instructions on 4,097 functions.
 */
static char *put_hex(char *p, uint32_t v, int width)
{
	static const char digits[] = "0123456789abcdef";
	int n = 1;

	while (n < 8 && (v >> (4 * n)))
		n++;
	if (n < width)
		n = width;
	for (int i = n - 1; i >= 0; i--, v >>= 4)
		p[i] = digits[v & 0xf];
	return p + n;
}

static char *put_tail(char *p, const struct pci_addr *a, char sep)
{
	p = put_hex(p, a->bus, 2);
	*p++ = sep;
	p = put_hex(p, a->slot, 2);
	*p++ = '.';
	p = put_hex(p, a->func, 1);
	*p = '\0';
	return p;
}

/* "0000:00:1d.0" (the domain may have up to 8 digits). Returns BUF. */
char *addr_format_bdf(const struct pci_addr *a, char buf[static ADDR_BDF_MAX])
{
	char *p = put_hex(buf, a->domain, 4);

	*p++ = ':';
	put_tail(p, a, ':');
	return buf;
}

/* "dom0:00_1d.0"; a non-zero domain is kept: "dom0:0001_00_1d.0". Returns BUF. */
char *addr_format_qubes(const struct pci_addr *a, char buf[static ADDR_QUBES_MAX])
{
	char *p = buf;

	memcpy(p, "dom0:", 5);
	p += 5;
	if (a->domain) {
		p = put_hex(p, a->domain, 4);
		*p++ = '_';
	}
	put_tail(p, a, '_');
	return buf;
}

/* Order by domain, bus, slot, function (lspci's order). */
int addr_cmp(const struct pci_addr *a, const struct pci_addr *b)
{
	if (a->domain != b->domain)
		return a->domain < b->domain ? -1 : 1;
	if (a->bus != b->bus)
		return a->bus < b->bus ? -1 : 1;
	if (a->slot != b->slot)
		return a->slot < b->slot ? -1 : 1;
	if (a->func != b->func)
		return a->func < b->func ? -1 : 1;
	return 0;
}

/* Whether two functions belong to the same slot (one multi-function device). */
bool addr_same_slot(const struct pci_addr *a, const struct pci_addr *b)
{
	return a->domain == b->domain && a->bus == b->bus && a->slot == b->slot;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: selectors and addresses (select_parse, select_parse_id,
 * addr_parse_bdf, addr_parse_qubes and friends), with Qubes PCI paths, matched against a
 * small fixed snapshot. Invariants checked beyond "no crash, no leak":
 *  - an address that parses prints in both forms and parses back the same;
 *  - a selector that parses as an address selects exactly the function at
 *    that address (in its domain);
 *  - text that select_parse takes as a Qubes PCI path has at least 2 hops
 *    (FUZZ_LAX=1 skips this one, to look for other bugs past it).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "devices.h"
#include "select.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Either form, the kernel's first (select.c's order). */
static int parse_any(const char *s, struct pci_addr *ret)
{
	int r = addr_parse_bdf(s, ret);

	if (r == -EINVAL)
		r = addr_parse_qubes(s, ret);
	return r;
}

static void check_addr(const char *s)
{
	struct pci_addr a, b;
	char bdf[ADDR_BDF_MAX], qubes[ADDR_QUBES_MAX];
	int r;

	r = addr_parse_bdf(s, &a);
	FZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
	r = addr_parse_qubes(s, &a);
	FZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
	r = parse_any(s, &a);
	FZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
	if (r < 0)
		return;
	FZ_CHECK(a.slot <= 0x1f && a.func <= 7);
	addr_format_bdf(&a, bdf);
	FZ_CHECK(addr_parse_bdf(bdf, &b) == 0 && addr_cmp(&a, &b) == 0);
	addr_format_qubes(&a, qubes);
	FZ_CHECK(addr_parse_qubes(qubes, &b) == 0 && addr_cmp(&a, &b) == 0);
	FZ_CHECK(parse_any(qubes, &b) == 0 && addr_cmp(&a, &b) == 0);
}

static void one(const char *s)
{
	const struct pcidev_list *l = fz_devices();
	struct selector sel;
	struct pci_addr a;
	const char *why = NULL;
	struct pcidev *one;
	int r;

	check_addr(s);

	r = select_parse(s, &sel, &why);
	FZ_CHECK(r == 0 || ((r == -EINVAL || r == -ENOENT) && why && *why));
	if (r == 0) {
		FZ_CHECK(sel.text == s && sel.n_hops <= SELECT_PATH_MAX);
		if (strchr(s, '_') && strchr(s, '-') && !getenv("FUZZ_LAX"))
			FZ_CHECK(sel.n_hops > 1);
		for (size_t i = 0; i < l->n; i++) {
			bool m = select_match(&sel, l->devs[i]);

			if (parse_any(s, &a) == 0 && l->devs[i]->addr.domain == a.domain &&
			    !strchr(s, '*'))
				FZ_CHECK(m == (addr_cmp(&a, &l->devs[i]->addr) == 0));
		}
	}
	why = NULL;
	r = select_resolve_one(l, s, &one, &why);
	FZ_CHECK(r == 0 || ((r == -EINVAL || r == -ENOENT || r == -ENODEV || r == -E2BIG) && why));

	r = select_parse_id(s, &sel, &why);
	if (r == 0)
		for (size_t i = 0; i < l->n; i++)
			(void)select_match(&sel, l->devs[i]);
}

/*
 * Fill the stack the parsers will use with small plausible numbers, so
 * that a read of an uninitialized local (a sscanf() %n never reached)
 * takes a value that sends the parser somewhere, deterministically.
 */
__attribute__((noinline)) static void spray_stack(int v)
{
	volatile int junk[2048];

	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		junk[i] = v;
}

/*
 * The input is up to 4 selectors separated by NUL bytes, parsed in turn in
 * one process: state one parse leaves behind (on the stack too) reaches the next.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fz_string(data, size);
	const char *part = s;

	if (size <= 256) /* selectors are short; longer input only slows the search */
		for (int k = 0; k < 4; k++) {
			size_t len = strlen(part);

			spray_stack(5);
			one(part);
			spray_stack(7);
			one(part);
			if (part + len >= s + size)
				break;
			part += len + 1;
		}
	free(s);
	return 0;
}

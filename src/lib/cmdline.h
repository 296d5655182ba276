/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel command line's rd.pcibind.* and rd.qubes.* options: parsed and resolved, no I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "select.h"

struct pcidev;
struct pcidev_list;

enum cmdline_kind {
	CMDLINE_CLASS,		/* "network", "usb": a class name select.c knows */
	CMDLINE_ADDRESS,	/* "0000:00:1d.0", "00:1d.0", "dom0:00_1d.0", "00_1d.0", "00:1d.*" */
	CMDLINE_PATH,		/* Qubes PCI path "0000_00_1c.0-00_00.0" (needs the snapshot) */
	CMDLINE_ID,		/* "8086:10d3": every function with that vendor and device */
	_CMDLINE_KIND_MAX,
};

/* One item of a seize or keep list, as written and as parsed. */
struct cmdline_item {
	char *text;		/* the item as written, quotes removed */
	const char *key;	/* where it came from: "rd.pcibind.seize", "rd.qubes.hide_pci", ... */
	enum cmdline_kind kind;
	bool implied;		/* added by a rule (Qubes' network default), not written */
	struct selector sel;	/* sel.text == text */
};

/* One item (or value) that was ignored, and why. */
struct cmdline_error {
	char *key;
	char *item;		/* the item or value as written */
	char *why;
};

struct cmdline_request {
	bool disabled;		/* rd.pcibind=0: leave everything alone */
	bool qubes;		/* an rd.qubes.* option was given: Qubes' rules apply */
	bool hide_all_usb;	/* rd.qubes.hide_all_usb (true) */
	const char *driver;	/* rd.pcibind.driver: "pciback", "vfio-pci", "pci-stub"; NULL: auto */

	struct cmdline_item *seize;	/* rd.pcibind.seize, rd.qubes.hide_pci, implied classes */
	size_t n_seize;
	struct cmdline_item *keep;	/* rd.pcibind.keep, rd.qubes.dom0_usb */
	size_t n_keep;
	struct cmdline_error *errors;
	size_t n_errors;
};

int cmdline_parse(const char *text, struct cmdline_request **ret);
struct cmdline_request *cmdline_request_free(struct cmdline_request *r);
static inline void cmdline_request_freep(struct cmdline_request **r)
{
	cmdline_request_free(*r);
}
bool cmdline_wants_something(const struct cmdline_request *r);
const char *cmdline_kind_name(enum cmdline_kind k);
bool cmdline_item_exact(const struct cmdline_item *it);

/* What the request says about one function of the snapshot. */
struct cmdline_pick {
	struct pcidev *dev;
	const struct cmdline_item *seized_by;	/* the first seize item that names it */
	const struct cmdline_item *kept_by;	/* the first keep item that names it, or NULL */
};

/* The request resolved against a snapshot. */
struct cmdline_selection {
	struct cmdline_pick *picks;	/* named by a seize or keep item, snapshot order */
	size_t n;
	struct cmdline_error *errors;	/* items that name nothing in the snapshot */
	size_t n_errors;
};

int cmdline_resolve(const struct cmdline_request *r, const struct pcidev_list *l,
		    struct cmdline_selection **ret);
struct cmdline_selection *cmdline_selection_free(struct cmdline_selection *s);
static inline void cmdline_selection_freep(struct cmdline_selection **s)
{
	cmdline_selection_free(*s);
}

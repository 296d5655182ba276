/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Device selectors: addresses in every accepted form, ID filters and class names. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "pciname.h"

struct pcidev;
struct pcidev_list;

/* As deep as the kernel can build: each hop below the first is a bus of its own. */
#define SELECT_PATH_MAX 256

/* One hop of a Qubes PCI path: bus (relative to the bridge above), slot, function. */
struct select_hop {
	uint8_t bus, slot, func;
};

struct selector {
	const char *text;		/* as the user wrote it, for messages */
	struct pciname_filter f;
	/* A Qubes PCI path ("0000_00_1c.0-00_00.0") when n_hops > 1. */
	unsigned int domain;
	struct select_hop hops[SELECT_PATH_MAX];
	size_t n_hops;
};

int select_parse(const char *text, struct selector *ret, const char **ret_error);
int select_parse_id(const char *text, struct selector *ret, const char **ret_error);
bool select_match(const struct selector *sel, const struct pcidev *d);
const char *select_class_names(void);
int select_resolve_one(const struct pcidev_list *l, const char *text, struct pcidev **ret,
		       const char **ret_error);

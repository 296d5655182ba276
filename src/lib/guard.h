/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Safety guards: facts pcibind gathers itself about devices dom0 cannot lose. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct sysfs;
struct proc;
struct pcidev;
struct pcidev_list;

enum guard_kind {
	GUARD_BRIDGE,
	GUARD_BOOT_VGA,
	GUARD_STORAGE,		/* a block device under it backs a mount or swap */
	GUARD_NETWORK,		/* a NIC that carries a route (or its bond/bridge does) */
	GUARD_KEYBOARD,		/* a USB controller with a keyboard attached */
	_GUARD_MAX,
};

#define GUARD_HITS_MAX 8

struct guard_hit {
	enum guard_kind kind;
	char detail[256];
};

struct guards {
	struct guard_hit hits[GUARD_HITS_MAX];
	size_t n;
};

struct guard_facts;

int guard_facts_load(struct sysfs *s, struct proc *p, struct guard_facts **ret);
struct guard_facts *guard_facts_free(struct guard_facts *f);
static inline void guard_facts_freep(struct guard_facts **f)
{
	guard_facts_free(*f);
}
void guard_check(struct sysfs *s, const struct guard_facts *f, const struct pcidev *d,
		 struct guards *ret);
const char *guard_name(enum guard_kind k);
void guard_drop(struct guards *g, enum guard_kind kind);

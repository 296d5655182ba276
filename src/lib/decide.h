/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Verdicts: the policy's settings, the guards and the device's facts make one decision. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

struct pcidev;
struct pcidev_list;
struct policy;
struct policy_eval;
struct guards;
struct xen_user;
struct plan_bus_reset;

struct verdict {
	bool allowed;
	char reason[1024];
};

void decide_seize(const struct pcidev *d, const struct policy_eval *e, const struct guards *g,
		  struct verdict *v);
void decide_release(const struct pcidev_list *l, const struct pcidev *d,
		    const struct policy_eval *e, struct verdict *v);
void decide_release_bus(const struct pcidev_list *l, const struct pcidev *d,
			const struct policy_eval *e, const struct plan_bus_reset *br,
			struct verdict *v);
int decide_source(const struct policy_eval *e, int key, char *buf, size_t size);
/* What `policy check` warns of: a rule that names nothing here, or settings
 * of one function that contradict each other. FILE and BDF may be NULL. */
struct policy_warning {
	const char *file;	/* the rule's file, NULL when about a function */
	int line;		/* 0 with FILE NULL */
	char bdf[ADDR_BDF_MAX];	/* "" when about a rule */
	char message[1152];
};

/* Why a pciback a rule or rd.pcibind.driver names cannot be: one wording for every path. */
#define DECIDE_NO_PCIBACK                                                                          \
	"this kernel does not run as a Xen dom0 (hypervisor/type is not xen), so there is no "    \
	"pciback"

int decide_policy_warnings(const struct policy *p, const struct pcidev_list *l,
			   struct policy_warning **ret, size_t *n);

void decide_xen_holder(const struct pcidev *d, int held, const struct xen_user *u,
		       struct verdict *v);

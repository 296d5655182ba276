/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Verdicts: the policy's settings, the guards and the device's facts make one decision. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct pcidev;
struct pcidev_list;
struct policy_eval;
struct guards;

struct verdict {
	bool allowed;
	char reason[1024];
};

void decide_seize(const struct pcidev *d, const struct policy_eval *e, const struct guards *g,
		  struct verdict *v);
void decide_release(const struct pcidev_list *l, const struct pcidev *d,
		    const struct policy_eval *e, struct verdict *v);
int decide_source(const struct policy_eval *e, int key, char *buf, size_t size);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VFIO gates of a change, until the engine owns them: no release (or
 * seize to another stub) while a process holds the device's VFIO group or
 * cdev open, and the choice of a vfio variant driver for a seize.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "kmodq.h"
#include "log.h"
#include "macro.h"
#include "pcidev.h"
#include "plan.h"
#include "proc.h"
#include "vfio.h"

/*
 * Who holds D open, as "pid 412 (qemu-system-x86)" in BUF ("" if nobody).
 * Returns 0, or -errno when /proc cannot be read.
 */
int cmd_vfio_users(struct pb_ctx *c, const struct pcidev *d, char *buf, size_t size)
{
	_cleanup_(proc_closep) struct proc *p = NULL;
	_cleanup_free_ struct vfio_user *u = NULL;
	size_t n = 0;
	int r;

	buf[0] = '\0';
	if (!vfio_holds(d))
		return 0;
	r = proc_open(c->roots.proc_root, &p);
	if (r < 0)
		return r;
	r = vfio_users(p, d->iommu_group, d->vfio_dev, &u, &n);
	if (r < 0)
		return r;
	return vfio_users_text(u, n, buf, size);
}

/*
 * Refuse to take from vfio a function that a process holds: the VM would
 * lose a device under its feet, and binding a native driver while the group
 * is claimed fails with EBUSY anyway. There is no override. Returns an exit
 * code.
 */
int cmd_vfio_refuse_in_use(struct pb_ctx *c, int op, struct pcidev *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct pcidev *d = set[i];
		char who[512];
		int r;

		if (!vfio_holds(d))
			continue;
		r = cmd_vfio_users(c, d, who, sizeof(who));
		if (r < 0) {
			log_error_errno(r, "cannot tell whether a process holds %s (reading %s); "
					   "refusing to take it from %s",
					d->bdf, c->roots.proc_root, d->driver);
			return PB_EXIT_REFUSED;
		}
		if (!who[0])
			continue;
		log_error("%s refused: %s is in use by %s, which holds /dev/vfio/%d%s%s open: "
			  "a VM (or another program) still drives it. Stop it first; there is no "
			  "override",
			  op == PLAN_SEIZE ? "seize" : "release", d->bdf, who, d->iommu_group,
			  d->vfio_dev ? " or /dev/vfio/devices/" : "", d->vfio_dev ? d->vfio_dev : "");
		return PB_EXIT_REFUSED;
	}
	return PB_EXIT_OK;
}

/*
 * For a seize to vfio-pci without --driver: each function's variant driver,
 * if the module index has a more specific vfio_pci alias than the generic
 * one. CHOICES (N entries) keep every choice and its reason, VARIANTS
 * (*RET_N entries) point into them. Returns an exit code.
 */
int cmd_vfio_variants(struct pb_ctx *c, struct kmodq *kq, struct pcidev *const *set, size_t n,
		      struct vfio_choice *choices, struct plan_variant *variants, size_t *ret_n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		struct vfio_choice *ch = &choices[i];
		int r = vfio_choose(kq, c->sysfs, set[i], ch);

		if (r < 0) {
			log_error_errno(r, "cannot look up vfio variant drivers for %s", set[i]->bdf);
			return PB_EXIT_FAILURE;
		}
		if (ch->pattern[0])
			log_info("%s: %s", set[i]->bdf, ch->why);
		if (!ch->variant)
			continue;
		variants[k++] = (struct plan_variant){ .bdf = set[i]->bdf,
						       .driver = ch->driver,
						       .module = ch->module };
	}
	*ret_n = k;
	return PB_EXIT_OK;
}

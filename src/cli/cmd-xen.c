/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Xen for the commands: is this a dom0, and which guest holds a pciback function. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "macro.h"
#include "output.h"
#include "pcidev.h"
#include "proc.h"
#include "xen.h"

/*
 * Find out whether this is a Xen dom0 (hypervisor/type under the sysfs
 * root, xen/capabilities under the /proc root). Loads no Xen library and
 * prints nothing. Returns 0 or -ENOMEM.
 */
int cmd_xen_open(struct pb_ctx *c, unsigned int flags, struct xen **ret)
{
	_cleanup_(proc_closep) struct proc *p = NULL;

	if (proc_open(c->roots.proc_root, &p) < 0)
		p = NULL;
	return xen_open(c->sysfs, p, flags, ret);
}

/*
 * On a dom0, for a function on pciback: "in use by domain 3 (sys-net)",
 * "no Xen guest holds it" or why nobody could tell. Returns false (BUF
 * untouched) elsewhere.
 */
bool cmd_xen_holder(struct xen *x, const struct pcidev *d, char *buf, size_t size)
{
	struct xen_user u;
	char who[200];
	int r;

	if (!xen_is_dom0(x) || d->stub != PCIDEV_STUB_PCIBACK)
		return false;
	r = xen_assigned_domain(x, &d->addr, &u);
	if (r > 0) {
		xen_user_format(&u, who, sizeof(who));
		snprintf(buf, size, "in use by %s", who);
	} else if (r == 0) {
		snprintf(buf, size, "no Xen guest holds it");
	} else {
		snprintf(buf, size, "unknown: neither libxenctrl nor xenstore answered (%s)",
			 xen_strerror(r));
	}
	return true;
}

/* status on a dom0: every function on pciback, and which guest holds it. */
void cmd_xen_status(struct pb_ctx *c)
{
	_cleanup_(pcidev_list_freep) struct pcidev_list *l = NULL;
	_cleanup_(xen_closep) struct xen *x = NULL;
	char what[300];

	if (cmd_xen_open(c, 0, &x) < 0 || !xen_is_dom0(x))
		return;
	if (pcidev_scan(c->sysfs, PCIDEV_SCAN_BASIC, &l) < 0)
		return;
	for (size_t i = 0; i < l->n; i++)
		if (cmd_xen_holder(x, l->devs[i], what, sizeof(what)))
			out_printf(stdout, "%s  on pciback, %s\n", l->devs[i]->bdf, what);
}

/*
 * On a dom0: libxl's record of D ('xl pci-assignable-add' took it from its
 * driver) into RET ("libxl", the xenstore node, the driver it names).
 * Returns false elsewhere, or when libxl recorded nothing.
 */
bool cmd_xen_libxl(struct xen *x, const struct pcidev *d, struct engine_origin *ret)
{
	char driver[sizeof(ret->driver)], node[128];

	if (!x || !xen_is_dom0(x) ||
	    xen_libxl_record(x, &d->addr, driver, sizeof(driver), node, sizeof(node)) <= 0)
		return false;
	*ret = (struct engine_origin){ .who = "libxl" };
	snprintf(ret->file, sizeof(ret->file), "xenstore %s", node);
	snprintf(ret->driver, sizeof(ret->driver), "%s", driver);
	return true;
}

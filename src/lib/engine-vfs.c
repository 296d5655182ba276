/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pcibind vfs: where each VF of a PF goes (engine_decide() asks), and its
 * records once the change is done (engine_execute() asks).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine-private.h"
#include "engine.h"
#include "guard.h"
#include "macro.h"
#include "pcidev.h"
#include "policy.h"
#include "proc.h"
#include "sysfs.h"
#include "vfio.h"
#include "xen.h"

/*
 * Who holds a VF of PF, "0000:01:00.1 (vfio-pci, held by pid 412
 * (qemu-system-x86) has /dev/vfio/7 open)", one per VF, in BUF: whatever
 * the holders module finds (a process with its VFIO group or one of its
 * nodes open, a block stack on its disks; what cannot be read counts), or
 * a Xen guest it is assigned to. Returns how many VFs are held, or -errno.
 */
static int vfs_holders(struct engine *e, const struct pcidev *pf, const char *origin, char *buf,
		       size_t size)
{
	size_t len = 0;
	int held = 0;

	buf[0] = '\0';
	for (char **v = pf->virtfns; v && *v; v++) {
		struct pcidev *d = pcidev_find_bdf(e->l, *v);
		struct holders h = { 0 };
		char who[512] = "";
		int r;

		if (!d)
			continue;
		r = engine_details(e, d);
		if (r == 0)
			r = engine_holders(e, d, &h);
		if (r < 0) {
			holders_done(&h);
			return r;
		}
		if (h.n)
			(void)holder_text(&h.v[0], who, sizeof(who));
		holders_done(&h);
		if (!who[0] && d->stub == PCIDEV_STUB_PCIBACK) {
			struct xen *x = engine_xen(e, origin);
			struct xen_user xu;

			if (xen_is_dom0(x) && xen_assigned_domain(x, &d->addr, &xu) != 0)
				xen_user_format(&xu, who, sizeof(who));
		}
		if (!who[0])
			continue;
		held++;
		len += snprintf(buf + (len < size ? len : size), len < size ? size - len : 0,
				"%s%s (%s, held by %s)", len ? ", " : "", d->bdf,
				d->driver ? d->driver : "no driver", who);
	}
	return held;
}

static const char *stub_module_of(const char *stub)
{
	return streq(stub, "pciback")	 ? "xen_pciback"
	       : streq(stub, "vfio-pci") ? "vfio_pci"
					 : "pci_stub";
}

/*
 * Where the policy sends VF: seized (its rules say boot = yes or hotplug =
 * yes, and decide_seize() allows it: not protected, the expected ID) to the
 * policy's stub, else natively. A new VF has no users yet, so no guard
 * applies. F gets the verdict; STUB the stub or "".
 */
static int vf_destination(struct engine *e, const struct change_opts *o, struct pcidev *vf,
			  struct change_function *f, char *stub, size_t size)
{
	struct policy_eval pe;
	struct guards g = { 0 };
	char src[512];
	int r;

	stub[0] = '\0';
	r = engine_eval(e, vf, o, &pe);
	if (r < 0)
		return r;
	if (!pe.v.boot && !pe.v.hotplug) {
		snprintf(f->verdict.reason, sizeof(f->verdict.reason),
			 "probes natively: no rule seizes it (boot = no, hotplug = no)");
		f->verdict.allowed = true;
		policy_eval_done(&pe);
		return 0;
	}
	decide_seize(vf, &pe, &g, &f->verdict);
	if (f->verdict.allowed) {
		decide_source(&pe, pe.v.hotplug ? PK_HOTPLUG : PK_BOOT, src, sizeof(src));
		snprintf(stub, size, "%s",
			 pe.v.driver[0] ? pe.v.driver : engine_default_stub(e->l));
		snprintf(f->verdict.reason, sizeof(f->verdict.reason),
			 "seized to %s: %s = yes (%s)", stub, pe.v.hotplug ? "hotplug" : "boot",
			 src);
	} else {
		/* protected or not the expected device: it stays out of the stub */
		size_t len = strlen(f->verdict.reason);

		snprintf(f->verdict.reason + len, sizeof(f->verdict.reason) - len,
			 "; it probes natively");
		f->verdict.allowed = true;
	}
	policy_eval_done(&pe);
	return 0;
}

/*
 * Decide `pcibind vfs PF N`: refuse what the kernel would refuse or what
 * would take VFs from their users, predict the new VFs and ask the policy
 * about each, then plan (plan_vfs(), pure). Returns 0 or -ENOMEM; the
 * outcome is in CH.
 */
int engine_decide_vfs(struct engine *e, struct change *ch, struct pcidev *pf)
{
	const struct change_opts *o = &ch->opts;
	_cleanup_free_ struct plan_vf *pv = NULL;
	const struct policy *pol;
	struct pcidev_list *l;
	char held[1024];
	int n = o->vfs, r;

	r = engine_snapshot(e, &l);
	if (r < 0)
		return failed(ch, r, "cannot read the PCI devices under '%s'", e->roots.sysfs_root);
	r = engine_details(e, pf);
	if (r < 0)
		return failed(ch, r, "cannot read %s under '%s'", pf->bdf, e->roots.sysfs_root);
	r = engine_policy(e, &pol);
	if (r < 0)
		return failed(ch, r, "cannot load the policy");
	ch->fns = calloc((size_t)(n > 0 ? n : 0) + 1, sizeof(*ch->fns));
	if (!ch->fns)
		return -ENOMEM;
	if (pf->sriov_totalvfs < 0)
		return refuse(ch, pf->bdf,
			      "%s is not an SR-IOV physical function (it has no sriov_totalvfs)",
			      pf->bdf);
	if (n > pf->sriov_totalvfs)
		return refuse(ch, pf->bdf,
			      "%s can have at most %d VFs (sriov_totalvfs), not %d: the kernel "
			      "refuses more (ERANGE)",
			      pf->bdf, pf->sriov_totalvfs, n);
	if (n == pf->sriov_numvfs) {
		ch->outcome = CHANGE_PLANNED;
		return 0;
	}
	if (!pf->driver)
		return refuse(ch, pf->bdf,
			      "%s has no driver, and the kernel makes VFs only through the PF's "
			      "own driver (sriov_numvfs answers ENOENT): bind it first",
			      pf->bdf);
	if (pf->stub != PCIDEV_STUB_NONE)
		return refuse(ch, pf->bdf,
			      "%s is on %s: its VFs are made by its native driver; release it "
			      "first",
			      pf->bdf, pf->driver);
	r = engine_trust_gate(e, ch, pol, &pf, 1);
	if (r < 0 || ch->outcome == CHANGE_REFUSED)
		return r;
	if (pf->sriov_numvfs > 0) {
		r = vfs_holders(e, pf, o->origin, held, sizeof(held));
		if (r < 0)
			return refuse(ch, pf->bdf,
				      "cannot tell whether a process holds a VF of %s (reading %s: "
				      "%s); nothing was changed",
				      pf->bdf, e->roots.proc_root, strerror(-r));
		if (r > 0)
			return refuse(ch, pf->bdf,
				      "the kernel makes a new VF count only from 0, and removing "
				      "the VFs of %s would pull %s out from under %s: %s. Stop "
				      "%s first; there is no override",
				      pf->bdf, r == 1 ? "a VF" : "VFs",
				      r == 1 ? "its user" : "their users", held,
				      r == 1 ? "it" : "them");
	}
	ch->vfs = calloc((size_t)n + 1, sizeof(*ch->vfs));
	ch->vf_stub = calloc((size_t)n + 1, sizeof(*ch->vf_stub));
	pv = calloc((size_t)n + 1, sizeof(*pv));
	if (!ch->vfs || !ch->vf_stub || !pv)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		struct change_function *f = &ch->fns[ch->n_fns++];
		struct pcidev *vf = &ch->vfs[i];
		const struct policy_diag *bad = NULL;

		r = plan_vf_predict(pf, i, vf);
		if (r < 0)
			return refuse(ch, pf->bdf,
				      "%s does not say where its VFs appear (sriov_offset, "
				      "sriov_stride): %s",
				      pf->bdf, strerror(-r));
		ch->n_vfs++;
		f->dev = vf;
		snprintf(f->bdf, sizeof(f->bdf), "%s", vf->bdf);
		if (policy_blocks(pol, l, vf, &bad))
			return refuse(ch, vf->bdf,
				      "a policy error could name the new VF %s (%s: %s): nothing "
				      "changes until it is fixed ('pcibind policy check')",
				      vf->bdf, bad->file, bad->message);
		r = vf_destination(e, o, vf, f, ch->vf_stub[i], JOURNAL_NAME_MAX);
		if (r < 0)
			return r;
		pv[i] = (struct plan_vf){ .dev = vf,
					  .stub = ch->vf_stub[i][0] ? ch->vf_stub[i] : NULL,
					  .module = ch->vf_stub[i][0]
							    ? stub_module_of(ch->vf_stub[i])
							    : NULL };
	}
	r = plan_vfs(l, pf, n, pv, (size_t)n, &ch->plan);
	if (r < 0)
		return failed(ch, r, "cannot plan the VFs of %s", pf->bdf);
	ch->outcome = CHANGE_PLANNED;
	return 0;
}

/*
 * After `pcibind vfs`: a record for each VF seized (its stub; its native
 * driver is libkmod's at release), none for the VFs that went away; CH's
 * functions become the PF's VFs now, with their drivers.
 */
int vfs_commit(struct engine *e, struct journal *j, struct change *ch, const struct journal_txn *t)
{
	const struct pcidev *pf = NULL;
	int r;

	for (size_t i = 0; i < t->n && !pf; i++)
		pf = pcidev_find_bdf(e->l, t->devs[i].before.bdf);
	for (char **v = pf ? pf->virtfns : NULL; v && *v; v++) {
		r = journal_del(j, *v);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	for (size_t i = 0; i < ch->n_vfs; i++) {
		const struct pcidev *vf = &ch->vfs[i];
		struct journal_device rec = { .vendor = vf->vendor, .device = vf->device };

		if (!ch->vf_stub[i][0])
			continue;
		snprintf(rec.bdf, sizeof(rec.bdf), "%s", vf->bdf);
		snprintf(rec.stub, sizeof(rec.stub), "%s", ch->vf_stub[i]);
		snprintf(rec.origin, sizeof(rec.origin), "%s", ch->opts.origin);
		rec.since = time(NULL);
		r = journal_put(j, &rec);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ch->n_fns; i++) {
		char drv[NAME_MAX + 1] = "";

		(void)sysfs_read_link_name(e->s, drv, sizeof(drv), "bus/pci/devices/%s/driver",
					   ch->fns[i].bdf);
		snprintf(ch->fns[i].after, sizeof(ch->fns[i].after), "%.*s",
			 (int)sizeof(ch->fns[i].after) - 1, drv);
	}
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Deciding a change: prepare (stub, each function's verdict, the gates,
 * native drivers) and plan, the one decision explain, --dry-run, the real
 * run, boot and udev ask (engine_decide()).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "engine-private.h"
#include "engine.h"
#include "guard.h"
#include "holders.h"
#include "kmodq.h"
#include "macro.h"
#include "pcidev.h"
#include "policy.h"
#include "proc.h"
#include "record.h"
#include "sysfs.h"
#include "trace.h"
#include "vfio.h"
#include "xen.h"

const char *change_op_name(int op)
{
	return op == PLAN_SEIZE ? "seize" : op == PLAN_VFS ? "vfs" : "release";
}

/* Accepts NULL, returns NULL. */
struct change *change_free(struct change *ch)
{
	if (!ch)
		return NULL;
	plan_done(&ch->plan);
	free(ch->fns);
	free(ch->blockers);
	holders_done(&ch->holders);
	free(ch->vfs);
	free(ch->vf_stub);
	free(ch);
	return NULL;
}

/*
 * Add a blocker to CH (KIND, its text, its FIX or "" when the text says
 * it); the first is also CH's reason. The same text twice is one blocker.
 * Returns 0; without memory the reason still says the first.
 */
_printf_(5, 0) static int vblock(struct change *ch, const char *bdf, const char *kind,
				 const char *fix, const char *fmt, va_list ap)
{
	struct change_blocker b = { 0 }, *nv;

	snprintf(b.bdf, sizeof(b.bdf), "%s", bdf ? bdf : "");
	snprintf(b.kind, sizeof(b.kind), "%s", kind);
	snprintf(b.fix, sizeof(b.fix), "%s", fix ? fix : "");
	vsnprintf(b.text, sizeof(b.text), fmt, ap);
	for (size_t i = 0; i < ch->n_blockers; i++)
		if (streq(ch->blockers[i].text, b.text) && streq(ch->blockers[i].bdf, b.bdf))
			return 0;
	if (ch->outcome != CHANGE_REFUSED) {
		ch->outcome = CHANGE_REFUSED;
		snprintf(ch->refused_bdf, sizeof(ch->refused_bdf), "%s", b.bdf);
		snprintf(ch->reason, sizeof(ch->reason), "%s", b.text);
	}
	nv = realloc(ch->blockers, (ch->n_blockers + 1) * sizeof(*nv));
	if (!nv)
		return 0;
	ch->blockers = nv;
	nv[ch->n_blockers++] = b;
	return 0;
}

_printf_(5, 6) int block(struct change *ch, const char *bdf, const char *kind, const char *fix,
			 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vblock(ch, bdf, kind, fix, fmt, ap);
	va_end(ap);
	return 0;
}

_printf_(3, 4) int refuse(struct change *ch, const char *bdf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vblock(ch, bdf, "policy", NULL, fmt, ap);
	va_end(ap);
	return 0;
}

_printf_(3, 4) int failed(struct change *ch, int error, const char *fmt, ...)
{
	va_list ap;

	ch->outcome = CHANGE_FAILED;
	ch->error = error;
	va_start(ap, fmt);
	vsnprintf(ch->reason, sizeof(ch->reason), fmt, ap);
	va_end(ap);
	return 0;
}

/*
 * The stub, strict-reset and permissive of the request: the policy for the
 * requested functions, the command line's -o and --driver on top.
 */
static int choose_stub(struct engine *e, struct change *ch, struct plan_request *req)
{
	const struct change_opts *o = &ch->opts;
	const struct pcidev *first = NULL;
	bool all_nsr = true, all_perm = true;
	char *stub = ch->stub;
	int r;

	stub[0] = '\0';
	for (size_t i = 0; i < req->n; i++) {
		struct policy_eval pe;

		r = engine_eval(e, req->devs[i], o, &pe);
		if (r < 0)
			return r;
		if (pe.v.driver[0] && !o->driver) {
			if (!stub[0]) {
				snprintf(stub, sizeof(ch->stub), "%s", pe.v.driver);
				decide_source(&pe, PK_DRIVER, ch->stub_source,
					      sizeof(ch->stub_source));
				first = req->devs[i];
			} else if (strcmp(stub, pe.v.driver)) {
				refuse(ch, NULL,
				       "the policy sends %s to %s but %s to %s: %s them in separate "
				       "commands, or give --driver",
				       first->bdf, stub, req->devs[i]->bdf, pe.v.driver,
				       change_op_name(o->op));
				policy_eval_done(&pe);
				return 0;
			}
		}
		all_nsr = all_nsr && !pe.v.strict_reset;
		all_perm = all_perm && pe.v.permissive;
		policy_eval_done(&pe);
	}
	if (o->driver) {
		snprintf(stub, sizeof(ch->stub), "%s", o->driver);
		snprintf(ch->stub_source, sizeof(ch->stub_source), "--driver on the command line");
	} else if (!stub[0]) {
		snprintf(stub, sizeof(ch->stub), "%s", engine_default_stub(e->l));
		snprintf(ch->stub_source, sizeof(ch->stub_source), "the default on %s",
			 e->l->xen ? "a Xen dom0" : "a host without Xen");
	}
	req->stub = stub;
	req->no_strict_reset = all_nsr;
	req->permissive = o->permissive || (all_perm && streq(stub, "pciback"));
	return 0;
}

/*
 * Xen dom0: a function leaving pciback (release, or a seize to another
 * stub) while a running domain holds it would be pulled out of that guest.
 */
void judge_xen(struct engine *e, const struct change *ch, const struct pcidev *d, struct verdict *v)
{
	struct xen *x = engine_xen(e, ch->opts.origin);
	struct xen_user u;
	int held;

	if (!v->allowed || !xen_is_dom0(x) || d->stub != PCIDEV_STUB_PCIBACK ||
	    (ch->opts.op == PLAN_SEIZE && streq(ch->stub, "pciback")))
		return;
	held = xen_assigned_domain(x, &d->addr, &u);
	decide_xen_holder(d, held, &u, v);
}

/* Each function's verdict, from decide.c: the policy, the guards, its facts. */
/*
 * What must hold before any verdict about the N functions of SET: no policy
 * error that could name one of them (policy_blocks(): a broken rule is
 * dropped and holds up only what it could name; an error outside a rule
 * holds up everything), and no journal record of theirs that cannot be
 * used or is about another device (record_check()). Refuses CH, naming the
 * error or the file and the fix. Returns 0 or -ENOMEM.
 */
int engine_trust_gate(struct engine *e, struct change *ch, const struct policy *pol,
		      struct pcidev *const *set, size_t n)
{
	struct pcidev_list *l = e->l;
	struct journal *j = NULL;
	int r;

	for (size_t i = 0; i < n; i++) {
		const struct policy_diag *bad = NULL;

		if (policy_blocks(pol, l, set[i], &bad)) {
			char where[PATH_MAX + 16];

			if (bad->line > 0)
				snprintf(where, sizeof(where), "%s:%d", bad->file, bad->line);
			else
				snprintf(where, sizeof(where), "%s", bad->file);
			if (bad->rule >= 0)
				refuse(ch, NULL,
				       "a policy rule with an error could name %s (%s: %s): the rule "
				       "is dropped, and nothing it could name changes until it is "
				       "fixed ('pcibind policy check' lists every error)",
				       set[i]->bdf, where, bad->message);
			else
				refuse(ch, NULL,
				       "the policy has an error that is not about one rule (%s: %s): "
				       "nothing changes until it is fixed ('pcibind policy check' "
				       "lists every error)",
				       where, bad->message);
			return 0;
		}
	}
	r = engine_journal(e, !ch->opts.dry_run, &j);
	if (r == -ENOENT)
		return 0; /* no journal yet: no records */
	if (r < 0 || !j)
		return 0; /* engine_begin() reported it already */
	for (size_t i = 0; i < n; i++) {
		char why[RECORD_WHY_MAX];
		struct journal_device rec;

		r = record_check(j, l, set[i]->bdf, &rec, why, sizeof(why));
		if (r == -ENOMEM)
			return r;
		if (r < 0 && r != -ENOENT) {
			refuse(ch, NULL, "%s", why);
			return 0;
		}
	}
	return 0;
}

static int judge(struct engine *e, struct change *ch, struct pcidev *const *set, size_t n)
{
	const struct change_opts *o = &ch->opts;
	const struct guard_facts *gf = NULL;
	int r;

	if (o->op == PLAN_SEIZE) {
		r = engine_guard_facts(e, &gf);
		if (r < 0)
			return r;
	}
	ch->fns = calloc(n + 1, sizeof(*ch->fns));
	if (!ch->fns)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct change_function *f = &ch->fns[ch->n_fns++];
		struct policy_eval pe;
		struct guards g;

		f->dev = set[i];
		snprintf(f->bdf, sizeof(f->bdf), "%s", set[i]->bdf);
		snprintf(f->before, sizeof(f->before), "%s", set[i]->driver ? set[i]->driver : "");
		r = engine_eval(e, set[i], o, &pe);
		if (r < 0)
			return r;
		if (o->op == PLAN_SEIZE) {
			guard_check(e->s, gf, set[i], &g);
			if (o->keyboard_ok)
				guard_drop(&g, GUARD_KEYBOARD);
			decide_seize(set[i], &pe, &g, &f->verdict);
		} else {
			struct plan_bus_reset br;

			/* the bridge's reset_subordinate is one of its details */
			if (set[i]->parent) {
				r = engine_details(e, set[i]->parent);
				if (r < 0) {
					policy_eval_done(&pe);
					return r;
				}
			}
			(void)plan_bus_reset(e->l, set[i], set, n, &br);
			decide_release_bus(e->l, set[i], &pe, &br, &f->verdict);
			if (br.fact[0] && !ch->bus_reset[0])
				snprintf(ch->bus_reset, sizeof(ch->bus_reset), "%s", br.fact);
		}
		judge_xen(e, ch, set[i], &f->verdict);
		policy_eval_done(&pe);
		if (!f->verdict.allowed)
			block(ch, f->bdf, o->op == PLAN_SEIZE ? "guard" : "release", NULL, "%s",
			      f->verdict.reason);
	}
	return 0;
}

/*
 * Release: each function's native driver, from its record or libkmod. A
 * module that is not loaded yet gives the plan a symbolic driver ("the
 * driver module M registers"), resolved by the executor after the load
 * step; nothing is loaded here.
 */
static int find_natives(struct engine *e, struct change *ch, struct pcidev *const *set, size_t n,
			struct plan_native *nat, char (*names)[3][JOURNAL_NAME_MAX])
{
	struct journal *j = NULL;
	struct kmodq *kq = engine_kmod(e);

	(void)engine_journal(e, !ch->opts.dry_run, &j);
	for (size_t i = 0; i < n; i++) {
		const struct pcidev *d = set[i];
		_cleanup_strv_free_ char **mods = NULL;
		struct journal_device rec;
		int r;

		bool recorded;

		snprintf(names[i][2], JOURNAL_NAME_MAX, "%s", d->bdf);
		nat[i] = (struct plan_native){ .bdf = names[i][2], .none = ch->opts.to_none };
		if (ch->opts.to_none)
			continue;
		recorded = j && journal_get(j, d->bdf, &rec) == 0;
		if (recorded && rec.driver[0]) {
			strcpy(names[i][0], rec.driver);
			strcpy(names[i][1], rec.module);
			nat[i].driver = names[i][0];
			nat[i].module = rec.module[0] ? names[i][1] : NULL;
			continue;
		}
		/*
		 * Seized from no driver, and no module claims it: back to no
		 * driver, as the record says it was.
		 */
		nat[i].none = recorded && !rec.driver[0];
		if (!d->modalias || !kq)
			continue;
		r = kmodq_lookup(kq, d->modalias, &mods, NULL);
		if (r <= 0)
			continue;
		nat[i].none = false;
		snprintf(names[i][1], JOURNAL_NAME_MAX, "%s", mods[0]);
		nat[i].module = names[i][1];
		r = kmodq_module_driver(e->s, mods[0], names[i][0], JOURNAL_NAME_MAX);
		if (r == 0)
			nat[i].driver = names[i][0];
		else if (r != -ENOENT)
			return r;
	}
	return 0;
}

/*
 * The VFIO gate (vfio.c); who holds /dev/vfio/GROUP or
 * /dev/vfio/devices/vfioN open is the holders gate's. A seize to vfio-pci
 * without --driver takes the most specific
 * variant driver the module index has for each function (CHOICES: N
 * entries, kept for the plan; REQ points at VARIANTS). Returns 0 or -errno;
 * a refusal is in CH.
 */
static int vfio_gates(struct engine *e, struct change *ch, struct plan_request *req,
		      struct pcidev *const *set, size_t n, struct vfio_choice *choices,
		      struct plan_variant *variants)
{
	size_t len = 0;

	if (ch->opts.op != PLAN_SEIZE || ch->opts.driver || !streq_ptr(req->stub, "vfio-pci"))
		return 0;
	for (size_t i = 0; i < n; i++) {
		struct vfio_choice *c = &choices[i];
		int r = vfio_choose(engine_kmod(e), e->s, set[i], c);

		if (r < 0)
			return r;
		/* Said only when the module index knows vfio_pci aliases at all. */
		if (c->pattern[0] && len < sizeof(ch->drivers))
			len += snprintf(ch->drivers + len, sizeof(ch->drivers) - len,
					"Driver for %s: %s\n", set[i]->bdf, c->why);
		if (c->pattern[0])
			elog(e, LOG_INFO, "%s: %s", set[i]->bdf, c->why);
		if (c->variant)
			variants[req->n_variants++] = (struct plan_variant){ .bdf = set[i]->bdf,
									     .driver = c->driver,
									     .module = c->module };
	}
	req->variants = variants;
	return 0;
}

static int plan_it(struct engine *e, struct change *ch, struct plan_request *req,
		   struct pcidev *const *set, size_t n)
{
	_cleanup_free_ struct plan_native *nat = NULL;
	_cleanup_free_ char(*names)[3][JOURNAL_NAME_MAX] = NULL;
	struct plan_refusal why = { 0 };
	int r;

	if (ch->opts.op == PLAN_SEIZE) {
		r = plan_seize(e->l, req, &ch->plan, &why);
	} else {
		nat = calloc(n + 1, sizeof(*nat));
		names = calloc(n + 1, sizeof(*names));
		if (!nat || !names)
			return -ENOMEM;
		r = find_natives(e, ch, set, n, nat, names);
		if (r < 0)
			return r;
		r = plan_release(e->l, req, nat, n, &ch->plan, &why);
	}
	if (r == -EPERM)
		return block(ch, why.bdf, "plan", NULL, "%s", why.reason);
	if (ch->outcome == CHANGE_REFUSED)
		return 0; /* asked for its reasons only */
	if (r < 0)
		return failed(ch, r, "cannot plan the %s", change_op_name(ch->opts.op));
	ch->outcome = CHANGE_PLANNED;
	return 0;
}

/*
 * Prepare and plan a change of the N functions DEVS (from this context's
 * snapshot): the policy with O's overrides, the guards and every
 * function's verdict, the grouping, and for a release the native drivers;
 * then the plan, which is pure. This is the one decision path: explain,
 * --dry-run, the real run, boot and udev all ask it. *RET says PLANNED,
 * REFUSED (with the reason) or FAILED. Returns 0, or -errno when not even
 * that could be said (out of memory).
 */
int engine_decide(struct engine *e, const struct change_opts *o, struct pcidev *const *devs,
		  size_t n, struct change **ret)
{
	_cleanup_(change_freep) struct change *ch = calloc(1, sizeof(*ch));
	_cleanup_free_ struct pcidev **set = NULL;
	_cleanup_free_ struct vfio_choice *choices = NULL;
	_cleanup_free_ struct plan_variant *variants = NULL;
	struct plan_request req = { .op = o->op, .devs = (struct pcidev **)devs, .n = n };
	struct plan_refusal why = { 0 };
	const struct policy *pol;
	struct pcidev_list *l;
	size_t n_set = 0;
	int r;

	if (!ch)
		return -ENOMEM;
	ch->opts = *o;
	plan_init(&ch->plan);
	if (o->op == PLAN_VFS) {
		if (n != 1)
			return -EINVAL;
		r = engine_decide_vfs(e, ch, devs[0]);
		if (r < 0)
			return r;
		goto out;
	}
	r = engine_snapshot(e, &l);
	if (r < 0) {
		failed(ch, r, "cannot read the PCI devices under '%s'", e->roots.sysfs_root);
		goto out;
	}
	/* What the decision reads of them (and of their slots; groups below). */
	for (size_t i = 0; i < n; i++) {
		r = engine_details_slot(e, devs[i]);
		if (r < 0) {
			failed(ch, r, "cannot read %s under '%s'", devs[i]->bdf,
			       e->roots.sysfs_root);
			goto out;
		}
	}
	r = engine_policy(e, &pol);
	if (r < 0) {
		failed(ch, r, "cannot load the policy");
		goto out;
	}
	req.all_functions = o->all_functions;
	req.iommu_group = o->iommu_group;
	r = choose_stub(e, ch, &req);
	if (r < 0)
		return r;
	if (ch->outcome == CHANGE_REFUSED)
		goto out;
	/*
	 * The members of their IOMMU groups: what VFIO's viability, --group
	 * and a release weigh. A seize to pciback or pci-stub does not look
	 * at them, so a boot of 3,000 NICs lists no group.
	 */
	for (size_t i = 0; i < n && (o->op != PLAN_SEIZE || req.iommu_group ||
				     pcidev_is_vfio_driver(req.stub)); i++) {
		r = pcidev_load_group(e->s, l, devs[i]);
		if (r < 0) {
			failed(ch, r, "cannot read the IOMMU group of %s under '%s'", devs[i]->bdf,
			       e->roots.sysfs_root);
			goto out;
		}
	}

	r = plan_group(l, &req, &set, &n_set, &why);
	if (r == -EPERM) {
		/* Every other reason too: judge what was asked for, as if it could go alone. */
		block(ch, why.bdf, "grouping", NULL, "%s", why.reason);
		req.no_strict_reset = true;
		req.all_functions = false;
		r = plan_group(l, &req, &set, &n_set, &why);
		if (r == -EPERM)
			goto out;
	}
	if (r < 0)
		return r;
	r = engine_trust_gate(e, ch, pol, set, n_set);
	if (r < 0)
		return r;
	r = judge(e, ch, set, n_set);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		failed(ch, r,
		       r == -ENOENT || r == -ENOTDIR
			       ? "cannot open the proc root '%s' (give the directory that "
				 "holds self/mountinfo and net/route, e.g. --proc-root /proc)"
			       : "cannot gather the safety guards' facts (proc root '%s')",
		       e->roots.proc_root);
		goto out;
	}
	r = engine_holders_gate_decide(e, ch, set, n_set);
	if (r < 0)
		return r;
	req.xen_dom0 = xen_is_dom0(engine_xen(e, o->origin));
	choices = calloc(n_set + 1, sizeof(*choices));
	variants = calloc(n_set + 1, sizeof(*variants));
	if (!choices || !variants)
		return -ENOMEM;
	r = vfio_gates(e, ch, &req, set, n_set, choices, variants);
	if (r < 0 && !ch->n_blockers) {
		failed(ch, r, "cannot look up the vfio variant drivers");
		goto out;
	}
	if (ch->n_blockers) {
		/* What the planner would say too (group viability, no native driver). */
		(void)plan_it(e, ch, &req, set, n_set);
		plan_done(&ch->plan);
		plan_init(&ch->plan);
		ch->outcome = CHANGE_REFUSED;
		goto decided;
	}
	r = plan_it(e, ch, &req, set, n_set);
	if (r < 0) {
		failed(ch, r, "cannot find the native drivers");
		goto out;
	}
decided:
	trace_point("decided: %s, %zu steps",
		    ch->outcome == CHANGE_PLANNED   ? "planned"
		    : ch->outcome == CHANGE_NOTHING ? "nothing to do"
						    : "refused",
		    ch->plan.n);
	if (ch->outcome == CHANGE_PLANNED && o->dry_run && e->j) {
		struct journal_txn pending;

		if (journal_txn_read(e->j, &pending) == 0) {
			snprintf(ch->pending, sizeof(ch->pending),
				 "an unfinished %s is in %s: a real run undoes it first",
				 pending.op, journal_dir(e->j));
			journal_txn_done(&pending);
		}
	}
out:
	*ret = TAKE_PTR(ch);
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine's context, what every command shares: the sysfs gateway, the
 * snapshot, the policy, the guards' facts, the journal, libkmod and xen, each
 * loaded once and only when needed; the read-only views, notes, the udev
 * event, evaluation and doctor. The stages of a change are in the other
 * engine-*.c files (engine-private.h); nothing here prints.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "engine-private.h"
#include "engine.h"
#include "doctor.h"
#include "driverctl.h"
#include "guard.h"
#include "holders.h"
#include "kmodq.h"
#include "macro.h"
#include "pcidev.h"
#include "policy.h"
#include "proc.h"
#include "sysfs.h"
#include "trace.h"
#include "udevq.h"
#include "util.h"
#include "xen.h"

_printf_(3, 4) void elog(struct engine *e, int priority, const char *fmt, ...)
{
	char msg[1536];
	va_list ap;

	if (!e->log_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e->log_fn(e->log_data, priority, msg);
}

/* A context on the sysfs gateway S (borrowed) and ROOTS (borrowed strings). */
int engine_new(const struct engine_roots *roots, struct sysfs *s, struct engine **ret)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	e->roots = *roots;
	if (!e->roots.state_dir)
		e->roots.state_dir = journal_default_dir;
	if (!e->roots.proc_root)
		e->roots.proc_root = proc_default_root;
	if (!e->roots.driverctl_dir)
		e->roots.driverctl_dir = driverctl_default_dir;
	e->s = s;
	e->origin = "cli";
	e->probe_timeout_ms = 5000;
	e->lock_timeout_ms = 10000;
	*ret = e;
	return 0;
}

/* Accepts NULL, returns NULL. */
struct engine *engine_free(struct engine *e)
{
	if (!e)
		return NULL;
	guard_facts_free(e->gf);
	policy_free(e->pol);
	pcidev_list_free(e->l);
	strv_free(e->stale);
	kmodq_free(e->kq);
	xen_close(e->xen);
	holders_index_free(e->hix);
	journal_close(e->j);
	free(e);
	return NULL;
}

void engine_set_log_fn(struct engine *e, engine_log_fn fn, void *userdata)
{
	e->log_fn = fn;
	e->log_data = userdata;
}

void engine_set_timeouts(struct engine *e, int probe_timeout_ms, int lock_timeout_ms)
{
	e->probe_timeout_ms = probe_timeout_ms;
	e->lock_timeout_ms = lock_timeout_ms;
}

/*
 * FULL: read every function's details with the snapshot, as before the lazy
 * snapshot (tests compare the two; PCIBIND_SNAPSHOT=full in the CLI).
 */
void engine_set_full_snapshot(struct engine *e, bool full)
{
	e->full_snapshot = full;
}

/* The command this context serves (cli, boot, udev): the undo of a killed run opens Xen as it would. */
void engine_set_origin(struct engine *e, const char *origin)
{
	e->origin = origin;
}

/*
 * Test hook: a change stops itself (SIGSTOP) once step N is written,
 * verified and recorded in the journal, so that a test can kill it there or
 * change the machine under it. 0 turns it off.
 */
void engine_set_stop_after_step(struct engine *e, size_t n)
{
	e->stop_after_step = n;
}

struct sysfs *engine_sysfs(const struct engine *e)
{
	return e->s;
}

const struct engine_roots *engine_roots(const struct engine *e)
{
	return &e->roots;
}

void engine_get_stats(const struct engine *e, struct engine_stats *ret)
{
	*ret = e->stats;
}

/* The stub a seize goes to when neither the policy nor the command line names one. */
const char *engine_default_stub(const struct pcidev_list *l)
{
	return l->xen ? "pciback" : "vfio-pci";
}

/*
 * The snapshot, taken at first use: a cheap pass over every function
 * (address, IDs, class, driver, the bridges' secondary bus), the details
 * of a function read when a change or a command asks for it
 * (engine_details). Returns 0, -ENOTDIR (no bus/pci) or -errno.
 */
int engine_snapshot(struct engine *e, struct pcidev_list **ret)
{
	int r;

	if (e->stale) {
		char **stale = TAKE_PTR(e->stale);

		engine_refresh(e, stale, strv_length(stale));
		strv_free(stale);
	}
	if (!e->l) {
		r = pcidev_scan(e->s, e->full_snapshot ? 0 : PCIDEV_SCAN_LAZY, &e->l);
		if (r == -ENOENT)
			r = -ENOTDIR;
		if (r < 0)
			return r;
		e->stats.scans++;
	}
	*ret = e->l;
	return 0;
}

/*
 * The details of D (a function of the snapshot): its reset methods, IOMMU
 * group, SR-IOV links, driver_override, and those of the other functions of
 * its slot, of its bridge and behind it, which a plan or a guard about D
 * reads. Returns 0 or -errno.
 */
int engine_details_slot(struct engine *e, struct pcidev *d)
{
	struct pcidev_list *l;
	bool had = d->details;
	int r;

	r = engine_snapshot(e, &l);
	if (r < 0)
		return r;
	r = pcidev_load_details(e->s, l, d);
	if (r == 0 && !had)
		trace_point("details of %s (and of its slot and bridge)", d->bdf);
	return r;
}

/* engine_details_slot(), and the details of the members of D's IOMMU group. */
int engine_details(struct engine *e, struct pcidev *d)
{
	int r = engine_details_slot(e, d);

	return r < 0 ? r : pcidev_load_group(e->s, e->l, d);
}

/* engine_details(), and what only show and explain print of D: revision, header type, net/. */
int engine_details_shown(struct engine *e, struct pcidev *d)
{
	int r = engine_details(e, d);

	return r < 0 ? r : pcidev_load_shown(e->s, d);
}

/* Read again what a change touched (the whole snapshot if that fails). */
void engine_refresh(struct engine *e, char *const *bdfs, size_t n)
{
	if (!e->l)
		return;
	e->stats.refreshes++;
	if (pcidev_refresh(e->s, e->l, bdfs, n) < 0)
		e->l = pcidev_list_free(e->l);
}

/*
 * engine_refresh() when the snapshot is next asked for (engine_snapshot(),
 * and so engine_eval() and engine_details()), not now: a command that
 * changes one set of functions and exits does not read them again for
 * nothing (a function vfio-pci just took is suspended, and reading its
 * config space wakes it). Returns 0, or -ENOMEM after refreshing now.
 */
int engine_refresh_later(struct engine *e, char *const *bdfs, size_t n)
{
	size_t have = strv_length(e->stale), alloc = e->stale ? have + 1 : 0;

	if (!e->l)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (util_strv_push(&e->stale, &have, &alloc, bdfs[i]) < 0)
			goto out_now;
	return 0;

out_now:
	{
		char **stale = TAKE_PTR(e->stale);

		if (stale)
			engine_refresh(e, stale, strv_length(stale));
		strv_free(stale);
		engine_refresh(e, bdfs, n);
	}
	return -ENOMEM;
}

/*
 * The policy from the roots' policy directories (or the defaults), loaded
 * once. Its problems are logged as warnings, with file and line; a change
 * refuses while there are any (engine_decide). Returns 0 or -errno.
 */
int engine_policy(struct engine *e, const struct policy **ret)
{
	const char *const *dirs =
		e->roots.policy_dirs[0] ? e->roots.policy_dirs : policy_default_dirs;
	size_t n = 0;
	int r;

	if (!e->pol) {
		while (dirs[n])
			n++;
		r = policy_load(dirs, n, &e->pol);
		if (r < 0)
			return r;
		e->stats.policy_loads++;
		trace_point("policy loaded (%zu rules)", e->pol->n_rules);
		for (size_t i = 0; i < e->pol->n_errors; i++) {
			const struct policy_diag *d = &e->pol->errors[i];

			if (d->line > 0)
				elog(e, LOG_WARNING, "policy: %s:%d: %s", d->file, d->line,
				     d->message);
			else
				elog(e, LOG_WARNING, "policy: %s: %s", d->file, d->message);
		}
	}
	*ret = e->pol;
	return 0;
}

/* The safety guards' facts (mounts, routes, keyboards), gathered once. */
int engine_guard_facts(struct engine *e, const struct guard_facts **ret)
{
	_cleanup_(proc_closep) struct proc *p = NULL;
	int r;

	if (!e->gf) {
		r = proc_open(e->roots.proc_root, &p);
		if (r < 0)
			return r;
		r = guard_facts_load(e->s, p, &e->gf);
		if (r < 0)
			return r;
		e->stats.guard_loads++;
		trace_point("guard facts read");
	}
	*ret = e->gf;
	return 0;
}

/*
 * The journal; LOCK takes its lock (waiting up to the lock timeout). An
 * unlocked journal is reopened locked when a caller needs the lock.
 * Returns 0, -ENOENT (no state directory yet, unlocked only),
 * -EWOULDBLOCK, or -errno.
 */
int engine_journal(struct engine *e, bool lock, struct journal **ret)
{
	int r;

	if (e->j && (e->j_locked || !lock)) {
		*ret = e->j;
		return 0;
	}
	/* a dry run asks once per slot: nothing it does creates the directory */
	if (!lock && e->j_absent)
		return -ENOENT;
	e->j = journal_close(e->j);
	r = journal_open(e->roots.state_dir, lock, e->lock_timeout_ms, &e->j);
	e->j_absent = !lock && r == -ENOENT;
	if (r < 0)
		return r;
	e->j_locked = lock;
	e->stats.journal_opens++;
	trace_point("journal opened%s", lock ? " and locked" : "");
	*ret = e->j;
	return 0;
}

/* libkmod, tried once; NULL if the index cannot be loaded (logged). */
struct kmodq *engine_kmod(struct engine *e)
{
	int r;

	if (e->kq_tried)
		return e->kq;
	e->kq_tried = true;
	r = kmodq_new(e->roots.modules_dir, &e->kq);
	if (r < 0) {
		elog(e, LOG_WARNING,
		     "cannot load the kernel module index (give --modules-dir); native drivers "
		     "are known only from the journal: %s",
		     strerror(-r));
		return NULL;
	}
	kmodq_allow_load(e->kq, sysfs_is_default_root(e->s));
	e->stats.kmod_loads++;
	return e->kq;
}

/* A note the journal keeps (boot-policy: the digest of the policy boot read). */
int engine_note(struct engine *e, const char *name, char **ret)
{
	struct journal *j;
	int r = engine_journal(e, false, &j);

	if (r < 0)
		return r;
	return journal_read_note(j, name, ret);
}

/* Keep a note in the journal (locked). */
int engine_write_note(struct engine *e, const char *name, const char *text)
{
	struct journal *j;
	int r = engine_journal(e, true, &j);

	if (r < 0)
		return r;
	return journal_write_note(j, name, text);
}

/*
 * The PCI device and action of the udev event pcibind runs for (libudev,
 * from the environment). -ENXIO: not run by udev; -ENODEV: not PCI.
 */
int engine_udev_event(char *bdf, size_t bdf_size, char *action, size_t action_size)
{
	return udevq_event(bdf, bdf_size, action, action_size);
}

/* Which variable of udev's environment is missing or invalid (udevq.c). Returns 0 or -ENXIO. */
int engine_udev_problem(char *why, size_t size)
{
	return udevq_env_problem(why, size);
}

/* The modules D's modalias resolves to (and those the blacklist removed). */
int engine_native_modules(struct engine *e, const struct pcidev *d, char ***ret,
			  char ***ret_blacklisted)
{
	struct kmodq *kq = engine_kmod(e);

	if (!kq)
		return -ENOENT;
	if (!d->modalias)
		return -ENODATA;
	return kmodq_lookup(kq, d->modalias, ret, ret_blacklisted);
}

/*
 * The policy for D, then the command line's one-off rules (-o
 * no-strict-reset, -o permissive, --driver) on top, marked as such.
 * Returns 0 or -errno.
 */
int engine_eval(struct engine *e, const struct pcidev *d, const struct change_opts *o,
		struct policy_eval *ret)
{
	const struct policy *p;
	struct pcidev_list *l;
	int r;

	r = engine_policy(e, &p);
	if (r < 0)
		return r;
	r = engine_snapshot(e, &l);
	if (r < 0)
		return r;
	/* match-physfn reads the physfn link, one of a lazy snapshot's details */
	if (!d->details) {
		struct pcidev *own = pcidev_find_bdf(l, d->bdf);

		if (own == d) {
			r = engine_details_slot(e, own);
			if (r < 0)
				return r;
		}
	}
	r = policy_eval(p, l, d, ret);
	if (r < 0 || !o)
		return r;
	if (o->no_strict_reset) {
		ret->v.strict_reset = 0;
		ret->cli_source[PK_STRICT_RESET] = "-o no-strict-reset";
	}
	if (o->permissive) {
		ret->v.permissive = 1;
		ret->cli_source[PK_PERMISSIVE] = "-o permissive";
	}
	if (o->driver) {
		snprintf(ret->v.driver, sizeof(ret->v.driver), "%s", o->driver);
		ret->cli_source[PK_DRIVER] = "--driver";
	}
	return 0;
}

/*
 * Whether this is a Xen dom0, found once (hypervisor/type, xen/capabilities;
 * no library is loaded until a question needs it). boot and udev never
 * read xenstore: it can hang in the initramfs. NULL without memory.
 */
struct xen *engine_xen(struct engine *e, const char *origin)
{
	_cleanup_(proc_closep) struct proc *p = NULL;
	unsigned int flags = 0;

	if (e->xen)
		return e->xen;
	if (streq_ptr(origin, "boot") || streq_ptr(origin, "udev"))
		flags |= XEN_OPEN_NO_XENSTORE;
	if (proc_open(e->roots.proc_root, &p) < 0)
		p = NULL;
	if (xen_open(e->s, p, flags, &e->xen) < 0)
		e->xen = NULL;
	return e->xen;
}

/*
 * pcibind doctor (doctor.c): the host's checks, then each function on a
 * stub or that the policy sends to one (a rule with driver, boot or
 * hotplug): its group, viability, reset and who holds it. Read-only; an
 * unreadable or untrusted policy only means no policy-named functions.
 * Returns 0 or -errno.
 */
int engine_doctor(struct engine *e, struct doctor_report *rep)
{
	_cleanup_(proc_closep) struct proc *p = NULL;
	const struct policy *pol = NULL;
	struct pcidev_list *l;
	int r;

	r = engine_snapshot(e, &l);
	if (r < 0)
		return r;
	if (proc_open(e->roots.proc_root, &p) < 0)
		p = NULL;
	if (engine_policy(e, &pol) < 0 || pol->n_errors)
		pol = NULL;
	r = doctor_host(e->s, p, engine_kmod(e), l, rep);
	for (size_t i = 0; r >= 0 && i < l->n; i++) {
		struct pcidev *d = l->devs[i];
		struct change_opts o = { .op = PLAN_SEIZE, .origin = "cli" };
		char stub[64] = "", users[256];
		struct policy_eval pe;

		if (d->stub != PCIDEV_STUB_NONE) {
			snprintf(stub, sizeof(stub), "%s", d->driver);
		} else if (pol && engine_eval(e, d, &o, &pe) == 0) {
			if (pe.v.driver[0] || pe.v.boot > 0 || pe.v.hotplug > 0)
				snprintf(stub, sizeof(stub), "%s",
					 pe.v.driver[0] ? pe.v.driver : engine_default_stub(l));
			policy_eval_done(&pe);
		}
		if (!stub[0])
			continue;
		/* its group, reset and the like: what a lazy snapshot reads on demand */
		r = engine_details(e, d);
		if (r < 0)
			break;
		(void)engine_vfio_users(e, d, users, sizeof(users));
		r = doctor_device(l, d, stub, users, rep);
	}
	return r < 0 ? r : 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The change engine: the context every command shares, and a seize or
 * release as stages (decide = prepare + plan, execute, finalize, recover).
 * Nothing here prints; messages go to the context's log callback and
 * results are data (struct change, struct recovery).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "driverctl.h"
#include "engine.h"
#include "guard.h"
#include "holders.h"
#include "kmodq.h"
#include "macro.h"
#include "pcidev.h"
#include "persist.h"
#include "policy.h"
#include "proc.h"
#include "record.h"
#include "sysfs.h"
#include "trace.h"
#include "udevq.h"
#include "xen.h"
#include "vfio.h"
#include "doctor.h"

struct engine {
	struct engine_roots roots;
	struct sysfs *s;
	engine_log_fn log_fn;
	void *log_data;
	int probe_timeout_ms, lock_timeout_ms;

	struct pcidev_list *l;
	bool full_snapshot;	/* every function's details up front, not on demand */
	size_t stop_after_step;	/* test hook, 0: off */
	struct policy *pol;
	struct guard_facts *gf;
	struct journal *j;
	bool j_locked;
	struct kmodq *kq;
	bool kq_tried;
	struct xen *xen;	/* opened by the first change: its origin decides xenstore */
	const char *origin;	/* cli, boot or udev: the command this context serves */
	bool begun;		/* engine_begin() locked the journal and recovered */
	char retire_at[ADDR_BDF_MAX];	/* udev add: what the journal says of it is old */
	struct holders_index *hix;	/* every process's open files: read once, on first use */
	struct engine_stats stats;
};

_printf_(3, 4) static void elog(struct engine *e, int priority, const char *fmt, ...)
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
 * group, config header, SR-IOV links, net interfaces, driver_override, and
 * those of the other functions of its slot and its IOMMU group, which a
 * plan or a guard about D reads. Returns 0 or -errno.
 */
int engine_details(struct engine *e, struct pcidev *d)
{
	struct pcidev_list *l;
	int r;

	r = engine_snapshot(e, &l);
	if (r < 0)
		return r;
	return pcidev_load_details(e->s, l, d);
}

/* Read again what a change touched (the whole snapshot if that fails). */
static void engine_refresh(struct engine *e, char *const *bdfs, size_t n)
{
	if (!e->l)
		return;
	e->stats.refreshes++;
	if (pcidev_refresh(e->s, e->l, bdfs, n) < 0)
		e->l = pcidev_list_free(e->l);
}

/*
 * The policy from the roots' policy directories (or the defaults), loaded
 * once. Its problems are logged as warnings, with file and line; a change
 * refuses while there are any (engine_decide). Returns 0 or -errno.
 */
int engine_policy(struct engine *e, const struct policy **ret)
{
	const char *const *dirs = e->roots.policy_dirs[0] ? e->roots.policy_dirs
							  : policy_default_dirs;
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
	e->j = journal_close(e->j);
	r = journal_open(e->roots.state_dir, lock, e->lock_timeout_ms, &e->j);
	if (r < 0)
		return r;
	e->j_locked = lock;
	e->stats.journal_opens++;
	trace_point("journal opened%s", lock ? " and locked" : "");
	*ret = e->j;
	return 0;
}

/* libkmod, tried once; NULL if the index cannot be loaded (logged). */
static struct kmodq *engine_kmod(struct engine *e)
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

/* Every record of a seized function. */
int engine_records(struct engine *e, struct journal_device **ret, size_t *ret_n)
{
	struct journal *j;
	int r = engine_journal(e, false, &j);

	if (r < 0)
		return r;
	return journal_list(j, ret, ret_n);
}

static void describe_txn(const struct journal_txn *t, char *buf, size_t size);

/*
 * The unfinished transaction, if any. Returns 0, -ENOENT (none, or no
 * journal yet), or -errno (it cannot be read: -EBADMSG for a damaged one).
 */
int engine_pending(struct engine *e, struct engine_pending *ret)
{
	struct journal_txn t;
	struct journal *j;
	int r = engine_journal(e, false, &j);

	if (r < 0)
		return r;
	*ret = (struct engine_pending){ 0 };
	(void)journal_txn_path(j, ret->file, sizeof(ret->file));
	r = journal_txn_read(j, &t);
	if (r < 0)
		return r;
	ret->started = t.started;
	ret->steps_done = t.step;
	snprintf(ret->op, sizeof(ret->op), "%s", t.op);
	snprintf(ret->origin, sizeof(ret->origin), "%s", t.origin);
	describe_txn(&t, ret->what, sizeof(ret->what));
	journal_txn_done(&t);
	return 0;
}

/* The file that holds BDF's record, for messages. Returns 0 or -errno. */
int engine_record_file(struct engine *e, const char *bdf, char *buf, size_t size)
{
	struct journal *j;
	int r = engine_journal(e, false, &j);

	if (r < 0)
		return r;
	return journal_record_path(j, bdf, buf, size);
}

/*
 * Who put BDF where it is, when pcibind has no record of it: driverctl's
 * saved override (ret->who "driverctl", ret->file its file, ret->driver the
 * driver it names), else "not recorded". Returns 0 or -errno; an unusable
 * driverctl file is "driverctl" with an empty driver.
 */
int engine_foreign_origin(struct engine *e, const char *bdf, struct engine_origin *ret)
{
	int r;

	*ret = (struct engine_origin){ .who = "not recorded" };
	r = driverctl_saved(e->roots.driverctl_dir, bdf, ret->driver, sizeof(ret->driver),
			    ret->file, sizeof(ret->file));
	if (r == 0 || r == -EBADMSG) {
		snprintf(ret->who, sizeof(ret->who), "driverctl");
		return 0;
	}
	ret->file[0] = '\0';
	return r == -ENOENT || r == -EACCES ? 0 : r;
}

/*
 * BDF's record checked against the function at its address (record.c):
 * 0, -ENOENT (no record), -ENODEV (the function is gone), -ESTALE (another
 * device is there) or the file's own error, with WHY naming the file, the
 * reason and the fix.
 */
int engine_check_record(struct engine *e, const char *bdf, char *why, size_t size)
{
	struct journal_device rec;
	struct pcidev_list *l;
	struct journal *j;
	int r = engine_journal(e, false, &j);

	if (r < 0)
		return r;
	r = engine_snapshot(e, &l);
	if (r < 0)
		return r;
	return record_check(j, l, bdf, &rec, why, size);
}

/*
 * recover: remove every record that cannot be used or no longer matches the
 * function at its address (gone, or another device). *RET_CLEARED says
 * which and why. Returns the count or -errno.
 */
int engine_clear_stale(struct engine *e, char ***ret_cleared)
{
	struct pcidev_list *l;
	struct journal *j;
	int r = engine_journal(e, true, &j);

	if (r < 0)
		return r;
	r = engine_snapshot(e, &l);
	if (r < 0)
		return r;
	return record_sweep(j, l, false, ret_cleared);
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

/*
 * udev said a function was removed: its record is retired, so that a
 * device plugged in there later starts clean, but only when the function
 * is really gone, or another device is at its address. A remove event
 * also comes for a device that is still there (udevadm trigger -c remove,
 * a replayed event, a remove and add in between): its record stays, and
 * WHY says so. Reads sysfs under the lock. Returns 1 if a record was
 * retired, 0 if there was none or it stays (WHY), or -errno
 * (-EWOULDBLOCK: another pcibind holds the lock).
 */
int engine_retire(struct engine *e, const char *bdf, char *why, size_t size)
{
	struct journal_device rec;
	struct pcidev_list *l;
	struct journal *j;
	int r;

	why[0] = '\0';
	r = engine_journal(e, true, &j);
	if (r < 0)
		return r;
	e->l = pcidev_list_free(e->l); /* what the kernel says now, under the lock */
	r = engine_snapshot(e, &l);
	if (r < 0)
		return r;
	r = record_check(j, l, bdf, &rec, why, size);
	if (r == -ENOENT) {
		why[0] = '\0';
		return 0;
	}
	if (r == 0) {
		snprintf(why, size, "%s is still there (%04x:%04x, on %s): its record stays", bdf,
			 rec.vendor, rec.device, pcidev_find_bdf(l, bdf)->driver ?: "no driver");
		return 0;
	}
	if (r == -EPROTONOSUPPORT)
		return 0; /* a newer pcibind's record: WHY says so, and it stays */
	/* Gone, another device, or a file that cannot be used: nothing can be done with it. */
	r = journal_del(j, bdf);
	return r < 0 ? r : 1;
}

/* Whether the journal (unlocked) has a record of BDF or a transaction naming it. */
bool engine_journal_names(struct engine *e, const char *bdf)
{
	struct journal_device rec;
	struct journal_txn t;
	struct journal *j;
	bool named = false;

	if (engine_journal(e, false, &j) < 0)
		return false;
	if (journal_get_why(j, bdf, &rec, NULL, 0) != -ENOENT)
		return true;
	if (journal_txn_read(j, &t) < 0)
		return false;
	for (size_t i = 0; i < t.n && !named; i++)
		named = streq(t.devs[i].before.bdf, bdf);
	journal_txn_done(&t);
	return named;
}

/*
 * udev's add of BDF: the kernel made a new device there (or the event is
 * replayed). Under the lock, with a snapshot read under it, what the
 * journal says of an earlier device at BDF is retired: its record, when it
 * is about another device or the function arrived as a new one does (not
 * on the recorded stub, no driver_override); and, through engine_recover(),
 * the pending transaction's part for it. NOTE says what was retired.
 * Returns 0 or -errno (-EWOULDBLOCK: another pcibind holds the lock).
 */
int engine_forget_old(struct engine *e, const char *bdf, char *note, size_t size)
{
	struct journal_device rec;
	struct pcidev_list *l;
	struct pcidev *d;
	struct journal *j;
	char why[RECORD_WHY_MAX];
	int r;

	note[0] = '\0';
	r = engine_journal(e, true, &j);
	if (r < 0)
		return r;
	e->l = pcidev_list_free(e->l);
	r = engine_snapshot(e, &l);
	if (r < 0)
		return r;
	snprintf(e->retire_at, sizeof(e->retire_at), "%s", bdf);
	d = pcidev_find_bdf(l, bdf);
	r = record_check(j, l, bdf, &rec, why, sizeof(why));
	if (r == -ENOENT || r == -EPROTONOSUPPORT || !d)
		return 0; /* none, or a newer pcibind's: not ours to remove */
	if (r == 0 && (streq_ptr(d->driver, rec.stub) || streq_ptr(d->driver_override, rec.stub)))
		return 0; /* a replayed add of a function that is where its record says */
	if (r == 0)
		snprintf(why, sizeof(why),
			 "%s arrived as a new device (on %s, driver_override %s), not on %s as its "
			 "record said",
			 bdf, d->driver ?: "no driver", d->driver_override ?: "(none)", rec.stub);
	r = journal_del(j, bdf);
	if (r < 0)
		return r;
	snprintf(note, size, "retired the record of %s: %s", bdf, why);
	return 0;
}

/*
 * Fail closed: pin BDF's driver_override to STUB so that no native driver
 * takes a hot-plugged device while its seize cannot run yet. Only a
 * function with no driver_override is pinned. Returns 1 if pinned, 0 if
 * it was not (gone, or another override is set), or -errno.
 */
int engine_pin(struct engine *e, const char *bdf, const char *stub)
{
	char path[PATH_MAX], cur[NAME_MAX + 1] = "";
	int r;

	r = sysfs_read_attr(e->s, cur, sizeof(cur), "bus/pci/devices/%s/driver_override", bdf);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	if (cur[0] && !streq(cur, "(null)"))
		return streq(cur, stub);
	snprintf(path, sizeof(path), "bus/pci/devices/%s/driver_override", bdf);
	r = sysfs_write(e->s, path, stub);
	return r < 0 ? r : 1;
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
			r = engine_details(e, own);
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

_printf_(5, 6) static int block(struct change *ch, const char *bdf, const char *kind,
				const char *fix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vblock(ch, bdf, kind, fix, fmt, ap);
	va_end(ap);
	return 0;
}

_printf_(3, 4) static int refuse(struct change *ch, const char *bdf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vblock(ch, bdf, "policy", NULL, fmt, ap);
	va_end(ap);
	return 0;
}

_printf_(3, 4) static int failed(struct change *ch, int error, const char *fmt, ...)
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
				decide_source(&pe, PK_DRIVER, ch->stub_source, sizeof(ch->stub_source));
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
 * Whether this is a Xen dom0, found once (hypervisor/type, xen/capabilities;
 * no library is loaded until a question needs it). boot and udev never
 * read xenstore: it can hang in the initramfs. NULL without memory.
 */
static struct xen *engine_xen(struct engine *e, const char *origin)
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
 * Xen dom0: a function leaving pciback (release, or a seize to another
 * stub) while a running domain holds it would be pulled out of that guest.
 */
static void judge_xen(struct engine *e, const struct change *ch, const struct pcidev *d,
		      struct verdict *v)
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
static int trust_gate(struct engine *e, struct change *ch, const struct policy *pol,
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

/* ---- holders -------------------------------------------------------------- */


static int load_index(void *userdata, const struct holders_index **ret)
{
	struct engine *e = userdata;
	_cleanup_(proc_closep) struct proc *p = NULL;
	int r;

	if (!e->hix) {
		/*
		 * A fixture's /proc names nodes of another machine: stat() would
		 * find this host's devices, so a tree that is not this system's
		 * sysfs is matched by path only.
		 */
		bool by_rdev = sysfs_is_default_root(e->s);

		r = proc_open(e->roots.proc_root, &p);
		if (r < 0) {
			int error = r;

			r = holders_index_new(by_rdev, &e->hix);
			if (r < 0)
				return r;
			holders_index_set_error(e->hix, error);
			r = holders_index_seal(e->hix);
		} else {
			r = holders_index_read(p, by_rdev, &e->hix);
		}
		if (r < 0)
			return r;
		e->stats.holder_scans++;
		trace_point("read /proc: %zu open files", holders_index_files(e->hix));
	}
	*ret = e->hix;
	return 0;
}

/* Who holds D: its nodes (with /proc read once per context), stacks and VFs. */
int engine_holders(struct engine *e, const struct pcidev *d, struct holders *out)
{
	if (e->l && d->virtfns)
		for (char **vf = d->virtfns; *vf; vf++) {
			struct pcidev *v = pcidev_find_bdf(e->l, *vf);

			if (v && !v->details)
				(void)engine_details(e, v);
		}
	return holders_of(e->s, e->l, d, load_index, e, out);
}

static void block_holder(struct engine *e, struct change *ch, const struct holder *h)
{
	static const char stop[] = "stop it (or make it close the device) first: no policy key "
				   "or option overrides a process that holds a device";
	static const char unreadable[] = "run pcibind as root in the host's PID namespace "
					 "(hidepid=, other users' processes and other namespaces "
					 "hide their files), or pass --ignore-unreadable-holders to "
					 "treat what cannot be read as holding nothing";
	char comm[64], via[64] = "";

	holders_clean(h->comm, comm, sizeof(comm));
	if (h->via[0])
		snprintf(via, sizeof(via), " through its VF %s", h->via);
	switch (h->kind) {
	case HOLDER_PROCESS:
		if (h->via[0]) {
			block(ch, h->bdf, "holder", stop,
			      "%s is held through its VF %s: pid %d (%s) has %s %s", h->bdf, h->via,
			      h->pid, comm, h->node, h->map ? "mapped" : "open");
			break;
		}
		if (!strncmp(h->node, "/dev/vfio/", 10)) {
			block(ch, h->bdf, "holder", "stop it first; there is no override",
			      "%s is in use by pid %d (%s), which holds %s open: a VM (or another "
			      "program) still drives it, and no native driver can bind while its "
			      "group is claimed",
			      h->bdf, h->pid, comm, h->node);
			break;
		}
		block(ch, h->bdf, "holder", stop,
		      "%s is in use: pid %d (%s) has %s %s, and unbinding its driver pulls the "
		      "device from under it",
		      h->bdf, h->pid, comm, h->node, h->map ? "mapped" : "open");
		break;
	case HOLDER_UNREADABLE:
	case HOLDER_UNKNOWN:
		if (ch->opts.ignore_unreadable) {
			char t[512];

			(void)holder_text(h, t, sizeof(t));
			elog(e, LOG_WARNING, "%s: %s; going on without it (--ignore-unreadable-holders)",
			     h->bdf, t);
			break;
		}
		if (h->kind == HOLDER_UNKNOWN)
			block(ch, h->bdf, "holder", unreadable,
			      "cannot tell what holds %s%s: its device nodes could not be read (%s)",
			      h->bdf, via, strerror(-h->error));
		else if (h->pid)
			block(ch, h->bdf, "holder", unreadable,
			      "cannot tell whether pid %d (%s) holds %s%s: its open files could not "
			      "be read (%s)",
			      h->pid, comm, h->bdf, via, strerror(-h->error));
		else
			block(ch, h->bdf, "holder", unreadable,
			      "cannot tell whether a process holds %s%s: %s could not be read (%s)",
			      h->bdf, via, e->roots.proc_root, strerror(-h->error));
		break;
	case HOLDER_STACK:
		block(ch, h->bdf, "holder",
		      "take it down first (umount it, then dmsetup remove, vgchange -an, cryptsetup "
		      "close, mdadm --stop or losetup -d)",
		      "%s%s: %s is built on its block device %s (device-mapper, md or loop; mounted "
		      "or not), and would lose its disk",
		      h->bdf, via, h->node, h->on);
		break;
	case HOLDER_VF:
	default:
		break; /* one blocker for all of a PF's VFs (holders_gate_vfs) */
	}
}

/* A PF with VFs enabled: one blocker naming them all, with the kernel's reason. */
static void holders_gate_vfs(struct change *ch, const struct pcidev *d, const struct holders *h,
			     size_t from)
{
	char vfs[600] = "", fix[300];
	size_t len = 0, n = 0;

	for (size_t i = from; i < h->n; i++) {
		if (h->v[i].kind != HOLDER_VF)
			continue;
		n++;
		len += snprintf(vfs + (len < sizeof(vfs) ? len : sizeof(vfs)),
				len < sizeof(vfs) ? sizeof(vfs) - len : 0, "%s%s (%s)",
				len ? ", " : "", h->v[i].node,
				h->v[i].on[0] ? h->v[i].on : "no driver");
	}
	if (!n)
		return;
	snprintf(fix, sizeof(fix),
		 "stop what uses its VFs, then disable them (write 0 to %s's sriov_numvfs)",
		 d->bdf);
	if (ch->opts.op == PLAN_SEIZE && streq(ch->stub, "vfio-pci"))
		block(ch, d->bdf, "sriov", fix,
		      "%s is an SR-IOV PF with %zu VF%s enabled: %s. vfio-pci does not bind a PF with "
		      "SR-IOV enabled (the kernel refuses: \"Cannot bind to PF with SR-IOV "
		      "enabled\"), and its driver would be gone by then",
		      d->bdf, n, n == 1 ? "" : "s", vfs);
	else
		block(ch, d->bdf, "sriov", fix,
		      "%s is an SR-IOV PF with %zu VF%s enabled: %s. Taking its driver away leaves "
		      "them without the PF driver that manages them (the kernel: \"driver left "
		      "SR-IOV enabled after remove\")",
		      d->bdf, n, n == 1 ? "" : "s", vfs);
}

/*
 * The holders gate: a blocker in CH for everything that holds one of the N
 * functions of SET (processes with its nodes, block stacks, enabled VFs
 * and what holds them; what could not be read holds it, unless
 * ignore_unreadable). Keeps the holders in CH for explain. Returns 0 or
 * -ENOMEM.
 */
int engine_holders_gate(struct engine *e, struct change *ch, struct pcidev *const *set,
			size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t from = ch->holders.n;
		int r = engine_holders(e, set[i], &ch->holders);

		if (r < 0)
			return r;
		holders_gate_vfs(ch, set[i], &ch->holders, from);
		for (size_t k = from; k < ch->holders.n; k++)
			block_holder(e, ch, &ch->holders.v[k]);
	}
	return 0;
}

/* engine_decide()'s holders gate, after judge(): every holder is a blocker. */
static int holders_gate_decide(struct engine *e, struct change *ch, struct pcidev *const *set,
			       size_t n)
{
	int r = engine_holders_gate(e, ch, set, n);

	return r == -ENOMEM ? r : 0;
}

/*
 * Release: each function's native driver, from its record or libkmod. A
 * module that is not loaded yet gives the plan a symbolic driver ("the
 * driver module M registers"), resolved by the executor after the load
 * step; nothing is loaded here.
 */
static int find_natives(struct engine *e, struct change *ch, struct pcidev *const *set,
			size_t n, struct plan_native *nat, char (*names)[3][JOURNAL_NAME_MAX])
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
		r = rebind_module_driver(e->s, mods[0], names[i][0], JOURNAL_NAME_MAX);
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
			variants[req->n_variants++] = (struct plan_variant){
				.bdf = set[i]->bdf, .driver = c->driver, .module = c->module
			};
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

/* ---- pcibind vfs -------------------------------------------------------- */

/*
 * Who holds a VF of PF, "0000:01:00.1 (pid 412 (qemu-system-x86))", one
 * per VF, in BUF: a process with its VFIO group or cdev open, or a Xen
 * guest it is assigned to. The one place that asks (later: the holders
 * module). Returns how many VFs are held, or -errno.
 */
static int vfs_holders(struct engine *e, const struct pcidev *pf, const char *origin, char *buf,
		       size_t size)
{
	size_t len = 0;
	int held = 0;

	buf[0] = '\0';
	for (char **v = pf->virtfns; v && *v; v++) {
		_cleanup_(proc_closep) struct proc *p = NULL;
		_cleanup_free_ struct vfio_user *u = NULL;
		struct pcidev *d = pcidev_find_bdf(e->l, *v);
		char who[512] = "";
		size_t nu = 0;
		int r;

		if (!d)
			continue;
		r = engine_details(e, d);
		if (r < 0)
			return r;
		if (vfio_holds(d)) {
			r = proc_open(e->roots.proc_root, &p);
			if (r == 0)
				r = vfio_users(p, d->iommu_group, d->vfio_dev, &u, &nu);
			if (r < 0)
				return r;
			if (nu)
				(void)vfio_users_text(u, nu, who, sizeof(who));
		} else if (d->stub == PCIDEV_STUB_PCIBACK) {
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
	return streq(stub, "pciback") ? "xen_pciback"
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
		snprintf(stub, size, "%s", pe.v.driver[0] ? pe.v.driver : engine_default_stub(e->l));
		snprintf(f->verdict.reason, sizeof(f->verdict.reason), "seized to %s: %s = yes (%s)",
			 stub, pe.v.hotplug ? "hotplug" : "boot", src);
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
static int decide_vfs(struct engine *e, struct change *ch, struct pcidev *pf)
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
	r = trust_gate(e, ch, pol, &pf, 1);
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
				      pf->bdf, r == 1 ? "a VF" : "VFs", r == 1 ? "its user" : "their users",
				      held, r == 1 ? "it" : "them");
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
					  .module = ch->vf_stub[i][0] ? stub_module_of(ch->vf_stub[i])
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
static int vfs_commit(struct engine *e, struct journal *j, struct change *ch,
		      const struct journal_txn *t)
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
		r = decide_vfs(e, ch, devs[0]);
		if (r < 0)
			return r;
		goto out;
	}
	r = engine_snapshot(e, &l);
	if (r < 0) {
		failed(ch, r, "cannot read the PCI devices under '%s'", e->roots.sysfs_root);
		goto out;
	}
	/* What the decision reads of them (and of their slots and groups). */
	for (size_t i = 0; i < n; i++) {
		r = engine_details(e, devs[i]);
		if (r < 0) {
			failed(ch, r, "cannot read %s under '%s'", devs[i]->bdf, e->roots.sysfs_root);
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
	r = trust_gate(e, ch, pol, set, n_set);
	if (r < 0)
		return r;
	r = judge(e, ch, set, n_set);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		failed(ch, r, r == -ENOENT || r == -ENOTDIR
				      ? "cannot open the proc root '%s' (give the directory that "
					"holds self/mountinfo and net/route, e.g. --proc-root /proc)"
				      : "cannot gather the safety guards' facts (proc root '%s')",
		       e->roots.proc_root);
		goto out;
	}
	r = holders_gate_decide(e, ch, set, n_set);
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
		    ch->outcome == CHANGE_PLANNED	? "planned"
		    : ch->outcome == CHANGE_NOTHING ? "nothing to do"
						    : "refused",
		    ch->plan.n);
	if (ch->outcome == CHANGE_PLANNED && o->dry_run && e->j) {
		struct journal_txn pending;

		if (journal_txn_read(e->j, &pending) == 0) {
			snprintf(ch->pending, sizeof(ch->pending),
				 "an unfinished %s is in %s: a real run undoes it first", pending.op,
				 journal_dir(e->j));
			journal_txn_done(&pending);
		}
	}
out:
	*ret = TAKE_PTR(ch);
	return 0;
}

/* ---- execute -------------------------------------------------------------- */

/* The function's state now, as a journal entry ("before" of a transaction). */
static void state_of(const struct pcidev_list *l, const struct pcidev *d,
		     struct journal_device *ret)
{
	/* with its ID and Qubes PCI path, which record_check() compares later */
	record_of_device(l, d, ret);
}

static bool txn_has(const struct journal_txn *t, const char *bdf)
{
	for (size_t i = 0; i < t->n; i++)
		if (streq(t->devs[i].before.bdf, bdf))
			return true;
	return false;
}

/* A transaction naming every function the plan touches, as they are now. */
static int txn_build(struct journal *j, const struct pcidev_list *l, const struct change *ch,
		     struct journal_txn *t)
{
	const struct plan *p = &ch->plan;

	*t = (struct journal_txn){ .started = time(NULL) };
	snprintf(t->op, sizeof(t->op), "%s", change_op_name(ch->opts.op));
	snprintf(t->origin, sizeof(t->origin), "%s", ch->opts.origin);
	t->devs = calloc(p->n + 1, sizeof(*t->devs));
	if (!t->devs)
		return -ENOMEM;
	for (size_t i = 0; i < p->n; i++) {
		const struct pcidev *d = pcidev_find_bdf(l, p->steps[i].bdf);
		struct journal_txn_device *td;
		int r;

		if (!d || txn_has(t, d->bdf))
			continue;
		td = &t->devs[t->n++];
		state_of(l, d, &td->before);
		/* pcibind vfs: the PF's VF count and autoprobe, for the undo */
		if (ch->opts.op == PLAN_VFS && d->sriov_totalvfs >= 0) {
			td->before.sriov = true;
			td->before.numvfs = d->sriov_numvfs;
			td->before.sriov_autoprobe = d->sriov_autoprobe;
		}
		r = journal_get(j, d->bdf, &td->record);
		if (r == 0)
			td->had_record = true;
		else if (r != -ENOENT)
			return r;
	}
	return 0;
}

/* Once the change is done: seize leaves records, release removes them. */
static int records_commit(struct journal *j, const struct journal_txn *t, int op,
			  const char *origin, const char *stub)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct journal_txn_device *td = &t->devs[i];
		struct journal_device rec;
		int r;

		if (op == PLAN_RELEASE) {
			r = journal_del(j, td->before.bdf);
		} else {
			if (td->had_record) {
				rec = td->record;
			} else {
				rec = td->before;
				/* A stub is nobody's native driver: libkmod finds it at release. */
				if (pcidev_stub_from_driver(rec.driver) != PCIDEV_STUB_NONE)
					rec.driver[0] = rec.module[0] = '\0';
				snprintf(rec.origin, sizeof(rec.origin), "%s", origin);
				rec.since = time(NULL);
			}
			snprintf(rec.stub, sizeof(rec.stub), "%s", stub);
			rec.stranded = false;
			r = journal_put(j, &rec);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* A failed undo: keep a record of every function, marked stranded, so nothing is lost. */
static void records_strand(struct journal *j, const struct journal_txn *t)
{
	for (size_t i = 0; i < t->n; i++) {
		struct journal_device rec = t->devs[i].had_record ? t->devs[i].record
								 : t->devs[i].before;

		rec.stranded = true;
		if (!rec.origin[0])
			snprintf(rec.origin, sizeof(rec.origin), "%s", t->origin);
		if (!rec.since)
			rec.since = t->started;
		(void)journal_put(j, &rec);
	}
}

static void describe_txn(const struct journal_txn *t, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < t->n && len < size; i++)
		len += snprintf(buf + len, size - len, "%s%s (was on %s)", i ? ", " : "",
				t->devs[i].before.bdf,
				t->devs[i].before.driver[0] ? t->devs[i].before.driver : "no driver");
}

/* What the executor tells while it runs (Xen's de-quarantine), through the log callback. */
static void rebind_note(void *userdata, int level, const char *msg)
{
	elog(userdata, level, "%s", msg);
}

static struct rebind rebind_of(struct engine *e, struct journal *j)
{
	return (struct rebind){ .s = e->s,
				.kmod = engine_kmod(e),
				.j = j,
				.probe_timeout_ms = e->probe_timeout_ms,
				.xen = e->xen,
				.note = rebind_note,
				.userdata = e };
}

/*
 * Undo transaction T: put every function back as it was, restore the
 * records, end the transaction. On failure the functions are recorded as
 * stranded and F says which step failed. Returns 0 or -errno.
 */
static int undo_txn(struct engine *e, struct journal *j, struct journal_txn *t,
		    struct rebind_failure *f)
{
	struct rebind rb = rebind_of(e, j);
	struct plan done;
	int r;

	plan_init(&done);
	rb.txn = NULL; /* the undo does not advance the transaction's steps */
	r = rebind_restore(&rb, t, &done, f);
	plan_done(&done);
	if (r < 0) {
		records_strand(j, t);
		(void)journal_txn_end(j);
		return r;
	}
	for (size_t i = 0; i < t->n; i++) {
		if (t->devs[i].had_record)
			r = journal_put(j, &t->devs[i].record);
		else
			r = journal_del(j, t->devs[i].before.bdf);
		if (r < 0) {
			snprintf(f->cause, sizeof(f->cause), "cannot restore the record of %s: %s",
				 t->devs[i].before.bdf, strerror(-r));
			f->error = r;
			return r;
		}
	}
	r = journal_txn_end(j);
	if (r < 0) {
		snprintf(f->cause, sizeof(f->cause), "cannot end the transaction in %s: %s",
			 journal_dir(j), strerror(-r));
		f->error = r;
	}
	return r;
}

/*
 * The records of functions that are gone (unplugged while udev's remove
 * event was missed) are retired before a change, so that a device plugged
 * in there later starts clean. Logged; errors are not fatal here.
 */
static void retire_gone(struct engine *e, struct journal *j)
{
	_cleanup_strv_free_ char **gone = NULL;
	struct pcidev_list *l;

	if (engine_snapshot(e, &l) < 0 || record_sweep(j, l, true, &gone) < 0)
		return;
	for (size_t i = 0; gone && gone[i]; i++)
		elog(e, LOG_NOTICE, "retired %s", gone[i]);
}

/*
 * The gates an undo passes, as any change does: a function the undo moves
 * is not held by anybody (engine_holders_gate(): a process with one of its
 * device nodes or its VFIO group open, a block stack, a VF in use), and one
 * it takes off pciback is not held by a running Xen domain (judge_xen()).
 * L is the snapshot read under the lock. Refused: WHY says every holder,
 * each with its fix. Returns 0 (see WHY) or -ENOMEM.
 */
static int undo_gate(struct engine *e, const struct journal_txn *t, struct pcidev_list *l,
		     char *why, size_t size)
{
	_cleanup_(change_freep) struct change *ch = calloc(1, sizeof(*ch));
	_cleanup_free_ struct pcidev **set = calloc(t->n + 1, sizeof(*set));
	size_t n = 0, len = 0;
	int r;

	why[0] = '\0';
	if (!ch || !set)
		return -ENOMEM;
	ch->opts = (struct change_opts){ .op = PLAN_RELEASE, .origin = e->origin };
	for (size_t i = 0; i < t->n; i++) {
		const struct journal_device *b = &t->devs[i].before;
		struct pcidev *d = pcidev_find_bdf(l, b->bdf);
		struct verdict v = { .allowed = true };

		if (!d || streq(b->driver, d->driver ? d->driver : ""))
			continue; /* gone, or where the undo would put it */
		if (pcidev_load_details(e->s, l, d) < 0)
			continue; /* gone since: nothing to hold */
		set[n++] = d;
		judge_xen(e, ch, d, &v);
		if (!v.allowed)
			block(ch, d->bdf, "xen",
			      "shut the domain down or detach the device from it (xl pci-detach)",
			      "%s", v.reason);
	}
	r = engine_holders_gate(e, ch, set, n);
	if (r == -ENOMEM)
		return r;
	for (size_t i = 0; i < ch->n_blockers && len < size; i++) {
		const struct change_blocker *b = &ch->blockers[i];

		len += snprintf(why + len, size - len, "%s%s%s%s", i ? "; " : "", b->text,
				b->fix[0] ? " (fix: " : "", b->fix[0] ? b->fix : "");
		if (b->fix[0] && len < size)
			len += snprintf(why + len, size - len, ")");
	}
	return 0;
}

/*
 * Undo the transaction a killed pcibind left, if any, under the lock and
 * from a snapshot read under it. Functions that are gone are taken out of
 * it first (logged); the undo is refused, and the transaction kept, when
 * it is about another device now or when a gate says no (a domain or a
 * process holds a function it would take off its stub). Xen is opened
 * first, so that a function leaving pciback leaves DOM_IO too. RET says
 * what happened. Returns 0 (also when nothing was found or the undo was
 * refused or failed: see RET) or -errno when the journal cannot be opened.
 */
int engine_recover(struct engine *e, struct recovery *ret)
{
	_cleanup_strv_free_ char **pruned = NULL;
	struct pcidev_list *l;
	struct journal_txn t;
	struct journal *j;
	size_t len = 0;
	int r;

	*ret = (struct recovery){ 0 };
	r = engine_journal(e, true, &j);
	if (r < 0)
		return r;
	r = journal_txn_read(j, &t);
	if (r == -ENOENT) {
		retire_gone(e, j);
		return 0;
	}
	ret->found = true;
	if (r < 0) {
		ret->error = r;
		snprintf(ret->what, sizeof(ret->what), "%s/txn", journal_dir(j));
		return 0;
	}
	snprintf(ret->op, sizeof(ret->op), "%s", t.op);
	snprintf(ret->origin, sizeof(ret->origin), "%s", t.origin);
	ret->started = t.started;
	ret->steps_done = t.step;
	describe_txn(&t, ret->what, sizeof(ret->what));
	r = engine_snapshot(e, &l);
	if (r < 0) {
		snprintf(ret->refused, sizeof(ret->refused),
			 "cannot read the PCI devices to check the unfinished %s against them: %s; "
			 "nothing was undone",
			 t.op, strerror(-r));
		ret->error = r;
		goto out;
	}
	/* Gone since (unplugged): there is nothing to undo for them. */
	r = record_prune_txn(&t, l, e->retire_at[0] ? e->retire_at : NULL, &pruned);
	if (r < 0) {
		ret->error = r;
		goto out;
	}
	for (size_t i = 0; pruned && pruned[i]; i++) {
		if (len < sizeof(ret->retired))
			len += snprintf(ret->retired + len, sizeof(ret->retired) - len, "%s%s",
					i ? "; " : "", pruned[i]);
	}
	/* Never undo onto another device: a swapped card, a hand-written file. */
	r = record_check_txn(j, &t, l, ret->refused, sizeof(ret->refused));
	if (r < 0) {
		ret->error = r;
		goto out;
	}
	r = undo_gate(e, &t, l, ret->held, sizeof(ret->held));
	if (r < 0) {
		ret->error = r;
		goto out;
	}
	if (ret->held[0])
		goto out;
	/* Xen's handle before the undo: out of pciback means out of DOM_IO. */
	(void)engine_xen(e, e->origin ? e->origin : t.origin);
	r = undo_txn(e, j, &t, &ret->failure);
	ret->error = r;
	ret->undone = r == 0;
	if (e->l) {
		char *bdfs[t.n + 1];

		for (size_t i = 0; i < t.n; i++)
			bdfs[i] = t.devs[i].before.bdf;
		engine_refresh(e, bdfs, t.n);
	}
out:
	journal_txn_done(&t);
	return 0;
}

/*
 * Before a change: the journal (locked, unless DRY_RUN), and a transaction
 * a killed pcibind left undone first (REC says what happened). Lock, then
 * look: a snapshot read before the lock is dropped, so that the decision
 * is made from what the kernel says while nobody else can change it (its
 * pointers are invalid afterwards). Once begun, a context does not begin
 * again. A dry run with no state directory yet is fine. Returns 0 or
 * -errno (-EWOULDBLOCK: another pcibind holds the lock).
 */
int engine_begin(struct engine *e, bool dry_run, struct recovery *rec)
{
	struct journal *j;
	int r;

	*rec = (struct recovery){ 0 };
	if (!dry_run) {
		if (e->begun)
			return 0;
		if (e->l && !e->j_locked)
			e->l = pcidev_list_free(e->l);
		r = engine_recover(e, rec);
		e->begun = r == 0 && (!rec->found || rec->undone);
		return r;
	}
	r = engine_journal(e, false, &j);
	return r == -ENOENT ? 0 : r;
}

/* Each function's driver now, after the change (or its undo). */
static void read_after(struct engine *e, struct change *ch, const struct journal_txn *t)
{
	struct change_function *nv = realloc(ch->fns, (t->n + 1) * sizeof(*nv));

	if (!nv)
		return;
	ch->fns = nv;
	ch->n_fns = t->n;
	for (size_t i = 0; i < t->n; i++) {
		struct change_function *f = &ch->fns[i];
		char drv[NAME_MAX + 1] = "";

		*f = (struct change_function){ 0 };
		snprintf(f->bdf, sizeof(f->bdf), "%s", t->devs[i].before.bdf);
		snprintf(f->before, sizeof(f->before), "%s", t->devs[i].before.driver);
		(void)sysfs_read_link_name(e->s, drv, sizeof(drv), "bus/pci/devices/%s/driver",
					   f->bdf);
		snprintf(f->after, sizeof(f->after), "%.*s", (int)sizeof(f->after) - 1, drv);
		f->gone = !sysfs_exists(e->s, "bus/pci/devices/%s", f->bdf);
	}
}

/*
 * A step failed: if a function of the change is gone from sysfs now, it was
 * removed (unplugged) under the change, and that is the cause to tell, not
 * the step's guess ("does not match it, or it is gone").
 */
static void say_removed(struct engine *e, const struct journal_txn *t, struct rebind_failure *f)
{
	char cause[2 * sizeof(f->cause)];
	size_t len = 0;

	for (size_t i = 0; i < t->n && len < sizeof(cause); i++)
		if (!sysfs_exists(e->s, "bus/pci/devices/%s", t->devs[i].before.bdf))
			len += snprintf(cause + len, sizeof(cause) - len, "%s%s", len ? ", " : "",
					t->devs[i].before.bdf);
	if (!len)
		return;
	if (len < sizeof(cause))
		snprintf(cause + len, sizeof(cause) - len,
			 " was removed (unplugged) during the change; the step said: %s", f->cause);
	snprintf(f->cause, sizeof(f->cause), "%.*s", (int)sizeof(f->cause) - 1, cause);
}

/*
 * Run a PLANNED change: write the transaction, execute the plan verifying
 * each step, undo everything if a step fails, then commit the records. The
 * outcome is DONE, NOTHING, ROLLED_BACK, STRANDED or FAILED; afterwards
 * ch->fns lists every function the change touched with its driver before
 * and after, and the snapshot is read again for them. Returns 0 or -EINVAL
 * if CH was not planned (or is a dry run).
 */
int engine_execute(struct engine *e, struct change *ch)
{
	struct journal_txn txn = { 0 };
	struct journal *j;
	struct rebind rb;
	int r;

	if (ch->outcome != CHANGE_PLANNED || ch->opts.dry_run)
		return -EINVAL;
	if (ch->plan.n == 0) {
		for (size_t i = 0; i < ch->n_fns; i++)
			strcpy(ch->fns[i].after, ch->fns[i].before);
		ch->outcome = CHANGE_NOTHING;
		return 0;
	}
	r = engine_journal(e, true, &j);
	if (r == 0)
		r = txn_build(j, e->l, ch, &txn);
	if (r == 0)
		r = journal_txn_write(j, &txn);
	if (r < 0) {
		failed(ch, r, "cannot write the transaction to %s; nothing was changed",
		       e->roots.state_dir);
		journal_txn_done(&txn);
		return 0;
	}
	rb = rebind_of(e, j);
	rb.txn = &txn;
	rb.stop_after_step = e->stop_after_step;
	r = rebind_execute(&rb, &ch->plan, &ch->failure);
	snprintf(ch->skipped, sizeof(ch->skipped), "%s", rb.skipped);
	if (r < 0) {
		struct rebind_failure uf = { 0 };

		ch->error = r;
		say_removed(e, &txn, &ch->failure);
		r = undo_txn(e, j, &txn, &uf);
		if (r < 0) {
			char step[PLAN_PATH_MAX + PLAN_NAME_MAX + 16];

			plan_step_describe(&uf.st, step, sizeof(step));
			ch->outcome = CHANGE_STRANDED;
			snprintf(ch->undo_failure, sizeof(ch->undo_failure), "step %zu (%s) failed: %s",
				 uf.step, step, uf.cause);
		} else {
			ch->outcome = CHANGE_ROLLED_BACK;
		}
		goto out_refresh;
	}
	if (ch->opts.op == PLAN_VFS)
		r = vfs_commit(e, j, ch, &txn);
	else
		r = records_commit(j, &txn, ch->opts.op, ch->opts.origin, ch->stub);
	if (r == 0)
		r = journal_txn_end(j);
	if (r < 0) {
		failed(ch, r, "the %s is done but its record in %s is not; the transaction "
			      "stays, so the next seize, release or 'pcibind recover' undoes it",
		       change_op_name(ch->opts.op), journal_dir(j));
		goto out_refresh;
	}
	ch->outcome = CHANGE_DONE;
out_refresh:
	/* What changed (or changed and went back) is read again for the next change. */
	{
		char *bdfs[txn.n + 1];

		for (size_t i = 0; i < txn.n; i++)
			bdfs[i] = txn.devs[i].before.bdf;
		engine_refresh(e, bdfs, txn.n);
	}
	/* pcibind vfs: its functions are the VFs (vfs_commit() read them) */
	if (ch->opts.op != PLAN_VFS || ch->outcome != CHANGE_DONE)
		read_after(e, ch, &txn);
	journal_txn_done(&txn);
	return 0;
}

/* ---- finalize ------------------------------------------------------------- */

/*
 * The admin file --persistent writes: 90-persistent.conf in the last policy
 * directory (the admin's, /etc/pcibind/policy.d, or the last --policy-dir).
 */
static void persist_file(struct engine *e, char *buf, size_t size)
{
	const char *const *dirs = e->roots.policy_dirs[0] ? e->roots.policy_dirs
							  : policy_default_dirs;
	const char *dir = dirs[0];

	for (size_t i = 0; dirs[i]; i++)
		dir = dirs[i];
	snprintf(buf, size, "%s/90-persistent.conf", dir);
}

/*
 * seize --persistent writes a rule per function (its PCI path, its
 * identity, the stub and options, boot and hotplug); release --persistent
 * removes them.
 */
static int persist(struct engine *e, struct change *ch)
{
	char file[PATH_MAX], section[64], path[128], when[32];
	const struct change_opts *o = &ch->opts;
	struct pcidev_list *l;
	time_t now = time(NULL);
	struct tm tm;
	int r;

	r = engine_snapshot(e, &l);
	if (r < 0)
		return r;
	persist_file(e, file, sizeof(file));
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	for (size_t i = 0; i < ch->n_fns; i++) {
		const struct pcidev *d = pcidev_find_bdf(l, ch->fns[i].bdf);
		_cleanup_free_ char *rule = NULL;

		snprintf(section, sizeof(section), "persistent %s", ch->fns[i].bdf);
		if (o->op == PLAN_SEIZE && d) {
			if (pcidev_qubes_path(d, path, sizeof(path)) < 0)
				snprintf(path, sizeof(path), "%s", d->bdf);
			if (asprintf(&rule,
				     "\n[%s]\n# pcibind seize --persistent, %s\n"
				     "match-address = %s\nexpect-id = %04x:%04x\ndriver = %s\n"
				     "boot = yes\nhotplug = yes\n%s%s",
				     section, when, path, d->vendor, d->device, ch->stub,
				     o->no_strict_reset ? "strict-reset = no\n" : "",
				     o->permissive ? "permissive = yes\n" : "") < 0)
				return -ENOMEM;
		}
		r = persist_update(file, section, rule);
		if (r < 0) {
			snprintf(ch->persisted, sizeof(ch->persisted), "%s", file);
			return r;
		}
	}
	snprintf(ch->persisted, sizeof(ch->persisted), "%s", file);
	return 0;
}

/*
 * release --persistent of a function that is not on a stub (nothing to
 * release): remove its "[persistent BDF]" rule all the same, if the admin
 * file has one. FILE (SIZE bytes) names the file. Returns 1 (removed), 0
 * (no such rule) or -errno.
 */
int engine_unpersist(struct engine *e, const char *bdf, char *file, size_t size)
{
	char section[64];
	const struct policy *p;
	bool found = false;
	int r;

	persist_file(e, file, size);
	r = engine_policy(e, &p);
	if (r < 0)
		return r;
	snprintf(section, sizeof(section), "persistent %s", bdf);
	for (size_t i = 0; i < p->n_rules && !found; i++)
		found = streq(p->rules[i].name, section) && streq(p->rules[i].file, file);
	if (!found)
		return 0;
	r = persist_update(file, section, NULL);
	return r < 0 ? r : 1;
}

/*
 * After a DONE change: let udev finish on this system (the netdev going, or
 * coming back), except when udev itself runs us; with --persistent, write
 * or remove the admin's rules (ch->persisted names the file). Returns 0 or
 * -errno (the change itself stays done).
 */
int engine_finalize(struct engine *e, struct change *ch)
{
	if (ch->outcome != CHANGE_DONE)
		return 0;
	if (sysfs_is_default_root(e->s) && strcmp(ch->opts.origin, "udev"))
		(void)udevq_settle(5000);
	if (ch->opts.persistent)
		return persist(e, ch);
	return 0;
}

/* ---- doctor --------------------------------------------------------------- */

/*
 * Who holds D open through VFIO, "pid 412 (qemu-system-x86)" in BUF ("" if
 * nobody): the holders of its /dev/vfio nodes, from the one read of /proc.
 */
int engine_vfio_users(struct engine *e, const struct pcidev *d, char *buf, size_t size)
{
	struct holders h = { 0 };
	size_t len = 0;
	int r;

	buf[0] = '\0';
	/* A lazy snapshot's function: its group and vfio-dev/ are details. */
	if (!d->details && e->l) {
		struct pcidev *own = pcidev_find_bdf(e->l, d->bdf);

		if (own) {
			r = engine_details(e, own);
			if (r < 0)
				return r;
			d = own;
		}
	}
	if (!vfio_holds(d))
		return 0;
	r = engine_holders(e, d, &h);
	if (r < 0)
		return r;
	for (size_t i = 0, last = 0; i < h.n; i++) {
		const struct holder *x = &h.v[i];
		char comm[64];

		if (x->kind != HOLDER_PROCESS || x->via[0] || strncmp(x->node, "/dev/vfio/", 10) ||
		    (len && (size_t)x->pid == last))
			continue; /* one entry per process */
		last = (size_t)x->pid;
		holders_clean(x->comm, comm, sizeof(comm));
		len += snprintf(buf + (len < size ? len : size), len < size ? size - len : 0,
				"%spid %d (%s)", len ? ", " : "", x->pid, comm);
	}
	holders_done(&h);
	return len < size ? 0 : -ENOSPC;
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

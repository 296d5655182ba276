/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Executing a decided change: journal the transaction, run it verified,
 * undo on failure, commit the records; then --persistent and udev settle.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine-private.h"
#include "engine.h"
#include "macro.h"
#include "pcidev.h"
#include "persist.h"
#include "policy.h"
#include "record.h"
#include "sysfs.h"
#include "trace.h"
#include "udevq.h"

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
void records_strand(struct journal *j, const struct journal_txn *t)
{
	for (size_t i = 0; i < t->n; i++) {
		struct journal_device rec =
			t->devs[i].had_record ? t->devs[i].record : t->devs[i].before;

		rec.stranded = true;
		if (!rec.origin[0])
			snprintf(rec.origin, sizeof(rec.origin), "%s", t->origin);
		if (!rec.since)
			rec.since = t->started;
		(void)journal_put(j, &rec);
	}
}

void describe_txn(const struct journal_txn *t, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < t->n && len < size; i++)
		len += snprintf(buf + len, size - len, "%s%s (was on %s)", i ? ", " : "",
				t->devs[i].before.bdf,
				t->devs[i].before.driver[0] ? t->devs[i].before.driver
							    : "no driver");
}

/* What the executor tells while it runs (Xen's de-quarantine), through the log callback. */
static void rebind_note(void *userdata, int level, const char *msg)
{
	elog(userdata, level, "%s", msg);
}

struct rebind engine_rebind_of(struct engine *e, struct journal *j)
{
	return (struct rebind){ .s = e->s,
				.kmod = engine_kmod(e),
				.j = j,
				.probe_timeout_ms = e->probe_timeout_ms,
				.xen = e->xen,
				.note = rebind_note,
				.userdata = e };
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
	if (r == 0)
		trace_point("journal: transaction recorded");
	if (r < 0) {
		failed(ch, r, "cannot write the transaction to %s; nothing was changed",
		       e->roots.state_dir);
		journal_txn_done(&txn);
		return 0;
	}
	rb = engine_rebind_of(e, j);
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
			snprintf(ch->undo_failure, sizeof(ch->undo_failure),
				 "step %zu (%s) failed: %s", uf.step, step, uf.cause);
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
		failed(ch, r,
		       "the %s is done but its record in %s is not; the transaction "
		       "stays, so the next seize, release or 'pcibind recover' undoes it",
		       change_op_name(ch->opts.op), journal_dir(j));
		goto out_refresh;
	}
	ch->outcome = CHANGE_DONE;
out_refresh:
	/*
	 * What changed (or changed and went back) is read again for the next
	 * change: by boot and udev before their next slot now, by seize and
	 * release only if something asks for the snapshot again (their release
	 * rules, --persistent).
	 */
	{
		char *bdfs[txn.n + 1];

		for (size_t i = 0; i < txn.n; i++)
			bdfs[i] = txn.devs[i].before.bdf;
		if (streq(ch->opts.origin, "cli") &&
		    (ch->opts.op == PLAN_SEIZE || ch->opts.op == PLAN_RELEASE))
			(void)engine_refresh_later(e, bdfs, txn.n);
		else
			engine_refresh(e, bdfs, txn.n);
	}
	/* pcibind vfs: its functions are the VFs (vfs_commit() read them) */
	if (ch->opts.op != PLAN_VFS || ch->outcome != CHANGE_DONE)
		read_after(e, ch, &txn);
	journal_txn_done(&txn);
	return 0;
}

/*
 * The admin file --persistent writes: 90-persistent.conf in the last policy
 * directory (the admin's, /etc/pcibind/policy.d, or the last --policy-dir).
 */
static void persist_file(struct engine *e, char *buf, size_t size)
{
	const char *const *dirs =
		e->roots.policy_dirs[0] ? e->roots.policy_dirs : policy_default_dirs;
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

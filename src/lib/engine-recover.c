/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Records and recovery: the journal's views, the undo of a transaction a
 * killed pcibind left (and the gates it passes), retiring and pinning records.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "engine-private.h"
#include "engine.h"
#include "driverctl.h"
#include "macro.h"
#include "pcidev.h"
#include "record.h"
#include "sysfs.h"
#include "trace.h"

/* Every record of a seized function. */
int engine_records(struct engine *e, struct journal_device **ret, size_t *ret_n)
{
	struct journal *j;
	int r = engine_journal(e, false, &j);

	if (r < 0)
		return r;
	return journal_list(j, ret, ret_n);
}

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

/*
 * Undo transaction T: put every function back as it was, restore the
 * records, end the transaction. On failure the functions are recorded as
 * stranded and F says which step failed. Returns 0 or -errno.
 */
int undo_txn(struct engine *e, struct journal *j, struct journal_txn *t, struct rebind_failure *f)
{
	struct rebind rb = engine_rebind_of(e, j);
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
	trace_point("records checked against the devices");
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

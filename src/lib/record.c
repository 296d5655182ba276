/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A record in the journal says which native driver a function came from;
 * a transaction says how functions were before a change. Neither is to be
 * believed about a function that is not the one it was written for: a card
 * swapped in the slot, buses renumbered under the address, a file edited
 * by hand. Everything here checks a record or a transaction against the
 * snapshot (vendor:device and Qubes PCI path) before the engine acts on it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "pcidev.h"
#include "record.h"

/* The function's state now, as a journal entry (a transaction's "before", a new record). */
void record_of_device(const struct pcidev_list *l, const struct pcidev *d,
		      struct journal_device *ret)
{
	*ret = (struct journal_device){ .vendor = d->vendor, .device = d->device };
	strcpy(ret->bdf, d->bdf);
	if (pcidev_qubes_path(d, ret->path, sizeof(ret->path)) < 0)
		ret->path[0] = '\0';
	snprintf(ret->driver, sizeof(ret->driver), "%s", d->driver ? d->driver : "");
	snprintf(ret->module, sizeof(ret->module), "%s", d->driver_module ? d->driver_module : "");
	snprintf(ret->override, sizeof(ret->override), "%s",
		 d->driver_override ? d->driver_override : "");
	ret->slot_listed = d->in_pciback_slots;
	ret->permissive = pcidev_permissive(l, d);
}

/* Whether REC is about D: its ID, and its PCI path when both are known. */
static int same_device(const struct journal_device *rec, const struct pcidev *d, char *why,
		       size_t size)
{
	char path[PCIDEV_PATH_MAX];

	if (pcidev_qubes_path(d, path, sizeof(path)) < 0)
		path[0] = '\0';
	return journal_check_device(rec, d->vendor, d->device, path, why, size);
}

/*
 * The check itself: 0, -ENOENT, -ENODEV, -ESTALE or the file's error, with
 * what is wrong (without the fix) in REASON and the record's file in FILE.
 */
static int check(struct journal *j, const struct pcidev_list *l, const char *bdf,
		 struct journal_device *ret, char *file, size_t fsize, char *reason, size_t rsize)
{
	struct journal_device rec;
	const struct pcidev *d;
	int r;

	(void)journal_record_path(j, bdf, file, fsize);
	reason[0] = '\0';
	r = journal_get_why(j, bdf, &rec, reason, rsize);
	if (r == -ENOENT)
		return r;
	if (r < 0) {
		if (!reason[0])
			snprintf(reason, rsize, "%s", strerror(-r));
		return r;
	}
	*ret = rec;
	d = pcidev_find_bdf(l, bdf);
	if (!d) {
		snprintf(reason, rsize, "no function is at %s now (unplugged?)", bdf);
		return -ENODEV;
	}
	return same_device(&rec, d, reason, rsize);
}

/*
 * The record of BDF, checked. Returns 0 with *RET filled; -ENOENT when
 * there is none; and, with WHY naming the file, the reason and the fix:
 * -ELOOP, -EPERM, -EFBIG or -EBADMSG for a file that cannot be used,
 * -EPROTONOSUPPORT for one a newer pcibind wrote, -ENODEV when no function
 * is at BDF, -ESTALE when another device is.
 */
int record_check(struct journal *j, const struct pcidev_list *l, const char *bdf,
		 struct journal_device *ret, char *why, size_t size)
{
	char file[PATH_MAX], reason[JOURNAL_WHY_MAX];
	int r = check(j, l, bdf, ret, file, sizeof(file), reason, sizeof(reason));

	if (r == 0 || r == -ENOENT)
		return r;
	if (r == -ENODEV)
		snprintf(why, size,
			 "the record %s is about a function that is gone (%s); 'pcibind "
			 "recover' clears it",
			 file, reason);
	else if (r == -ESTALE)
		snprintf(why, size,
			 "the record %s is not about this device: %s; pcibind will not act on "
			 "it: 'pcibind recover' clears it",
			 file, reason);
	else if (r == -EPROTONOSUPPORT)
		snprintf(why, size,
			 "the record %s: %s, so this pcibind cannot tell what it says; it will "
			 "neither act on it nor remove it: use the newer pcibind",
			 file, reason);
	else
		snprintf(why, size,
			 "the record %s cannot be used: %s; remove it ('pcibind recover' clears "
			 "it)",
			 file, reason);
	return r;
}

/*
 * Whether every function transaction T moves is still the device it was
 * written for. Returns 0, or -ESTALE (another device, or none, at one of
 * its addresses) with WHY naming the transaction's file and what to do.
 */
int record_check_txn(struct journal *j, const struct journal_txn *t,
		     const struct pcidev_list *l, char *why, size_t size)
{
	char file[PATH_MAX], reason[JOURNAL_WHY_MAX];

	(void)journal_txn_path(j, file, sizeof(file));
	for (size_t i = 0; i < t->n; i++) {
		const struct journal_device *b = &t->devs[i].before;
		const struct pcidev *d = pcidev_find_bdf(l, b->bdf);

		if (!d) {
			snprintf(why, size,
				 "the unfinished %s in %s names %s, and no function is there "
				 "now; nothing was undone: look at it, then remove it",
				 t->op, file, b->bdf);
			return -ESTALE;
		}
		if (same_device(b, d, reason, sizeof(reason)) < 0) {
			snprintf(why, size,
				 "the unfinished %s in %s is not about the device at %s: %s; "
				 "nothing was undone: look at it, then remove it",
				 t->op, file, b->bdf, reason);
			return -ESTALE;
		}
	}
	return 0;
}

/*
 * Take out of transaction T the functions there is nothing to undo for:
 * those that are gone (unplugged since), and, when DIFFERENT_AT is given
 * (a udev add there), the function at that address if it is another device
 * or arrived as a new one does (no driver, no driver_override: a function
 * that a change had started on has one or the other). *RET_NOTES gets a line for each one taken out,
 * NULL-terminated. Returns the count taken out or -ENOMEM.
 */
int record_prune_txn(struct journal_txn *t, const struct pcidev_list *l,
		     const char *different_at, char ***ret_notes)
{
	_cleanup_strv_free_ char **out = calloc(t->n + 1, sizeof(*out));
	size_t k = 0, kept = 0;

	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		const struct journal_device *b = &t->devs[i].before;
		const struct pcidev *d = pcidev_find_bdf(l, b->bdf);
		char reason[JOURNAL_WHY_MAX];
		int r = 0;

		if (!d)
			r = asprintf(&out[k], "%s is gone (unplugged?): nothing to undo for it",
				     b->bdf);
		else if (different_at && streq(different_at, b->bdf) &&
			 same_device(b, d, reason, sizeof(reason)) < 0)
			r = asprintf(&out[k], "%s is a new device (%s): nothing to undo for it",
				     b->bdf, reason);
		else if (different_at && streq(different_at, b->bdf) && !d->driver &&
			 !d->driver_override)
			r = asprintf(&out[k],
				     "%s arrived again, with no driver and no driver_override: "
				     "nothing to undo for it",
				     b->bdf);
		else {
			t->devs[kept++] = t->devs[i];
			continue;
		}
		if (r < 0) {
			out[k] = NULL;
			return -ENOMEM;
		}
		k++;
	}
	t->n = kept;
	*ret_notes = TAKE_PTR(out);
	return (int)k;
}

/*
 * Remove every record that cannot be used (a file whose name is not a
 * record's included, under that name), or whose function is gone or is
 * another device now (recover); with GONE_ONLY, only those whose function
 * is gone (before every change: the device was unplugged). A record a newer
 * pcibind wrote stays: what it says is not ours to judge. *RET_CLEARED
 * gets "the record FILE: why" for each one (and why it stays, if it cannot
 * be removed), NULL-terminated. Returns the count or -errno.
 */
int record_sweep(struct journal *j, const struct pcidev_list *l, bool gone_only,
		 char ***ret_cleared)
{
	_cleanup_free_ struct journal_device *v = NULL;
	_cleanup_strv_free_ char **out = NULL;
	size_t n = 0, k = 0;
	int r;

	r = journal_list(j, &v, &n);
	if (r < 0)
		return r;
	out = calloc(n + 1, sizeof(*out));
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		char file[PATH_MAX], reason[JOURNAL_WHY_MAX];
		struct journal_device rec;

		if (v[i].newer)
			continue;
		if (!v[i].bdf[0]) {
			/* not a record's name: only its own name can remove it */
			if (gone_only)
				continue;
			(void)journal_record_path(j, v[i].file, file, sizeof(file));
			snprintf(reason, sizeof(reason), "%s", v[i].bad);
		} else {
			r = check(j, l, v[i].bdf, &rec, file, sizeof(file), reason, sizeof(reason));
			if (r == 0 || r == -ENOENT || r == -EPROTONOSUPPORT ||
			    (gone_only && r != -ENODEV))
				continue;
			if (r == -ENOMEM)
				return r;
		}
		r = journal_del(j, v[i].bdf[0] ? v[i].bdf : v[i].file);
		if (r < 0 ? asprintf(&out[k], "%s: %s, but it cannot be removed: %s", file, reason,
				     strerror(-r)) < 0
			  : asprintf(&out[k], "the record %s: %s", file, reason) < 0) {
			out[k] = NULL;
			return -ENOMEM;
		}
		k++;
	}
	*ret_cleared = TAKE_PTR(out);
	return (int)k;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Execution: each step of a plan is one sysfs write (or a module load),
 * then a check that re-reads sysfs to prove it took effect; a probe is
 * waited for within a bounded time, because the kernel's bind and
 * drivers_probe may succeed without anything binding. A failure is turned
 * into its cause in the kernel's terms.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "journal.h"
#include "kmodq.h"
#include "macro.h"
#include "pcidev.h"
#include "rebind.h"
#include "sysfs.h"
#include "trace.h"
#include "util.h"
#include "vfio.h"
#include "xen.h"

static void pause_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static int current_driver(struct sysfs *s, const char *bdf, char *buf, size_t size)
{
	int r = sysfs_read_link_name(s, buf, size, "bus/pci/devices/%s/driver", bdf);

	if (r == -ENOENT) {
		buf[0] = '\0';
		return 0;
	}
	return r < 0 ? r : 0;
}

static int current_override(struct sysfs *s, const char *bdf, char *buf, size_t size)
{
	int r = sysfs_read_attr(s, buf, size, "bus/pci/devices/%s/driver_override", bdf);

	if (r < 0)
		return r;
	if (streq(buf, "(null)"))
		buf[0] = '\0';
	return 0;
}

static bool list_names(struct sysfs *s, const char *attr, const char *bdf)
{
	_cleanup_free_ char *v = NULL;
	size_t n = strlen(bdf);

	if (sysfs_read_attr_alloc(s, &v, "bus/pci/drivers/pciback/%s", attr) < 0)
		return false;
	for (char *p = v; p && *p;) {
		char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);

		if (len == n && strncasecmp(p, bdf, n) == 0)
			return true;
		p = eol ? eol + 1 : NULL;
	}
	return false;
}

/* Whether the step's check holds now. Fills STATE with what was seen. */
static bool check_once(struct rebind *rb, const struct step *st, char *state, size_t size)
{
	char buf[PATH_MAX];

	switch (st->check) {
	case CHECK_NONE:
		return true;
	case CHECK_DRIVER_PRESENT:
		snprintf(state, size, "bus/pci/drivers/%s is missing", st->driver);
		return sysfs_exists(rb->s, "bus/pci/drivers/%s", st->driver);
	case CHECK_OVERRIDE:
		if (current_override(rb->s, st->bdf, buf, sizeof(buf)) < 0)
			return false;
		snprintf(state, size, "driver_override reads '%.64s'", buf[0] ? buf : "(null)");
		return streq(buf, st->driver);
	case CHECK_UNBOUND:
	case CHECK_BOUND:
		if (current_driver(rb->s, st->bdf, buf, sizeof(buf)) < 0)
			return false;
		snprintf(state, size, "its driver is %.64s", buf[0] ? buf : "none");
		return st->check == CHECK_UNBOUND ? !buf[0] : streq(buf, st->driver);
	case CHECK_SLOT_LISTED:
		snprintf(state, size, "pciback's slots do not list it");
		return list_names(rb->s, "slots", st->bdf);
	case CHECK_SLOT_UNLISTED:
		snprintf(state, size, "pciback's slots still list it");
		return !list_names(rb->s, "slots", st->bdf);
	case CHECK_PERMISSIVE:
		snprintf(state, size, "pciback's permissive list does not name it");
		return list_names(rb->s, "permissive", st->bdf);
	case CHECK_ATTR:
		if (sysfs_read_attr(rb->s, buf, sizeof(buf), "%s", st->path) < 0)
			return false;
		snprintf(state, size, "%.64s reads '%.64s'", strrchr(st->path, '/') + 1, buf);
		return streq(buf, st->value);
	default:
		return false;
	}
}

/* Check, waiting up to the probe timeout for a bind or a driver to appear. */
static bool check(struct rebind *rb, const struct step *st, char *state, size_t size)
{
	bool waits = st->check == CHECK_BOUND || st->check == CHECK_DRIVER_PRESENT;
	long long deadline = util_now_ms() + (waits ? rb->probe_timeout_ms : 0);
	int delay = 5;

	for (;;) {
		if (check_once(rb, st, state, size))
			return true;
		if (util_now_ms() >= deadline)
			return false;
		pause_ms(delay);
		delay = delay < 100 ? delay * 2 : 100;
	}
}

/* The driver's own word for a refused write, in the kernel's terms. */
static void explain(struct rebind *rb, const struct step *st, int error, char *cause,
		    size_t size)
{
	char drv[NAME_MAX + 1] = "", ovr[NAME_MAX + 1] = "";
	const char *attr = strrchr(st->path, '/');

	attr = attr ? attr + 1 : st->path;
	if (error == -EXDEV) {
		/* Said before anything else is read: the tree itself is not to be trusted. */
		if (sysfs_escape()[0])
			snprintf(cause, size, "%s is a symlink that leads out of the sysfs root; "
					      "nothing was written through it",
				 sysfs_escape());
		else
			snprintf(cause, size, "%s leads out of the sysfs root; nothing was written",
				 st->path);
		return;
	}
	if (error == -EROFS) {
		snprintf(cause, size, "writes to this system's sysfs are forbidden here "
				      "(PCIBIND_FORBID_REAL_SYSFS is set)");
		return;
	}
	(void)current_driver(rb->s, st->bdf, drv, sizeof(drv));
	(void)current_override(rb->s, st->bdf, ovr, sizeof(ovr));

	if (streq(attr, "bind") && error == -EBUSY)
		snprintf(cause, size, "it is already bound to %s", drv[0] ? drv : "another driver");
	else if (streq(attr, "bind") && error == -ENODEV && ovr[0] && !streq(ovr, st->driver))
		snprintf(cause, size, "its driver_override names %s, so %s may not bind it", ovr,
			 st->driver);
	else if (streq(attr, "bind") && error == -ENODEV)
		snprintf(cause, size, "%s does not match it, or it is gone", st->driver);
	else if (streq(attr, "bind") && error == -EAGAIN)
		snprintf(cause, size, "%s deferred its probe (a resource it needs is missing)",
			 st->driver);
	else if (streq(attr, "bind"))
		snprintf(cause, size, "%s's probe failed: %s", st->driver, strerror(-error));
	else if (streq(attr, "unbind") && error == -ENODEV)
		snprintf(cause, size, "it is not bound to that driver (its driver is %s)",
			 drv[0] ? drv : "none");
	else if (streq(attr, "remove_slot") && error == -ENOENT)
		snprintf(cause, size, "it is not in pciback's slot list");
	else if (streq(attr, "new_slot") && error == -EINVAL)
		snprintf(cause, size, "pciback rejected the address");
	else if (streq(attr, "permissive") && error == -ENODEV)
		snprintf(cause, size, "it is not bound to pciback (its driver is %s)",
			 drv[0] ? drv : "none");
	else if (streq(attr, "reset"))
		snprintf(cause, size, "the kernel could not reset it: %s", strerror(-error));
	else if (streq(attr, "sriov_numvfs") && error == -ENOENT)
		snprintf(cause, size, "the PF has no driver that can make VFs");
	else if (streq(attr, "sriov_numvfs") && error == -EBUSY)
		snprintf(cause, size, "it has VFs already: the kernel makes a new count only from 0");
	else if (streq(attr, "sriov_numvfs") && error == -ERANGE)
		snprintf(cause, size, "more VFs than its sriov_totalvfs");
	else if (streq(attr, "reset_subordinate"))
		snprintf(cause, size, "the kernel could not reset the bus (%s): %s", st->covers,
			 strerror(-error));
	else if (error == -EPERM || error == -EACCES)
		snprintf(cause, size, "permission denied: run it as root");
	else
		snprintf(cause, size, "%s", strerror(-error));
}

static void note(struct rebind *rb, int level, const char *msg)
{
	if (rb->note)
		rb->note(rb->userdata, level, msg);
}

/*
 * Take the function out of Xen's DOM_IO quarantine. 0 (done), ENODEV (not
 * quarantined) and EOPNOTSUPP (no IOMMU) are fine, ESRCH (Xen before 4.13)
 * is fine with a warning; anything else fails the step, so the change
 * rolls back. A de-assign that did something is checked by asking again:
 * Xen then answers ENODEV (the device is not DOM_IO's any more).
 */
static int run_xen_deassign(struct rebind *rb, const struct step *st, struct rebind_failure *f)
{
	struct pci_addr a;
	char msg[400];
	int r;

	r = addr_parse_bdf(st->bdf, &a);
	if (r < 0) {
		f->error = r;
		snprintf(f->cause, sizeof(f->cause), "bad address '%s'", st->bdf);
		return r;
	}
	if (!xen_is_dom0(rb->xen)) {
		f->error = -ENXIO;
		snprintf(f->cause, sizeof(f->cause),
			 "the plan asks Xen to de-quarantine it, but this is not a Xen dom0");
		return f->error;
	}
	r = xen_dequarantine(rb->xen, &a);
	xen_dq_describe(r, st->bdf, msg, sizeof(msg));
	switch (xen_dq_outcome(r)) {
	case XEN_DQ_DONE:
		r = xen_dequarantine(rb->xen, &a);
		if (r != -ENODEV) {
			f->error = -EPROTO;
			snprintf(f->cause, sizeof(f->cause),
				 "Xen accepted the de-assign, but asked again it answers %s instead "
				 "of \"not in DOM_IO\" (checked %s)",
				 r ? strerror(-r) : "success", plan_check_name(st->check));
			return -EPROTO;
		}
		note(rb, LOG_INFO, msg);
		return 0;
	case XEN_DQ_NOT_QUARANTINED:
	case XEN_DQ_NO_IOMMU:
		note(rb, LOG_DEBUG, msg);
		return 0;
	case XEN_DQ_OLD_XEN:
		note(rb, LOG_WARNING, msg);
		return 0;
	default:
		f->error = r;
		snprintf(f->cause, sizeof(f->cause), "%s", msg);
		return r;
	}
}

/* "<driver of M>" in FIELD becomes DRIVER (the plan's symbolic target). */
static void substitute(char *field, size_t size, const char *symbol, const char *driver)
{
	char *at = strstr(field, symbol);
	char tail[PLAN_PATH_MAX];

	if (!at)
		return;
	snprintf(tail, sizeof(tail), "%s", at + strlen(symbol));
	snprintf(at, size - (size_t)(at - field), "%s%s", driver, tail);
}

struct resolved {
	char symbol[PLAN_NAME_MAX];
	char driver[PLAN_NAME_MAX];
};

static void resolve_step(struct step *st, const struct resolved *res, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		substitute(st->path, sizeof(st->path), res[i].symbol, res[i].driver);
		substitute(st->value, sizeof(st->value), res[i].symbol, res[i].driver);
		substitute(st->driver, sizeof(st->driver), res[i].symbol, res[i].driver);
	}
}

static int load_module(struct rebind *rb, const struct step *st, struct rebind_failure *f)
{
	int r = kmodq_load(rb->kmod, st->module);

	if (r >= 0)
		return 0;
	f->error = r;
	if (r == -EPERM)
		snprintf(f->cause, sizeof(f->cause), "module %s is blacklisted in modprobe.d",
			 st->module);
	else if (r == -EOPNOTSUPP)
		snprintf(f->cause, sizeof(f->cause),
			 "cannot load module %s: the sysfs root is not this system's; load it "
			 "into that system first",
			 st->module);
	else
		snprintf(f->cause, sizeof(f->cause), "cannot load module %s: %s", st->module,
			 strerror(-r));
	return r;
}

/*
 * Run one step (already resolved). A load step whose driver is symbolic
 * learns the driver's name from the loaded module and adds it to RES.
 */
static int run_step(struct rebind *rb, struct step *st, struct resolved *res, size_t *n_res,
		    size_t max_res, struct rebind_failure *f)
{
	char state[256] = "";
	int r;

	if (st->op == STEP_XEN_DEASSIGN)
		return run_xen_deassign(rb, st, f);
	if (st->op == STEP_HOT_RESET) {
		/* The kernel's answer is the proof: it resets all of them or none. */
		r = vfio_hot_reset(rb->s, st->bdf, st->value, st->covers, f->cause,
				   sizeof(f->cause));
		if (r < 0) {
			f->error = r;
			return r;
		}
		trace_point("vfio-hot-reset %s", st->covers);
		return 0;
	}
	if (st->op == STEP_LOAD_MODULE) {
		r = load_module(rb, st, f);
		if (r < 0)
			return r;
		if (plan_is_symbol(st->driver) && *n_res < max_res) {
			struct resolved *x = &res[*n_res];

			r = kmodq_module_driver(rb->s, st->module, x->driver, sizeof(x->driver));
			if (r < 0) {
				f->error = r;
				snprintf(f->cause, sizeof(f->cause),
					 "module %s registers no PCI driver: %s", st->module,
					 strerror(-r));
				return r;
			}
			snprintf(x->symbol, sizeof(x->symbol), "%s", st->driver);
			(*n_res)++;
			resolve_step(st, x, 1);
		}
	} else {
		r = sysfs_write(rb->s, st->path, st->value);
		if (r < 0) {
			f->error = r;
			explain(rb, st, r, f->cause, sizeof(f->cause));
			return r;
		}
	}
	trace_point("%s %s", st->op == STEP_LOAD_MODULE ? "load-module" : "write",
		    st->op == STEP_LOAD_MODULE ? st->module : st->path);
	if (!check(rb, st, state, sizeof(state))) {
		f->error = -EPROTO;
		snprintf(f->cause, sizeof(f->cause),
			 "the kernel accepted it, but %s afterwards (checked %s)", state,
			 plan_check_name(st->check));
		return -EPROTO;
	}
	trace_point("checked (%s)", plan_check_name(st->check));
	return 0;
}

#define RESOLVED_MAX 32

/*
 * Run the steps of P in order, verifying each. A symbolic driver ("the
 * driver module M registers", plan.h) is resolved after its module's load
 * step, in every later step. After each step the transaction (if any)
 * records how far it got. Returns 0, or the failing step's error with F
 * filled (F->st as it ran, resolved); nothing is undone here.
 */
int rebind_execute(struct rebind *rb, const struct plan *p, struct rebind_failure *f)
{
	struct resolved res[RESOLVED_MAX];
	size_t n_res = 0;

	for (size_t i = 0; i < p->n; i++) {
		struct step st = p->steps[i];
		int r;

		resolve_step(&st, res, n_res);
		r = run_step(rb, &st, res, &n_res, RESOLVED_MAX, f);
		if (r < 0 && st.optional) {
			/* no-strict-reset: the function returns without the reset. */
			size_t len = strlen(rb->skipped);

			snprintf(rb->skipped + len, sizeof(rb->skipped) - len, "%s%s (%s)",
				 len ? "; " : "", st.bdf, f->cause);
			*f = (struct rebind_failure){ 0 };
			r = 0;
		}
		if (r < 0) {
			f->step = i + 1;
			f->st = st;
			return r;
		}
		if (rb->j && rb->txn) {
			rb->txn->step++;
			r = journal_txn_write(rb->j, rb->txn);
			trace_point("journal: step %zu recorded", i + 1);
			if (r < 0) {
				f->step = i + 1;
				f->st = st;
				f->error = r;
				snprintf(f->cause, sizeof(f->cause),
					 "cannot record progress in the journal: %s", strerror(-r));
				return r;
			}
		}
		if (rb->stop_after_step == i + 1) {
			/* test hook (engine_set_stop_after_step): wait here for SIGCONT or a kill */
			char msg[64];

			snprintf(msg, sizeof(msg), "stopped after step %zu", i + 1);
			if (rb->note)
				rb->note(rb->userdata, LOG_ERR, msg);
			raise(SIGSTOP);
		}
	}
	return 0;
}

/*
 * Put every function of transaction T back as it was before: its driver,
 * its driver_override, its pciback slot. Plans from a fresh snapshot, so it
 * works after a crash too. DONE gets the steps taken. Returns 0 or the
 * failing step's error with F filled.
 */
int rebind_restore(struct rebind *rb, const struct journal_txn *t, struct plan *done,
		   struct rebind_failure *f)
{
	_cleanup_(pcidev_list_freep) struct pcidev_list *l = NULL;
	_cleanup_free_ struct plan_target *targets = calloc(t->n + 1, sizeof(*targets));
	size_t n = 0;
	int r;

	if (!targets)
		return -ENOMEM;
	r = pcidev_scan(rb->s, 0, &l);
	if (r < 0) {
		f->error = r;
		snprintf(f->cause, sizeof(f->cause), "cannot read the devices: %s", strerror(-r));
		return r;
	}
	for (size_t i = 0; i < t->n; i++) {
		const struct journal_device *b = &t->devs[i].before;
		const struct pcidev *d = pcidev_find_bdf(l, b->bdf);

		if (!d)
			continue; /* gone (hot-unplugged): nothing to restore */
		targets[n++] = (struct plan_target){
			.dev = d,
			.driver = b->driver[0] ? b->driver : NULL,
			.module = b->module[0] ? b->module : NULL,
			.final_override = b->override[0] ? b->override : NULL,
			.remove_slot = !b->slot_listed,
			.permissive = b->permissive,
			/*
			 * Off a stub to a native driver: reset first, as a release
			 * does, where the kernel can; the undo goes on without
			 * one (the gates found nobody holding it).
			 */
			.reset_first = d->stub != PCIDEV_STUB_NONE &&
				       pcidev_stub_from_driver(b->driver) == PCIDEV_STUB_NONE,
			.reset_optional = true,
			/* Back out of pciback on Xen: out of DOM_IO too. */
			.xen_deassign = xen_is_dom0(rb->xen) && d->stub == PCIDEV_STUB_PCIBACK &&
					!streq(b->driver, "pciback"),
		};
	}
	/* pcibind vfs: the PF's VF count and autoprobe as they were, first */
	for (size_t i = 0; i < t->n; i++) {
		const struct journal_device *b = &t->devs[i].before;
		const struct pcidev *d = pcidev_find_bdf(l, b->bdf);

		if (!b->sriov || !d)
			continue;
		r = plan_sriov_restore(d, b->numvfs, b->sriov_autoprobe, done);
		if (r < 0) {
			f->error = r;
			snprintf(f->cause, sizeof(f->cause), "cannot plan the way back: %s",
				 strerror(-r));
			return r;
		}
	}
	r = plan_move(l, targets, n, done);
	if (r < 0) {
		f->error = r;
		snprintf(f->cause, sizeof(f->cause), "cannot plan the way back: %s", strerror(-r));
		return r;
	}
	return rebind_execute(rb, done, f);
}

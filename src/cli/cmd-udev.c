/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pcibind udev: what udev/70-pcibind.rules runs on the "add" of a PCI
 * device. It reads the event from udev's environment (libudev), asks the
 * policy whether the device is to be seized on hot-plug, and if so seizes
 * it (origin udev) before 80-drivers.rules loads its native module; if the
 * native driver is loaded and bound already, the engine unbinds and
 * re-probes. On the bind of an SR-IOV PF (the rule passes only those), the
 * policy's vfs = N applies. Any other action (unbind, and the binds of
 * other functions: pcibind's own doing) is ignored. It takes the lock only when it has something to do, and the
 * rule gives it short lock and probe timeouts.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "decide.h"
#include "log.h"
#include "pcidev.h"
#include "plan.h"
#include "policy.h"

#define SLOT_MAX 8

/*
 * remove: the record goes only when the function is really gone (or
 * another device is at its address); a remove event for a function that is
 * still there (udevadm trigger -c remove, a replayed event) keeps it.
 */
static int udev_remove(struct pb_ctx *c, const char *bdf)
{
	char why[1024];
	int r = engine_retire(c->engine, bdf, why, sizeof(why));

	if (r < 0) {
		log_error_errno(r, "%s was removed, but its record in %s stays", bdf,
				c->roots.state_dir);
		return PB_EXIT_FAILURE;
	}
	if (r > 0)
		log_info("%s: removed; its record is retired", bdf);
	else if (why[0])
		log_debug("%s: a remove event, but %s", bdf, why);
	return PB_EXIT_OK;
}

/*
 * Fail closed: the seize of a hot-plugged device the policy wants cannot
 * run now (WHY); pin driver_override to STUB so that its native driver
 * cannot take it meanwhile, and say how to finish.
 */
static void udev_pin(struct pb_ctx *c, const char *bdf, const char *stub, const char *why)
{
	int r = engine_pin(c->engine, bdf, stub);

	if (r > 0)
		log_warning("%s: hot-plugged, and the policy seizes it, but %s: driver_override is "
			    "pinned to %s so that no native driver takes it; finish with 'pcibind "
			    "seize %s' (after 'pcibind recover' if a change is pending)",
			    bdf, why, stub, bdf);
	else
		log_error_errno(r, "%s: hot-plugged, and the policy seizes it, but %s; it could "
				   "not be pinned to %s either, so its native driver may take it: "
				   "run 'pcibind seize %s'",
				bdf, why, stub, bdf);
}

/*
 * What the policy says of BDF on hot-plug, from the engine's snapshot:
 * -ENODEV if it is not there; 1 if it is to be seized (STUB: its stub,
 * ALL: the whole slot goes at this first event), else 0.
 */
static int udev_wants(struct pb_ctx *c, const char *bdf, char *stub, size_t size, bool *all)
{
	struct pcidev *fns[SLOT_MAX];
	struct pcidev_list *l;
	static bool warned;
	char t1[256], t2[4096];
	struct policy_eval e;
	struct pcidev *d;
	size_t n;

	if (engine_snapshot(c->engine, &l) < 0)
		return -EIO;
	d = pcidev_find_bdf(l, bdf);
	if (!d)
		return -ENODEV;
	if (engine_eval(c->engine, d, NULL, &e) < 0)
		return -ENOMEM;
	if (!e.v.hotplug) {
		policy_eval_done(&e);
		return 0;
	}
	/* as boot: a rule's pciback where there is none is left alone, said once */
	if (streq(e.v.driver, "pciback") && !l->xen) {
		if (!warned)
			log_warning("%s: rule [%s] %s:%d says driver = pciback, but " DECIDE_NO_PCIBACK
				    ": left alone",
				    bdf, cmd_term(e.source[PK_DRIVER]->name, t1, sizeof(t1)),
				    cmd_term(e.source[PK_DRIVER]->file, t2, sizeof(t2)),
				    e.source[PK_DRIVER]->key_line[PK_DRIVER]);
		warned = true;
		policy_eval_done(&e);
		return 0;
	}
	snprintf(stub, size, "%s", e.v.driver[0] ? e.v.driver : engine_default_stub(l));
	policy_eval_done(&e);
	/* A multi-function device arrives one function per event: take the whole
	 * slot at the first one when the policy names every function of it. */
	n = pcidev_slot_functions(l, d, fns, SLOT_MAX);
	*all = n > 1 && n <= SLOT_MAX;
	for (size_t i = 0; i < n && i < SLOT_MAX && *all; i++) {
		if (engine_eval(c->engine, fns[i], NULL, &e) < 0)
			return -ENOMEM;
		*all = e.v.hotplug;
		policy_eval_done(&e);
	}
	return 1;
}

/*
 * add: a look without the lock decides whether the event is ours at all
 * (most are not); then the lock, what the journal says of an earlier
 * device at BDF retired, the pending transaction undone, and the decision
 * made again from what the kernel says under the lock. A seize that cannot
 * run now fails closed (udev_pin()).
 */
static int udev_add(struct pb_ctx *c, char *bdf, struct change_opts *o)
{
	const struct policy *p;
	char stub[64] = "", note[1024];
	bool all = false, old;
	char *args[1] = { bdf };
	int r, want;

	r = cmd_scan(c, &(struct pcidev_list *){ NULL });
	if (r != PB_EXIT_OK)
		return r;
	r = cmd_load_policy(c, true, &p);
	if (r != PB_EXIT_OK)
		return r;
	want = udev_wants(c, bdf, stub, sizeof(stub), &all);
	if (want == -ENODEV)
		return PB_EXIT_OK; /* gone again */
	if (want < 0)
		return log_error_errno(want, "%s: cannot evaluate the policy", bdf), PB_EXIT_FAILURE;
	old = engine_journal_names(c->engine, bdf);
	if (!want && !old) {
		log_debug("%s: the policy does not seize it on hot-plug", bdf);
		return PB_EXIT_OK;
	}
	if (o->dry_run) {
		if (!want)
			return PB_EXIT_OK;
		o->all_functions = all;
		return cmd_change(c, o, args, 1);
	}

	/* Lock, then look: the snapshot above is dropped. */
	r = engine_forget_old(c->engine, bdf, note, sizeof(note));
	if (r == -EWOULDBLOCK) {
		log_error("another pcibind holds %s/lock (waited %d ms)", c->roots.state_dir,
			  c->lock_timeout_ms);
		if (want)
			udev_pin(c, bdf, stub, "another pcibind holds the lock");
		return PB_EXIT_FAILURE;
	}
	if (r < 0) {
		log_error_errno(r, "%s: cannot check the journal in %s", bdf, c->roots.state_dir);
		if (want)
			udev_pin(c, bdf, stub, "the journal cannot be read");
		return PB_EXIT_FAILURE;
	}
	if (note[0])
		log_warning("%s", note);
	r = cmd_begin(c, false);
	if (r != PB_EXIT_OK) {
		want = udev_wants(c, bdf, stub, sizeof(stub), &all);
		if (want > 0)
			udev_pin(c, bdf, stub, "a pending change holds it up (above)");
		return r;
	}
	want = udev_wants(c, bdf, stub, sizeof(stub), &all);
	if (want == -ENODEV || want == 0)
		return PB_EXIT_OK;
	if (want < 0)
		return log_error_errno(want, "%s: cannot evaluate the policy", bdf), PB_EXIT_FAILURE;
	log_info("%s: hot-plugged, and the policy says hotplug = yes: seizing it", bdf);
	o->all_functions = all;
	/* The same engine: the policy is not read a second time. */
	return cmd_change(c, o, args, 1);
}

/*
 * The bind event of an SR-IOV PF (the rule runs it for PFs only): its own
 * driver is there now, the one that makes VFs, so the policy's vfs = N
 * applies (cmd_policy_vfs(); nothing if it has N already).
 */
static int udev_bind(struct pb_ctx *c, const char *bdf, bool dry_run)
{
	struct pcidev_list *l;
	struct pcidev *d;
	bool begun = false;
	int r;

	r = cmd_scan(c, &l);
	if (r != PB_EXIT_OK)
		return r;
	d = pcidev_find_bdf(l, bdf);
	if (!d)
		return PB_EXIT_OK; /* gone again */
	r = cmd_policy_vfs(c, d, "udev", dry_run, &begun);
	cmd_log_stats(c);
	return r;
}

/* pcibind udev [--dry-run]. Returns an exit code. */
int cmd_udev(struct pb_ctx *c, int argc, char **argv)
{
	struct change_opts o = { .op = PLAN_SEIZE, .origin = "udev" };
	char bdf[64], action[32];
	int r;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dry-run") || !strcmp(argv[i], "-n")) {
			o.dry_run = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("Usage: pcibind [OPTIONS] udev [--dry-run]\n\n"
			       "Run from udev/70-pcibind.rules on the add of a PCI device: seize it\n"
			       "if the policy says hotplug = yes for it; on its remove, retire its\n"
			       "record; on the bind of an SR-IOV PF, set its VF count to the\n"
			       "policy's vfs = N. Reads ACTION, DEVPATH, SUBSYSTEM and SEQNUM from the\n"
			       "environment.\n");
			return PB_EXIT_OK;
		} else {
			return cmd_usage_error("udev takes no arguments but --dry-run");
		}
	}
	r = engine_udev_event(bdf, sizeof(bdf), action, sizeof(action));
	if (r == -ENXIO) {
		char why[160] = "";

		(void)engine_udev_problem(why, sizeof(why));
		return cmd_usage_error("'pcibind udev' runs from a udev rule, which puts ACTION, "
				       "DEVPATH, SUBSYSTEM and SEQNUM in the environment: %s",
				       why);
	}
	if (r == -ENODEV)
		return PB_EXIT_OK; /* not a PCI device: not ours */
	if (r < 0) {
		log_error_errno(r, "cannot read the udev event");
		return PB_EXIT_FAILURE;
	}
	engine_set_origin(c->engine, "udev");
	if (!strcmp(action, "remove"))
		return udev_remove(c, bdf);
	if (!strcmp(action, "bind"))
		return udev_bind(c, bdf, o.dry_run);
	if (strcmp(action, "add")) {
		log_debug("%s: ignoring '%s' (pcibind acts on add, remove and an SR-IOV PF's bind)", bdf, action);
		return PB_EXIT_OK;
	}
	r = udev_add(c, bdf, &o);
	cmd_log_stats(c);
	return r;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pcibind udev: what udev/70-pcibind.rules runs on the "add" of a PCI
 * device. It reads the event from udev's environment (libudev), asks the
 * policy whether the device is to be seized on hot-plug, and if so seizes
 * it (origin udev) before 80-drivers.rules loads its native module; if the
 * native driver is loaded and bound already, the engine unbinds and
 * re-probes. Any other action (bind, unbind: pcibind's own doing) is
 * ignored. It takes the lock only when it has something to do, and the
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

/* pcibind udev [--dry-run]. Returns an exit code. */
int cmd_udev(struct pb_ctx *c, int argc, char **argv)
{
	const struct policy *p;
	struct pcidev_list *l;
	struct change_opts o = { .op = PLAN_SEIZE, .origin = "udev" };
	struct pcidev *fns[SLOT_MAX];
	char bdf[64], action[32], *args[1], t1[256], t2[4096];
	struct policy_eval e;
	struct pcidev *d;
	size_t n;
	int r;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dry-run") || !strcmp(argv[i], "-n")) {
			o.dry_run = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("Usage: pcibind [OPTIONS] udev [--dry-run]\n\n"
			       "Run from udev/70-pcibind.rules on the add of a PCI device: seize it\n"
			       "if the policy says hotplug = yes for it; on its remove, retire its\n"
			       "record. Reads ACTION, DEVPATH, SUBSYSTEM and SEQNUM from the\n"
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
	if (!strcmp(action, "remove")) {
		/* Gone: its record goes too, so that what is plugged in there starts clean. */
		r = engine_retire(c->engine, bdf);
		if (r < 0) {
			log_error_errno(r, "%s was removed, but its record in %s stays", bdf,
					c->roots.state_dir);
			return PB_EXIT_FAILURE;
		}
		if (r > 0)
			log_info("%s: removed; its record is retired", bdf);
		return PB_EXIT_OK;
	}
	if (strcmp(action, "add")) {
		log_debug("%s: ignoring '%s' (pcibind acts on add and remove only)", bdf, action);
		return PB_EXIT_OK;
	}

	r = cmd_scan(c, &l);
	if (r != PB_EXIT_OK)
		return r;
	d = pcidev_find_bdf(l, bdf);
	if (!d)
		return PB_EXIT_OK; /* gone again */
	r = cmd_load_policy(c, true, &p);
	if (r != PB_EXIT_OK)
		return r;
	if (engine_eval(c->engine, d, NULL, &e) < 0)
		return PB_EXIT_FAILURE;
	if (!e.v.hotplug) {
		policy_eval_done(&e);
		log_debug("%s: the policy does not seize it on hot-plug", bdf);
		return PB_EXIT_OK;
	}
	/* as boot: a rule's pciback where there is none is left alone, said once */
	if (streq(e.v.driver, "pciback") && !l->xen) {
		log_warning("%s: rule [%s] %s:%d says driver = pciback, but " DECIDE_NO_PCIBACK
			    ": left alone",
			    bdf, cmd_term(e.source[PK_DRIVER]->name, t1, sizeof(t1)),
			    cmd_term(e.source[PK_DRIVER]->file, t2, sizeof(t2)),
			    e.source[PK_DRIVER]->key_line[PK_DRIVER]);
		policy_eval_done(&e);
		return PB_EXIT_OK;
	}
	policy_eval_done(&e);

	/* A multi-function device arrives one function per event: take the whole
	 * slot at the first one when the policy names every function of it. */
	n = pcidev_slot_functions(l, d, fns, SLOT_MAX);
	o.all_functions = n > 1 && n <= SLOT_MAX;
	for (size_t i = 0; i < n && i < SLOT_MAX && o.all_functions; i++) {
		if (engine_eval(c->engine, fns[i], NULL, &e) < 0)
			return PB_EXIT_FAILURE;
		o.all_functions = e.v.hotplug;
		policy_eval_done(&e);
	}
	log_info("%s: hot-plugged, and the policy says hotplug = yes: seizing it", bdf);
	args[0] = bdf;
	/* The same engine: its snapshot and policy are not read a second time. */
	r = cmd_change(c, &o, args, 1);
	cmd_log_stats(c);
	return r;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pcibind vfs DEVICE N: set an SR-IOV PF's VF count, each new VF where the policy says. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "engine.h"
#include "log.h"
#include "macro.h"
#include "output.h"
#include "pcidev.h"
#include "policy.h"

#define OPT_EXPLAIN (CHAR_MAX + 1)

/*
 * Text pcibind did not write itself (a rule's name and file reach a
 * verdict) with control characters escaped. Local until the output layer
 * has its escaping helper; then this calls it.
 */
static void help(void)
{
	printf("Usage: pcibind vfs DEVICE N [--dry-run] [--explain]\n\n"
	       "Set the SR-IOV physical function DEVICE's VF count to N (0 removes its VFs).\n"
	       "New VFs appear with sriov_drivers_autoprobe off, so no native driver takes\n"
	       "them first; those a policy rule seizes (boot = yes or hotplug = yes; rules\n"
	       "name VFs by address, by ids, or with match-physfn) go to its stub, the\n"
	       "others probe natively, and autoprobe is put back as it was. The kernel makes\n"
	       "a new count only from 0: pcibind removes the VFs first only when no process\n"
	       "or guest holds one, and otherwise refuses (exit 3), naming each.\n\n"
	       "  -n, --dry-run   print the plan, change nothing\n"
	       "      --explain   say where each new VF would go and why, change nothing\n");
}

static void print_vfs(const struct change *ch, bool after)
{
	for (size_t i = 0; i < ch->n_fns; i++) {
		const struct change_function *f = &ch->fns[i];

		/* the reason quotes policy text: the output layer escapes it */
		out_printf(stdout, "%s: %s%s%s\n", f->bdf,
			   after ? (f->after[0] ? f->after : "no driver") : "", after ? "; " : "",
			   f->verdict.reason);
	}
}

/* pcibind vfs DEVICE N. Returns an exit code. */
int cmd_vfs(struct pb_ctx *c, int argc, char **argv)
{
	static const struct option options[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "explain", no_argument, NULL, OPT_EXPLAIN },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	_cleanup_(change_freep) struct change *ch = NULL;
	struct change_opts o = { .op = PLAN_VFS, .origin = "cli" };
	struct pcidev_list *l;
	struct pcidev *pf;
	bool explain = false;
	char *end;
	long n;
	int opt, r, ret;

	while ((opt = getopt_long(argc, argv, "nh", options, NULL)) >= 0) {
		switch (opt) {
		case 'n':
			o.dry_run = true;
			break;
		case OPT_EXPLAIN:
			explain = o.dry_run = true;
			break;
		case 'h':
			help();
			return PB_EXIT_OK;
		default:
			return cmd_option_error("vfs", argv, options);
		}
	}
	if (argc - optind != 2)
		return cmd_usage_error("vfs needs a DEVICE and a VF count");
	n = strtol(argv[optind + 1], &end, 10);
	if (end == argv[optind + 1] || *end || n < 0 || n > 65535)
		return cmd_usage_error("vfs: '%s' is not a VF count (0 to 65535)",
				       argv[optind + 1]);
	o.vfs = (int)n;
	ret = cmd_begin(c, o.dry_run);
	if (ret == PB_EXIT_OK)
		ret = cmd_scan(c, &l);
	if (ret == PB_EXIT_OK)
		ret = cmd_resolve_device(c, l, argv[optind], &pf);
	if (ret != PB_EXIT_OK)
		return ret;
	r = engine_decide(c->engine, &o, &pf, 1, &ch);
	if (r < 0)
		return log_error_errno(r, "cannot decide the VF count"), PB_EXIT_FAILURE;
	if (ch->outcome == CHANGE_PLANNED && !ch->plan.n) {
		printf("%s: has %d VF%s already, nothing to do\n", pf->bdf, o.vfs,
		       o.vfs == 1 ? "" : "s");
		return PB_EXIT_OK;
	}
	if (ch->outcome == CHANGE_PLANNED && explain) {
		printf("%s: %d VF%s now, %d asked\n", pf->bdf, pf->sriov_numvfs,
		       pf->sriov_numvfs == 1 ? "" : "s", o.vfs);
		print_vfs(ch, false);
		printf("%zu step%s in its --dry-run plan\n", ch->plan.n, ch->plan.n == 1 ? "" : "s");
		return PB_EXIT_OK;
	}
	if (ch->outcome == CHANGE_PLANNED && !o.dry_run)
		(void)engine_execute(c->engine, ch);
	if (ch->outcome == CHANGE_PLANNED)
		print_vfs(ch, false);
	if (ch->outcome == CHANGE_DONE) {
		printf("%s: %d VF%s\n", pf->bdf, o.vfs, o.vfs == 1 ? "" : "s");
		print_vfs(ch, true);
		return PB_EXIT_OK;
	}
	cmd_report_change(c, ch);
	return ch->outcome == CHANGE_PLANNED ? PB_EXIT_OK : cmd_change_exit(ch);
}

/*
 * The policy's vfs = N for PF, at boot (pcibind boot, for a PF whose driver
 * is bound already) and on udev's bind event of a PF (udev_bind()): the
 * moment the PF's own driver, which makes the VFs, is there. Nothing when
 * no rule sets vfs, when the PF is unbound or on a stub, or when it has N
 * VFs already (idempotent). *BEGUN says whether the journal is locked and
 * recovered already (cmd_begin()). Logs what it did. Returns an exit code.
 */
int cmd_policy_vfs(struct pb_ctx *c, struct pcidev *pf, const char *origin, bool dry_run,
		   bool *begun)
{
	_cleanup_(change_freep) struct change *ch = NULL;
	struct change_opts o = { .op = PLAN_VFS, .origin = origin, .dry_run = dry_run };
	struct policy_eval e;
	char src[512];
	int r;

	if (engine_details(c->engine, pf) < 0 || pf->sriov_totalvfs < 0)
		return PB_EXIT_OK;
	if (engine_eval(c->engine, pf, NULL, &e) < 0)
		return PB_EXIT_FAILURE;
	o.vfs = e.v.vfs;
	(void)decide_source(&e, PK_VFS, src, sizeof(src));
	policy_eval_done(&e);
	if (o.vfs < 0)
		return PB_EXIT_OK;
	if (!pf->driver || pf->stub != PCIDEV_STUB_NONE) {
		log_debug("%s: vfs = %d waits for its own driver (it is on %s)", pf->bdf, o.vfs,
			  pf->driver ? pf->driver : "no driver");
		return PB_EXIT_OK;
	}
	if (pf->sriov_numvfs == o.vfs) {
		log_debug("%s: has %d VFs, as vfs = %d says", pf->bdf, o.vfs, o.vfs);
		return PB_EXIT_OK;
	}
	if (!*begun) {
		struct pcidev_list *l;
		char bdf[ADDR_BDF_MAX];

		snprintf(bdf, sizeof(bdf), "%s", pf->bdf);
		r = cmd_begin(c, dry_run);
		if (r != PB_EXIT_OK)
			return r;
		*begun = true;
		/* Lock, then look: decide again from what the kernel says under the lock. */
		r = cmd_scan(c, &l);
		if (r != PB_EXIT_OK)
			return r;
		pf = pcidev_find_bdf(l, bdf);
		return pf ? cmd_policy_vfs(c, pf, origin, dry_run, begun) : PB_EXIT_OK;
	}
	log_full_errno(LOG_NOTICE, 0, "%s: vfs = %d (%s): setting its VF count", pf->bdf, o.vfs, src);
	r = engine_decide(c->engine, &o, &pf, 1, &ch);
	if (r < 0)
		return log_error_errno(r, "cannot decide the VF count of %s", pf->bdf),
		       PB_EXIT_FAILURE;
	if (ch->outcome == CHANGE_PLANNED && !dry_run)
		(void)engine_execute(c->engine, ch);
	if (ch->outcome != CHANGE_DONE) {
		cmd_report_change(c, ch);
		return ch->outcome == CHANGE_PLANNED ? PB_EXIT_OK : cmd_change_exit(ch);
	}
	log_full_errno(LOG_NOTICE, 0, "%s: %d VF%s (vfs = %d)", pf->bdf, o.vfs, o.vfs == 1 ? "" : "s", o.vfs);
	for (size_t i = 0; i < ch->n_fns; i++)
		log_info("%s: %s; %s", ch->fns[i].bdf,
			 ch->fns[i].after[0] ? ch->fns[i].after : "no driver",
			 ch->fns[i].verdict.reason);
	return PB_EXIT_OK;
}

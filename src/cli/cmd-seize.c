/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pcibind seize / release / recover: options in, the engine's stages
 * (src/lib/engine.c) run, its result printed once and mapped to an exit
 * code. cmd_report_change() is shared with boot and udev.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "log.h"
#include "output.h"
#include "pcidev.h"
#include "plan.h"
#include "policy.h"

#define MAX_DEVICES 256

/* The exit code of a change that went through the engine (pcibind(8)). */
int cmd_change_exit(const struct change *ch)
{
	switch (ch->outcome) {
	case CHANGE_PLANNED:
	case CHANGE_NOTHING:
	case CHANGE_DONE:
		return PB_EXIT_OK;
	case CHANGE_REFUSED:
		return PB_EXIT_REFUSED;
	case CHANGE_ROLLED_BACK:
		return PB_EXIT_ROLLED_BACK;
	case CHANGE_STRANDED:
		return PB_EXIT_STRANDED;
	default:
		return PB_EXIT_FAILURE;
	}
}

/* The plan's lines, escaped: its values and reasons name drivers and modules. */
static void print_plan(const struct plan *p)
{
	_cleanup_free_ char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	if (!f) {
		log_error_errno(-ENOMEM, "cannot print the plan");
		return;
	}
	plan_print(p, f);
	if (fclose(f) != 0) {
		log_error_errno(-ENOMEM, "cannot print the plan");
		return;
	}
	out_fputs_escaped(text, OUT_ESCAPE_KEEP_NEWLINE, stdout);
}

static void print_dry_run(struct pb_ctx *c, const struct change *ch)
{
	_cleanup_(out_freep) struct out *out = NULL;
	const struct plan *p = &ch->plan;

	if (!c->json) {
		/* Which vfio driver, and why (seize to vfio-pci, when variants are known). */
		out_fputs_escaped(ch->drivers, OUT_ESCAPE_KEEP_NEWLINE, stdout);
		printf("Plan: %s, %zu step%s (--dry-run: nothing is written)\n",
		       change_op_name(ch->opts.op), p->n, p->n == 1 ? "" : "s");
		print_plan(p);
		return;
	}
	out = out_new(true, stdout);
	if (!out)
		return;
	out_string(out, "operation", NULL, change_op_name(ch->opts.op));
	out_begin_array(out, "steps", NULL);
	for (size_t i = 0; i < p->n; i++) {
		const struct step *st = &p->steps[i];

		out_begin_object(out, NULL);
		out_string(out, "op", NULL, plan_op_name(st->op));
		out_string(out, "address", NULL, st->bdf[0] ? st->bdf : NULL);
		out_string(out, "path", NULL, st->op == STEP_WRITE ? st->path : NULL);
		out_string(out, "value", NULL, st->op == STEP_WRITE ? st->value : NULL);
		out_string(out, "module", NULL, st->module[0] ? st->module : NULL);
		if (st->covers[0])
			out_string(out, "covers", NULL, st->covers);
		out_string(out, "check", NULL, plan_check_name(st->check));
		out_string(out, "why", NULL, st->why);
		out_end_object(out);
	}
	out_end_array(out);
	(void)out_finish(out);
}

static void report_step(const char *what, const struct rebind_failure *f, size_t n)
{
	char step[PLAN_PATH_MAX + PLAN_NAME_MAX + 16];

	plan_step_describe(&f->st, step, sizeof(step));
	log_error("%s failed at step %zu of %zu (%s): %s", what, f->step, n, step, f->cause);
}

/*
 * Say once what a change came to: the dry run's plan, each function's
 * driver before and after, or the refusal with its short explanation, the
 * failed step and what was undone. stdout carries data only.
 */
void cmd_report_change(struct pb_ctx *c, const struct change *ch)
{
	const char *op = change_op_name(ch->opts.op);
	struct pcidev_list *l = NULL;

	switch (ch->outcome) {
	case CHANGE_PLANNED:
		if (ch->pending[0])
			log_warning("%s", ch->pending);
		print_dry_run(c, ch);
		break;
	case CHANGE_REFUSED:
		/* Every reason at once, each with its fix; then one conclusion. */
		log_error("%s refused: %s", op, ch->reason);
		for (size_t i = 0; i < ch->n_blockers; i++) {
			const struct change_blocker *b = &ch->blockers[i];

			if (i)
				log_continue(LOG_ERR, "  also refused: %s", b->text);
			if (b->fix[0])
				log_continue(LOG_ERR, "  fix: %s", b->fix);
		}
		if (ch->refused_bdf[0] && engine_snapshot(c->engine, &l) == 0) {
			struct pcidev *d = pcidev_find_bdf(l, ch->refused_bdf);

			if (d && engine_details(c->engine, d) == 0)
				cmd_explain_short(c, d);
		}
		if (ch->n_blockers > 1)
			log_error("%zu reasons above, each with its fix: nothing was written, and "
				  "nothing moves until every one is resolved",
				  ch->n_blockers);
		break;
	case CHANGE_NOTHING:
		/* One line each, without -v: saying nothing would look like a failure. */
		for (size_t i = 0; i < ch->n_fns; i++)
			if (ch->opts.op == PLAN_RELEASE && !ch->fns[i].dev->stub)
				out_printf(stdout, "%s: not on a stub (%s), nothing to release\n",
					   ch->fns[i].bdf,
					   ch->fns[i].before[0] ? ch->fns[i].before : "no driver");
			else
				out_printf(stdout, "%s: already on %s, nothing to do\n",
					   ch->fns[i].bdf,
					   ch->fns[i].before[0] ? ch->fns[i].before : "no driver");
		break;
	case CHANGE_DONE:
		if (ch->skipped[0])
			log_warning("returned without a reset (no-strict-reset): %s", ch->skipped);
		for (size_t i = 0; i < ch->n_fns; i++)
			out_printf(stdout, "%s: %s -> %s\n", ch->fns[i].bdf,
				   ch->fns[i].before[0] ? ch->fns[i].before : "none",
				   ch->fns[i].after[0] ? ch->fns[i].after : "none");
		break;
	case CHANGE_ROLLED_BACK:
	case CHANGE_STRANDED:
		report_step(op, &ch->failure, ch->plan.n);
		if (ch->outcome == CHANGE_STRANDED) {
			log_error("could not put them back: %s", ch->undo_failure);
			log_error("the devices above are recorded as stranded in %s; see 'pcibind "
				  "status', then 'pcibind release' them or reboot",
				  c->roots.state_dir);
		} else {
			bool gone = false;

			for (size_t i = 0; i < ch->n_fns; i++)
				gone = gone || ch->fns[i].gone;
			for (size_t i = 0; i < ch->n_fns; i++)
				if (ch->fns[i].gone)
					log_warning("%s was removed during the change: nothing to put "
						    "back, and no record of it is kept",
						    ch->fns[i].bdf);
				else
					log_warning("put back %s (on %s)", ch->fns[i].bdf,
						    ch->fns[i].after[0] ? ch->fns[i].after
									: "no driver");
			log_error("every function%s is back where it was, with its driver and "
				  "driver_override as before",
				  gone ? " that is still there" : "");
		}
		break;
	default:
		if (ch->error)
			log_error_errno(ch->error, "%s", ch->reason);
		else
			log_error("%s", ch->reason);
		break;
	}
}

/*
 * Before a change: the journal's lock (not for a dry run) and the undo of
 * what a killed pcibind left, reported. Returns an exit code.
 */
int cmd_begin(struct pb_ctx *c, bool dry_run)
{
	struct recovery rec;
	char when[64] = "?";
	struct tm tm;
	time_t ts;
	int r;

	r = engine_begin(c->engine, dry_run, &rec);
	if (r == -EWOULDBLOCK) {
		log_error("another pcibind holds %s/lock (waited %d ms); try again when it is done",
			  c->roots.state_dir, c->lock_timeout_ms);
		return PB_EXIT_FAILURE;
	}
	if (r < 0) {
		log_error_errno(r, "cannot open the state directory '%s'%s", c->roots.state_dir,
				r == -EPERM || r == -ELOOP
					? " (it must be a real directory owned by the user running "
					  "pcibind, not writable by group or others)"
					: "");
		return PB_EXIT_FAILURE;
	}
	if (!rec.found)
		return PB_EXIT_OK;
	if (rec.retired[0])
		log_warning("the unfinished %s: %s", rec.op, rec.retired);
	if (rec.refused[0]) {
		log_error("%s", rec.refused);
		return PB_EXIT_REFUSED;
	}
	if (rec.held[0]) {
		/* Not undone behind anybody's back: the gates of a release hold for an undo too. */
		log_error("an unfinished %s (origin %s, %zu steps done) is pending and was left as "
			  "it is: %s. When that is resolved, 'pcibind recover' undoes it; until "
			  "then pcibind changes nothing",
			  rec.op, rec.origin, rec.steps_done, rec.held);
		return PB_EXIT_REFUSED;
	}
	if (!rec.op[0]) {
		log_error_errno(rec.error, "the unfinished transaction in %s cannot be read; look at "
					   "it, then remove it by hand",
				rec.what);
		return PB_EXIT_STRANDED;
	}
	ts = (time_t)rec.started;
	if (localtime_r(&ts, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	log_warning("found an unfinished %s (origin %s, started %s, %zu steps done): undoing it "
		    "first",
		    rec.op, rec.origin, when, rec.steps_done);
	if (!rec.undone) {
		char step[PLAN_PATH_MAX + PLAN_NAME_MAX + 16];

		plan_step_describe(&rec.failure.st, step, sizeof(step));
		log_error("could not put back %s: step %zu (%s) failed: %s", rec.what,
			  rec.failure.step, step, rec.failure.cause);
		return PB_EXIT_STRANDED;
	}
	log_warning("put back %s", rec.what);
	return PB_EXIT_OK;
}

/*
 * The exit code of CH, a change that did not happen: a refusal because the
 * policy has an error that could name the refused function is
 * PB_EXIT_POLICY, as 'policy check' exits for the same files.
 */
static int change_exit(struct pb_ctx *c, const struct change *ch, const struct pcidev_list *l,
		       struct pcidev *const *devs, size_t n)
{
	const struct policy *pol;
	const struct pcidev *d;

	if (ch->outcome != CHANGE_REFUSED || engine_policy(c->engine, &pol) < 0 || !pol->n_errors)
		return cmd_change_exit(ch);
	d = ch->refused_bdf[0] ? pcidev_find_bdf(l, ch->refused_bdf) : NULL;
	if (d && policy_blocks(pol, l, d, NULL))
		return PB_EXIT_POLICY;
	for (size_t i = 0; !d && i < ch->n_fns; i++)
		if (policy_blocks(pol, l, ch->fns[i].dev, NULL))
			return PB_EXIT_POLICY;
	for (size_t i = 0; !d && i < n; i++)
		if (policy_blocks(pol, l, devs[i], NULL))
			return PB_EXIT_POLICY;
	return cmd_change_exit(ch);
}

/*
 * Seize or release the functions ARGS name, as one transaction through the
 * engine's stages: begin (lock, recover), decide (prepare + plan),
 * execute, finalize. Reports once on stderr. Returns an exit code.
 */
int cmd_change(struct pb_ctx *c, const struct change_opts *o, char **args, int nargs)
{
	_cleanup_(change_freep) struct change *ch = NULL;
	struct pcidev *devs[MAX_DEVICES];
	struct pcidev_list *l;
	int r, ret;

	if (nargs < 1)
		return cmd_usage_error("%s needs at least one DEVICE", change_op_name(o->op));
	if (nargs > MAX_DEVICES)
		return cmd_usage_error("at most %d devices at once", MAX_DEVICES);
	ret = cmd_begin(c, o->dry_run);
	if (ret == PB_EXIT_OK)
		ret = cmd_scan(c, &l);
	if (ret != PB_EXIT_OK)
		return ret;
	for (int i = 0; i < nargs; i++) {
		ret = cmd_resolve_address(c, l, args[i], &devs[i]);
		if (ret != PB_EXIT_OK)
			return ret;
	}
	r = engine_decide(c->engine, o, devs, (size_t)nargs, &ch);
	if (r < 0)
		return log_error_errno(r, "cannot decide the %s", change_op_name(o->op)),
		       PB_EXIT_FAILURE;
	cmd_release_origins(c, ch);
	if (ch->outcome == CHANGE_PLANNED && !o->dry_run)
		(void)engine_execute(c->engine, ch);
	cmd_report_change(c, ch);
	cmd_release_rules(c, o, ch, devs, (size_t)nargs);
	if (ch->outcome != CHANGE_DONE)
		return change_exit(c, ch, l, devs, (size_t)nargs);
	r = engine_finalize(c->engine, ch);
	if (r < 0) {
		log_error_errno(r, "the %s is done, but %s could not record it; the journal has it "
				   "until reboot: fix the file's directory and run the command "
				   "again with --persistent",
				change_op_name(o->op), ch->persisted);
		return PB_EXIT_FAILURE;
	}
	if (ch->persisted[0])
		fprintf(stderr,
			"pcibind: %s %s; the initramfs keeps its own copy of the policy: rebuild it "
			"(%s) for boot to follow it\n",
			o->op == PLAN_SEIZE ? "recorded in" : "removed from", ch->persisted,
			cmd_initramfs_rebuild());
	return PB_EXIT_OK;
}

enum {
	OPT_ALL_FUNCTIONS = CHAR_MAX + 1,
	OPT_DRY_RUN,
	OPT_DRIVER,
	OPT_PERSISTENT,
	OPT_TO,
	OPT_GROUP,
	OPT_IGNORE_UNREADABLE,
};

static void change_help(enum plan_op op)
{
	if (op == PLAN_SEIZE)
		printf("Usage: pcibind [OPTIONS] seize DEVICE... [--driver pciback|vfio-pci|pci-stub]\n"
		       "       [-o permissive] [-o no-strict-reset] [--all-functions] [--group]\n"
		       "       [--dry-run]\n"
		       "\n"
		       "Move functions from their drivers to a passthrough stub (default: pciback\n"
		       "on a Xen dom0, else vfio-pci), verified and all-or-nothing.\n");
	else
		printf("Usage: pcibind [OPTIONS] release DEVICE... [-o no-strict-reset]\n"
		       "       [--to native|none] [--all-functions] [--group] [--dry-run]\n"
		       "\n"
		       "Return functions from a stub to their native drivers (reattach is an alias).\n"
		       "A function that cannot be reset is refused unless -o no-strict-reset.\n");
	printf("\n");
	if (op == PLAN_SEIZE)
		printf("  --driver STUB      pciback, vfio-pci or pci-stub (else the policy's, else\n"
		       "                     the default)\n");
	else
		printf("  --to native|none   back to the native driver (default), or to no driver:\n"
		       "                     unbind, clear driver_override, let the kernel probe\n");
	printf("  -o NAME[=BOOL]     %s (qvm-pci spelling)\n"
	       "  --all-functions    move every function of the slot together\n"
	       "  --group            move every endpoint of the IOMMU group together\n"
	       "  --ignore-unreadable-holders\n"
	       "                     a process whose open files cannot be read holds\n"
	       "                     nothing (default: it holds the device; refused)\n"
	       "  --persistent       also write (seize) or remove (release) a rule in\n"
	       "                     /etc/pcibind/policy.d/90-persistent.conf\n"
	       "  -n, --dry-run      print the sysfs writes in order, change nothing\n"
	       "  -j, --json         print the --dry-run plan as JSON\n",
	       op == PLAN_SEIZE ? "permissive, no-strict-reset" : "no-strict-reset");
}

static int change_main(struct pb_ctx *c, enum plan_op op, int argc, char **argv)
{
	static const struct option options[] = {
		{ "driver", required_argument, NULL, OPT_DRIVER },
		{ "option", required_argument, NULL, 'o' },
		{ "all-functions", no_argument, NULL, OPT_ALL_FUNCTIONS },
		{ "persistent", no_argument, NULL, OPT_PERSISTENT },
		{ "to", required_argument, NULL, OPT_TO },
		{ "group", no_argument, NULL, OPT_GROUP },
		{ "ignore-unreadable-holders", no_argument, NULL, OPT_IGNORE_UNREADABLE },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct change_opts o = { .op = op, .origin = "cli" };
	int opt, r;

	while ((opt = getopt_long(argc, argv, "o:njh", options, NULL)) >= 0) {
		switch (opt) {
		case OPT_DRIVER:
			if (op != PLAN_SEIZE)
				return cmd_usage_error("--driver goes with seize; release returns "
						       "to the native driver");
			if (cmd_stub_option(optarg, &o.driver) != 0)
				return PB_EXIT_USAGE;
			break;
		case 'o':
			r = cmd_parse_o(optarg, &o);
			if (r != 0)
				return r < 0 ? PB_EXIT_FAILURE : r;
			break;
		case OPT_ALL_FUNCTIONS:
			o.all_functions = true;
			break;
		case OPT_PERSISTENT:
			o.persistent = true;
			break;
		case OPT_TO:
			if (op != PLAN_RELEASE)
				return cmd_usage_error("--to goes with release; seize takes --driver");
			if (streq(optarg, "none"))
				o.to_none = true;
			else if (!streq(optarg, "native"))
				return cmd_usage_error("--to %s: release returns a function to its "
						       "native driver (--to native, the default) or "
						       "to no driver (--to none)",
						       optarg);
			break;
		case OPT_GROUP:
			o.iommu_group = true;
			break;
		case OPT_IGNORE_UNREADABLE:
			o.ignore_unreadable = true;
			break;
		case 'n':
			o.dry_run = true;
			break;
		case 'j':
			c->json = true;
			break;
		case 'h':
			change_help(op);
			return PB_EXIT_OK;
		default:
			return cmd_option_error(change_op_name(op), argv, options);
		}
	}
	if (o.permissive && o.driver && !streq(o.driver, "pciback"))
		return cmd_usage_error("-o permissive applies only to --driver pciback");
	r = cmd_change(c, &o, argv + optind, argc - optind);
	cmd_log_stats(c);
	return r;
}

/* pcibind recover: finish what a killed pcibind left (undo its transaction). */
int cmd_recover(struct pb_ctx *c, int argc, char **argv)
{
	_cleanup_strv_free_ char **cleared = NULL;
	int r, ret;

	for (int i = 1; i < argc; i++)
		if (streq(argv[i], "-h") || streq(argv[i], "--help")) {
			printf("Usage: pcibind [OPTIONS] recover\n\n"
			       "Undo the transaction a killed pcibind left unfinished, putting every\n"
			       "function back where it was (seize and release do this first anyway),\n"
			       "after checking that it is about the devices there now. Then clear the\n"
			       "records that match nothing: unusable files, functions that are gone,\n"
			       "and records of another device than the one at their address.\n");
			return PB_EXIT_OK;
		}
	if (argc > 1)
		return cmd_usage_error("recover takes no arguments");
	ret = cmd_begin(c, false);
	if (ret != PB_EXIT_OK)
		return ret;
	r = engine_clear_stale(c->engine, &cleared);
	if (r < 0) {
		log_error_errno(r, "cannot check the records in %s against the devices",
				c->roots.state_dir);
		return PB_EXIT_FAILURE;
	}
	for (size_t i = 0; cleared && cleared[i]; i++)
		out_printf(stderr, "pcibind: cleared %s\n", cleared[i]);
	return PB_EXIT_OK;
}

/* pcibind seize DEVICE... Returns an exit code. */
int cmd_seize(struct pb_ctx *c, int argc, char **argv)
{
	return change_main(c, PLAN_SEIZE, argc, argv);
}

/* pcibind release DEVICE... (alias reattach). Returns an exit code. */
int cmd_release(struct pb_ctx *c, int argc, char **argv)
{
	return change_main(c, PLAN_RELEASE, argc, argv);
}

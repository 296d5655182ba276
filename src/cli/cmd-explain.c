/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pcibind explain and pcibind policy check: the facts, the rules and the verdicts, told. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "decide.h"
#include "describe.h"
#include "guard.h"
#include "log.h"
#include "output.h"
#include "pcidev.h"
#include "pciname.h"
#include "plan.h"
#include "policy.h"
#include "select.h"
#include "sysfs.h"
#include "xen.h"

#define SLOT_MAX 8

static void print_slot(const struct pcidev_list *l, const struct pcidev *d, const char *sep)
{
	struct pcidev *fns[SLOT_MAX];
	size_t n = pcidev_slot_functions(l, d, fns, SLOT_MAX);

	for (size_t i = 0; i < n && i < SLOT_MAX; i++)
		out_printf(stdout, "%s%s (%s)", i ? sep : "", fns[i]->bdf,
			   fns[i]->driver ? fns[i]->driver : "none");
}

static void print_rule_keys(const struct policy_rule *r)
{
	char buf[64];
	bool first = true;

	for (int k = 0; k < _PK_MAX; k++) {
		struct policy_eval one = { .v = r->v };

		if (!r->set[k] || policy_format_value(&one, k, buf, sizeof(buf)) < 0)
			continue;
		out_printf(stdout, "%s%s = %s (line %d)", first ? "" : ", ", policy_key_name(k),
			   buf, r->key_line[k]);
		first = false;
	}
	if (first)
		out_printf(stdout, "matches, sets nothing");
}

/* The short explanation that follows a refusal: facts, rules, where to read more. */
void cmd_explain_short(struct pb_ctx *c, const struct pcidev *d)
{
	const struct guard_facts *gf = NULL;
	struct policy_eval e;
	struct guards g = { 0 };
	char line[1024];
	size_t len;

	if (engine_guard_facts(c->engine, &gf) == 0)
		guard_check(c->sysfs, gf, d, &g);
	len = (size_t)snprintf(line, sizeof(line), "  facts: driver %s; %s",
			       d->driver ? d->driver : "none",
			       d->resettable ? "resettable" : "not resettable");
	for (char **m = d->reset_methods; m && *m && len < sizeof(line); m++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s",
					m == d->reset_methods ? " (" : " ", *m);
	if (d->reset_methods && d->reset_methods[0] && len < sizeof(line))
		len += (size_t)snprintf(line + len, sizeof(line) - len, ")");
	if (len < sizeof(line) && d->iommu_group < 0)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "; no IOMMU group; guards: ");
	else if (len < sizeof(line))
		len += (size_t)snprintf(line + len, sizeof(line) - len, "; IOMMU group %d; guards: ",
					d->iommu_group);
	for (size_t i = 0; i < g.n && len < sizeof(line); i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s", i ? ", " : "",
					guard_name(g.hits[i].kind));
	if (len < sizeof(line))
		snprintf(line + len, sizeof(line) - len, "%s", g.n ? "" : "none");
	log_continue(LOG_ERR, "%s", line);
	if (engine_eval(c->engine, d, NULL, &e) == 0) {
		len = (size_t)snprintf(line, sizeof(line), "  rules:");
		for (size_t i = 0; i < e.n_matched && len < sizeof(line); i++)
			len += (size_t)snprintf(line + len, sizeof(line) - len, "%s [%s] %s:%d",
						i ? ";" : "", e.matched[i]->name,
						e.matched[i]->file, e.matched[i]->line);
		if (len < sizeof(line))
			snprintf(line + len, sizeof(line) - len, "%s",
				 e.n_matched ? "" : " none match");
		log_continue(LOG_ERR, "%s", line);
		policy_eval_done(&e);
	}
	log_continue(LOG_ERR, "  see: pcibind explain %s", d->bdf);
}

/*
 * The verdict of the one decision path (engine_decide(), as a dry run of
 * exactly this command would take it), with its reasons.
 */
static void print_verdict(struct pb_ctx *c, struct pcidev *d, const struct change_opts *o,
			  int op)
{
	_cleanup_(change_freep) struct change *ch = NULL;
	struct change_opts one = *o;
	const char *label = op == PLAN_SEIZE ? "Verdict, seize:   " : "Verdict, release: ";

	one.op = op;
	one.dry_run = true;
	one.persistent = false;
	if (op == PLAN_RELEASE) {
		one.driver = NULL;
		one.permissive = false;
	}
	if (engine_decide(c->engine, &one, &d, 1, &ch) < 0) {
		out_printf(stdout, "%sunknown: out of memory\n", label);
		return;
	}
	switch (ch->outcome) {
	case CHANGE_PLANNED:
		if (!ch->plan.n) {
			out_printf(stdout, "%snothing to do: %s is already where a %s puts it (%s)",
				   label, d->bdf, change_op_name(op),
				   d->driver ? d->driver : "no driver");
			for (size_t i = 0; i < ch->n_fns; i++)
				if (ch->fns[i].dev == d)
					out_printf(stdout, "; the policy: %s",
						   ch->fns[i].verdict.reason);
			printf("\n");
			break;
		}
		out_printf(stdout, "%s", label);
		for (size_t i = 0; i < ch->n_fns; i++)
			if (ch->fns[i].dev == d)
				out_printf(stdout, "%s", ch->fns[i].verdict.reason);
		if (op == PLAN_SEIZE)
			out_printf(stdout, "; to %s (%s)", ch->stub, ch->stub_source);
		if (ch->n_fns > 1) {
			out_printf(stdout, "; moves together with");
			for (size_t i = 0; i < ch->n_fns; i++)
				if (ch->fns[i].dev != d)
					out_printf(stdout, " %s", ch->fns[i].bdf);
		}
		out_printf(stdout, "; %zu step%s in its --dry-run plan\n", ch->plan.n,
			   ch->plan.n == 1 ? "" : "s");
		/* Which vfio driver (a variant or vfio-pci), and why. */
		out_fputs_escaped(ch->drivers, OUT_ESCAPE_KEEP_NEWLINE, stdout);
		break;
	case CHANGE_REFUSED:
		/* every reason, each with its fix */
		out_printf(stdout, "%srefused: %s\n", label, ch->reason);
		for (size_t i = 0; i < ch->n_blockers; i++) {
			const struct change_blocker *b = &ch->blockers[i];

			if (i)
				out_printf(stdout, "  also refused: %s\n", b->text);
			if (b->fix[0])
				out_printf(stdout, "  fix: %s\n", b->fix);
		}
		if (ch->n_blockers > 1)
			printf("  %zu reasons: it does not move until every one is resolved\n",
			       ch->n_blockers);
		break;
	default:
		out_printf(stdout, "%scannot tell: %s%s%s\n", label, ch->reason,
			   ch->error ? ": " : "", ch->error ? strerror(-ch->error) : "");
		break;
	}
	/* One bus reset for the whole slot, or why there is none (release). */
	if (ch->bus_reset[0])
		printf("  Bus reset:       %s\n", ch->bus_reset);
}

static void explain_device(struct pb_ctx *c, const struct pcidev_list *l, struct pcidev *d,
			   const struct change_opts *o, int which)
{
	_cleanup_strv_free_ char **members = NULL;
	_cleanup_(xen_closep) struct xen *xen = NULL;
	const struct guard_facts *gf = NULL;
	char reason[512], buf[64], src[512], held[300];
	struct policy_eval e;
	struct guards g = { 0 };

	if (pcidev_reset_reason(l, d, reason, sizeof(reason)) < 0)
		reason[0] = '\0';
	out_printf(stdout, "Facts:\n");
	out_printf(stdout, "  Driver:          %s (module %s), driver_override %s%s\n",
		   d->driver ? d->driver : "none", d->driver_module ? d->driver_module : "none",
		   d->driver_override ? d->driver_override : "none",
		   d->stub ? ", a passthrough stub" : "");
	out_printf(stdout, "  Reset:           %s\n", reason);
	out_printf(stdout, "  Slot functions:  ");
	print_slot(l, d, ", ");
	out_printf(stdout, "\n  IOMMU group:     ");
	if (d->iommu_group < 0) {
		out_printf(stdout, "none\n");
	} else {
		out_printf(stdout, "%d:", d->iommu_group);
		if (pcidev_iommu_members(c->sysfs, d, &members) >= 0)
			for (char **m = members; m && *m; m++)
				out_printf(stdout, " %s", *m);
		printf("\n");
	}
	/* Xen dom0, on pciback: which guest holds it (nothing elsewhere). */
	if (cmd_xen_open(c, 0, &xen) == 0 && cmd_xen_holder(xen, d, held, sizeof(held)))
		out_printf(stdout, "  Xen guest:       %s\n", held);
	if (engine_guard_facts(c->engine, &gf) == 0)
		guard_check(c->sysfs, gf, d, &g);
	out_printf(stdout, "  Guards:          %s\n", g.n ? "" : "none");
	for (size_t i = 0; i < g.n; i++)
		out_printf(stdout, "    %-9s %s\n", guard_name(g.hits[i].kind), g.hits[i].detail);
	{
		struct holders h = { 0 };
		char text[512];

		if (engine_holders(c->engine, d, &h) < 0)
			printf("  Held by:         cannot tell (out of memory)\n");
		else if (!h.n)
			printf("  Held by:         nothing pcibind can see\n");
		for (size_t i = 0; i < h.n; i++) {
			(void)holder_text(&h.v[i], text, sizeof(text));
			out_printf(stdout, "  %-16s %s\n", i ? "" : "Held by:", text);
		}
		holders_done(&h);
	}

	out_printf(stdout, "Rules (in order; for each key the last matching rule wins):\n");
	if (engine_eval(c->engine, d, o, &e) < 0)
		return;
	for (size_t i = 0; i < e.n_matched; i++) {
		out_printf(stdout, "  [%s] %s:%d: ", e.matched[i]->name, e.matched[i]->file,
			   e.matched[i]->line);
		print_rule_keys(e.matched[i]);
		printf("\n");
	}
	for (int k = 0; k < _PK_MAX; k++)
		if (e.cli_source[k]) {
			policy_format_value(&e, k, buf, sizeof(buf));
			out_printf(stdout, "  %s on the command line: %s = %s\n", e.cli_source[k],
				   policy_key_name(k), buf);
		}
	if (!e.n_matched)
		out_printf(stdout, "  no rule matches\n");
	out_printf(stdout, "Settings:\n");
	for (int k = 0; k < _PK_MAX; k++) {
		/* vfs is about SR-IOV PFs only */
		if (k == PK_VFS && d->sriov_totalvfs < 0 && !e.source[k])
			continue;
		policy_format_value(&e, k, buf, sizeof(buf));
		decide_source(&e, k, src, sizeof(src));
		out_printf(stdout, "  %-13s %-15s %s\n", policy_key_name(k), buf, src);
	}
	policy_eval_done(&e);
	if (which != PLAN_RELEASE)
		print_verdict(c, d, o, PLAN_SEIZE);
	if (which != PLAN_SEIZE)
		print_verdict(c, d, o, PLAN_RELEASE);
}

/* ---- JSON: the same facts, rules (file:line) and verdicts, as data ------------ */

static void json_rule(struct out *o, const struct policy_rule *r)
{
	char buf[64];

	static const char *const match_keys[_MATCH_KIND_MAX] = {
		[MATCH_ADDRESS] = "match-address",
		[MATCH_ID] = "match-id",
		[MATCH_CLASS] = "match-class",
		[MATCH_DRIVER] = "match-driver",
	};

	out_begin_object(o, NULL);
	out_string(o, "name", NULL, r->name);
	out_string(o, "file", NULL, r->file);
	out_int(o, "line", NULL, r->line);
	/* a rule with an error is dropped: it matches nothing and holds up what it could name */
	out_bool(o, "dropped", NULL, r->broken);
	out_begin_array(o, "matches", NULL);
	for (size_t i = 0; i < r->n_matches; i++) {
		out_begin_object(o, NULL);
		out_string(o, "key", NULL, match_keys[r->matches[i].kind]);
		out_string(o, "value", NULL, r->matches[i].text);
		out_end_object(o);
	}
	out_end_array(o);
	out_begin_array(o, "sets", NULL);
	for (int k = 0; k < _PK_MAX; k++) {
		struct policy_eval one = { .v = r->v };

		if (!r->set[k] || policy_format_value(&one, k, buf, sizeof(buf)) < 0)
			continue;
		out_begin_object(o, NULL);
		out_string(o, "key", NULL, policy_key_name(k));
		out_string(o, "value", NULL, buf);
		out_int(o, "line", NULL, r->key_line[k]);
		out_end_object(o);
	}
	out_end_array(o);
	out_end_object(o);
}

static void json_verdict(struct out *o, struct pb_ctx *c, struct pcidev *d,
			 const struct change_opts *opts, int op)
{
	_cleanup_(change_freep) struct change *ch = NULL;
	struct change_opts one = *opts;

	one.op = op;
	one.dry_run = true;
	one.persistent = false;
	if (op == PLAN_RELEASE) {
		one.driver = NULL;
		one.permissive = false;
	}
	out_begin_object(o, change_op_name(op));
	if (engine_decide(c->engine, &one, &d, 1, &ch) < 0) {
		out_string(o, "verdict", NULL, "unknown");
		out_string(o, "reason", NULL, "out of memory");
		out_end_object(o);
		return;
	}
	switch (ch->outcome) {
	case CHANGE_PLANNED:
		out_string(o, "verdict", NULL, ch->plan.n ? "allowed" : "nothing-to-do");
		for (size_t i = 0; i < ch->n_fns; i++)
			if (ch->fns[i].dev == d)
				out_string(o, "reason", NULL, ch->fns[i].verdict.reason);
		if (op == PLAN_SEIZE) {
			/* the stub's name: "stub" is a boolean everywhere else */
			out_string(o, "stub_driver", NULL, ch->stub[0] ? ch->stub : NULL);
			out_string(o, "stub_source", NULL, ch->stub_source[0] ? ch->stub_source : NULL);
		}
		out_begin_array(o, "moves_with", NULL);
		for (size_t i = 0; i < ch->n_fns; i++)
			if (ch->fns[i].dev != d)
				out_string(o, NULL, NULL, ch->fns[i].bdf);
		out_end_array(o);
		out_int(o, "steps", NULL, (long long)ch->plan.n);
		break;
	case CHANGE_REFUSED:
		out_string(o, "verdict", NULL, "refused");
		out_string(o, "reason", NULL, ch->reason);
		out_string(o, "refused_function", NULL,
			   ch->refused_bdf[0] ? ch->refused_bdf : NULL);
		/* every reason, each with its fix */
		out_begin_array(o, "blockers", NULL);
		for (size_t i = 0; i < ch->n_blockers; i++) {
			const struct change_blocker *b = &ch->blockers[i];

			out_begin_object(o, NULL);
			out_string(o, "address", NULL, b->bdf[0] ? b->bdf : NULL);
			out_string(o, "kind", NULL, b->kind);
			out_string(o, "reason", NULL, b->text);
			out_string(o, "fix", NULL, b->fix[0] ? b->fix : NULL);
			out_end_object(o);
		}
		out_end_array(o);
		break;
	default:
		out_string(o, "verdict", NULL, "unknown");
		out_stringf(o, "reason", NULL, "%s%s%s", ch->reason, ch->error ? ": " : "",
			    ch->error ? strerror(-ch->error) : "");
		break;
	}
	if (ch->bus_reset[0])
		out_string(o, "bus_reset", NULL, ch->bus_reset);
	out_end_object(o);
}

/*
 * A policy key as a JSON key: its name in snake_case (strict-reset ->
 * strict_reset), kept for the program's life (output.c does not copy keys).
 */
static const char *snake_key(int k)
{
	static char names[_PK_MAX][32];

	if (!names[k][0]) {
		snprintf(names[k], sizeof(names[k]), "%s", policy_key_name(k));
		for (char *p = names[k]; *p; p++)
			if (*p == '-')
				*p = '_';
	}
	return names[k];
}

static int explain_json(struct pb_ctx *c, const struct pcidev_list *l, struct pcidev *d,
			const struct change_opts *opts, int which)
{
	_cleanup_(out_freep) struct out *o = out_new(true, stdout);
	_cleanup_strv_free_ char **members = NULL;
	const struct guard_facts *gf = NULL;
	struct pcidev *fns[SLOT_MAX];
	char reason[512], buf[64], src[512];
	struct policy_eval e;
	struct guards g = { 0 };
	size_t n;

	if (!o)
		return PB_EXIT_FAILURE;
	out_string(o, "address", NULL, d->bdf);
	out_string(o, "qubes_address", NULL, d->qubes);
	out_begin_object(o, "facts");
	out_string(o, "driver", NULL, d->driver);
	out_string(o, "module", NULL, d->driver_module);
	out_string(o, "driver_override", NULL, d->driver_override);
	out_bool(o, "stub", NULL, d->stub != PCIDEV_STUB_NONE);
	out_bool(o, "resettable", NULL, d->resettable);
	if (pcidev_reset_reason(l, d, reason, sizeof(reason)) == 0)
		out_string(o, "reset_reason", NULL, reason);
	else
		out_null(o, "reset_reason", NULL, NULL);
	/* as show's: {address, driver} */
	out_begin_array(o, "slot_functions", NULL);
	n = pcidev_slot_functions(l, d, fns, SLOT_MAX);
	for (size_t i = 0; i < n && i < SLOT_MAX; i++) {
		out_begin_object(o, NULL);
		out_string(o, "address", NULL, fns[i]->bdf);
		out_string(o, "driver", NULL, fns[i]->driver);
		out_end_object(o);
	}
	out_end_array(o);
	if (d->iommu_group < 0) {
		out_null(o, "iommu_group", NULL, NULL);
		out_begin_array(o, "iommu_group_members", NULL); /* as show's: none */
		out_end_array(o);
	} else {
		out_int(o, "iommu_group", NULL, d->iommu_group);
		out_begin_array(o, "iommu_group_members", NULL);
		if (pcidev_iommu_members(c->sysfs, d, &members) >= 0)
			for (char **m = members; m && *m; m++)
				out_string(o, NULL, NULL, *m);
		out_end_array(o);
	}
	if (engine_guard_facts(c->engine, &gf) == 0)
		guard_check(c->sysfs, gf, d, &g);
	out_begin_array(o, "guards", NULL);
	for (size_t i = 0; i < g.n; i++) {
		out_begin_object(o, NULL);
		out_string(o, "guard", NULL, guard_name(g.hits[i].kind));
		out_string(o, "detail", NULL, g.hits[i].detail);
		out_end_object(o);
	}
	out_end_array(o);
	cmd_out_holders(c, o, d);
	out_end_object(o);

	if (engine_eval(c->engine, d, opts, &e) < 0)
		return PB_EXIT_FAILURE;
	out_begin_array(o, "rules", NULL);
	for (size_t i = 0; i < e.n_matched; i++)
		json_rule(o, e.matched[i]);
	out_end_array(o);
	out_begin_array(o, "command_line", NULL);
	for (int k = 0; k < _PK_MAX; k++)
		if (e.cli_source[k]) {
			policy_format_value(&e, k, buf, sizeof(buf));
			out_begin_object(o, NULL);
			out_string(o, "key", NULL, policy_key_name(k));
			out_string(o, "value", NULL, buf);
			out_string(o, "option", NULL, e.cli_source[k]);
			out_end_object(o);
		}
	out_end_array(o);
	out_begin_object(o, "settings");
	for (int k = 0; k < _PK_MAX; k++) {
		if (k == PK_VFS && d->sriov_totalvfs < 0 && !e.source[k])
			continue;
		policy_format_value(&e, k, buf, sizeof(buf));
		decide_source(&e, k, src, sizeof(src));
		out_begin_object(o, snake_key(k));
		if ((k == PK_DRIVER && !e.v.driver[0]) ||
		    (k == PK_EXPECT_ID && e.v.expect_vendor < 0) || (k == PK_VFS && e.v.vfs < 0))
			out_null(o, "value", NULL, NULL); /* pcibind's default stub; any ID */
		else
			out_string(o, "value", NULL, buf);
		out_string(o, "source", NULL, src);
		if (e.source[k]) {
			out_string(o, "file", NULL, e.source[k]->file);
			out_int(o, "line", NULL, e.source[k]->key_line[k]);
		} else {
			out_null(o, "file", NULL, NULL);
			out_null(o, "line", NULL, NULL);
		}
		out_end_object(o);
	}
	out_end_object(o);
	policy_eval_done(&e);
	out_begin_object(o, "verdicts");
	if (which != PLAN_RELEASE)
		json_verdict(o, c, d, opts, PLAN_SEIZE);
	if (which != PLAN_SEIZE)
		json_verdict(o, c, d, opts, PLAN_RELEASE);
	out_end_object(o);
	return out_finish(o) < 0 ? PB_EXIT_FAILURE : PB_EXIT_OK;
}

/* pcibind explain DEVICE [seize|release] [-o ...]. Returns an exit code. */
int cmd_explain(struct pb_ctx *c, int argc, char **argv)
{
	enum {
		OPT_ALL_FUNCTIONS = CHAR_MAX + 1,
		OPT_GROUP,
		OPT_DRIVER,
	};
	static const struct option options[] = {
		{ "option", required_argument, NULL, 'o' },
		{ "all-functions", no_argument, NULL, OPT_ALL_FUNCTIONS },
		{ "group", no_argument, NULL, OPT_GROUP },
		{ "driver", required_argument, NULL, OPT_DRIVER },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	_cleanup_(pciname_freep) struct pciname *names = NULL;
	const struct guard_facts *gf;
	const struct policy *p;
	struct pcidev_list *l;
	struct change_opts o = { .op = -1, .origin = "cli" };
	struct pcidev *d;
	struct describe dn;
	char line[1024];
	int opt, r, which = -1;

	while ((opt = getopt_long(argc, argv, "o:jh", options, NULL)) >= 0) {
		switch (opt) {
		case 'o':
			r = cmd_parse_o(optarg, &o);
			if (r != 0)
				return r;
			break;
		case OPT_ALL_FUNCTIONS:
			o.all_functions = true;
			break;
		case OPT_GROUP:
			o.iommu_group = true;
			break;
		case OPT_DRIVER:
			if (cmd_stub_option(optarg, &o.driver) != 0)
				return PB_EXIT_USAGE;
			break;
		case 'j':
			c->json = true;
			break;
		case 'h':
			printf("Usage: pcibind [OPTIONS] explain DEVICE [seize|release] [-o OPTION]\n"
			       "       [--driver STUB] [--all-functions] [--group] [--json]\n\n"
			       "The facts pcibind sees (driver, reset methods and why, slot\n"
			       "functions, IOMMU group, safety guards), every policy rule that\n"
			       "matches with file:line and what it sets, and the verdict that\n"
			       "seize or release --dry-run with the same options reaches.\n"
			       "With --json, the same as one JSON object.\n");
			return PB_EXIT_OK;
		default:
			return cmd_option_error("explain", argv, options);
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		return cmd_usage_error("explain takes DEVICE and optionally seize or release");
	if (argc - optind == 2) {
		if (!strcmp(argv[optind + 1], "seize"))
			which = PLAN_SEIZE;
		else if (!strcmp(argv[optind + 1], "release"))
			which = PLAN_RELEASE;
		else
			return cmd_usage_error("explain: '%s' is neither seize nor release",
					       argv[optind + 1]);
	}
	r = cmd_scan(c, &l);
	if (r != PB_EXIT_OK)
		return r;
	r = cmd_resolve_device(c, l, argv[optind], &d);
	if (r != PB_EXIT_OK)
		return r;
	/* its describing line prints the revision */
	r = engine_details_shown(c->engine, d);
	if (r < 0) {
		log_error_errno(r, "cannot read %s", d->bdf);
		return PB_EXIT_FAILURE;
	}
	r = cmd_load_policy(c, false, &p);
	if (r != PB_EXIT_OK)
		return r;
	r = cmd_load_guards(c, &gf);
	if (r != PB_EXIT_OK)
		return r;
	if (c->json)
		return explain_json(c, l, d, &o, which);
	if (pciname_new(c->roots.pci_ids, &names) == 0) {
		describe_device(names, d, &dn);
		if (describe_line(d, &dn, line, sizeof(line)) == 0)
			out_printf(stdout, "%s  %s\n", d->qubes, line);
	}
	explain_device(c, l, d, &o, which);
	return PB_EXIT_OK;
}

/* policy check --json: the files, errors (file:line, the rule they drop), warnings, rules. */
static int policy_check_json(const struct policy *p, const struct policy_warning *w, size_t nw)
{
	_cleanup_(out_freep) struct out *o = out_new(true, stdout);

	if (!o)
		return PB_EXIT_FAILURE;
	out_begin_array(o, "files", NULL);
	for (size_t i = 0; i < p->n_files; i++)
		out_string(o, NULL, NULL, p->files[i]);
	out_end_array(o);
	out_begin_array(o, "errors", NULL);
	for (size_t i = 0; i < p->n_errors; i++) {
		const struct policy_diag *e = &p->errors[i];

		out_begin_object(o, NULL);
		out_string(o, "file", NULL, e->file);
		if (e->line > 0)
			out_int(o, "line", NULL, e->line);
		else
			out_null(o, "line", NULL, NULL);
		out_string(o, "message", NULL, e->message);
		/* the rule it drops; null: an error outside a rule, which holds up everything */
		if (e->rule >= 0 && (size_t)e->rule < p->n_rules)
			out_string(o, "rule", NULL, p->rules[e->rule].name);
		else
			out_null(o, "rule", NULL, NULL);
		out_end_object(o);
	}
	out_end_array(o);
	out_begin_array(o, "warnings", NULL);
	for (size_t i = 0; i < nw; i++) {
		out_begin_object(o, NULL);
		out_string(o, "file", NULL, w[i].file);
		if (w[i].file)
			out_int(o, "line", NULL, w[i].line);
		else
			out_null(o, "line", NULL, NULL);
		out_string(o, "address", NULL, w[i].bdf[0] ? w[i].bdf : NULL);
		out_string(o, "message", NULL, w[i].message);
		out_end_object(o);
	}
	out_end_array(o);
	out_begin_array(o, "rules", NULL);
	for (size_t i = 0; i < p->n_rules; i++) {
		json_rule(o, &p->rules[i]);
	}
	out_end_array(o);
	if (out_finish(o) < 0)
		return PB_EXIT_FAILURE;
	return p->n_errors ? PB_EXIT_POLICY : PB_EXIT_OK;
}

/* pcibind policy check: errors, rules that match nothing here, contradictions. */
int cmd_policy(struct pb_ctx *c, int argc, char **argv)
{
	_cleanup_(policy_freep) struct policy *p = NULL;
	const char *const *dirs = c->roots.policy_dirs[0] ? c->roots.policy_dirs
							  : policy_default_dirs;
	_cleanup_free_ struct policy_warning *w = NULL;
	struct pcidev_list *l;
	size_t n_dirs = 0, nw = 0;
	int r;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("Usage: pcibind [OPTIONS] policy check [--json]\n\n"
			       "Lint the policy: errors with file:line, rules that match no PCI\n"
			       "function here, settings that contradict each other. Exits 1 on\n"
			       "errors. With --json: {\"files\", \"errors\", \"warnings\",\n"
			       "\"rules\"}.\n");
			return PB_EXIT_OK;
		}
	if (argc == 3 && !strcmp(argv[1], "check") &&
	    (!strcmp(argv[2], "--json") || !strcmp(argv[2], "-j"))) {
		c->json = true;
		argc = 2;
	}
	if (argc != 2 || strcmp(argv[1], "check"))
		return cmd_usage_error("policy takes one subcommand: check");
	while (dirs[n_dirs])
		n_dirs++;
	r = policy_load(dirs, n_dirs, &p);
	if (r < 0)
		return log_error_errno(r, "cannot load the policy"), PB_EXIT_FAILURE;
	r = cmd_scan(c, &l);
	if (r != PB_EXIT_OK)
		return r;
	/* vfs against sriov_totalvfs, match-physfn against physfn: details */
	for (size_t i = 0; i < l->n; i++) {
		r = engine_details(c->engine, l->devs[i]);
		if (r < 0)
			return log_error_errno(r, "cannot read %s", l->devs[i]->bdf),
			       PB_EXIT_FAILURE;
	}
	r = decide_policy_warnings(p, l, &w, &nw);
	if (r < 0)
		return log_error_errno(r, "cannot check the policy"), PB_EXIT_FAILURE;
	if (c->json)
		return policy_check_json(p, w, nw);
	for (size_t i = 0; i < p->n_errors; i++) {
		if (p->errors[i].line > 0)
			out_printf(stdout, "%s:%d: error: %s\n", p->errors[i].file,
				   p->errors[i].line, p->errors[i].message);
		else
			out_printf(stdout, "%s: error: %s\n", p->errors[i].file,
				   p->errors[i].message);
	}
	for (size_t i = 0; i < nw; i++) {
		if (w[i].file)
			out_printf(stdout, "%s:%d: warning: %s\n", w[i].file, w[i].line,
				   w[i].message);
		else
			out_printf(stdout, "%s: warning: %s\n", w[i].bdf, w[i].message);
	}
	out_printf(stdout, "%zu file%s, %zu rule%s: %zu error%s, %zu warning%s\n", p->n_files,
		   p->n_files == 1 ? "" : "s", p->n_rules, p->n_rules == 1 ? "" : "s", p->n_errors,
		   p->n_errors == 1 ? "" : "s", nw, nw == 1 ? "" : "s");
	return p->n_errors ? PB_EXIT_POLICY : PB_EXIT_OK;
}

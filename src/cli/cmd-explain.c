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
#include "pcidev.h"
#include "pciname.h"
#include "plan.h"
#include "policy.h"
#include "select.h"
#include "sysfs.h"

#define SLOT_MAX 8

static void print_slot(const struct pcidev_list *l, const struct pcidev *d, const char *sep)
{
	struct pcidev *fns[SLOT_MAX];
	size_t n = pcidev_slot_functions(l, d, fns, SLOT_MAX);

	for (size_t i = 0; i < n && i < SLOT_MAX; i++)
		printf("%s%s (%s)", i ? sep : "", fns[i]->bdf, fns[i]->driver ? fns[i]->driver : "none");
}

static void print_rule_keys(const struct policy_rule *r)
{
	char buf[64];
	bool first = true;

	for (int k = 0; k < _PK_MAX; k++) {
		struct policy_eval one = { .v = r->v };

		if (!r->set[k] || policy_format_value(&one, k, buf, sizeof(buf)) < 0)
			continue;
		printf("%s%s = %s (line %d)", first ? "" : ", ", policy_key_name(k), buf,
		       r->key_line[k]);
		first = false;
	}
	if (first)
		printf("matches, sets nothing");
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
	if (len < sizeof(line))
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
		printf("%sunknown: out of memory\n", label);
		return;
	}
	switch (ch->outcome) {
	case CHANGE_PLANNED:
		if (!ch->plan.n) {
			printf("%snothing to do: %s is already where a %s puts it (%s)", label,
			       d->bdf, change_op_name(op), d->driver ? d->driver : "no driver");
			for (size_t i = 0; i < ch->n_fns; i++)
				if (ch->fns[i].dev == d)
					printf("; the policy: %s", ch->fns[i].verdict.reason);
			printf("\n");
			break;
		}
		printf("%s", label);
		for (size_t i = 0; i < ch->n_fns; i++)
			if (ch->fns[i].dev == d)
				printf("%s", ch->fns[i].verdict.reason);
		if (op == PLAN_SEIZE)
			printf("; to %s (%s)", ch->stub, ch->stub_source);
		if (ch->n_fns > 1) {
			printf("; moves together with");
			for (size_t i = 0; i < ch->n_fns; i++)
				if (ch->fns[i].dev != d)
					printf(" %s", ch->fns[i].bdf);
		}
		printf("; %zu step%s (pcibind %s --dry-run %s)\n", ch->plan.n,
		       ch->plan.n == 1 ? "" : "s", change_op_name(op), d->bdf);
		break;
	case CHANGE_REFUSED:
		printf("%srefused: %s\n", label, ch->reason);
		break;
	default:
		printf("%scannot tell: %s%s%s\n", label, ch->reason, ch->error ? ": " : "",
		       ch->error ? strerror(-ch->error) : "");
		break;
	}
}

static void explain_device(struct pb_ctx *c, const struct pcidev_list *l, struct pcidev *d,
			   const struct change_opts *o, int which)
{
	_cleanup_strv_free_ char **members = NULL;
	const struct guard_facts *gf = NULL;
	char reason[512], buf[64], src[512];
	struct policy_eval e;
	struct guards g = { 0 };

	if (pcidev_reset_reason(l, d, reason, sizeof(reason)) < 0)
		reason[0] = '\0';
	printf("Facts:\n");
	printf("  Driver:          %s (module %s), driver_override %s%s\n",
	       d->driver ? d->driver : "none", d->driver_module ? d->driver_module : "none",
	       d->driver_override ? d->driver_override : "none", d->stub ? ", a passthrough stub" : "");
	printf("  Reset:           %s\n", reason);
	printf("  Slot functions:  ");
	print_slot(l, d, ", ");
	printf("\n  IOMMU group:     ");
	if (d->iommu_group < 0) {
		printf("none\n");
	} else {
		printf("%d:", d->iommu_group);
		if (pcidev_iommu_members(c->sysfs, d, &members) >= 0)
			for (char **m = members; m && *m; m++)
				printf(" %s", *m);
		printf("\n");
	}
	if (engine_guard_facts(c->engine, &gf) == 0)
		guard_check(c->sysfs, gf, d, &g);
	printf("  Guards:          %s\n", g.n ? "" : "none");
	for (size_t i = 0; i < g.n; i++)
		printf("    %-9s %s\n", guard_name(g.hits[i].kind), g.hits[i].detail);

	printf("Rules (in order; for each key the last matching rule wins):\n");
	if (engine_eval(c->engine, d, o, &e) < 0)
		return;
	for (size_t i = 0; i < e.n_matched; i++) {
		printf("  [%s] %s:%d: ", e.matched[i]->name, e.matched[i]->file, e.matched[i]->line);
		print_rule_keys(e.matched[i]);
		printf("\n");
	}
	for (int k = 0; k < _PK_MAX; k++)
		if (e.cli_source[k]) {
			policy_format_value(&e, k, buf, sizeof(buf));
			printf("  %s on the command line: %s = %s\n", e.cli_source[k], policy_key_name(k),
			       buf);
		}
	if (!e.n_matched)
		printf("  no rule matches\n");
	printf("Settings:\n");
	for (int k = 0; k < _PK_MAX; k++) {
		policy_format_value(&e, k, buf, sizeof(buf));
		decide_source(&e, k, src, sizeof(src));
		printf("  %-13s %-15s %s\n", policy_key_name(k), buf, src);
	}
	policy_eval_done(&e);
	if (which != PLAN_RELEASE)
		print_verdict(c, d, o, PLAN_SEIZE);
	if (which != PLAN_SEIZE)
		print_verdict(c, d, o, PLAN_RELEASE);
}

/* pcibind explain DEVICE [seize|release] [-o ...]. Returns an exit code. */
int cmd_explain(struct pb_ctx *c, int argc, char **argv)
{
	static const struct option options[] = {
		{ "option", required_argument, NULL, 'o' },
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

	while ((opt = getopt_long(argc, argv, "o:h", options, NULL)) >= 0) {
		switch (opt) {
		case 'o':
			r = cmd_parse_o(optarg, &o);
			if (r != 0)
				return r;
			break;
		case 'h':
			printf("Usage: pcibind [OPTIONS] explain DEVICE [seize|release] [-o OPTION]\n\n"
			       "The facts pcibind sees (driver, reset methods and why, slot\n"
			       "functions, IOMMU group, safety guards), every policy rule that\n"
			       "matches with file:line and what it sets, and the verdict.\n");
			return PB_EXIT_OK;
		default:
			return cmd_option_error("explain", argv);
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
	r = cmd_load_policy(c, false, &p);
	if (r != PB_EXIT_OK)
		return r;
	r = cmd_load_guards(c, &gf);
	if (r != PB_EXIT_OK)
		return r;
	if (pciname_new(c->roots.pci_ids, &names) == 0) {
		describe_device(names, d, &dn);
		if (describe_line(d, &dn, line, sizeof(line)) == 0)
			printf("%s  %s\n", d->qubes, line);
	}
	explain_device(c, l, d, &o, which);
	return PB_EXIT_OK;
}

/* pcibind policy check: errors, rules that match nothing here, contradictions. */
int cmd_policy(struct pb_ctx *c, int argc, char **argv)
{
	_cleanup_(policy_freep) struct policy *p = NULL;
	const char *const *dirs = c->roots.policy_dirs[0] ? c->roots.policy_dirs
							  : policy_default_dirs;
	struct pcidev_list *l;
	size_t n_dirs = 0, warnings = 0;
	char a[64], b[512], s2[512];
	int r;

	if (argc != 2 || strcmp(argv[1], "check")) {
		if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			printf("Usage: pcibind [OPTIONS] policy check\n\n"
			       "Lint the policy: errors with file:line, rules that match no PCI\n"
			       "function here, settings that contradict each other. Exits 1 on\n"
			       "errors.\n");
			return PB_EXIT_OK;
		}
		return cmd_usage_error("policy takes one subcommand: check");
	}
	while (dirs[n_dirs])
		n_dirs++;
	r = policy_load(dirs, n_dirs, &p);
	if (r < 0)
		return log_error_errno(r, "cannot load the policy"), PB_EXIT_FAILURE;
	r = cmd_scan(c, &l);
	if (r != PB_EXIT_OK)
		return r;
	for (size_t i = 0; i < p->n_errors; i++) {
		if (p->errors[i].line > 0)
			printf("%s:%d: error: %s\n", p->errors[i].file, p->errors[i].line,
			       p->errors[i].message);
		else
			printf("%s: error: %s\n", p->errors[i].file, p->errors[i].message);
	}
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct policy_rule *rule = &p->rules[i];
		bool any = false;

		for (size_t k = 0; k < l->n && !any; k++)
			any = policy_match_device(rule, l, l->devs[k]);
		if (!any && rule->n_matches) {
			printf("%s:%d: warning: [%s] matches no PCI function here\n", rule->file,
			       rule->line, rule->name);
			warnings++;
		}
	}
	for (size_t k = 0; k < l->n; k++) {
		const struct pcidev *d = l->devs[k];
		struct policy_eval e;

		if (policy_eval(p, l, d, &e) < 0)
			continue;
		if (e.v.protect && (e.v.boot || e.v.hotplug)) {
			decide_source(&e, PK_PROTECT, b, sizeof(b));
			decide_source(&e, e.v.boot ? PK_BOOT : PK_HOTPLUG, s2, sizeof(s2));
			printf("%s: warning: protect = yes (%s) contradicts %s = yes (%s): it is "
			       "never seized\n",
			       d->bdf, b, e.v.boot ? "boot" : "hotplug", s2);
			warnings++;
		}
		if (e.v.expect_vendor >= 0 &&
		    (e.v.expect_vendor != d->vendor || e.v.expect_device != d->device)) {
			decide_source(&e, PK_EXPECT_ID, b, sizeof(b));
			snprintf(a, sizeof(a), "%04x:%04x", e.v.expect_vendor, e.v.expect_device);
			printf("%s: warning: %s expects %s here, but it is %04x:%04x: the rule will "
			       "refuse it\n",
			       d->bdf, b, a, d->vendor, d->device);
			warnings++;
		}
		policy_eval_done(&e);
	}
	printf("%zu file%s, %zu rule%s: %zu error%s, %zu warning%s\n", p->n_files,
	       p->n_files == 1 ? "" : "s", p->n_rules, p->n_rules == 1 ? "" : "s", p->n_errors,
	       p->n_errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s");
	return p->n_errors ? PB_EXIT_FAILURE : PB_EXIT_OK;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every command shares: usage errors in pcibind's voice and the device snapshot. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "guard.h"
#include "log.h"
#include "pcidev.h"
#include "plan.h"
#include "policy.h"
#include "proc.h"
#include "select.h"

/* Report a usage error once, with the way to help. Returns PB_EXIT_USAGE. */
int cmd_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("pcibind: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'pcibind --help'.\n", stderr);
	return PB_EXIT_USAGE;
}

/*
 * Report an option getopt refused (opterr is off, so getopt prints nothing
 * that carries the binary's path). Returns PB_EXIT_USAGE.
 */
int cmd_option_error(const char *cmd, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";

	if (optopt && arg[0] == '-' && arg[1] != '-' && strchr(arg + 1, optopt))
		fprintf(stderr, "pcibind: %s%sinvalid option '-%c', or it needs a value\n",
			cmd ? cmd : "", cmd ? ": " : "", optopt);
	else
		fprintf(stderr, "pcibind: %s%sinvalid option '%s', or it needs a value\n",
			cmd ? cmd : "", cmd ? ": " : "", arg);
	fprintf(stderr, "Try 'pcibind %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
	return PB_EXIT_USAGE;
}

/* Take a snapshot of the sysfs root; reports its own errors. Returns an exit code. */
int cmd_scan(struct pb_ctx *c, struct pcidev_list **ret)
{
	return cmd_scan_flags(c, 0, ret);
}

/* cmd_scan() with pcidev_scan()'s FLAGS (list reads less). Returns an exit code. */
int cmd_scan_flags(struct pb_ctx *c, unsigned int flags, struct pcidev_list **ret)
{
	int r = pcidev_scan(c->sysfs, flags, ret);

	if (r == -ENOENT || r == -ENOTDIR) {
		log_error("'%s' is not a sysfs root: it has no bus/pci/devices "
			  "(give the directory that holds bus/pci, e.g. --sysfs-root /sys)",
			  c->roots.sysfs_root);
		return PB_EXIT_USAGE;
	}
	if (r < 0) {
		log_error_errno(r, "cannot read the PCI devices under '%s'", c->roots.sysfs_root);
		return PB_EXIT_FAILURE;
	}
	return PB_EXIT_OK;
}

/*
 * Load the policy from --policy-dir (or the vendor and admin directories).
 * Problems are printed with file and line; a mutating command refuses to go
 * on (fail closed), a read command warns. Returns an exit code.
 */
int cmd_load_policy(struct pb_ctx *c, bool mutating, struct policy **ret)
{
	const char *const *dirs = c->roots.policy_dirs[0] ? c->roots.policy_dirs
							  : policy_default_dirs;
	struct policy *p;
	size_t n = 0;
	int r;

	while (dirs[n])
		n++;
	r = policy_load(dirs, n, &p);
	if (r < 0) {
		log_error_errno(r, "cannot load the policy");
		return PB_EXIT_FAILURE;
	}
	for (size_t i = 0; i < p->n_errors; i++) {
		const struct policy_diag *e = &p->errors[i];

		if (e->line > 0)
			log_full_errno(mutating ? LOG_ERR : LOG_WARNING, 0, "policy: %s:%d: %s",
				       e->file, e->line, e->message);
		else
			log_full_errno(mutating ? LOG_ERR : LOG_WARNING, 0, "policy: %s: %s",
				       e->file, e->message);
	}
	if (p->n_errors && mutating) {
		log_error("refusing to change anything while the policy has errors: fix the "
			  "file(s) above ('pcibind policy check' lists them)");
		policy_free(p);
		return PB_EXIT_REFUSED;
	}
	*ret = p;
	return PB_EXIT_OK;
}

/* Gather the safety guards' facts from sysfs and --proc-root. Returns an exit code. */
int cmd_load_guards(struct pb_ctx *c, struct guard_facts **ret)
{
	_cleanup_(proc_closep) struct proc *p = NULL;
	int r;

	r = proc_open(c->roots.proc_root, &p);
	if (r < 0) {
		log_error_errno(r, "cannot open the proc root '%s' (give the directory that holds "
				   "self/mountinfo and net/route, e.g. --proc-root /proc)",
				c->roots.proc_root);
		return PB_EXIT_USAGE;
	}
	r = guard_facts_load(c->sysfs, p, ret);
	if (r < 0) {
		log_error_errno(r, "cannot gather the safety guards' facts");
		return PB_EXIT_FAILURE;
	}
	return PB_EXIT_OK;
}

/*
 * Evaluate the policy for D, then apply the command line's one-off rules
 * (-o no-strict-reset, -o permissive, --driver) on top, marked as such.
 * Returns 0 or -ENOMEM.
 */
int cmd_eval(const struct policy *p, const struct pcidev_list *l, const struct pcidev *d,
	     const struct change_opts *o, struct policy_eval *ret)
{
	int r = policy_eval(p, l, d, ret);

	if (r < 0 || !o)
		return r;
	if (o->no_strict_reset) {
		ret->v.strict_reset = 0;
		ret->cli_source[PK_STRICT_RESET] = "-o no-strict-reset";
	}
	if (o->permissive) {
		ret->v.permissive = 1;
		ret->cli_source[PK_PERMISSIVE] = "-o permissive";
	}
	if (o->driver) {
		snprintf(ret->v.driver, sizeof(ret->v.driver), "%s", o->driver);
		ret->cli_source[PK_DRIVER] = "--driver";
	}
	return 0;
}

/*
 * Resolve TEXT to exactly one function of L, reporting an unknown device or
 * a selector that names none or several once. Returns an exit code.
 */
int cmd_resolve_device(struct pb_ctx *c, const struct pcidev_list *l, const char *text,
		       struct pcidev **ret)
{
	const char *why;
	int r = select_resolve_one(l, text, ret, &why);

	if (r == -ENODEV) {
		log_error("no PCI function '%s' under '%s' (see 'pcibind list')", text,
			  c->roots.sysfs_root);
		return PB_EXIT_USAGE;
	}
	if (r < 0)
		return cmd_usage_error("'%s' does not name one PCI function: %s (give an address "
				       "such as 0000:00:1d.0 or dom0:00_1d.0)",
				       text, why);
	return PB_EXIT_OK;
}

/*
 * "-o permissive", "-o no-strict-reset=true": the qvm-pci spellings, with the
 * policy's boolean words. permissive is for seize (and explain), not for
 * release. Returns 0, or PB_EXIT_USAGE after reporting.
 */
int cmd_parse_o(const char *arg, struct change_opts *o)
{
	char name[64];
	const char *value = strchr(arg, '=');
	size_t len = value ? (size_t)(value - arg) : strlen(arg);
	int on = 1;

	if (len >= sizeof(name))
		return cmd_usage_error("-o %s: unknown option", arg);
	memcpy(name, arg, len);
	name[len] = '\0';
	if (value) {
		on = policy_parse_bool(value + 1);
		if (on < 0)
			return cmd_usage_error("-o %s: '%s' is not a boolean (use true or false)",
					       name, value + 1);
	}
	if (!strcmp(name, "permissive") && o->op != PLAN_RELEASE)
		o->permissive = on;
	else if (!strcmp(name, "no-strict-reset"))
		o->no_strict_reset = on;
	else
		return cmd_usage_error("-o %s: unknown option (%s)", name,
				       o->op == PLAN_RELEASE ? "release takes no-strict-reset"
							     : "permissive or no-strict-reset");
	return 0;
}

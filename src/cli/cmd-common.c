/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every command shares: usage errors in pcibind's voice and the device snapshot. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "guard.h"
#include "holders.h"
#include "log.h"
#include "output.h"
#include "pcidev.h"
#include "plan.h"
#include "policy.h"
#include "select.h"
#include "util.h"

/* Report a usage error once, with the way to help. Returns PB_EXIT_USAGE. */
int cmd_usage_error(const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	/* the arguments are the user's words: written escaped (out_vfprintf()) */
	if (out_vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	log_remember_error(msg ? msg : fmt);
	fprintf(stderr, "pcibind: %s\nTry 'pcibind --help'.\n", msg ? msg : fmt);
	return PB_EXIT_USAGE;
}

const struct option cmd_global_options[] = {
	{ "sysfs-root", required_argument, NULL, OPT_SYSFS_ROOT },
	{ "modules-dir", required_argument, NULL, OPT_MODULES_DIR },
	{ "pci-ids", required_argument, NULL, OPT_PCI_IDS },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "probe-timeout", required_argument, NULL, OPT_PROBE_TIMEOUT },
	{ "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
	{ "policy-dir", required_argument, NULL, OPT_POLICY_DIR },
	{ "proc-root", required_argument, NULL, OPT_PROC_ROOT },
	{ "driverctl-dir", required_argument, NULL, OPT_DRIVERCTL_DIR },
	{ "json", no_argument, NULL, 'j' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{},
};

/* "--jsno": the closest long option of OPTIONS and the global ones, or NULL. */
static const char *closest_option(const char *arg, const struct option *options)
{
	const char *names[64];
	size_t n = 0, len;
	char word[64];

	if (strncmp(arg, "--", 2) != 0)
		return NULL;
	len = strcspn(arg + 2, "=");
	if (len >= sizeof(word))
		return NULL;
	memcpy(word, arg + 2, len);
	word[len] = '\0';
	for (const struct option *o = options; o && o->name && n < ELEMENTSOF(names); o++)
		names[n++] = o->name;
	for (const struct option *o = cmd_global_options; o->name && n < ELEMENTSOF(names); o++)
		names[n++] = o->name;
	for (size_t i = 0; i < n; i++)
		if (streq(names[i], word))
			return NULL; /* a known option that lacks its value */
	return util_closest(word, names, n);
}

/*
 * Report an option getopt refused (opterr is off, so getopt prints nothing
 * that carries the binary's path), with the closest of the command's
 * OPTIONS or the global ones when it looks like a typo. Returns
 * PB_EXIT_USAGE.
 */
int cmd_option_error(const char *cmd, char **argv, const struct option *options)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	const char *near = closest_option(arg, options);

	/*
	 * A short option: optopt names it, also inside a cluster ("-xy"), where
	 * optind still points at the cluster and argv[optind - 1] is something
	 * else (the command's name). A long option leaves optopt 0 or its value.
	 */
	char msg[512];

	if (optopt > 0 && optopt < 128 && isgraph(optopt))
		snprintf(msg, sizeof(msg), "%s%sinvalid option '-%c', or it needs a value",
			 cmd ? cmd : "", cmd ? ": " : "", optopt);
	else if (near)
		snprintf(msg, sizeof(msg), "%s%sinvalid option '%s'; did you mean '--%s'?",
			 cmd ? cmd : "", cmd ? ": " : "", arg, near);
	else
		snprintf(msg, sizeof(msg), "%s%sinvalid option '%s', or it needs a value",
			 cmd ? cmd : "", cmd ? ": " : "", arg);
	log_remember_error(msg);
	/* ARG is the user's: written escaped */
	out_printf(stderr, "pcibind: %s\n", msg);
	fprintf(stderr, "Try 'pcibind %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
	return PB_EXIT_USAGE;
}

/*
 * The options of a command that takes only --json and --help and no
 * arguments (doctor, status): HELP is printed for --help. Returns -1 to go
 * on, or the exit code to return.
 */
int cmd_json_only_options(struct pb_ctx *c, int argc, char **argv, const char *cmd,
			  const char *help)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "jh", options, NULL)) >= 0) {
		switch (opt) {
		case 'j':
			c->json = true;
			break;
		case 'h':
			fputs(help, stdout);
			return PB_EXIT_OK;
		default:
			return cmd_option_error(cmd, argv, options);
		}
	}
	if (optind < argc)
		return cmd_usage_error("%s takes no arguments", cmd);
	return -1;
}

/*
 * --driver ARG of seize and explain: a stub, in any spelling the kernel
 * command line takes (vfio_pci, xen-pciback, ...); *ret is its canonical
 * name. Returns 0, or PB_EXIT_USAGE (reported).
 */
int cmd_stub_option(const char *arg, const char **ret)
{
	static const char *const spellings[] = { "pciback",  "vfio-pci",    "pci-stub",
						  "vfio_pci", "pci_stub",    "xen-pciback",
						  "xen_pciback" };
	enum pcidev_stub s = pcidev_stub_from_spelling(arg);
	const char *near;

	if (s == PCIDEV_STUB_NONE) {
		near = util_closest(arg, spellings, ELEMENTSOF(spellings));
		return cmd_usage_error("--driver %s: not a stub (one of pciback, vfio-pci, "
				       "pci-stub)%s%s%s",
				       arg, near ? "; did you mean '" : "", near ? near : "",
				       near ? "'?" : "");
	}
	*ret = pcidev_stub_name(s);
	return 0;
}

/* An exit code for a snapshot's result R, reporting the error. */
static int scan_result(struct pb_ctx *c, int r)
{
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
 * The engine's snapshot of the sysfs root (taken once, owned by the
 * engine); reports its own errors. Returns an exit code.
 */
int cmd_scan(struct pb_ctx *c, struct pcidev_list **ret)
{
	return scan_result(c, engine_snapshot(c->engine, ret));
}

/*
 * A snapshot of its own with pcidev_scan()'s FLAGS (list reads less); the
 * caller frees it. Returns an exit code.
 */
int cmd_scan_flags(struct pb_ctx *c, unsigned int flags, struct pcidev_list **ret)
{
	return scan_result(c, pcidev_scan(c->sysfs, flags, ret));
}

/*
 * The engine's policy (its problems are logged by the engine as it loads
 * it, with file and line). A mutating command refuses to go on while one
 * is not about a single rule (fail closed); a broken rule is dropped, and
 * the engine refuses to change what it could name (policy_blocks()).
 * Returns an exit code.
 */
int cmd_load_policy(struct pb_ctx *c, bool mutating, const struct policy **ret)
{
	int r = engine_policy(c->engine, ret);

	if (r < 0) {
		log_error_errno(r, "cannot load the policy");
		return PB_EXIT_FAILURE;
	}
	for (size_t i = 0; mutating && i < (*ret)->n_errors; i++)
		if ((*ret)->errors[i].rule < 0) {
			log_error("refusing to change anything while the policy has an error "
				  "outside a rule: fix the file(s) above ('pcibind policy check' "
				  "lists them)");
			return PB_EXIT_POLICY;
		}
	return PB_EXIT_OK;
}

/* The engine's safety-guard facts (sysfs and --proc-root). Returns an exit code. */
int cmd_load_guards(struct pb_ctx *c, const struct guard_facts **ret)
{
	int r = engine_guard_facts(c->engine, ret);

	if (r == -ENOENT || r == -ENOTDIR) {
		log_error_errno(r, "cannot open the proc root '%s' (give the directory that holds "
				   "self/mountinfo and net/route, e.g. --proc-root /proc)",
				c->roots.proc_root);
		return PB_EXIT_USAGE;
	}
	if (r < 0) {
		log_error_errno(r, "cannot gather the safety guards' facts");
		return PB_EXIT_FAILURE;
	}
	return PB_EXIT_OK;
}

/* -v -v: what the engine loaded in this run (each once, for boot and udev too). */
void cmd_log_stats(struct pb_ctx *c)
{
	struct engine_stats st;

	if (!c->engine)
		return;
	engine_get_stats(c->engine, &st);
	log_debug("engine: %u snapshot, %u refresh, %u policy load, %u guard load, "
		  "%u journal open, %u module index load, %u /proc read for holders",
		  st.scans, st.refreshes, st.policy_loads, st.guard_loads, st.journal_opens,
		  st.kmod_loads, st.holder_scans);
}

/*
 * A selector that is a word but no class name ("usbb"): the closest class
 * name and all of them. Returns PB_EXIT_USAGE.
 */
int cmd_class_name_error(const char *text)
{
	char names[512], *save = NULL;
	const char *cands[64], *near;
	size_t n = 0;

	snprintf(names, sizeof(names), "%s", select_class_names());
	for (char *w = strtok_r(names, " ", &save); w && n < ELEMENTSOF(cands);
	     w = strtok_r(NULL, " ", &save))
		cands[n++] = w;
	near = util_closest(text, cands, n);
	return cmd_usage_error("'%s' is not a class name%s%s%s (class names: %s)", text,
			       near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "",
			       select_class_names());
}

/* TEXT matches several functions of L: name them (the first 8). Returns PB_EXIT_USAGE. */
static int ambiguous(const struct pcidev_list *l, const char *text)
{
	struct selector sel;
	const char *why;
	char buf[256] = "";
	size_t n = 0;

	if (select_parse(text, &sel, &why) == 0)
		for (size_t i = 0; i < l->n; i++) {
			if (!select_match(&sel, l->devs[i]))
				continue;
			if (n++ < 8)
				snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
					 n > 1 ? ", " : "", l->devs[i]->bdf);
		}
	return cmd_usage_error("'%s' matches %zu functions: %s%s; give one address", text, n,
			       buf, n > 8 ? ", ..." : "");
}

/*
 * Resolve TEXT to exactly one function of L (the engine's snapshot), and
 * read its details, reporting an unknown device or a selector that names
 * none or several once. Returns an exit code.
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
	if (r == -ENOENT)
		return cmd_class_name_error(text);
	if (r == -E2BIG)
		return ambiguous(l, text);
	if (r < 0)
		return cmd_usage_error("'%s' does not name one PCI function: %s (give an address "
				       "such as 0000:00:1d.0 or dom0:00_1d.0)",
				       text, why);
	/* its group's members are read where a decision or show needs them */
	r = engine_details_slot(c->engine, *ret);
	if (r < 0) {
		log_error_errno(r, "cannot read %s under '%s'", (*ret)->bdf, c->roots.sysfs_root);
		return PB_EXIT_FAILURE;
	}
	return PB_EXIT_OK;
}

/*
 * cmd_resolve_device() for a command that changes something (seize,
 * release): TEXT must be an address of one function (0000:00:1f.6,
 * 00:1f.6, dom0:00_1f.6 or a Qubes PCI path), as pcibind(8) says; a class
 * name, a wildcard or a slot is a usage error, even when it names one
 * function now. Read commands keep class names. Returns an exit code.
 */
int cmd_resolve_address(struct pb_ctx *c, const struct pcidev_list *l, const char *text,
			struct pcidev **ret)
{
	struct selector sel;
	const char *why;

	if (select_parse(text, &sel, &why) == 0 &&
	    (sel.n_hops > 1 || (sel.f.bus >= 0 && sel.f.slot >= 0 && sel.f.func >= 0 &&
				sel.f.device_class < 0 && sel.f.vendor < 0 && sel.f.device < 0)))
		return cmd_resolve_device(c, l, text, ret);
	return cmd_usage_error("'%s' is not the address of one PCI function: seize and release "
			       "take addresses only (give one such as 0000:00:1f.6, dom0:00_1f.6 "
			       "or a Qubes PCI path; 'pcibind list %s' shows what it names)",
			       text, text);
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
	else {
		static const char *const words[] = { "no-strict-reset", "permissive" };
		const char *near = util_closest(name, words, o->op == PLAN_RELEASE ? 1 : 2);

		if (near)
			return cmd_usage_error("-o %s: unknown option; did you mean '%s'?", name,
					       near);
		return cmd_usage_error("-o %s: unknown option (%s)", name,
				       o->op == PLAN_RELEASE ? "release takes no-strict-reset"
							     : "permissive or no-strict-reset");
	}
	return 0;
}

/*
 * S, a string pcibind did not write (a sysfs attribute, a file name, a
 * policy rule's name), escaped for the terminal by the output layer
 * (out_escape()), into BUF (SIZE bytes). Returns BUF, or "(null)" for NULL.
 */
const char *cmd_term(const char *s, char *buf, size_t size)
{
	_cleanup_free_ char *e = NULL;

	if (!s)
		return "(null)";
	e = out_escape(s, 0);
	snprintf(buf, size, "%s", e ? e : "?");
	return buf;
}

/*
 * What holds D ("Held by:", JSON "holders"): one line each in text, one
 * object each in JSON, the shape pcibind(8) documents. Process names are
 * the processes' own: holder_text() shows their control bytes as '?'.
 */
void cmd_out_holders(struct pb_ctx *c, struct out *o, const struct pcidev *d)
{
	struct holders h = { 0 };
	int r = engine_holders(c->engine, d, &h);

	if (r < 0) {
		out_stringf(o, "holders_error", "Held by:", "cannot tell: %s", strerror(-r));
		return;
	}
	out_begin_array(o, "holders", "Held by:");
	if (!h.n && !out_is_json(o))
		out_string(o, NULL, NULL, "nothing pcibind can see");
	for (size_t i = 0; i < h.n; i++) {
		const struct holder *x = &h.v[i];
		char text[512], comm[64];

		if (!out_is_json(o)) {
			(void)holder_text(x, text, sizeof(text));
			out_string(o, NULL, NULL, text);
			continue;
		}
		holders_clean(x->comm, comm, sizeof(comm));
		out_begin_object(o, NULL);
		out_string(o, "kind", NULL, holder_kind_name(x->kind));
		out_string(o, "address", NULL, x->bdf);
		out_string(o, "via", NULL, x->via[0] ? x->via : NULL);
		if (x->kind == HOLDER_PROCESS || (x->kind == HOLDER_UNREADABLE && x->pid)) {
			out_int(o, "pid", NULL, x->pid);
			out_string(o, "command", NULL, comm);
		} else {
			out_null(o, "pid", NULL, NULL);
			out_null(o, "command", NULL, NULL);
		}
		out_string(o, "node", NULL, x->node[0] ? x->node : NULL);
		out_string(o, "on", NULL, x->kind == HOLDER_STACK ? x->on : NULL);
		out_string(o, "driver", NULL,
			   x->kind == HOLDER_VF && x->on[0] ? x->on : NULL);
		out_string(o, "error", NULL, x->error ? strerror(-x->error) : NULL);
		out_end_object(o);
	}
	out_end_array(o);
	holders_done(&h);
}

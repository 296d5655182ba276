/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pcibind: global options, the command table and exit codes. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "log.h"
#include "output.h"
#include "macro.h"
#include "pcidev.h"
#include "proc.h"
#include "sysfs.h"
#include "trace.h"
#include "util.h"

#ifndef PCIBIND_VERSION
#define PCIBIND_VERSION "0.1"
#endif

static const struct command {
	const char *name;
	int (*fn)(struct pb_ctx *c, int argc, char **argv);
	const char *help;
	bool json;		/* it has JSON output; --json elsewhere is refused */
} commands[] = {
	{ "list", cmd_list, "[SELECTOR...] [-d ID]  list PCI functions, Qubes address first", true },
	{ "show", cmd_show, "DEVICE                 everything known about one function", true },
	{ "seize", cmd_seize, "DEVICE... [--driver D]  move functions to a passthrough stub", true },
	{ "release", cmd_release, "DEVICE...              return functions to their native drivers", true },
	{ "reattach", cmd_release, "DEVICE...              alias of release", true },
	{ "status", cmd_status, "                       what pcibind has seized, from where, since when", true },
	{ "recover", cmd_recover, "                       undo what a killed pcibind left unfinished", false },
	{ "boot", cmd_boot, "[--cmdline FILE]       seize what rd.pcibind.* on the kernel command line asks for", false },
	{ "explain", cmd_explain, "DEVICE [seize|release] the facts, rules and verdict behind a decision", true },
	{ "doctor", cmd_doctor, "                       is this host ready for passthrough? (read-only)", true },
	{ "policy", cmd_policy, "check                  lint the policy files", true },
	{ "vfs", cmd_vfs, "DEVICE N               set an SR-IOV PF's VF count, each VF where the policy says", false },
	{ "udev", cmd_udev, "[--dry-run]            seize a hot-plugged device the policy names (udev rule)", false },
};

/* "list, show, ..." from the table, for messages. */
static const char *command_names(void)
{
	static char buf[256];

	if (!buf[0])
		for (size_t i = 0; i < ELEMENTSOF(commands); i++)
			if (!streq(commands[i].name, "reattach"))
				snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
					 buf[0] ? ", " : "", commands[i].name);
	return buf;
}

static void help(void)
{
	printf("Usage: pcibind [OPTIONS] COMMAND [ARGS]\n"
	       "\n"
	       "Move PCI devices between their native drivers and a passthrough stub\n"
	       "(Xen pciback, vfio-pci, pci-stub), and list them as Qubes names them.\n"
	       "\n"
	       "Commands:\n");
	for (size_t i = 0; i < ELEMENTSOF(commands); i++)
		printf("  %-8s %s\n", commands[i].name, commands[i].help);
	printf("\n"
	       "Options:\n"
	       "  --sysfs-root DIR   sysfs to read and write (default /sys)\n"
	       "  --modules-dir DIR  kernel modules directory holding modules.alias.bin\n"
	       "                     (default: the running kernel's)\n"
	       "  --pci-ids FILE     pci.ids file for names (default: libpci's)\n"
	       "  --state-dir DIR    the journal of seized devices (default /run/pcibind)\n"
	       "  --probe-timeout MS how long to wait for a driver to bind (default 5000)\n"
	       "  --lock-timeout MS  how long to wait for another pcibind (default 10000)\n"
	       "  --policy-dir DIR   read policy *.conf from DIR instead of\n"
	       "                     /usr/lib/pcibind/policy.d and /etc/pcibind/policy.d\n"
	       "                     (repeatable: later directories replace same names)\n"
	       "  --proc-root DIR    /proc for the safety guards (default /proc)\n"
	       "  --driverctl-dir DIR  driverctl's saved overrides (default /etc/driverctl.d)\n"
	       "  -j, --json         print JSON instead of text\n"
	       "  -v, --verbose      say more on stderr\n"
	       "  -q, --quiet        print only errors on stderr\n"
	       "  -h, --help         show this help\n"
	       "  -V, --version      show the version\n"
	       "\n"
	       "DEVICE and SELECTOR take 0000:00:1d.0, 00:1d.0, dom0:00_1d.0, 00_1d.0,\n"
	       "lspci's slot syntax with wildcards (00:1d.*, :1d) and class names\n"
	       "(network, usb, storage, display, ...). See pcibind(8).\n");
}

static int parse_ms(const char *opt, const char *arg, int *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || end == arg || v < 0 || v > 600000)
		return cmd_usage_error("%s %s: expected milliseconds from 0 to 600000", opt, arg);
	*ret = (int)v;
	return 0;
}

/*
 * PCIBIND_TRACE=1: one stderr line per stage point, with the time since
 * main() and since the point before ("pcibind: trace: T ms +D ms POINT").
 * Microseconds in integers: printf's floating-point code would be the
 * first thing the trace itself costs (a TCG guest translates it anew in
 * every process).
 */
static long long trace_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static long long trace_t0, trace_last;

static void trace_print(const char *point, void *userdata _unused_)
{
	long long t = trace_now_us();
	char at[32], step[32];

	snprintf(at, sizeof(at), "%lld.%03lld", (t - trace_t0) / 1000, (t - trace_t0) % 1000);
	snprintf(step, sizeof(step), "+%lld.%03lld", (t - trace_last) / 1000,
		 (t - trace_last) % 1000);
	fprintf(stderr, "pcibind: trace: %9s ms %9s ms %s\n", at, step, point);
	trace_last = t;
}

static void trace_exit(void)
{
	trace_point("exit");
}

static void trace_start(void)
{
	const char *v = getenv("PCIBIND_TRACE");

	if (!v || !*v || !strcmp(v, "0"))
		return;
	trace_t0 = trace_last = trace_now_us();
	trace_set(trace_print, NULL);
	atexit(trace_exit);
	trace_point("main");
}

/* The engine's messages, through the CLI's logger (boot installs its own). */
static void log_engine(void *userdata, int priority, const char *msg)
{
	(void)userdata;
	log_full_errno(priority, 0, "%s", msg);
}

/*
 * One global option OPT (a cmd_global_options value) with its value ARG.
 * Returns -1 to go on, or the exit code to return (--help, --version, a bad
 * value).
 */
static int global_option(struct pb_ctx *c, size_t *n_policy_dirs, int opt, char *arg)
{
	switch (opt) {
	case OPT_SYSFS_ROOT:
		c->roots.sysfs_root = arg;
		break;
	case OPT_MODULES_DIR:
		c->roots.modules_dir = arg;
		break;
	case OPT_PCI_IDS:
		c->roots.pci_ids = arg;
		break;
	case OPT_STATE_DIR:
		c->roots.state_dir = arg;
		break;
	case OPT_POLICY_DIR:
		if (*n_policy_dirs + 1 >= ELEMENTSOF(c->roots.policy_dirs))
			return cmd_usage_error("--policy-dir: at most %zu directories",
					       ELEMENTSOF(c->roots.policy_dirs) - 1);
		c->roots.policy_dirs[(*n_policy_dirs)++] = arg;
		break;
	case OPT_PROC_ROOT:
		c->roots.proc_root = arg;
		break;
	case OPT_DRIVERCTL_DIR:
		c->roots.driverctl_dir = arg;
		break;
	case OPT_PROBE_TIMEOUT:
		if (parse_ms("--probe-timeout", arg, &c->probe_timeout_ms))
			return PB_EXIT_USAGE;
		break;
	case OPT_LOCK_TIMEOUT:
		if (parse_ms("--lock-timeout", arg, &c->lock_timeout_ms))
			return PB_EXIT_USAGE;
		break;
	case 'j':
		c->json = true;
		break;
	case 'v':
		log_set_max_level(log_get_max_level() < LOG_INFO ? LOG_INFO : LOG_DEBUG);
		break;
	case 'q':
		log_set_max_level(LOG_ERR);
		break;
	case 'h':
		help();
		return PB_EXIT_OK;
	case 'V':
		printf("pcibind %s\n", PCIBIND_VERSION);
		return PB_EXIT_OK;
	default:
		return PB_EXIT_USAGE;
	}
	return -1;
}

/*
 * The global options written after the command ("pcibind list --sysfs-root
 * X"), taken out of ARGV (from index 1, the command's name at 0) up to "--":
 * every long one but --help and --version (the command's own), -v and -q
 * (alone or clustered: no command has a -v or -q of its own), and --json/-j
 * only for a command that does not parse it itself (so it is refused with
 * the reason). Returns -1 to go on, or the exit code to return.
 */
static int global_options_after(struct pb_ctx *c, size_t *n_policy_dirs, bool cmd_json,
				int *argc, char **argv)
{
	int out = 1, i, r;

	for (i = 1; i < *argc; i++) {
		char *a = argv[i], *eq;
		const struct option *g = NULL;
		size_t len;

		if (streq(a, "--"))
			break;
		if (a[0] == '-' && a[1] && a[1] != '-' && strspn(a + 1, "vq") == strlen(a + 1)) {
			for (char *p = a + 1; *p; p++)
				(void)global_option(c, n_policy_dirs, *p, NULL);
			continue;
		}
		if (streq(a, "-j") && !cmd_json) {
			c->json = true;
			continue;
		}
		if (strncmp(a, "--", 2) != 0) {
			argv[out++] = a;
			continue;
		}
		eq = strchr(a, '=');
		len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		for (const struct option *o = cmd_global_options; o->name; o++)
			if (strlen(o->name) == len && !strncmp(a + 2, o->name, len))
				g = o;
		if (!g || g->val == 'h' || g->val == 'V' || (g->val == 'j' && cmd_json)) {
			argv[out++] = a;
			continue;
		}
		if (g->has_arg == no_argument) {
			if (eq)
				return cmd_usage_error("--%s takes no value", g->name);
			r = global_option(c, n_policy_dirs, g->val, NULL);
		} else if (eq) {
			r = global_option(c, n_policy_dirs, g->val, eq + 1);
		} else if (i + 1 < *argc) {
			r = global_option(c, n_policy_dirs, g->val, argv[++i]);
		} else {
			return cmd_usage_error("--%s needs a value", g->name);
		}
		if (r >= 0)
			return r;
	}
	for (; i < *argc; i++)
		argv[out++] = argv[i];
	argv[out] = NULL;
	*argc = out;
	return -1;
}

/* Everything main() does but the JSON error object; *RET_CMD is the command, once known. */
static int run(struct pb_ctx *cp, int argc, char **argv, const struct command **ret_cmd)
{
	_cleanup_(sysfs_closep) struct sysfs *sysfs = NULL;
	_cleanup_(engine_freep) struct engine *engine = NULL;
	struct pb_ctx *c = cp;
	const struct command *cmd = NULL;
	size_t n_policy_dirs = 0;
	int opt, r;

	trace_start();
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+jvqhV", cmd_global_options, NULL)) >= 0) {
		r = global_option(c, &n_policy_dirs, opt, optarg);
		if (r == PB_EXIT_USAGE && opt == '?')
			return cmd_option_error(NULL, argv, NULL);
		if (r >= 0)
			return r;
	}
	if (optind >= argc)
		return cmd_usage_error("no command given (one of: %s)", command_names());
	for (size_t i = 0; i < ELEMENTSOF(commands); i++)
		if (streq(argv[optind], commands[i].name))
			cmd = &commands[i];
	if (!cmd) {
		const char *names[ELEMENTSOF(commands)], *near;

		for (size_t i = 0; i < ELEMENTSOF(commands); i++)
			names[i] = commands[i].name;
		near = util_closest(argv[optind], names, ELEMENTSOF(names));
		if (near)
			return cmd_usage_error("unknown command '%s'; did you mean '%s'?",
					       argv[optind], near);
		return cmd_usage_error("unknown command '%s' (one of: %s)", argv[optind],
				       command_names());
	}
	*ret_cmd = cmd;
	argc -= optind;
	argv += optind;
	r = global_options_after(c, &n_policy_dirs, cmd->json, &argc, argv);
	if (r >= 0)
		return r;
	if (c->json && !cmd->json)
		return cmd_usage_error("--json: %s has no JSON output (it logs what it does, "
				       "one line each); drop --json",
				       cmd->name);

	r = sysfs_open(c->roots.sysfs_root, &sysfs);
	if (r < 0) {
		log_error_errno(r, "cannot open sysfs root '%s' (give the directory that holds "
				   "bus/pci, e.g. --sysfs-root /sys)",
				c->roots.sysfs_root);
		return PB_EXIT_USAGE;
	}
	c->sysfs = sysfs;
	r = engine_new(&c->roots, sysfs, &engine);
	if (r < 0)
		return log_error_errno(r, "cannot set up"), PB_EXIT_FAILURE;
	engine_set_log_fn(engine, log_engine, NULL);
	engine_set_timeouts(engine, c->probe_timeout_ms, c->lock_timeout_ms);
	/* every function's details up front: the tests compare it with the lazy snapshot */
	engine_set_full_snapshot(engine, streq_ptr(getenv("PCIBIND_SNAPSHOT"), "full"));
	/* test hook (docs/HACKING.md): stop after step N of a change */
	engine_set_stop_after_step(engine,
				   strtoul(getenv("PCIBIND_TEST_STOP_AFTER_STEP") ?: "0", NULL, 10));
	c->engine = engine;
	c->roots = *engine_roots(engine); /* with the engine's defaults filled in */

	/* Commands parse their own options from their name on. */
	optind = 0;
	return cmd->fn(c, argc, argv);
}

static const char *exit_kind(int r)
{
	switch (r) {
	case PB_EXIT_FAILURE:
		return "failure";
	case PB_EXIT_USAGE:
		return "usage";
	case PB_EXIT_REFUSED:
		return "refused";
	case PB_EXIT_ROLLED_BACK:
		return "rolled-back";
	case PB_EXIT_STRANDED:
		return "stranded";
	case PB_EXIT_POLICY:
		return "policy-error";
	case PB_EXIT_NOT_READY:
		return "not-ready";
	default:
		return "failure";
	}
}

int main(int argc, char **argv)
{
	struct pb_ctx c = {
		.roots.sysfs_root = sysfs_default_root,
		.roots.proc_root = proc_default_root,
		.probe_timeout_ms = 5000,
		.lock_timeout_ms = 10000,
	};
	const struct command *cmd = NULL;
	int r = run(&c, argc, argv, &cmd);

	/*
	 * Under --json a refusal or failure that printed no document still
	 * prints one on stdout: {"error": {...}} (the text stays on stderr).
	 */
	if (r != PB_EXIT_OK && c.json && (!cmd || cmd->json) && !out_json_written()) {
		_cleanup_(out_freep) struct out *o = out_new(true, stdout);

		if (o) {
			out_begin_object(o, "error");
			out_string(o, "kind", NULL, exit_kind(r));
			out_int(o, "exit_code", NULL, r);
			out_string(o, "message", NULL,
				   log_first_error()[0] ? log_first_error() : NULL);
			out_end_object(o);
			(void)out_finish(o);
		}
	}
	return r;
}

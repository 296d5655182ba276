/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What main() hands to every command, and the documented exit codes. */
#pragma once

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine.h"

struct sysfs;
struct pcidev_list;

/* Exit codes, documented in pcibind(8). */
enum {
	PB_EXIT_OK = 0,
	PB_EXIT_FAILURE = 1,	/* runtime failure: I/O, sysfs unreadable */
	PB_EXIT_USAGE = 2,	/* bad option, selector, device or root */
	PB_EXIT_REFUSED = 3,	/* refused by policy or a safety guard */
	PB_EXIT_ROLLED_BACK = 4, /* a change failed and was undone */
	PB_EXIT_STRANDED = 5,	/* a change failed and could not be undone */
	PB_EXIT_POLICY = 6,	/* the policy has an error (that could name the function) */
	PB_EXIT_NOT_READY = 7,	/* doctor: a check failed, the host is not ready */
};

/* The global options' values beyond their short letters (j v q h V). */
enum {
	OPT_SYSFS_ROOT = 0x100 + 1,
	OPT_MODULES_DIR,
	OPT_PCI_IDS,
	OPT_STATE_DIR,
	OPT_PROBE_TIMEOUT,
	OPT_LOCK_TIMEOUT,
	OPT_POLICY_DIR,
	OPT_PROC_ROOT,
	OPT_DRIVERCTL_DIR,
};

/* The global options: before the command, or anywhere after it. */
extern const struct option cmd_global_options[];

struct engine;
struct change;

struct pb_ctx {
	struct engine_roots roots;
	struct sysfs *sysfs;
	struct engine *engine;		/* the library's context: every command's one */
	bool json;
	int probe_timeout_ms;
	int lock_timeout_ms;
};

int cmd_change(struct pb_ctx *c, const struct change_opts *o, char **args, int nargs);
int cmd_change_exit(const struct change *ch);
void cmd_report_change(struct pb_ctx *c, const struct change *ch);
void cmd_release_origins(struct pb_ctx *c, const struct change *ch);
void cmd_release_rules(struct pb_ctx *c, const struct change_opts *o, const struct change *ch,
		       struct pcidev *const *devs, size_t n);
const char *cmd_initramfs_rebuild(void);
int cmd_begin(struct pb_ctx *c, bool dry_run);

struct policy;
struct guard_facts;
struct pcidev;
int cmd_load_policy(struct pb_ctx *c, bool mutating, const struct policy **ret);
int cmd_load_guards(struct pb_ctx *c, const struct guard_facts **ret);
void cmd_explain_short(struct pb_ctx *c, const struct pcidev *d);
struct out;
void cmd_out_holders(struct pb_ctx *c, struct out *o, const struct pcidev *d);
int cmd_explain(struct pb_ctx *c, int argc, char **argv);
int cmd_policy(struct pb_ctx *c, int argc, char **argv);
int cmd_udev(struct pb_ctx *c, int argc, char **argv);

int cmd_doctor(struct pb_ctx *c, int argc, char **argv);

int cmd_list(struct pb_ctx *c, int argc, char **argv);
int cmd_show(struct pb_ctx *c, int argc, char **argv);
int cmd_seize(struct pb_ctx *c, int argc, char **argv);
int cmd_release(struct pb_ctx *c, int argc, char **argv);
int cmd_status(struct pb_ctx *c, int argc, char **argv);
int cmd_recover(struct pb_ctx *c, int argc, char **argv);
int cmd_boot(struct pb_ctx *c, int argc, char **argv);
int cmd_vfs(struct pb_ctx *c, int argc, char **argv);
int cmd_policy_vfs(struct pb_ctx *c, struct pcidev *pf, const char *origin, bool dry_run,
		   bool *begun);

/* cmd-xen.c: Xen for the commands (nothing happens or prints unless dom0). */
struct xen;
int cmd_xen_open(struct pb_ctx *c, unsigned int flags, struct xen **ret);
bool cmd_xen_holder(struct xen *x, const struct pcidev *d, char *buf, size_t size);
void cmd_xen_status(struct pb_ctx *c);
bool cmd_xen_libxl(struct xen *x, const struct pcidev *d, struct engine_origin *ret);

int cmd_scan(struct pb_ctx *c, struct pcidev_list **ret);
void cmd_log_stats(struct pb_ctx *c);
int cmd_scan_flags(struct pb_ctx *c, unsigned int flags, struct pcidev_list **ret);
int cmd_resolve_device(struct pb_ctx *c, const struct pcidev_list *l, const char *text,
		       struct pcidev **ret);
int cmd_resolve_address(struct pb_ctx *c, const struct pcidev_list *l, const char *text,
			struct pcidev **ret);
int cmd_option_error(const char *cmd, char **argv, const struct option *options);
int cmd_class_name_error(const char *text);
const char *cmd_term(const char *s, char *buf, size_t size);
int cmd_stub_option(const char *arg, const char **ret);
int cmd_json_only_options(struct pb_ctx *c, int argc, char **argv, const char *cmd,
			  const char *help);
int cmd_parse_o(const char *arg, struct change_opts *o);
int cmd_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What main() hands to every command, and the documented exit codes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

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
};

/* Every external root is a parameter, never a global (see HACKING.md). */
struct pb_roots {
	const char *sysfs_root;
	const char *modules_dir;	/* NULL: the running kernel's */
	const char *pci_ids;		/* NULL: libpci's default */
	const char *state_dir;		/* the journal, default /run/pcibind */
	const char *proc_root;		/* for the safety guards, default /proc */
	const char *policy_dirs[8];	/* NULL-terminated; default policy_default_dirs */
};

struct pb_ctx {
	struct pb_roots roots;
	struct sysfs *sysfs;
	bool json;
	int probe_timeout_ms;
	int lock_timeout_ms;
};

/* A seize or release as the CLI, boot and udev ask for it. */
struct change_opts {
	int op;			/* PLAN_SEIZE or PLAN_RELEASE (plan.h) */
	const char *driver;	/* seize: the stub; NULL for the default */
	const char *origin;	/* cli, boot or udev: recorded in the journal */
	bool all_functions;
	bool no_strict_reset;
	bool permissive;
	bool dry_run;
	bool persistent;	/* write or remove a rule in the admin policy */
	bool keyboard_ok;	/* boot: named by address, so the keyboard guard yields */
	bool iommu_group;	/* --group: every endpoint of the IOMMU group moves */
};

int cmd_change(struct pb_ctx *c, const struct change_opts *o, char **args, int nargs);

/* A change session: the lock, snapshot, policy and guards, for many changes (boot). */
struct change_session;
int cmd_session_open(struct pb_ctx *c, bool dry_run, struct change_session **ret);
struct change_session *cmd_session_close(struct change_session *s);
static inline void cmd_session_closep(struct change_session **s)
{
	cmd_session_close(*s);
}
int cmd_change_in(struct pb_ctx *c, struct change_session *s, const struct change_opts *o,
		  char **args, int nargs);

struct policy;
struct guard_facts;
struct pcidev;
int cmd_load_policy(struct pb_ctx *c, bool mutating, struct policy **ret);
int cmd_load_guards(struct pb_ctx *c, struct guard_facts **ret);
struct policy_eval;
int cmd_eval(const struct policy *p, const struct pcidev_list *l, const struct pcidev *d,
	     const struct change_opts *o, struct policy_eval *ret);
void cmd_explain_short(struct pb_ctx *c, const struct pcidev_list *l, const struct policy *p,
		       const struct guard_facts *g, const struct pcidev *d);
int cmd_explain(struct pb_ctx *c, int argc, char **argv);
int cmd_policy(struct pb_ctx *c, int argc, char **argv);
int cmd_udev(struct pb_ctx *c, int argc, char **argv);

struct kmodq;
struct plan_variant;
int cmd_vfio_users(struct pb_ctx *c, const struct pcidev *d, char *buf, size_t size);
int cmd_vfio_refuse_in_use(struct pb_ctx *c, int op, struct pcidev *const *set, size_t n);
struct vfio_choice;
int cmd_vfio_variants(struct pb_ctx *c, struct kmodq *kq, struct pcidev *const *set, size_t n,
		      struct vfio_choice *choices, struct plan_variant *variants, size_t *ret_n);
int cmd_doctor(struct pb_ctx *c, int argc, char **argv);

int cmd_list(struct pb_ctx *c, int argc, char **argv);
int cmd_show(struct pb_ctx *c, int argc, char **argv);
int cmd_seize(struct pb_ctx *c, int argc, char **argv);
int cmd_release(struct pb_ctx *c, int argc, char **argv);
int cmd_status(struct pb_ctx *c, int argc, char **argv);
int cmd_recover(struct pb_ctx *c, int argc, char **argv);
int cmd_boot(struct pb_ctx *c, int argc, char **argv);

int cmd_scan(struct pb_ctx *c, struct pcidev_list **ret);
int cmd_scan_flags(struct pb_ctx *c, unsigned int flags, struct pcidev_list **ret);
int cmd_resolve_device(struct pb_ctx *c, const struct pcidev_list *l, const char *text,
		       struct pcidev **ret);
int cmd_option_error(const char *cmd, char **argv);
int cmd_parse_o(const char *arg, struct change_opts *o);
int cmd_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The change engine, libpcibind's front door: one context (the sysfs
 * gateway, libkmod, the journal, the policy, the guards' facts and the
 * snapshot, each loaded once and only when needed) with a log callback, and
 * a change as named stages:
 *
 *   engine_decide()   prepare (resolve, policy with the command line's
 *                     overrides, guards, grouping, native drivers) and plan
 *                     (pure): the one decision every command asks for;
 *   engine_execute()  journal the transaction, run it with verification,
 *                     undo on failure, commit the records;
 *   engine_finalize() --persistent, and let udev settle;
 *   engine_recover()  undo what a killed pcibind left.
 *
 * The library never prints: what happened is data in struct change, and the
 * caller maps it to words and exit codes. Functions return 0 or -errno.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "decide.h"
#include "holders.h"
#include "journal.h"
#include "plan.h"
#include "rebind.h"

struct sysfs;
struct pcidev;
struct pcidev_list;
struct policy;
struct policy_eval;
struct guard_facts;

/* Every external root is a parameter, never a global. */
struct engine_roots {
	const char *sysfs_root;
	const char *modules_dir;	/* NULL: the running kernel's */
	const char *pci_ids;		/* NULL: libpci's default */
	const char *state_dir;		/* the journal, default /run/pcibind */
	const char *proc_root;		/* for the safety guards, default /proc */
	const char *policy_dirs[8];	/* NULL-terminated; default policy_default_dirs */
	const char *driverctl_dir;	/* driverctl's saved overrides, default /etc/driverctl.d */
};

/* Receives every message of the engine, at syslog priorities; silent if unset. */
typedef void (*engine_log_fn)(void *userdata, int priority, const char *msg);

struct engine;

int engine_new(const struct engine_roots *roots, struct sysfs *s, struct engine **ret);
struct engine *engine_free(struct engine *e);
static inline void engine_freep(struct engine **e)
{
	engine_free(*e);
}
void engine_set_log_fn(struct engine *e, engine_log_fn fn, void *userdata);
void engine_set_timeouts(struct engine *e, int probe_timeout_ms, int lock_timeout_ms);
void engine_set_full_snapshot(struct engine *e, bool full);
void engine_set_origin(struct engine *e, const char *origin);
void engine_set_stop_after_step(struct engine *e, size_t n);
struct sysfs *engine_sysfs(const struct engine *e);
const struct engine_roots *engine_roots(const struct engine *e);

/* What the context has loaded so far (boot and udev: each once per run). */
struct engine_stats {
	unsigned int scans, refreshes, policy_loads, guard_loads, journal_opens, kmod_loads;
	unsigned int holder_scans;	/* /proc walks for who holds what */
};
void engine_get_stats(const struct engine *e, struct engine_stats *ret);

/* Loaded on first use, then kept. -ENOTDIR: the sysfs root has no bus/pci. */
int engine_snapshot(struct engine *e, struct pcidev_list **ret);
int engine_details(struct engine *e, struct pcidev *d);
int engine_details_slot(struct engine *e, struct pcidev *d);
int engine_details_shown(struct engine *e, struct pcidev *d);
int engine_policy(struct engine *e, const struct policy **ret);
int engine_guard_facts(struct engine *e, const struct guard_facts **ret);
/* The journal, locked for a mutating caller (-EWOULDBLOCK: another holds it). */
int engine_journal(struct engine *e, bool lock, struct journal **ret);
const char *engine_default_stub(const struct pcidev_list *l);

/* Read-only views for status and show. */
int engine_records(struct engine *e, struct journal_device **ret, size_t *ret_n);
struct engine_pending {
	char op[16], origin[16];
	long long started;
	size_t steps_done;
	char what[1024];		/* its functions, as they were before it */
	char file[PATH_MAX];		/* the transaction's file, also when it cannot be read */
};
int engine_pending(struct engine *e, struct engine_pending *ret);
int engine_record_file(struct engine *e, const char *bdf, char *buf, size_t size);
int engine_check_record(struct engine *e, const char *bdf, char *why, size_t size);

/* Who else put a function on a stub or set its driver_override. */
struct engine_origin {
	char who[16];		/* "driverctl", "libxl" (the CLI asks Xen) or "not recorded" */
	char file[4096];	/* driverctl: its saved override; "" otherwise */
	char driver[64];	/* driverctl: the driver it names ("" if unusable) */
};
int engine_foreign_origin(struct engine *e, const char *bdf, struct engine_origin *ret);
int engine_clear_stale(struct engine *e, char ***ret_cleared);
int engine_note(struct engine *e, const char *name, char **ret);
int engine_write_note(struct engine *e, const char *name, const char *text);
int engine_udev_event(char *bdf, size_t bdf_size, char *action, size_t action_size);
int engine_udev_problem(char *why, size_t size);
int engine_retire(struct engine *e, const char *bdf, char *why, size_t size);
bool engine_journal_names(struct engine *e, const char *bdf);
int engine_forget_old(struct engine *e, const char *bdf, char *note, size_t size);
int engine_pin(struct engine *e, const char *bdf, const char *stub);
int engine_native_modules(struct engine *e, const struct pcidev *d, char ***ret,
			  char ***ret_blacklisted);

/* A seize or release as the CLI, boot and udev ask for it. */
struct change_opts {
	int op;			/* PLAN_SEIZE or PLAN_RELEASE (plan.h) */
	const char *driver;	/* seize: the stub; NULL for the policy's or the default */
	const char *origin;	/* cli, boot or udev: recorded in the journal */
	bool all_functions;
	bool no_strict_reset;
	bool permissive;
	bool dry_run;
	bool persistent;	/* write or remove a rule in the admin policy */
	bool keyboard_ok;	/* boot: named by address, so the keyboard guard yields */
	bool to_none;		/* release: back to no driver, whatever its native one */
	bool iommu_group;	/* --group: every endpoint of the IOMMU group moves */
	bool ignore_unreadable;	/* --ignore-unreadable-holders: what cannot be read holds nothing */
	int vfs;		/* PLAN_VFS: the VF count to set */
};

/* How a change ended; the caller turns it into an exit code. */
enum change_outcome {
	CHANGE_PLANNED,		/* decided and planned, nothing written yet */
	CHANGE_REFUSED,		/* policy, a guard or the planner said no */
	CHANGE_NOTHING,		/* every function is where it should be */
	CHANGE_DONE,
	CHANGE_FAILED,		/* could not start or finish; nothing (else) changed */
	CHANGE_ROLLED_BACK,	/* a step failed; every function is back */
	CHANGE_STRANDED,	/* a step failed and the undo failed too */
	_CHANGE_OUTCOME_MAX,
};

/* One function the change considered: its verdict, and its driver before and after. */
struct change_function {
	const struct pcidev *dev;	/* in the engine's snapshot at decide time */
	char bdf[ADDR_BDF_MAX];
	struct verdict verdict;
	char before[JOURNAL_NAME_MAX];	/* driver, "" for none */
	char after[JOURNAL_NAME_MAX];
	bool gone;			/* execute: removed (unplugged) during the change */
};

/* One reason a change cannot go ahead, with its own fix. */
struct change_blocker {
	char bdf[ADDR_BDF_MAX];	/* the function, "" for the request */
	char kind[16];		/* policy, guard, grouping, viability, holder, xen, vfio, sriov, ... */
	char text[1024];
	char fix[512];		/* "" when the text says it */
};

struct change {
	struct change_opts opts;
	enum change_outcome outcome;
	int error;			/* -errno behind FAILED/ROLLED_BACK/STRANDED */
	char stub[JOURNAL_NAME_MAX];	/* seize: the stub chosen, and by what */
	char stub_source[160];
	char refused_bdf[ADDR_BDF_MAX];	/* REFUSED: the function, "" for the request */
	char reason[1024];		/* REFUSED: the first blocker; FAILED: what could not be done */
	struct change_blocker *blockers;	/* REFUSED: every reason, in the order found */
	size_t n_blockers;
	struct holders holders;		/* decide: what holds the functions that move */
	struct change_function *fns;	/* every function that moves (decide) */
	size_t n_fns;
	struct plan plan;
	struct rebind_failure failure;	/* ROLLED_BACK, STRANDED: the step and its cause */
	char undo_failure[1024];		/* STRANDED: why the undo failed */
	char persisted[4096];		/* finalize: the policy file --persistent changed */
	char pending[160];		/* dry run: an unfinished transaction a real run undoes */
	char drivers[2048];		/* seize to vfio: "Driver for BDF: why" lines */
	char skipped[512];		/* no-strict-reset: resets the kernel refused */
	char bus_reset[600];		/* release: one bus reset for a slot, or why not ("") */
	struct pcidev *vfs;		/* PLAN_VFS: the VFs it makes, as predicted */
	size_t n_vfs;
	char (*vf_stub)[JOURNAL_NAME_MAX];	/* PLAN_VFS: each VF's stub, "" = natively */
};

struct change *change_free(struct change *ch);
static inline void change_freep(struct change **ch)
{
	change_free(*ch);
}
const char *change_op_name(int op);

int engine_decide(struct engine *e, const struct change_opts *o, struct pcidev *const *devs,
		  size_t n, struct change **ret);
int engine_execute(struct engine *e, struct change *ch);
int engine_finalize(struct engine *e, struct change *ch);
int engine_unpersist(struct engine *e, const char *bdf, char *file, size_t size);

/* engine_recover() found nothing, undid a transaction, or could not. */
struct recovery {
	bool found;
	bool undone;
	char op[16], origin[16];
	long long started;
	size_t steps_done;
	char what[1024];		/* its functions, as they were */
	struct rebind_failure failure;
	int error;
	char refused[PATH_MAX + 512];	/* not undone: it is not about the devices there now */
	char held[1024];		/* not undone: a gate said no (who holds what, the fix) */
	char retired[1024];		/* functions taken out of it: gone, or a new device */
};
int engine_recover(struct engine *e, struct recovery *ret);
int engine_begin(struct engine *e, bool dry_run, struct recovery *rec);

/* The policy for D with the command line's one-off settings on top. */
int engine_eval(struct engine *e, const struct pcidev *d, const struct change_opts *o,
		struct policy_eval *ret);

/* VFIO: who holds a function open; pcibind doctor's report (doctor.h). */
struct doctor_report;
int engine_vfio_users(struct engine *e, const struct pcidev *d, char *buf, size_t size);

/* Who holds D (holders.h); /proc is read once per context. */
int engine_holders(struct engine *e, const struct pcidev *d, struct holders *out);
/* Adds a blocker to CH for each holder of the N functions of SET (seize, release, undo). */
int engine_holders_gate(struct engine *e, struct change *ch, struct pcidev *const *set,
			size_t n);
int engine_doctor(struct engine *e, struct doctor_report *rep);

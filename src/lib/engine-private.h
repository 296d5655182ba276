/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the engine's rooms share (engine.c, engine-decide.c, engine-holders.c,
 * engine-vfs.c, engine-execute.c, engine-recover.c): the context and the
 * helpers more than one stage calls. Only src/lib includes it; the commands
 * see engine.h (make check-layers).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "engine.h"
#include "journal.h"
#include "macro.h"
#include "rebind.h"

struct holders_index;
struct kmodq;
struct verdict;
struct xen;

struct engine {
	struct engine_roots roots;
	struct sysfs *s;
	engine_log_fn log_fn;
	void *log_data;
	int probe_timeout_ms, lock_timeout_ms;

	struct pcidev_list *l;
	char **stale; /* what a change moved, read again at the next engine_snapshot() */
	bool full_snapshot; /* every function's details up front, not on demand */
	size_t stop_after_step; /* test hook, 0: off */
	struct policy *pol;
	struct guard_facts *gf;
	struct journal *j;
	bool j_locked;
	bool j_absent;		/* an unlocked open found no state directory */
	struct kmodq *kq;
	bool kq_tried;
	struct xen *xen; /* opened by the first change: its origin decides xenstore */
	const char *origin; /* cli, boot or udev: the command this context serves */
	bool begun; /* engine_begin() locked the journal and recovered */
	char retire_at[ADDR_BDF_MAX]; /* udev add: what the journal says of it is old */
	struct holders_index *hix; /* every process's open files: read once, on first use */
	struct engine_stats stats;
};

/* engine.c: the log callback, and what the context loads once. */
_printf_(3, 4) void elog(struct engine *e, int priority, const char *fmt, ...);
struct kmodq *engine_kmod(struct engine *e);
void engine_refresh(struct engine *e, char *const *bdfs, size_t n);
int engine_refresh_later(struct engine *e, char *const *bdfs, size_t n);
struct xen *engine_xen(struct engine *e, const char *origin);

/* engine-decide.c: a change's blockers and failure, the trust gate, the xen holder. */
_printf_(5, 6) int block(struct change *ch, const char *bdf, const char *kind, const char *fix,
			 const char *fmt, ...);
_printf_(3, 4) int refuse(struct change *ch, const char *bdf, const char *fmt, ...);
_printf_(3, 4) int failed(struct change *ch, int error, const char *fmt, ...);
void judge_xen(struct engine *e, const struct change *ch, const struct pcidev *d,
	       struct verdict *v);
int engine_trust_gate(struct engine *e, struct change *ch, const struct policy *pol,
		      struct pcidev *const *set, size_t n);

/* engine-holders.c: engine_decide()'s holders gate. */
int engine_holders_gate_decide(struct engine *e, struct change *ch, struct pcidev *const *set,
			       size_t n);

/* engine-vfs.c: pcibind vfs, decided and committed. */
int engine_decide_vfs(struct engine *e, struct change *ch, struct pcidev *pf);
int vfs_commit(struct engine *e, struct journal *j, struct change *ch, const struct journal_txn *t);

/* engine-execute.c: what recovery shares with a change's execution. */
void records_strand(struct journal *j, const struct journal_txn *t);
void describe_txn(const struct journal_txn *t, char *buf, size_t size);
struct rebind engine_rebind_of(struct engine *e, struct journal *j);

/* engine-recover.c: the undo of a transaction. */
int undo_txn(struct engine *e, struct journal *j, struct journal_txn *t, struct rebind_failure *f);

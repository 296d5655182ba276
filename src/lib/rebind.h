/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Execution: follow a plan, verify every step by re-reading sysfs, put things back on failure. */
#pragma once

#include <stddef.h>

#include "plan.h"

struct sysfs;
struct kmodq;
struct journal;
struct journal_txn;
struct xen;

struct rebind {
	struct sysfs *s;
	struct kmodq *kmod;
	struct journal *j;		/* the transaction's step count is kept here */
	struct journal_txn *txn;
	int probe_timeout_ms;
	struct xen *xen;		/* Xen dom0: de-quarantine (NULL elsewhere) */
	/* What the caller should tell the user (syslog LEVEL); optional. */
	void (*note)(void *userdata, int level, const char *msg);
	void *userdata;
	char skipped[512];		/* optional resets the kernel refused ("" if none) */
	size_t stop_after_step;		/* test hook: SIGSTOP after this step (0: never) */
};

struct rebind_failure {
	size_t step;			/* 1-based index of the step that failed */
	int error;			/* the kernel's -errno, or -EPROTO: a check failed */
	struct step st;
	char cause[512];
};

int rebind_execute(struct rebind *rb, const struct plan *p, struct rebind_failure *f);
int rebind_restore(struct rebind *rb, const struct journal_txn *t, struct plan *done,
		   struct rebind_failure *f);

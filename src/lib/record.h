/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Journal records and transactions checked against the functions they name, before anyone acts. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "journal.h"

struct pcidev;
struct pcidev_list;

/* What a record's check found; the messages say the file and the fix. */
#define RECORD_WHY_MAX (PATH_MAX + 2 * JOURNAL_WHY_MAX)

void record_of_device(const struct pcidev_list *l, const struct pcidev *d,
		      struct journal_device *ret);
int record_check(struct journal *j, const struct pcidev_list *l, const char *bdf,
		 struct journal_device *ret, char *why, size_t size);
int record_check_txn(struct journal *j, const struct journal_txn *t,
		     const struct pcidev_list *l, char *why, size_t size);
int record_prune_txn(struct journal_txn *t, const struct pcidev_list *l,
		     const char *different_at, char ***ret_notes);
int record_sweep(struct journal *j, const struct pcidev_list *l, bool gone_only,
		 char ***ret_cleared);

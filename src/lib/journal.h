/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The journal: what pcibind seized and from where, and the transaction in flight. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

#define JOURNAL_NAME_MAX 64
/* A Qubes PCI path of any depth the kernel can build: 256 buses, 8 bytes a hop. */
#define JOURNAL_PATH_MAX 2064
/* The format of the records and transactions this pcibind writes and reads. */
#define JOURNAL_VERSION 1
/* Why a record cannot be used ("a symbolic link", "bad line 'id'", ...). */
#define JOURNAL_WHY_MAX 160

/* One function's state: a record of a seized device, or its state before a change. */
struct journal_device {
	char bdf[ADDR_BDF_MAX];
	unsigned int vendor, device;
	char path[JOURNAL_PATH_MAX];	/* its Qubes PCI path then; "" if unknown */
	char driver[JOURNAL_NAME_MAX];	/* record: its native driver; "" if none */
	char module[JOURNAL_NAME_MAX];	/* the module that registers that driver */
	char override[JOURNAL_NAME_MAX];	/* driver_override before ("" = none) */
	bool slot_listed;		/* in pciback's slots before */
	bool permissive;		/* in pciback's permissive list */
	char stub[JOURNAL_NAME_MAX];	/* record: the stub it sits on */
	char origin[16];		/* cli, boot or udev */
	long long since;		/* seconds since the epoch */
	bool stranded;			/* a failed change could not put it back */
	char bad[JOURNAL_WHY_MAX];	/* journal_list(): why the file is unusable; "" if fine */
	/* journal_list(): the file's name under devices/; bdf is "" when it is not a record's */
	char file[NAME_MAX + 1];
	bool newer;			/* journal_list(): written by a newer pcibind: keep it */
};

/* A transaction: every function it moves, as it was before, and its record then. */
struct journal_txn_device {
	struct journal_device before;
	bool had_record;
	struct journal_device record;
};

struct journal_txn {
	char op[16];			/* seize, release */
	char origin[16];
	long long started;
	size_t step;			/* steps done */
	size_t n;
	struct journal_txn_device *devs;
};

struct journal;

extern const char journal_default_dir[];

int journal_open(const char *dir, bool lock, int lock_timeout_ms, struct journal **ret);
struct journal *journal_close(struct journal *j);
static inline void journal_closep(struct journal **j)
{
	journal_close(*j);
}
const char *journal_dir(const struct journal *j);

int journal_get(struct journal *j, const char *bdf, struct journal_device *ret);
int journal_get_why(struct journal *j, const char *bdf, struct journal_device *ret, char *why,
		    size_t size);
int journal_record_path(const struct journal *j, const char *bdf, char *buf, size_t size);
int journal_txn_path(const struct journal *j, char *buf, size_t size);
int journal_check_device(const struct journal_device *rec, unsigned int vendor,
			 unsigned int device, const char *path, char *why, size_t size);
int journal_put(struct journal *j, const struct journal_device *d);
int journal_del(struct journal *j, const char *bdf);
int journal_list(struct journal *j, struct journal_device **ret, size_t *ret_n);

int journal_txn_write(struct journal *j, const struct journal_txn *t);
int journal_txn_read(struct journal *j, struct journal_txn *ret);
int journal_txn_end(struct journal *j);
void journal_txn_done(struct journal_txn *t);

int journal_write_note(struct journal *j, const char *name, const char *text);
int journal_read_note(struct journal *j, const char *name, char **ret);

int journal_parse_device(const char *text, struct journal_device *ret, const char **ret_error);
int journal_format_device(const struct journal_device *d, char *buf, size_t size);

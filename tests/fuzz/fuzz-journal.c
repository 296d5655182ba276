/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: the journal reader. The input is parsed as a device record
 * (journal_parse_device) and, written to the txn file of a private state
 * directory (under /dev/shm when there is one), read as a transaction
 * (journal_txn_read). Invariants beyond "no crash, no leak":
 *  - what the reader accepts, the writer writes back and the reader reads
 *    back the same (a record: journal_format_device, journal_put and
 *    journal_get; a transaction: journal_txn_write and journal_txn_read):
 *    a record pcibind itself wrote must never come back as corrupt;
 *  - every accepted record names a valid address and valid names;
 *  - a record is refused as bad or as a newer pcibind's, with the reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices.h"
#include "journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char state[64];
static struct journal *j;

static void cleanup(void)
{
	char path[128];

	journal_close(j);
	snprintf(path, sizeof(path), "%s/txn", state);
	unlink(path);
	snprintf(path, sizeof(path), "%s/devices", state);
	rmdir(path);
	rmdir(state);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[128];

	(void)argc;
	(void)argv;
	snprintf(state, sizeof(state), "%s", access("/dev/shm", W_OK) == 0
						 ? "/dev/shm/pcibind-fuzz.XXXXXX"
						 : "/tmp/pcibind-fuzz.XXXXXX");
	if (!mkdtemp(state))
		abort();
	snprintf(path, sizeof(path), "%s/devices", state);
	if (mkdir(path, 0700) < 0 || journal_open(state, false, 0, &j) < 0)
		abort();
	atexit(cleanup);
	return 0;
}

static void same_device(const struct journal_device *a, const struct journal_device *b)
{
	FZ_CHECK(strcmp(a->bdf, b->bdf) == 0);
	FZ_CHECK(a->vendor == b->vendor && a->device == b->device);
	FZ_CHECK(strcmp(a->driver, b->driver) == 0 && strcmp(a->module, b->module) == 0);
	FZ_CHECK(strcmp(a->override, b->override) == 0 && strcmp(a->stub, b->stub) == 0);
	FZ_CHECK(strcmp(a->origin, b->origin) == 0);
	FZ_CHECK(a->slot_listed == b->slot_listed && a->permissive == b->permissive);
	FZ_CHECK(a->since == b->since && a->stranded == b->stranded);
}

static void valid_device(const struct journal_device *d)
{
	struct pci_addr a;

	FZ_CHECK(addr_parse_bdf(d->bdf, &a) == 0);
	FZ_CHECK(strlen(d->driver) < JOURNAL_NAME_MAX && strlen(d->module) < JOURNAL_NAME_MAX);
	FZ_CHECK(strlen(d->stub) < JOURNAL_NAME_MAX && strlen(d->override) < JOURNAL_NAME_MAX);
	FZ_CHECK(strlen(d->origin) < sizeof(d->origin));
}

static void record(const char *s)
{
	struct journal_device d, back, got;
	const char *why = NULL;
	char buf[1024];
	int r;

	r = journal_parse_device(s, &d, &why);
	/* -EPROTONOSUPPORT: a newer pcibind's record, to be kept, not read */
	FZ_CHECK(r == 0 || ((r == -EBADMSG || r == -EPROTONOSUPPORT) && why));
	if (r < 0)
		return;
	valid_device(&d);
	FZ_CHECK(journal_format_device(&d, buf, sizeof(buf)) == 0);
	r = journal_parse_device(buf, &back, &why);
	if (r < 0)
		fprintf(stderr, "the record pcibind writes does not parse (%s):\n%s", why, buf);
	FZ_CHECK(r == 0);
	same_device(&d, &back);
	FZ_CHECK(journal_put(j, &d) == 0);
	r = journal_get(j, d.bdf, &got);
	FZ_CHECK(r == 0);
	same_device(&d, &got);
	FZ_CHECK(journal_del(j, d.bdf) == 0);
}

static void transaction(const char *s, size_t size)
{
	struct journal_txn t, back;
	char path[128];
	int fd, r;

	snprintf(path, sizeof(path), "%s/txn", state);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FZ_CHECK(fd >= 0);
	FZ_CHECK(write(fd, s, size) == (ssize_t)size);
	close(fd);
	r = journal_txn_read(j, &t);
	FZ_CHECK(r == 0 || r == -EBADMSG);
	if (r < 0)
		return;
	FZ_CHECK(strcmp(t.op, "seize") == 0 || strcmp(t.op, "release") == 0);
	for (size_t i = 0; i < t.n; i++) {
		valid_device(&t.devs[i].before);
		if (t.devs[i].had_record)
			FZ_CHECK(t.devs[i].record.bdf[0] == '\0' ||
				 addr_parse_bdf(t.devs[i].record.bdf, &(struct pci_addr){ 0 }) == 0);
	}
	r = journal_txn_write(j, &t);
	FZ_CHECK(r == 0 || r == -EFBIG);
	if (r == 0) {
		r = journal_txn_read(j, &back);
		if (r < 0)
			fprintf(stderr, "the transaction pcibind writes does not read back: %d\n", r);
		FZ_CHECK(r == 0);
		FZ_CHECK(strcmp(t.op, back.op) == 0 && strcmp(t.origin, back.origin) == 0);
		FZ_CHECK(t.started == back.started && t.step == back.step && t.n == back.n);
		for (size_t i = 0; i < t.n; i++) {
			same_device(&t.devs[i].before, &back.devs[i].before);
			FZ_CHECK(t.devs[i].had_record == back.devs[i].had_record);
			if (t.devs[i].had_record)
				same_device(&t.devs[i].record, &back.devs[i].record);
		}
		journal_txn_done(&back);
	}
	journal_txn_done(&t);
	FZ_CHECK(journal_txn_end(j) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size > 16384)
		return 0;
	s = fz_string(data, size);
	record(s);
	transaction(s, size);
	free(s);
	return 0;
}

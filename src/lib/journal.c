/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The journal under the state directory (default /run/pcibind, which
 * survives from the initramfs into the real root):
 *
 *   lock            flock()ed by every mutating command
 *   devices/BDF     one record per seized function: its native driver and
 *                   module, who seized it (cli, boot, udev) and since when
 *   txn             the transaction in flight: every function it moves, as it
 *                   was before, and the step reached; gone when it ends
 *
 * Files are "key=value" lines, written to a temporary file, fsync()ed and
 * renamed, the directory fsync()ed, so a reader sees the old or the new
 * file, never a torn one. One field is rewritten in place: the step count
 * of the transaction in flight (a fixed-width run of digits, fdatasync()ed),
 * as it advances after each step; the undo needs only the "before" lines,
 * which never change in place.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "journal.h"
#include "util.h"
#include "macro.h"
#include "sysfs.h"

const char journal_default_dir[] = "/run/pcibind";

#define JOURNAL_FILE_MAX 65536

struct journal {
	int dir_fd;
	int devices_fd;
	int lock_fd;
	char *dir;
	/* the transaction this process wrote last: its file, text and step's offset */
	int txn_fd;
	char *txn_text;
	size_t txn_step_off;
};

/* The width of the transaction's step count ("step=0000000003"): it is rewritten in place. */
#define TXN_STEP_WIDTH 10

static int check_dir(int fd, const char *what)
{
	struct stat st;

	(void)what;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	/* Only its owner (root, or the user running the tests) may change it. */
	if (st.st_uid != geteuid() || (st.st_mode & 022))
		return -EPERM;
	return 0;
}

static int open_subdir(int parent, const char *name, bool create, int *ret)
{
	int fd, r;

	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(parent, name, 0700) < 0 && errno != EEXIST)
			return -errno;
		fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return errno == ELOOP ? -ELOOP : -errno;
	r = check_dir(fd, name);
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret = fd;
	return 0;
}

static int take_lock(int fd, int timeout_ms)
{
	struct timespec pause = { 0, 20 * 1000 * 1000 };

	for (int waited = 0;; waited += 20) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		if (waited >= timeout_ms)
			return -EWOULDBLOCK;
		nanosleep(&pause, NULL);
	}
}

/*
 * Open the state directory DIR; with LOCK, create it (0700) if needed and
 * take its lock, waiting at most LOCK_TIMEOUT_MS; without, only read it
 * (-ENOENT if it does not exist). Refuses a directory that is a symlink
 * (-ELOOP), not owned by us or writable by group or others (-EPERM).
 * Returns 0, -EWOULDBLOCK when another pcibind holds the lock, or -errno.
 */
int journal_open(const char *dir, bool lock, int lock_timeout_ms, struct journal **ret)
{
	_cleanup_close_ int dfd = -1, devfd = -1, lfd = -1;
	struct journal *j;
	int r;

	/* the directory is there but for the first command after boot: mkdir() only then */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 && errno == ENOENT && lock) {
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return -errno;
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (dfd < 0)
		return errno == ELOOP || errno == ENOTDIR ? -ELOOP : -errno;
	r = check_dir(dfd, dir);
	if (r < 0)
		return r;
	r = open_subdir(dfd, "devices", lock, &devfd);
	if (r < 0)
		return r;
	if (lock) {
		lfd = openat(dfd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (lfd < 0)
			return -errno;
		r = take_lock(lfd, lock_timeout_ms);
		if (r < 0)
			return r;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->dir = strdup(dir);
	if (!j->dir) {
		free(j);
		return -ENOMEM;
	}
	j->dir_fd = TAKE_FD(dfd);
	j->devices_fd = TAKE_FD(devfd);
	j->lock_fd = TAKE_FD(lfd);
	j->txn_fd = -1;
	*ret = j;
	return 0;
}

/* Forget the transaction file this process wrote (it ended, or is written anew). */
static void txn_forget(struct journal *j)
{
	if (j->txn_fd >= 0)
		close(j->txn_fd);
	j->txn_fd = -1;
	j->txn_text = mfree(j->txn_text);
}

/* Release the lock and close; accepts NULL, returns NULL. */
struct journal *journal_close(struct journal *j)
{
	if (!j)
		return NULL;
	txn_forget(j);
	if (j->lock_fd >= 0)
		close(j->lock_fd);
	close(j->devices_fd);
	close(j->dir_fd);
	free(j->dir);
	free(j);
	return NULL;
}

const char *journal_dir(const struct journal *j)
{
	return j->dir;
}

/* Write NAME under DIR_FD (util.c; the directory fsync()ed through DIR_FD), owner only. */
static int write_atomic(int dir_fd, const char *name, const char *content)
{
	return util_write_atomic_at(dir_fd, name, content, 0600);
}

static void say(char *why, size_t size, const char *fmt, ...) _printf_(3, 4);
static void say(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (!why || !size)
		return;
	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
}

/*
 * A journal file: a regular file of ours, not writable by others, text
 * only. On failure, say why in WHY (may be NULL).
 */
static int read_file(int dir_fd, const char *name, char **ret, char *why, size_t wsize)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len;
	struct stat st;
	int r;

	fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r == -ELOOP)
			say(why, wsize, "it is a symbolic link");
		else if (r != -ENOENT)
			say(why, wsize, "cannot open it: %s", strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode)) {
		say(why, wsize, "it is not a regular file");
		return -EPERM;
	}
	if (st.st_uid != geteuid()) {
		say(why, wsize, "it is owned by uid %u, not by uid %u", (unsigned int)st.st_uid,
		    (unsigned int)geteuid());
		return -EPERM;
	}
	if (st.st_mode & 022) {
		say(why, wsize, "it is writable by group or others (mode %04o)",
		    (unsigned int)(st.st_mode & 07777));
		return -EPERM;
	}
	r = util_read_fd(fd, JOURNAL_FILE_MAX - 1, &buf, &len);
	if (r == -EFBIG)
		say(why, wsize, "it is larger than %d bytes", JOURNAL_FILE_MAX);
	if (r < 0)
		return r;
	if (memchr(buf, '\0', len)) {
		say(why, wsize, "it holds a NUL byte");
		return -EBADMSG;
	}
	*ret = TAKE_PTR(buf);
	return 0;
}

static int format_device(FILE *f, const struct journal_device *d)
{
	if (d->sriov && fprintf(f, "numvfs=%d\nsriov_autoprobe=%d\n", d->numvfs,
				d->sriov_autoprobe) < 0)
		return -EIO;
	return fprintf(f,
		       "bdf=%s\nid=%04x:%04x\npath=%s\ndriver=%s\nmodule=%s\noverride=%s\n"
		       "slot_listed=%d\npermissive=%d\nstub=%s\norigin=%s\nsince=%lld\n"
		       "stranded=%d\n",
		       d->bdf, d->vendor, d->device, d->path, d->driver, d->module, d->override,
		       d->slot_listed, d->permissive, d->stub, d->origin, d->since, d->stranded);
}

/* The record as the journal stores it. Returns 0 or -ENOSPC. */
int journal_format_device(const struct journal_device *d, char *buf, size_t size)
{
	FILE *f = fmemopen(buf, size, "w");

	if (!f)
		return -errno;
	fprintf(f, "# pcibind device record v%d\n", JOURNAL_VERSION);
	format_device(f, d);
	if (fclose(f) != 0 || strlen(buf) + 1 >= size)
		return -ENOSPC;
	return 0;
}

static int set_name(char *dst, const char *value, bool may_be_empty)
{
	if (!*value) {
		dst[0] = '\0';
		return may_be_empty ? 0 : -EBADMSG;
	}
	if (!sysfs_valid_name(value) || strlen(value) >= JOURNAL_NAME_MAX)
		return -EBADMSG;
	strcpy(dst, value);
	return 0;
}

static int set_bool(bool *dst, const char *value)
{
	if (streq(value, "0") || streq(value, "1")) {
		*dst = value[0] == '1';
		return 0;
	}
	return -EBADMSG;
}

/* Apply one "key=value" line to D. Returns 0, 1 for an unknown key, or -EBADMSG. */
static int device_key(struct journal_device *d, const char *key, const char *value)
{
	struct pci_addr a;
	char *end;

	if (streq(key, "bdf")) {
		if (addr_parse_bdf(value, &a) < 0)
			return -EBADMSG;
		addr_format_bdf(&a, d->bdf);
	} else if (streq(key, "id")) {
		const char *p = value;
		uint32_t v, dv;

		if (addr_parse_hex(&p, 4, 4, &v) < 0 || *p++ != ':' ||
		    addr_parse_hex(&p, 4, 4, &dv) < 0 || *p)
			return -EBADMSG;
		d->vendor = v;
		d->device = dv;
	} else if (streq(key, "path")) {
		/* a Qubes PCI path: [DDDD_]BB_SS.F, then -BB_SS.F per bridge */
		if (strlen(value) >= sizeof(d->path) || strspn(value, "0123456789abcdef_.-") !=
								  strlen(value))
			return -EBADMSG;
		strcpy(d->path, value);
	} else if (streq(key, "driver")) {
		return set_name(d->driver, value, true);
	} else if (streq(key, "module")) {
		return set_name(d->module, value, true);
	} else if (streq(key, "override")) {
		return set_name(d->override, value, true);
	} else if (streq(key, "stub")) {
		return set_name(d->stub, value, true);
	} else if (streq(key, "origin")) {
		if (!streq(value, "cli") && !streq(value, "boot") && !streq(value, "udev") &&
		    *value)
			return -EBADMSG;
		strcpy(d->origin, value);
	} else if (streq(key, "slot_listed")) {
		return set_bool(&d->slot_listed, value);
	} else if (streq(key, "permissive")) {
		return set_bool(&d->permissive, value);
	} else if (streq(key, "stranded")) {
		return set_bool(&d->stranded, value);
	} else if (streq(key, "numvfs") || streq(key, "sriov_autoprobe")) {
		long v;

		errno = 0;
		v = strtol(value, &end, 10);
		if (errno || *end || end == value || v < -1 || v > 65535)
			return -EBADMSG;
		if (key[0] == 'n') {
			if (v < 0)
				return -EBADMSG;
			d->sriov = true;
			d->numvfs = (int)v;
		} else {
			d->sriov_autoprobe = (int)v;
		}
	} else if (streq(key, "since")) {
		errno = 0;
		d->since = strtoll(value, &end, 10);
		if (errno || *end || end == value)
			return -EBADMSG;
	} else {
		return 1;
	}
	return 0;
}

/* Split the next line off *P into KEY and VALUE (in place). Returns false at the end. */
static bool next_line(char **p, char **key, char **value)
{
	char *line, *eq;

	while (**p) {
		line = *p;
		*p += strcspn(*p, "\n");
		if (**p)
			*(*p)++ = '\0';
		if (!*line || *line == '#')
			continue;
		eq = strchr(line, '=');
		*key = line;
		*value = eq ? eq + 1 : line + strlen(line);
		if (eq)
			*eq = '\0';
		return true;
	}
	return false;
}

/*
 * The format version a "# pcibind <WHAT> vN" header line at the start of
 * TEXT names; 0 if there is none (a record written by hand is read as ours).
 */
static unsigned long header_version(const char *text, const char *what)
{
	char prefix[64];
	const char *p;
	char *end;
	unsigned long v;

	snprintf(prefix, sizeof(prefix), "# pcibind %s v", what);
	if (strncmp(text, prefix, strlen(prefix)))
		return 0;
	p = text + strlen(prefix);
	if (*p < '0' || *p > '9')
		return 0;
	errno = 0;
	v = strtoul(p, &end, 10);
	if (errno || (*end && *end != '\n' && *end != ' '))
		return 0;
	return v;
}

/*
 * Parse a device record. Returns 0; -EBADMSG with the offending key in
 * *ret_error (static storage) for a bad or unknown line or a missing bdf;
 * or -EPROTONOSUPPORT for a record whose header says a newer pcibind wrote
 * it (*ret_error: "device record vN"): its lines may mean what this one
 * cannot know.
 */
int journal_parse_device(const char *text, struct journal_device *ret, const char **ret_error)
{
	static char bad[80];
	_cleanup_free_ char *copy = strdup(text);
	struct journal_device d = { 0 };
	char *p = copy, *key, *value;
	unsigned long version = header_version(text, "device record");
	bool id = false;

	if (!copy)
		return -ENOMEM;
	if (version > JOURNAL_VERSION) {
		snprintf(bad, sizeof(bad), "device record v%lu", version);
		*ret_error = bad;
		return -EPROTONOSUPPORT;
	}
	while (next_line(&p, &key, &value)) {
		if (device_key(&d, key, value) != 0) {
			snprintf(bad, sizeof(bad), "bad line '%.40s'", key);
			*ret_error = bad;
			return -EBADMSG;
		}
		id = id || streq(key, "id");
	}
	if (!d.bdf[0]) {
		*ret_error = "no bdf";
		return -EBADMSG;
	}
	/* without the ID, nothing could check that the record is about this device */
	if (!id) {
		*ret_error = "no id";
		return -EBADMSG;
	}
	*ret = d;
	return 0;
}

/*
 * The record of BDF. Returns 0, -ENOENT if there is none, or, for a file
 * that cannot be trusted or parsed, -ELOOP (a symlink), -EPERM (not a
 * regular file of ours), -EFBIG, -EBADMSG or -EPROTONOSUPPORT (a newer
 * pcibind's format: to be kept), with the reason in WHY (may be NULL): see
 * journal_record_path() for the file to name.
 */
int journal_get_why(struct journal *j, const char *bdf, struct journal_device *ret, char *why,
		    size_t size)
{
	_cleanup_free_ char *text = NULL;
	struct journal_device d;
	const char *e;
	int r;

	if (!sysfs_valid_name(bdf))
		return -EINVAL;
	r = read_file(j->devices_fd, bdf, &text, why, size);
	if (r < 0)
		return r;
	r = journal_parse_device(text, &d, &e);
	if (r == -EPROTONOSUPPORT) {
		say(why, size, "a newer pcibind wrote it (%s; this one reads v%d)", e,
		    JOURNAL_VERSION);
		return r;
	}
	if (r < 0) {
		say(why, size, "it is not a pcibind record (%s)", e);
		return r;
	}
	if (!streq(d.bdf, bdf)) {
		say(why, size, "it names another function (bdf=%s)", d.bdf);
		return -EBADMSG;
	}
	*ret = d;
	return 0;
}

/* journal_get_why() without the reason. */
int journal_get(struct journal *j, const char *bdf, struct journal_device *ret)
{
	return journal_get_why(j, bdf, ret, NULL, 0);
}

/* The file that holds BDF's record, for messages. Returns 0 or -ENAMETOOLONG. */
int journal_record_path(const struct journal *j, const char *bdf, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/devices/%s", j->dir, bdf);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* The transaction's file, for messages. Returns 0 or -ENAMETOOLONG. */
int journal_txn_path(const struct journal *j, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/txn", j->dir);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/*
 * Whether REC (a record, or a transaction's "before") is about the function
 * that is at its address now: ID VENDOR:DEVICE, at Qubes PCI path PATH
 * (NULL or "" when unknown; a record without a path is not checked on it).
 * Returns 0, or -ESTALE with what differs in WHY: a card swapped in the same
 * slot, or buses renumbered under the address, must not inherit the record.
 */
int journal_check_device(const struct journal_device *rec, unsigned int vendor,
			 unsigned int device, const char *path, char *why, size_t size)
{
	if (rec->vendor != vendor || rec->device != device) {
		say(why, size, "it was recorded for a %04x:%04x, and the function there is a %04x:%04x",
		    rec->vendor, rec->device, vendor, device);
		return -ESTALE;
	}
	if (rec->path[0] && path && path[0] && !streq(rec->path, path)) {
		say(why, size, "it was recorded at PCI path %s, and the function is at %s now",
		    rec->path, path);
		return -ESTALE;
	}
	return 0;
}

/* Store D's record atomically. Returns 0 or -errno. */
int journal_put(struct journal *j, const struct journal_device *d)
{
	char buf[1024 + JOURNAL_PATH_MAX];
	int r;

	if (!sysfs_valid_name(d->bdf))
		return -EINVAL;
	r = journal_format_device(d, buf, sizeof(buf));
	if (r < 0)
		return r;
	return write_atomic(j->devices_fd, d->bdf, buf);
}

/*
 * Remove the record file NAME (BDF, or a file journal_list() found under
 * another name); no record is not an error. Returns 0 or -errno.
 */
int journal_del(struct journal *j, const char *bdf)
{
	/* a name read from the directory: never a path */
	if (!*bdf || strchr(bdf, '/') || streq(bdf, ".") || streq(bdf, ".."))
		return -EINVAL;
	if (unlinkat(j->devices_fd, bdf, 0) < 0 && errno != ENOENT)
		return -errno;
	(void)fsync(j->devices_fd);
	return 0;
}

static int cmp_device(const void *a, const void *b)
{
	const struct journal_device *x = a, *y = b;
	int c = strcmp(x->bdf, y->bdf);

	return c ? c : strcmp(x->file, y->file);
}

/*
 * Every file under devices/ but dot files (temporary ones), sorted by
 * address. A file that cannot be trusted or parsed is returned with
 * stranded set, its driver empty and the reason in bad, so that it is
 * shown, not hidden; one a newer pcibind wrote also has newer set. A file
 * whose name is not a function's full address as addr_format_bdf() writes
 * it ("00:14.0", "0000:00:14.00") is no record: it comes with bdf "" and
 * is shown and removed under its own name (file), never as the address it
 * might mean. Returns 0 or -errno.
 */
int journal_list(struct journal *j, struct journal_device **ret, size_t *ret_n)
{
	_cleanup_free_ struct journal_device *v = NULL;
	size_t n = 0, alloc = 0;
	struct dirent *de;
	DIR *d;
	int fd, r = 0;

	fd = openat(j->devices_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		char canonical[ADDR_BDF_MAX] = "";
		struct pci_addr a;

		if (de->d_name[0] == '.')
			continue;
		if (addr_parse_bdf(de->d_name, &a) == 0)
			addr_format_bdf(&a, canonical);
		if (n == alloc) {
			size_t na = alloc ? alloc * 2 : 8;
			struct journal_device *nv = realloc(v, na * sizeof(*nv));

			if (!nv) {
				r = -ENOMEM;
				break;
			}
			v = nv;
			alloc = na;
		}
		if (!streq(canonical, de->d_name)) {
			v[n] = (struct journal_device){ .stranded = true };
			snprintf(v[n].file, sizeof(v[n].file), "%s", de->d_name);
			snprintf(v[n].bad, sizeof(v[n].bad),
				 "its name is not a record's (a record is named by the full "
				 "address of its function, as 0000:00:14.0)");
			n++;
			continue;
		}
		{
			char why[JOURNAL_WHY_MAX] = "";

			r = journal_get_why(j, de->d_name, &v[n], why, sizeof(why));
			if (r == -ENOENT) {
				r = 0;
				continue; /* removed since readdir() */
			}
			if (r < 0) {
				v[n] = (struct journal_device){ .stranded = true,
								.newer = r == -EPROTONOSUPPORT };
				strcpy(v[n].bdf, canonical);
				snprintf(v[n].bad, sizeof(v[n].bad), "%s",
					 why[0] ? why : strerror(-r));
				r = 0;
			}
			snprintf(v[n].file, sizeof(v[n].file), "%s", de->d_name);
		}
		n++;
	}
	closedir(d);
	if (r < 0)
		return r;
	if (n)
		qsort(v, n, sizeof(*v), cmp_device);
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

/* ---- transactions ------------------------------------------------------- */

/* Record the transaction in flight (again after every step). Returns 0 or -errno. */
int journal_txn_write(struct journal *j, const struct journal_txn *t)
{
	_cleanup_free_ char *buf = NULL;
	size_t size = 0, step_off;
	FILE *f;
	int r, fd;

	f = open_memstream(&buf, &size);
	if (!f)
		return -errno;
	fprintf(f, "# pcibind transaction v1\nop=%s\norigin=%s\nstarted=%lld\nstep=", t->op,
		t->origin, t->started);
	step_off = (size_t)ftell(f);
	fprintf(f, "%0*zu\n", TXN_STEP_WIDTH, t->step);
	for (size_t i = 0; i < t->n; i++) {
		fputs("[before]\n", f);
		format_device(f, &t->devs[i].before);
		if (t->devs[i].had_record) {
			fputs("[record]\n", f);
			format_device(f, &t->devs[i].record);
		}
	}
	r = fclose(f) == 0 ? 0 : -errno;
	if (r < 0)
		return r;
	if (size > JOURNAL_FILE_MAX)
		return -EFBIG;
	/*
	 * The same transaction one step on: only its step count differs from
	 * the file this process wrote, so only that is written, in place.
	 */
	if (j->txn_fd >= 0 && j->txn_step_off == step_off && strlen(j->txn_text) == size &&
	    !memcmp(buf, j->txn_text, step_off) &&
	    !strcmp(buf + step_off + TXN_STEP_WIDTH, j->txn_text + step_off + TXN_STEP_WIDTH)) {
		ssize_t n = pwrite(j->txn_fd, buf + step_off, TXN_STEP_WIDTH, (off_t)step_off);

		if (n == TXN_STEP_WIDTH && fdatasync(j->txn_fd) == 0) {
			memcpy(j->txn_text + step_off, buf + step_off, TXN_STEP_WIDTH);
			return 0;
		}
		/* whatever went wrong, the whole file again */
	}
	txn_forget(j);
	r = util_write_atomic_keep(j->dir_fd, "txn", buf, 0600, &fd);
	if (r < 0)
		return r;
	j->txn_fd = fd;
	j->txn_text = TAKE_PTR(buf);
	j->txn_step_off = step_off;
	return 0;
}

/* Free what journal_txn_read() allocated. */
void journal_txn_done(struct journal_txn *t)
{
	free(t->devs);
	*t = (struct journal_txn){ 0 };
}

/*
 * Read the transaction in flight. Returns 0, -ENOENT when there is none,
 * -EBADMSG when it is corrupt.
 */
int journal_txn_read(struct journal *j, struct journal_txn *ret)
{
	_cleanup_free_ char *text = NULL;
	struct journal_txn t = { 0 };
	struct journal_device *cur = NULL;
	char *p, *key, *value, *end;
	int r;

	r = read_file(j->dir_fd, "txn", &text, NULL, 0);
	if (r < 0)
		return r;
	p = text;
	while (next_line(&p, &key, &value)) {
		if (streq(key, "[before]") || streq(key, "[record]")) {
			if (key[1] == 'b') {
				struct journal_txn_device *nv =
					realloc(t.devs, (t.n + 1) * sizeof(*nv));

				if (!nv) {
					r = -ENOMEM;
					goto out_free;
				}
				t.devs = nv;
				t.devs[t.n] = (struct journal_txn_device){ 0 };
				cur = &t.devs[t.n++].before;
			} else {
				if (!t.n || t.devs[t.n - 1].had_record) {
					r = -EBADMSG;
					goto out_free;
				}
				t.devs[t.n - 1].had_record = true;
				cur = &t.devs[t.n - 1].record;
			}
			continue;
		}
		if (cur) {
			if (device_key(cur, key, value) != 0) {
				r = -EBADMSG;
				goto out_free;
			}
		} else if (streq(key, "op") && (streq(value, "seize") || streq(value, "release") ||
						streq(value, "vfs"))) {
			strcpy(t.op, value);
		} else if (streq(key, "origin") && strlen(value) < sizeof(t.origin)) {
			strcpy(t.origin, value);
		} else if (streq(key, "started") || streq(key, "step")) {
			long long v;

			errno = 0;
			v = strtoll(value, &end, 10);
			if (errno || *end || end == value || v < 0) {
				r = -EBADMSG;
				goto out_free;
			}
			if (key[1] == 't' && key[2] == 'a')
				t.started = v;
			else
				t.step = (size_t)v;
		} else {
			r = -EBADMSG;
			goto out_free;
		}
	}
	/* Every function named, and its record (if any) about the same function. */
	for (size_t i = 0; i < t.n; i++)
		if (!t.devs[i].before.bdf[0] ||
		    (t.devs[i].had_record && !streq(t.devs[i].record.bdf, t.devs[i].before.bdf))) {
			r = -EBADMSG;
			goto out_free;
		}
	if (!t.op[0]) {
		r = -EBADMSG;
		goto out_free;
	}
	*ret = t;
	return 0;

out_free:
	journal_txn_done(&t);
	return r;
}

/* The transaction is over: remove it. Returns 0 or -errno. */
int journal_txn_end(struct journal *j)
{
	txn_forget(j);
	if (unlinkat(j->dir_fd, "txn", 0) < 0 && errno != ENOENT)
		return -errno;
	(void)fsync(j->dir_fd);
	return 0;
}

/*
 * A note beside the records (e.g. "boot-policy": the digest of the policy
 * boot read). NAME must be a plain name. Written atomically. Returns 0 or
 * -errno.
 */
int journal_write_note(struct journal *j, const char *name, const char *text)
{
	if (!sysfs_valid_name(name) || !strcmp(name, "txn") || !strcmp(name, "lock") ||
	    !strcmp(name, "devices"))
		return -EINVAL;
	return write_atomic(j->dir_fd, name, text);
}

/* Read a note. Returns 0, -ENOENT, or -errno. */
int journal_read_note(struct journal *j, const char *name, char **ret)
{
	if (!sysfs_valid_name(name))
		return -EINVAL;
	return read_file(j->dir_fd, name, ret, NULL, 0);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pcibind status: what pcibind has seized, from where, since when, and from which driver. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "engine.h"
#include "log.h"
#include "output.h"
#include "policy.h"
#include "sysfs.h"
#include "pcidev.h"
#include "plan.h"
#include "xen.h"

static void format_time(long long t, char *buf, size_t size)
{
	time_t ts = (time_t)t;
	struct tm tm;

	if (!t || !gmtime_r(&ts, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, size, "unknown");
}

/* What the record says against what is at its address now. */
enum record_state {
	REC_SEIZED,	/* on its stub */
	REC_OFF_STUB,	/* the function is there, not on the stub recorded */
	REC_GONE,	/* no function at that address */
	REC_MISMATCH,	/* another device at that address */
	REC_UNUSABLE,	/* the file cannot be trusted or parsed */
};

static const char *const state_names[] = {
	[REC_SEIZED] = "seized",   [REC_OFF_STUB] = "off-stub",	  [REC_GONE] = "gone",
	[REC_MISMATCH] = "mismatch", [REC_UNUSABLE] = "unusable",
};

static enum record_state check_record(struct pb_ctx *c, const struct journal_device *d,
				      const char *now, char *why, size_t size)
{
	int r;

	if (d->bad[0]) {
		snprintf(why, size, "%s", d->bad);
		return REC_UNUSABLE;
	}
	r = engine_check_record(c->engine, d->bdf, why, size);
	if (r == -ENODEV)
		return REC_GONE;
	if (r == -ESTALE)
		return REC_MISMATCH;
	why[0] = '\0';
	if (d->stub[0] && !streq(now, d->stub))
		return REC_OFF_STUB;
	return REC_SEIZED;
}

/* "in use by pid 412 (qemu-system-x86)" for a function a process holds through VFIO. */
static void in_use(struct pb_ctx *c, const char *bdf, const char *now, char *buf, size_t size)
{
	struct pcidev_list *l;
	const struct pcidev *d;

	buf[0] = '\0';
	if (!pcidev_is_vfio_driver(now) &&
	    !sysfs_exists(c->sysfs, "bus/pci/devices/%s/vfio-dev", bdf))
		return;
	if (engine_snapshot(c->engine, &l) < 0)
		return;
	d = pcidev_find_bdf(l, bdf);
	if (d)
		(void)engine_vfio_users(c->engine, d, buf, size);
}

/* On a dom0, for a function on pciback: which guest holds it (cmd_xen_holder()), else "". */
static void xen_guest(struct pb_ctx *c, struct xen *x, const char *bdf, char *buf, size_t size)
{
	struct pcidev_list *l;
	const struct pcidev *d;

	buf[0] = '\0';
	if (!x || engine_snapshot(c->engine, &l) < 0)
		return;
	d = pcidev_find_bdf(l, bdf);
	if (!d || !cmd_xen_holder(x, d, buf, size))
		buf[0] = '\0';
}

static void status_device(struct out *o, struct pb_ctx *c, struct xen *x,
			  const struct journal_device *d)
{
	char now[NAME_MAX + 1] = "", since[32], why[PATH_MAX + 512] = "", file[PATH_MAX] = "";
	char users[512] = "", guest[300];
	struct pci_addr a;
	char qubes[ADDR_QUBES_MAX] = "";
	enum record_state st;

	if (addr_parse_bdf(d->bdf, &a) == 0)
		addr_format_qubes(&a, qubes);
	/* a file not named as a record is shown under its own name, as it is */
	(void)engine_record_file(c->engine, d->bdf[0] ? d->bdf : d->file, file, sizeof(file));
	if (d->bdf[0]) {
		(void)sysfs_read_link_name(c->sysfs, now, sizeof(now), "bus/pci/devices/%s/driver",
					   d->bdf);
		in_use(c, d->bdf, now, users, sizeof(users));
	}
	format_time(d->since, since, sizeof(since));
	st = check_record(c, d, now, why, sizeof(why));
	if (!out_is_json(o)) {
		bool off = d->stub[0] && !streq(now, d->stub);

		if (st == REC_UNUSABLE && d->newer) {
			out_printf(stdout,
				   "%s  %s  RECORD OF A NEWER PCIBIND %s: %s; this pcibind will "
				   "neither act on it nor remove it: use the newer pcibind\n",
				   qubes, d->bdf, file, why);
			return;
		}
		if (st == REC_UNUSABLE) {
			out_printf(stdout,
				   "%s  %s  UNUSABLE RECORD %s: %s; pcibind will not act on it: "
				   "remove it (pcibind recover clears it)\n",
				   d->bdf[0] ? qubes : "-", d->bdf[0] ? d->bdf : d->file, file,
				   why);
			return;
		}
		/* off its stub: "on no driver (recorded: vfio-pci)" */
		out_printf(stdout,
			   "%s  %s  on %s%s%s%s  native %s%s%s%s  origin %s  since %s%s%s%s\n",
			   qubes, d->bdf, now[0] ? now : "no driver", off ? " (recorded: " : "",
			   off ? d->stub : "", off ? ")" : "",
			   d->driver[0] ? d->driver : "unknown (libkmod decides at release)",
			   d->module[0] ? " (module " : "", d->module, d->module[0] ? ")" : "",
			   d->origin[0] ? d->origin : "unknown", since,
			   d->stranded ? "  STRANDED: see pcibind(8)" : "",
			   users[0] ? "  in use by " : "", users);
		if (st == REC_GONE)
			out_printf(stdout, "    GONE: %s\n", why);
		else if (st == REC_MISMATCH)
			out_printf(stdout, "    NOT THIS DEVICE: %s\n", why);
		return;
	}
	out_begin_object(o, NULL);
	out_string(o, "address", NULL, d->bdf[0] ? d->bdf : NULL);
	out_string(o, "qubes_address", NULL, qubes[0] ? qubes : NULL);
	out_string(o, "state", NULL, state_names[st]);
	out_string(o, "problem", NULL, why[0] ? why : NULL);
	out_string(o, "record_file", NULL, file[0] ? file : NULL);
	out_string(o, "stub_driver", NULL, d->stub[0] ? d->stub : NULL);
	out_string(o, "driver", NULL, now[0] ? now : NULL);
	out_string(o, "native_driver", NULL, d->driver[0] ? d->driver : NULL);
	out_string(o, "native_module", NULL, d->module[0] ? d->module : NULL);
	out_string(o, "origin", NULL, d->origin[0] ? d->origin : NULL);
	out_string(o, "since", NULL, d->since ? since : NULL);
	out_bool(o, "stranded", NULL, d->stranded);
	if (users[0])
		out_stringf(o, "in_use", NULL, "in use by %s", users);
	else
		out_null(o, "in_use", NULL, NULL);
	/* what the text's Xen section says of it (null off a dom0 or off pciback) */
	xen_guest(c, x, d->bdf, guest, sizeof(guest));
	out_string(o, "xen_guest", NULL, guest[0] ? guest : NULL);
	out_end_object(o);
}

/* Whether the journal has a record of BDF. */
static bool recorded(const struct journal_device *devs, size_t n, const char *bdf)
{
	for (size_t i = 0; i < n; i++)
		if (streq(devs[i].bdf, bdf))
			return true;
	return false;
}

/*
 * Who put D on its stub, pcibind having no record: driverctl's saved
 * override, else libxl's xenstore record (X: a dom0's, may be NULL), else
 * "not recorded".
 */
static void origin_of(struct pb_ctx *c, struct xen *x, const struct pcidev *d,
		      struct engine_origin *ret)
{
	if (engine_foreign_origin(c->engine, d->bdf, ret) < 0)
		*ret = (struct engine_origin){ .who = "not recorded" };
	if (streq(ret->who, "not recorded") && d->stub == PCIDEV_STUB_PCIBACK)
		(void)cmd_xen_libxl(x, d, ret);
}

/*
 * Every function on a stub or with a driver_override that pcibind has no
 * record of (driverctl, libvirt, a script, xl pci-assignable-add put it
 * there), with who did if it left a record. Returns an exit code.
 */
static int status_others(struct out *o, struct pb_ctx *c, struct xen *x,
			 const struct journal_device *devs, size_t n)
{
	_cleanup_(pcidev_list_freep) struct pcidev_list *l = NULL;
	bool header = false;
	char guest[300], t1[256], t2[256], t3[4096];
	int r;

	r = cmd_scan_flags(c, PCIDEV_SCAN_BASIC | PCIDEV_SCAN_OVERRIDE, &l);
	if (r != PB_EXIT_OK)
		return r;
	if (out_is_json(o))
		out_begin_array(o, "others", NULL);
	for (size_t i = 0; i < l->n; i++) {
		const struct pcidev *d = l->devs[i];
		struct engine_origin from;

		if ((d->stub == PCIDEV_STUB_NONE && !d->driver_override) ||
		    recorded(devs, n, d->bdf))
			continue;
		origin_of(c, x, d, &from);
		if (out_is_json(o)) {
			out_begin_object(o, NULL);
			out_string(o, "address", NULL, d->bdf);
			out_string(o, "qubes_address", NULL, d->qubes);
			out_string(o, "driver", NULL, d->driver);
			out_string(o, "driver_override", NULL, d->driver_override);
			out_bool(o, "stub", NULL, d->stub != PCIDEV_STUB_NONE);
			out_string(o, "recorded_by", NULL,
				   streq(from.who, "not recorded") ? NULL : from.who);
			out_string(o, "record_file", NULL, from.file[0] ? from.file : NULL);
			if (!x || !cmd_xen_holder(x, d, guest, sizeof(guest)))
				guest[0] = '\0';
			out_string(o, "xen_guest", NULL, guest[0] ? guest : NULL);
			out_end_object(o);
			continue;
		}
		if (!header)
			printf("on a stub or with a driver_override, not seized by pcibind "
			       "(release returns them to their native drivers too):\n");
		header = true;
		printf("%s  %s  on %s  driver_override %s  origin %s%s%s%s\n", d->qubes, d->bdf,
		       d->driver ? cmd_term(d->driver, t1, sizeof(t1)) : "no driver",
		       d->driver_override ? cmd_term(d->driver_override, t2, sizeof(t2)) : "none",
		       from.who, from.file[0] ? " (" : "", cmd_term(from.file, t3, sizeof(t3)),
		       from.file[0] ? ")" : "");
	}
	if (out_is_json(o))
		out_end_array(o);
	return PB_EXIT_OK;
}

/*
 * A planned release (real or dry run; before it runs, while the journal
 * still has its records): for each function of CH that pcibind has no
 * record of, where it came from, on stderr: driverctl's saved override
 * (which puts it back at the next boot or hot-plug) or nothing known.
 */
void cmd_release_origins(struct pb_ctx *c, const struct change *ch)
{
	_cleanup_free_ struct journal_device *devs = NULL;
	size_t n = 0;
	int r;

	if (ch->opts.op != PLAN_RELEASE || ch->outcome != CHANGE_PLANNED)
		return;
	/* xenstore is not read here: it is slow to ask and can hang (status asks it) */
	r = engine_records(c->engine, &devs, &n);
	if (r < 0 && r != -ENOENT)
		return;
	for (size_t i = 0; i < ch->n_fns; i++) {
		struct engine_origin from;
		char t1[4096], t2[256];

		if (recorded(devs, n, ch->fns[i].bdf))
			continue;
		origin_of(c, NULL, ch->fns[i].dev, &from);
		if (streq(from.who, "driverctl"))
			fprintf(stderr,
				"pcibind: %s was not seized by pcibind: driverctl's saved override "
				"%s puts it back on %s at the next boot or hot-plug; "
				"'driverctl unset-override %s' removes it\n",
				ch->fns[i].bdf, cmd_term(from.file, t1, sizeof(t1)),
				from.driver[0] ? from.driver : "a stub", ch->fns[i].bdf);
		else if (ch->fns[i].before[0] && pcidev_stub_from_driver(ch->fns[i].before))
			fprintf(stderr,
				"pcibind: %s was not seized by pcibind, and neither pcibind nor "
				"driverctl records who put it on %s; its native driver is the module "
				"index's (libkmod)\n",
				ch->fns[i].bdf, cmd_term(ch->fns[i].before, t2, sizeof(t2)));
	}
}

/*
 * Boot records the digest of the policy it read (the initramfs's copy). When
 * the policy here differs, the next boot will not follow it: say so.
 */
static void initramfs_policy_note(struct pb_ctx *c)
{
	_cleanup_free_ char *boot = NULL;
	const struct policy *p;
	char now[32];

	if (engine_note(c->engine, "boot-policy", &boot) < 0)
		return;
	boot[strcspn(boot, "\n")] = '\0';
	if (engine_policy(c->engine, &p) < 0)
		return;
	snprintf(now, sizeof(now), "%016llx", (unsigned long long)p->digest);
	if (strcmp(now, boot))
		out_printf(
			stderr,
			"pcibind: the policy changed since this boot read its copy in the initramfs "
			"(%s, now %s): rebuild the initramfs (%s) so the next boot follows it\n",
			boot, now, cmd_initramfs_rebuild());
}

/* Why the transaction could not be read, in words. */
static const char *txn_problem(int r)
{
	switch (r) {
	case -EBADMSG:
		return "it is not a pcibind transaction (a bad or missing line)";
	case -ELOOP:
		return "it is a symbolic link";
	case -EPERM:
		return "it is not a regular file of this user's, or others may write it";
	case -EFBIG:
		return "it is too large";
	default:
		return strerror(-r);
	}
}

/* pcibind status. Returns an exit code. */
int cmd_status(struct pb_ctx *c, int argc, char **argv)
{
	_cleanup_(out_freep) struct out *o = NULL;
	_cleanup_free_ struct journal_device *devs = NULL;
	_cleanup_(xen_closep) struct xen *x = NULL;
	struct engine_pending t;
	bool no_journal;
	size_t n = 0;
	int r;

	r = cmd_json_only_options(c, argc, argv, "status",
				  "Usage: pcibind [OPTIONS] status [--json]\n\n"
				  "What pcibind has seized: the stub, the driver now, the native driver\n"
				  "and module, who seized it (cli, boot, udev) and since when; then\n"
				  "every other function on a stub or with a driver_override, and who\n"
				  "put it there when a record says (driverctl), else 'not recorded'.\n");
	if (r >= 0)
		return r;

	r = engine_records(c->engine, &devs, &n);
	no_journal = r == -ENOENT;
	if (r < 0 && !no_journal) {
		log_error_errno(r, "cannot read the journal in '%s'", c->roots.state_dir);
		return PB_EXIT_FAILURE;
	}
	o = out_new(c->json, stdout);
	if (!o)
		return PB_EXIT_FAILURE;
	if (c->json)
		out_begin_array(o, "seized", NULL);
	if (cmd_xen_open(c, 0, &x) < 0)
		x = NULL;
	for (size_t i = 0; i < n; i++)
		status_device(o, c, x, &devs[i]);
	if (c->json)
		out_end_array(o);
	else if (!n)
		out_printf(stdout,
			   no_journal ? "nothing seized by pcibind (no journal in %s)\n"
				      : "nothing seized by pcibind (journal: %s)\n",
			   c->roots.state_dir);
	r = status_others(o, c, x, devs, n);
	if (r != PB_EXIT_OK)
		return r;

	r = no_journal ? -ENOENT : engine_pending(c->engine, &t);
	if (r == 0) {
		if (c->json) {
			out_begin_object(o, "transaction");
			out_string(o, "file", NULL, t.file);
			out_string(o, "operation", NULL, t.op);
			out_string(o, "origin", NULL, t.origin[0] ? t.origin : NULL);
			out_int(o, "steps_done", NULL, (long long)t.steps_done);
			out_string(o, "functions", NULL, t.what);
			out_null(o, "problem", NULL, NULL);
			out_end_object(o);
		} else {
			out_printf(
				stdout,
				"unfinished %s of %s (origin %s, %zu steps done, %s): run pcibind "
				"recover to undo it (the next seize or release does it first)\n",
				t.op, t.what, t.origin[0] ? t.origin : "unknown", t.steps_done,
				t.file);
		}
	} else if (r != -ENOENT) {
		/* A transaction is there and cannot be read: nothing can undo it by itself. */
		if (c->json) {
			out_begin_object(o, "transaction");
			out_string(o, "file", NULL, t.file);
			out_null(o, "operation", NULL, NULL);
			out_null(o, "origin", NULL, NULL);
			out_null(o, "steps_done", NULL, NULL);
			out_null(o, "functions", NULL, NULL);
			out_string(o, "problem", NULL, txn_problem(r));
			out_end_object(o);
		} else {
			out_printf(
				stdout,
				"unreadable transaction %s: %s; seize, release and recover refuse to "
				"go on: look at it, put the functions it names back by hand, then "
				"remove it\n",
				t.file, txn_problem(r));
		}
	} else if (c->json) {
		out_null(o, "transaction", NULL, NULL);
	}
	r = out_finish(o);
	if (r < 0)
		return PB_EXIT_FAILURE;
	if (!c->json)
		cmd_xen_status(c);
	initramfs_policy_note(c);
	return PB_EXIT_OK;
}

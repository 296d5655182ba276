/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pcibind boot: seize what the kernel command line asks for (rd.pcibind.*,
 * rd.qubes.*), early in the initramfs, before udev loads native drivers.
 * Never fails the boot: every decision and error goes to the kernel log,
 * and the exit status is 0 unless the command itself was misused.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmdline.h"
#include "decide.h"
#include "policy.h"
#include "proc.h"
#include "commands.h"
#include "log.h"
#include "macro.h"
#include "output.h"
#include "pcidev.h"
#include "plan.h"
#include "util.h"

#define BOOT_CMDLINE_MAX (64 * 1024)
#define BOOT_SLOT_MAX 8

static const char boot_default_kmsg[] = "/dev/kmsg";

struct boot {
	int fd;			/* the kernel log (or a file); -1: stderr */
	bool kmsg;		/* fd is a character device: prefix "<level>" */
	bool begun;		/* the journal is locked and recovered (once per boot) */
};

/* One line to the kernel log, in one write(), or to stderr if it is not open. */
_printf_(3, 4) static void say(struct boot *b, int level, const char *fmt, ...)
{
	const char *tag = level <= LOG_ERR ? "error: " : level == LOG_WARNING ? "warning: " : "";
	_cleanup_free_ char *msg = NULL;
	char line[1700];
	va_list ap;
	int n;

	/* it quotes the command line and the policy: escaped, as every log line */
	va_start(ap, fmt);
	n = out_vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (b->fd < 0) {
		fprintf(stderr, "pcibind: %s%s\n", tag, msg);
		return;
	}
	if (b->kmsg)
		n = snprintf(line, sizeof(line), "<%d>pcibind: %s%s\n", level, tag, msg);
	else
		n = snprintf(line, sizeof(line), "pcibind: %s%s\n", tag, msg);
	if (n > (int)sizeof(line) - 1)
		n = sizeof(line) - 1;
	if (write(b->fd, line, (size_t)n) < 0)
		fprintf(stderr, "%s", line);
}

static void boot_open_log(struct boot *b, const char *path)
{
	struct stat st;

	b->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
	if (b->fd < 0) {
		fprintf(stderr, "pcibind: warning: cannot open %s (%s); logging to stderr\n", path,
			strerror(errno));
		return;
	}
	b->kmsg = fstat(b->fd, &st) == 0 && S_ISCHR(st.st_mode);
}

/* Read the whole command line file ("-" is stdin). Returns 0 or -errno. */
static int read_cmdline(const char *path, char **ret)
{
	_cleanup_close_ int fd = -1;
	size_t len;
	int r;

	fd = streq(path, "-") ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = util_read_fd(fd, BOOT_CMDLINE_MAX - 1, ret, &len);
	if (r < 0)
		return r;
	/* cmdline.d files and /proc/cmdline end in newlines: blanks to the parser. */
	for (size_t i = 0; i < len; i++)
		if ((*ret)[i] == '\0')
			(*ret)[i] = ' ';
	return 0;
}

static const char *driver_of(const struct pcidev *d)
{
	return d->driver ? d->driver : "no driver";
}

/* Every message of the CLI and the engine goes to the kernel log (log_set_sink). */
static void boot_sink(void *userdata, int level, const char *msg)
{
	say(userdata, level, "%s", msg);
}

/*
 * Run one seize through the engine's stages, as cmd_change() does, in the
 * one engine of this boot: the journal is locked and recovered at the first
 * slot, and the snapshot and policy are read once; only what a slot
 * changed is read again. Returns an exit code.
 */
static int boot_change(struct pb_ctx *c, struct boot *b, const struct change_opts *o,
		       char **args, int n)
{
	_cleanup_(change_freep) struct change *ch = NULL;
	struct pcidev *devs[BOOT_SLOT_MAX];
	struct pcidev_list *l;
	int ret;

	if (!b->begun) {
		ret = cmd_begin(c, o->dry_run);
		if (ret != PB_EXIT_OK)
			return ret;
		b->begun = true;
	}
	ret = cmd_scan(c, &l);
	for (int i = 0; i < n && ret == PB_EXIT_OK; i++)
		ret = cmd_resolve_device(c, l, args[i], &devs[i]);
	if (ret != PB_EXIT_OK)
		return ret;
	if (engine_decide(c->engine, o, devs, (size_t)n, &ch) < 0)
		return PB_EXIT_FAILURE;
	if (ch->outcome == CHANGE_PLANNED && !o->dry_run)
		(void)engine_execute(c->engine, ch);
	cmd_report_change(c, ch);
	fflush(stdout);
	return cmd_change_exit(ch);
}

static const char *exit_meaning(int ret)
{
	switch (ret) {
	case PB_EXIT_OK:
		return "done";
	case PB_EXIT_USAGE:
		return "not a valid request";
	case PB_EXIT_REFUSED:
		return "refused";
	case PB_EXIT_ROLLED_BACK:
		return "failed and was rolled back";
	case PB_EXIT_STRANDED:
		return "failed and could not be undone";
	default:
		return "failed";
	}
}

/*
 * The policy's vfs = N, for each PF whose own driver is bound already
 * (built in, or loaded in this initramfs): the others get their VFs at
 * udev's bind event of the PF (70-pcibind.rules). Only functions a rule
 * with vfs names are looked at, so a policy without vfs costs nothing.
 */
static void boot_vfs(struct pb_ctx *c, struct boot *b, const struct pcidev_list *l,
		     bool dry_run)
{
	const struct policy *p;
	bool any = false;

	if (cmd_load_policy(c, false, &p) != PB_EXIT_OK)
		return;
	for (size_t i = 0; i < p->n_rules && !any; i++)
		any = p->rules[i].set[PK_VFS];
	for (size_t i = 0; any && i < l->n; i++) {
		struct pcidev *d = l->devs[i];
		bool named = false;
		int ret, before;

		for (size_t k = 0; k < p->n_rules && !named; k++)
			named = p->rules[k].set[PK_VFS] && !p->rules[k].broken &&
				policy_match_device(&p->rules[k], l, d);
		if (!named)
			continue;
		if (engine_details(c->engine, d) < 0)
			continue;
		before = d->sriov_numvfs;
		ret = cmd_policy_vfs(c, d, "boot", dry_run, &b->begun);
		if (ret != PB_EXIT_OK)
			say(b, LOG_WARNING, "%s: its VF count (vfs =) %s", d->bdf, exit_meaning(ret));
		else if (d->sriov_numvfs != before)
			say(b, LOG_NOTICE, "%s: %d VFs (vfs = %d), was %d", d->bdf, d->sriov_numvfs,
			    d->sriov_numvfs, before);
	}
}

/* Where D sits in L (the snapshot is sorted by address). */
static size_t dev_index(const struct pcidev_list *l, const struct pcidev *d)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = addr_cmp(&l->devs[mid]->addr, &d->addr);

		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return l->n;
}

/*
 * The picks by function: AT[i] is the first pick of l->devs[i], -1 for
 * none (a lookup per function, not a scan of thousands of picks).
 */
static void index_picks(const struct pcidev_list *l, const struct cmdline_selection *s, long *at)
{
	for (size_t i = 0; i < l->n; i++)
		at[i] = -1;
	for (size_t k = 0; k < s->n; k++) {
		size_t i = dev_index(l, s->picks[k].dev);

		if (i < l->n && at[i] < 0)
			at[i] = (long)k;
	}
}

static const struct cmdline_pick *pick_of(const struct pcidev_list *l,
					  const struct cmdline_selection *s, const long *at,
					  const struct pcidev *d)
{
	size_t i = dev_index(l, d);

	return i < l->n && at[i] >= 0 ? &s->picks[at[i]] : NULL;
}

static bool chosen(const struct cmdline_pick *p)
{
	return p && p->seized_by && !p->kept_by;
}

struct boot_counts {
	size_t seized, already, kept, failed_slots, slots;
	bool other_stub;	/* a slot went to its rule's stub, not the boot's */
};

/*
 * Seize the chosen functions of the slot of FIRST. The whole slot goes
 * together (all_functions) when every function of it is chosen; otherwise
 * only the chosen ones, and the planner decides whether that split is safe.
 */
static void boot_slot(struct pb_ctx *c, struct boot *b, const struct pcidev_list *l,
		      const struct cmdline_selection *s, const long *at, const struct pcidev *first,
		      const char *stub, const char *forced, bool dry_run, struct boot_counts *cnt)
{
	struct pcidev *fns[BOOT_SLOT_MAX], *lead = NULL;
	char *args[BOOT_SLOT_MAX];
	char list[BOOT_SLOT_MAX * (ADDR_BDF_MAX + 80)] = "", rule_stub[16] = "";
	struct policy_eval ev;
	const char *target;
	size_t nf, len = 0;
	int n = 0, ret;
	bool whole = true, by_address = true;

	nf = pcidev_slot_functions(l, first, fns, BOOT_SLOT_MAX);
	if (nf > BOOT_SLOT_MAX)
		nf = BOOT_SLOT_MAX;
	for (size_t i = 0; i < nf; i++) {
		const struct cmdline_pick *p = pick_of(l, s, at, fns[i]);

		if (!chosen(p)) {
			whole = false;
			continue;
		}
		if (pcidev_stub_from_driver(fns[i]->driver) != PCIDEV_STUB_NONE &&
		    streq_ptr(fns[i]->driver, stub))
			continue;
		if (!lead)
			lead = fns[i];
		args[n++] = fns[i]->bdf;
		by_address = by_address && (p->seized_by->kind == CMDLINE_ADDRESS ||
					    p->seized_by->kind == CMDLINE_PATH) &&
			     strcmp(p->seized_by->key, "policy");
		len += snprintf(list + len, sizeof(list) - len, "%s%s (%s, %s %s=%s)",
				len ? ", " : "", fns[i]->bdf, driver_of(fns[i]),
				p->seized_by->implied ? "implied by" : "named by", p->seized_by->key,
				p->seized_by->text);
		if (len >= sizeof(list))
			len = sizeof(list) - 1;
	}
	if (n == 0)
		return;
	cnt->slots++;
	/* the stub this slot really goes to: the command line's, else its rule's */
	target = forced ? forced : stub;
	if (!forced && engine_eval(c->engine, lead, NULL, &ev) == 0) {
		if (ev.v.driver[0])
			snprintf(rule_stub, sizeof(rule_stub), "%s", ev.v.driver);
		policy_eval_done(&ev);
		if (rule_stub[0])
			target = rule_stub;
	}
	if (!streq(target, stub))
		cnt->other_stub = true;
	say(b, LOG_NOTICE, "seizing %s -> %s%s%s", list, target,
	    streq(target, stub) ? "" : " (the policy's stub)",
	    whole && nf > 1 ? " (every function of the slot)" : "");
	ret = boot_change(c, b,
			  &(struct change_opts){ .op = PLAN_SEIZE,
						 .driver = forced,
						 .origin = "boot",
						 .all_functions = whole && nf > 1,
						 /* dom0's keyboard controller is kept unless named
						  * by its address, not by a class */
						 .keyboard_ok = by_address,
						 .dry_run = dry_run },
			  args, n);
	if (ret == PB_EXIT_OK) {
		cnt->seized += (size_t)n;
		if (!dry_run)
			say(b, LOG_INFO, "slot of %s: %s", first->bdf, exit_meaning(ret));
		return;
	}
	cnt->failed_slots++;
	say(b, LOG_WARNING, "slot of %s: %s (exit %d, the reason is above); it stays as it was, "
			    "the other slots go on",
	    first->bdf, exit_meaning(ret), ret);
}

/* The decisions about every function the command line names, before any change. */
static void boot_report_picks(struct boot *b, const struct cmdline_selection *s,
			      const char *stub, struct boot_counts *cnt)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct cmdline_pick *p = &s->picks[i];
		const struct pcidev *d = p->dev;

		if (p->seized_by && p->kept_by) {
			cnt->kept++;
			say(b, LOG_NOTICE, "%s (%s) stays on %s: %s=%s keeps it (keep wins over %s=%s)",
			    d->bdf, d->qubes, driver_of(d), p->kept_by->key, p->kept_by->text,
			    p->seized_by->key, p->seized_by->text);
		} else if (p->seized_by && streq_ptr(d->driver, stub)) {
			cnt->already++;
			say(b, LOG_INFO, "%s (%s) is already on %s", d->bdf, d->qubes, stub);
		}
	}
}

/*
 * The policy's part: every function a rule gives boot = yes is chosen too,
 * unless the command line already names it or keeps it. Also records the
 * digest of the policy this boot read, so that status can tell when the
 * policy in the real root differs from the initramfs's copy. Returns 0 or
 * -ENOMEM.
 */
static int boot_policy_picks(struct pb_ctx *c, struct boot *b, const struct pcidev_list *l,
			     struct cmdline_selection *sel, bool dry_run,
			     struct cmdline_item **ret_items, size_t *ret_n)
{
	const struct policy *p;
	struct cmdline_item *items;
	_cleanup_free_ long *at = NULL;
	size_t n = 0;
	char digest[32];
	int r;

	if (cmd_load_policy(c, false, &p) != PB_EXIT_OK)
		return 0;
	if (p->n_errors)
		say(b, LOG_WARNING, "the policy has %zu error%s (above): a broken rule is dropped, "
				    "and what it could name (everything, for an error outside "
				    "a rule) is left alone until it is fixed",
		    p->n_errors, p->n_errors == 1 ? "" : "s");
	snprintf(digest, sizeof(digest), "%016llx\n", (unsigned long long)p->digest);
	if (!dry_run)
		(void)engine_write_note(c->engine, "boot-policy", digest);

	items = calloc(l->n + 1, sizeof(*items));
	if (!items)
		return -ENOMEM;
	*ret_items = items;
	at = calloc(l->n + 1, sizeof(*at));
	if (!at)
		return -ENOMEM;
	index_picks(l, sel, at);
	for (size_t i = 0; i < l->n; i++) {
		struct pcidev *d = l->devs[i];
		const struct cmdline_pick *old = at[i] >= 0 ? &sel->picks[at[i]] : NULL;
		struct cmdline_pick *nv;
		struct policy_eval e;

		if (old && (old->seized_by || old->kept_by))
			continue;
		r = policy_eval(p, l, d, &e);
		if (r < 0)
			return r;
		if (!e.v.boot) {
			policy_eval_done(&e);
			continue;
		}
		/* Storage at boot only by an exact address (pcibind-dracut(7)). */
		if ((d->class >> 16) == 0x01 && !e.source[PK_BOOT]->exact_address) {
			say(b, LOG_WARNING,
			    "%s (%s) is a storage controller: rule [%s] %s:%d says boot = yes, but "
			    "at boot storage is seized only when a rule's match-address names "
			    "that one function (the root disk may be behind it); left alone",
			    d->bdf, d->qubes, e.source[PK_BOOT]->name, e.source[PK_BOOT]->file,
			    e.source[PK_BOOT]->key_line[PK_BOOT]);
			policy_eval_done(&e);
			continue;
		}
		if (streq(e.v.driver, "pciback") && !l->xen) {
			char t1[256], t2[4096];

			say(b, LOG_WARNING,
			    "%s (%s): rule [%s] %s:%d says driver = pciback, but " DECIDE_NO_PCIBACK
			    ": left alone",
			    d->bdf, d->qubes, cmd_term(e.source[PK_DRIVER]->name, t1, sizeof(t1)),
			    cmd_term(e.source[PK_DRIVER]->file, t2, sizeof(t2)),
			    e.source[PK_DRIVER]->key_line[PK_DRIVER]);
			policy_eval_done(&e);
			continue;
		}
		r = asprintf(&items[n].text, "[%s] %s:%d (boot = yes)", e.source[PK_BOOT]->name,
			     e.source[PK_BOOT]->file, e.source[PK_BOOT]->key_line[PK_BOOT]);
		policy_eval_done(&e);
		if (r < 0)
			return -ENOMEM;
		items[n].key = "policy";
		items[n].implied = false;
		nv = realloc(sel->picks, (sel->n + 1) * sizeof(*nv));
		if (!nv) {
			free(items[n].text);
			return -ENOMEM;
		}
		sel->picks = nv;
		sel->picks[sel->n++] = (struct cmdline_pick){ .dev = d, .seized_by = &items[n] };
		n++;
		*ret_n = n;
	}
	return 0;
}

static void boot_help(void)
{
	printf("Usage: pcibind [OPTIONS] boot [--cmdline FILE] [--kmsg FILE] [--dry-run]\n"
	       "\n"
	       "Seize what the kernel command line asks for (rd.pcibind.seize=, .keep=,\n"
	       ".driver=, rd.pcibind=0, and Qubes' rd.qubes.hide_all_usb, .hide_pci=,\n"
	       ".dom0_usb=), from the initramfs before udev. Every decision goes to the\n"
	       "kernel log; the exit status is 0 unless the options are wrong.\n"
	       "See pcibind-dracut(7).\n"
	       "\n"
	       "  --cmdline FILE  read the command line from FILE, - for stdin\n"
	       "                  (default /proc/cmdline)\n"
	       "  --kmsg FILE     where the log lines go (default /dev/kmsg; stderr if it\n"
	       "                  cannot be opened)\n"
	       "  -n, --dry-run   print the plans, change nothing\n");
}

enum {
	OPT_CMDLINE = CHAR_MAX + 1,
	OPT_KMSG,
};

/*
 * pcibind boot: parse the command line, resolve it against the snapshot and
 * seize slot by slot with origin "boot". Returns PB_EXIT_OK, or
 * PB_EXIT_USAGE for bad options or an unreadable --cmdline FILE.
 */
int cmd_boot(struct pb_ctx *c, int argc, char **argv)
{
	static const struct option options[] = {
		{ "cmdline", required_argument, NULL, OPT_CMDLINE },
		{ "kmsg", required_argument, NULL, OPT_KMSG },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	_cleanup_(cmdline_request_freep) struct cmdline_request *req = NULL;
	_cleanup_(cmdline_selection_freep) struct cmdline_selection *sel = NULL;
	struct pcidev_list *l;
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ long *pick_at = NULL;
	_cleanup_free_ bool *led = NULL;
	struct cmdline_item *policy_items = NULL;
	size_t n_policy_items = 0;
	const char *cmdline_path = NULL, *kmsg_path = boot_default_kmsg, *stub;
	struct boot b = { .fd = -1 };
	struct boot_counts cnt = { 0 };
	long long t0 = util_now_ms();
	bool dry_run = false;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "nh", options, NULL)) >= 0) {
		switch (opt) {
		case OPT_CMDLINE:
			cmdline_path = optarg;
			break;
		case OPT_KMSG:
			kmsg_path = optarg;
			break;
		case 'n':
			dry_run = true;
			break;
		case 'h':
			boot_help();
			return PB_EXIT_OK;
		default:
			return cmd_option_error("boot", argv, options);
		}
	}
	if (optind < argc)
		return cmd_usage_error("boot takes no arguments ('%s'); the devices come from the "
				       "kernel command line",
				       argv[optind]);

	if (cmdline_path) {
		r = read_cmdline(cmdline_path, &text);
	} else {
		/* /proc/cmdline through the /proc gateway (--proc-root for tests). */
		_cleanup_(proc_closep) struct proc *pr = NULL;

		r = proc_open(c->roots.proc_root, &pr);
		if (r >= 0)
			r = proc_read(pr, "cmdline", &text);
	}
	if (r < 0 && cmdline_path) {
		log_error_errno(r, "cannot read the command line from '%s'", cmdline_path);
		return PB_EXIT_USAGE;
	}
	boot_open_log(&b, kmsg_path);
	/* Every message, the engine's included, goes to the kernel log. */
	log_set_sink(boot_sink, &b);
	if (r < 0) {
		say(&b, LOG_ERR, "cannot read %s (%s): leaving every device alone",
		    "the kernel command line", strerror(-r));
		goto out;
	}
	r = cmdline_parse(text, &req);
	if (r < 0) {
		say(&b, LOG_ERR, "cannot parse the command line (%s): leaving every device alone",
		    strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < req->n_errors; i++)
		say(&b, LOG_WARNING, "%s: '%s' ignored: %s", req->errors[i].key,
		    req->errors[i].item, req->errors[i].why);
	if (req->disabled) {
		say(&b, LOG_NOTICE, "rd.pcibind=0: leaving every device alone");
		goto out;
	}
	/* Lock, then look: the snapshot every slot is decided from is read under the lock. */
	engine_set_origin(c->engine, "boot");
	if (!dry_run) {
		if (cmd_begin(c, false) != PB_EXIT_OK) {
			say(&b, LOG_ERR, "cannot take the journal's lock or finish what a killed "
					 "pcibind left (above): leaving every device alone");
			goto out;
		}
		b.begun = true;
	}
	if (cmd_scan(c, &l) != PB_EXIT_OK) {
		say(&b, LOG_ERR, "cannot read the PCI devices under %s: leaving every device alone",
		    c->roots.sysfs_root);
		goto out;
	}
	stub = req->driver ? req->driver : engine_default_stub(l);
	if (streq(stub, "pciback") && !l->xen) {
		say(&b, LOG_WARNING,
		    "rd.pcibind.driver=pciback, but " DECIDE_NO_PCIBACK
		    ": leaving every device alone so that this boot works as before");
		goto out;
	}
	r = cmdline_resolve(req, l, &sel);
	if (r < 0) {
		say(&b, LOG_ERR, "cannot resolve the command line (%s): leaving every device alone",
		    strerror(-r));
		goto out;
	}
	r = boot_policy_picks(c, &b, l, sel, dry_run, &policy_items, &n_policy_items);
	if (r < 0) {
		say(&b, LOG_ERR, "cannot add the policy's choices (%s): leaving every device alone",
		    strerror(-r));
		goto out;
	}
	if (!cmdline_wants_something(req) && !n_policy_items) {
		say(&b, LOG_INFO, "nothing to seize (no rd.pcibind.seize= or rd.qubes.* option, "
				  "no policy rule with boot = yes that applies)");
		boot_vfs(c, &b, l, dry_run);
		goto out;
	}
	for (size_t i = 0; i < sel->n_errors; i++)
		say(&b, LOG_WARNING, "%s: '%s' ignored: %s", sel->errors[i].key,
		    sel->errors[i].item, sel->errors[i].why);
	say(&b, LOG_INFO, "target %s (%s)%s", stub,
	    req->driver ? "rd.pcibind.driver" : l->xen ? "Xen dom0" : "not Xen",
	    req->qubes ? req->hide_all_usb ? "; Qubes rules: network and USB"
					   : "; Qubes rules: network"
		       : "");
	boot_report_picks(&b, sel, stub, &cnt);

	pick_at = calloc(l->n + 1, sizeof(*pick_at));
	led = calloc(l->n + 1, sizeof(*led));
	if (!pick_at || !led) {
		say(&b, LOG_ERR, "out of memory: leaving every device alone");
		goto out;
	}
	index_picks(l, sel, pick_at);
	for (size_t i = 0; i < sel->n; i++) {
		const struct pcidev *d = sel->picks[i].dev;
		struct pcidev *first;
		size_t k;

		if (!chosen(&sel->picks[i]))
			continue;
		/* The first chosen function of its slot leads the slot. */
		pcidev_slot_functions(l, d, &first, 1);
		k = dev_index(l, first);
		if (k < l->n && !led[k]) {
			led[k] = true;
			boot_slot(c, &b, l, sel, pick_at, d, stub, req->driver, dry_run, &cnt);
		}
	}
	boot_vfs(c, &b, l, dry_run);
	say(&b, cnt.failed_slots ? LOG_WARNING : LOG_NOTICE,
	    "%s%zu function%s %s %s in %zu slot%s, %zu already there, %zu kept, %zu slot%s "
	    "left alone after an error, %zu bad item%s, %lld ms",
	    dry_run ? "dry run: " : "", cnt.seized, cnt.seized == 1 ? "" : "s",
	    dry_run ? "would go to" : "seized to", cnt.other_stub ? "their stubs" : stub,
	    cnt.slots - cnt.failed_slots, cnt.slots - cnt.failed_slots == 1 ? "" : "s",
	    cnt.already, cnt.kept, cnt.failed_slots, cnt.failed_slots == 1 ? "" : "s",
	    req->n_errors + sel->n_errors, req->n_errors + sel->n_errors == 1 ? "" : "s",
	    util_now_ms() - t0);
out:
	cmd_log_stats(c);
	log_set_sink(NULL, NULL);
	for (size_t i = 0; i < n_policy_items; i++)
		free(policy_items[i].text);
	free(policy_items);
	if (b.fd >= 0)
		close(b.fd);
	return PB_EXIT_OK;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pcibind seize / release: plan, journal, execute with verification, and
 * on failure put every function back where it was, in one transaction.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "decide.h"
#include "guard.h"
#include "journal.h"
#include "kmodq.h"
#include "log.h"
#include "output.h"
#include "pcidev.h"
#include "persist.h"
#include "plan.h"
#include "policy.h"
#include "rebind.h"
#include "select.h"
#include "udevq.h"
#include "vfio.h"
#include "sysfs.h"

#define MAX_DEVICES 256

static const char *op_name(enum plan_op op)
{
	return op == PLAN_SEIZE ? "seize" : "release";
}

static void print_refusal(struct pb_ctx *c, const struct change_opts *o,
			  const struct pcidev_list *l, const struct policy *pol,
			  const struct guard_facts *gf, const struct plan_refusal *why)
{
	const struct pcidev *d = why->bdf[0] ? pcidev_find_bdf(l, why->bdf) : NULL;

	log_error("%s refused: %s", op_name(o->op), why->reason);
	if (d)
		cmd_explain_short(c, l, pol, gf, d);
}

static const char *default_stub(const struct pcidev_list *l);

/*
 * The admin file --persistent writes: 90-persistent.conf in the last policy
 * directory (the admin's, /etc/pcibind/policy.d, or the last --policy-dir).
 */
static const char *persist_file(struct pb_ctx *c, char *buf, size_t size)
{
	const char *const *dirs = c->roots.policy_dirs[0] ? c->roots.policy_dirs
							  : policy_default_dirs;
	const char *dir = dirs[0];

	for (size_t i = 0; dirs[i]; i++)
		dir = dirs[i];
	snprintf(buf, size, "%s/90-persistent.conf", dir);
	return buf;
}

/*
 * After a change: seize --persistent writes a rule per function (its PCI
 * path, its identity, the stub and options, boot and hotplug); release
 * --persistent removes them. Returns an exit code.
 */
static int persist(struct pb_ctx *c, const struct change_opts *o, const struct pcidev_list *l,
		   const struct journal_txn *t, const char *stub)
{
	char file[PATH_MAX], section[64], path[128], when[32];
	time_t now = time(NULL);
	struct tm tm;
	int r;

	persist_file(c, file, sizeof(file));
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	for (size_t i = 0; i < t->n; i++) {
		const struct pcidev *d = pcidev_find_bdf(l, t->devs[i].before.bdf);
		_cleanup_free_ char *rule = NULL;

		snprintf(section, sizeof(section), "persistent %s", t->devs[i].before.bdf);
		if (o->op == PLAN_SEIZE && d) {
			if (pcidev_qubes_path(d, path, sizeof(path)) < 0)
				snprintf(path, sizeof(path), "%s", d->bdf);
			if (asprintf(&rule,
				     "\n[%s]\n# pcibind seize --persistent, %s\n"
				     "match-address = %s\nexpect-id = %04x:%04x\ndriver = %s\n"
				     "boot = yes\nhotplug = yes\n%s%s",
				     section, when, path, d->vendor, d->device, stub,
				     o->no_strict_reset ? "strict-reset = no\n" : "",
				     o->permissive ? "permissive = yes\n" : "") < 0)
				return PB_EXIT_FAILURE;
		}
		r = persist_update(file, section, rule);
		if (r < 0) {
			log_error_errno(r, "the %s is done, but %s could not record it; the journal "
					   "has it until reboot: fix the file's directory and run the "
					   "command again with --persistent",
					op_name(o->op), file);
			return PB_EXIT_FAILURE;
		}
	}
	fprintf(stderr,
		"pcibind: %s %s; the initramfs keeps its own copy of the policy: rebuild it "
		"(dracut -f) for boot to follow it\n",
		o->op == PLAN_SEIZE ? "recorded in" : "removed from", file);
	return PB_EXIT_OK;
}

/*
 * Ask the policy about the change: the requested functions give the stub,
 * strict-reset and permissive (the command line's -o and --driver on top);
 * then every function the change moves must be allowed (decide.c). Prints
 * a refusal with its short explanation. Returns an exit code.
 */
static int consult_policy(struct pb_ctx *c, const struct change_opts *o,
			  const struct pcidev_list *l, const struct policy *pol,
			  const struct guard_facts *gf, struct plan_request *req, char *stub_buf,
			  size_t stub_size)
{
	_cleanup_free_ struct pcidev **set = NULL;
	struct plan_refusal why = { 0 };
	bool all_nsr = true, all_perm = true;
	const struct pcidev *first = NULL;
	size_t n = 0;
	int r;

	stub_buf[0] = '\0';
	for (size_t i = 0; i < req->n; i++) {
		struct policy_eval e;

		if (cmd_eval(pol, l, req->devs[i], o, &e) < 0)
			return PB_EXIT_FAILURE;
		if (e.v.driver[0] && !o->driver) {
			if (!stub_buf[0]) {
				snprintf(stub_buf, stub_size, "%s", e.v.driver);
				first = req->devs[i];
			} else if (strcmp(stub_buf, e.v.driver)) {
				log_error("the policy sends %s to %s but %s to %s: %s them in separate "
					  "commands, or give --driver",
					  first->bdf, stub_buf, req->devs[i]->bdf, e.v.driver,
					  op_name(o->op));
				policy_eval_done(&e);
				return PB_EXIT_REFUSED;
			}
		}
		all_nsr = all_nsr && !e.v.strict_reset;
		all_perm = all_perm && e.v.permissive;
		policy_eval_done(&e);
	}
	req->stub = o->driver ? o->driver : stub_buf[0] ? stub_buf : default_stub(l);
	req->no_strict_reset = all_nsr;
	req->permissive = o->permissive || (all_perm && streq(req->stub, "pciback"));

	r = plan_group(l, req, &set, &n, &why);
	if (r == -EPERM) {
		print_refusal(c, o, l, pol, gf, &why);
		return PB_EXIT_REFUSED;
	}
	if (r < 0)
		return PB_EXIT_FAILURE;
	for (size_t i = 0; i < n; i++) {
		struct policy_eval e;
		struct verdict v;
		struct guards g;

		if (cmd_eval(pol, l, set[i], o, &e) < 0)
			return PB_EXIT_FAILURE;
		if (o->op == PLAN_SEIZE) {
			guard_check(c->sysfs, gf, set[i], &g);
			if (o->keyboard_ok)
				guard_drop(&g, GUARD_KEYBOARD);
			decide_seize(set[i], &e, &g, &v);
		} else {
			decide_release(l, set[i], &e, &v);
		}
		policy_eval_done(&e);
		if (!v.allowed) {
			log_error("%s refused: %s", op_name(o->op), v.reason);
			cmd_explain_short(c, l, pol, gf, set[i]);
			return PB_EXIT_REFUSED;
		}
	}
	req->allow_unresettable = o->op == PLAN_RELEASE;
	return PB_EXIT_OK;
}

/* The function's state now, as a journal entry ("before" of a transaction). */
static void state_of(const struct pcidev_list *l, const struct pcidev *d,
		     struct journal_device *ret)
{
	*ret = (struct journal_device){ .vendor = d->vendor, .device = d->device };
	strcpy(ret->bdf, d->bdf);
	snprintf(ret->driver, sizeof(ret->driver), "%s", d->driver ? d->driver : "");
	snprintf(ret->module, sizeof(ret->module), "%s", d->driver_module ? d->driver_module : "");
	snprintf(ret->override, sizeof(ret->override), "%s",
		 d->driver_override ? d->driver_override : "");
	ret->slot_listed = d->in_pciback_slots;
	ret->permissive = pcidev_permissive(l, d);
}

static bool txn_has(const struct journal_txn *t, const char *bdf)
{
	for (size_t i = 0; i < t->n; i++)
		if (streq(t->devs[i].before.bdf, bdf))
			return true;
	return false;
}

/* A transaction naming every function the plan touches, as they are now. */
static int txn_build(struct journal *j, const struct pcidev_list *l, const struct plan *p,
		     const struct change_opts *o, struct journal_txn *t)
{
	*t = (struct journal_txn){ .started = time(NULL) };
	snprintf(t->op, sizeof(t->op), "%s", op_name(o->op));
	snprintf(t->origin, sizeof(t->origin), "%s", o->origin);
	t->devs = calloc(p->n + 1, sizeof(*t->devs));
	if (!t->devs)
		return -ENOMEM;
	for (size_t i = 0; i < p->n; i++) {
		const struct pcidev *d = pcidev_find_bdf(l, p->steps[i].bdf);
		struct journal_txn_device *td;
		int r;

		if (!d || txn_has(t, d->bdf))
			continue;
		td = &t->devs[t->n++];
		state_of(l, d, &td->before);
		r = journal_get(j, d->bdf, &td->record);
		if (r == 0)
			td->had_record = true;
		else if (r != -ENOENT)
			return r;
	}
	return 0;
}

/* Once the change is done: seize leaves records, release removes them. */
static int records_commit(struct journal *j, const struct journal_txn *t,
			  const struct change_opts *o, const char *stub)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct journal_txn_device *td = &t->devs[i];
		struct journal_device rec;
		int r;

		if (o->op == PLAN_RELEASE) {
			r = journal_del(j, td->before.bdf);
		} else {
			if (td->had_record) {
				rec = td->record;
			} else {
				rec = td->before;
				/* A stub is nobody's native driver: libkmod finds it at release. */
				if (pcidev_stub_from_driver(rec.driver) != PCIDEV_STUB_NONE)
					rec.driver[0] = rec.module[0] = '\0';
				snprintf(rec.origin, sizeof(rec.origin), "%s", o->origin);
				rec.since = time(NULL);
			}
			snprintf(rec.stub, sizeof(rec.stub), "%s", stub);
			rec.stranded = false;
			r = journal_put(j, &rec);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* A failed undo: keep a record of every function, marked stranded, so nothing is lost. */
static void records_strand(struct journal *j, const struct journal_txn *t)
{
	for (size_t i = 0; i < t->n; i++) {
		struct journal_device rec = t->devs[i].had_record ? t->devs[i].record
								 : t->devs[i].before;

		rec.stranded = true;
		if (!rec.origin[0])
			snprintf(rec.origin, sizeof(rec.origin), "%s", t->origin);
		if (!rec.since)
			rec.since = t->started;
		(void)journal_put(j, &rec);
	}
}

static void describe_txn(const struct journal_txn *t, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < t->n && len < size; i++)
		len += snprintf(buf + len, size - len, "%s%s (was on %s)", i ? ", " : "",
				t->devs[i].before.bdf,
				t->devs[i].before.driver[0] ? t->devs[i].before.driver : "no driver");
}

/*
 * Undo transaction T: put every function back as it was, restore the
 * records, end the transaction. On failure, mark the functions stranded.
 * Returns 0 or the error of the step that failed.
 */
static int undo_txn(struct rebind *rb, struct journal *j, struct journal_txn *t)
{
	struct rebind_failure f = { 0 };
	struct plan done;
	char what[1024];
	int r;

	plan_init(&done);
	rb->txn = NULL; /* the undo does not advance the transaction's steps */
	describe_txn(t, what, sizeof(what));
	r = rebind_restore(rb, t, &done, &f);
	plan_done(&done);
	if (r < 0) {
		log_error("could not put back %s: step %zu (%s %s) failed: %s", what, f.step,
			  f.st.op == STEP_LOAD_MODULE ? "load-module" : "write",
			  f.st.op == STEP_LOAD_MODULE ? f.st.module : f.st.path, f.cause);
		records_strand(j, t);
		(void)journal_txn_end(j);
		return r;
	}
	for (size_t i = 0; i < t->n; i++) {
		if (t->devs[i].had_record)
			r = journal_put(j, &t->devs[i].record);
		else
			r = journal_del(j, t->devs[i].before.bdf);
		if (r < 0)
			return log_error_errno(r, "cannot restore the record of %s",
					       t->devs[i].before.bdf);
	}
	r = journal_txn_end(j);
	if (r < 0)
		return log_error_errno(r, "cannot end the transaction in %s", journal_dir(j));
	log_warning("put back %s", what);
	return 0;
}

/*
 * Before anything else: a transaction left by a killed pcibind is undone.
 * Returns an exit code.
 */
static int recover(struct rebind *rb, struct journal *j)
{
	struct journal_txn t;
	char when[64] = "?";
	struct tm tm;
	time_t ts;
	int r;

	r = journal_txn_read(j, &t);
	if (r == -ENOENT)
		return PB_EXIT_OK;
	if (r < 0) {
		log_error_errno(r, "the unfinished transaction in %s/txn cannot be read; look at "
				   "it, then remove it by hand",
				journal_dir(j));
		return PB_EXIT_STRANDED;
	}
	ts = (time_t)t.started;
	if (localtime_r(&ts, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	log_warning("found an unfinished %s (origin %s, started %s, %zu steps done): undoing it "
		    "first",
		    t.op, t.origin, when, t.step);
	r = undo_txn(rb, j, &t);
	journal_txn_done(&t);
	return r < 0 ? PB_EXIT_STRANDED : PB_EXIT_OK;
}

static int report_failure(const struct change_opts *o, const struct plan *p,
			  const struct rebind_failure *f)
{
	log_error("%s failed at step %zu of %zu (%s %s%s%s%s): %s", op_name(o->op), f->step, p->n,
		  f->st.op == STEP_LOAD_MODULE ? "load-module" : "write",
		  f->st.op == STEP_LOAD_MODULE ? f->st.module : f->st.path,
		  f->st.op == STEP_LOAD_MODULE ? "" : " \"",
		  f->st.op == STEP_LOAD_MODULE ? "" : (streq(f->st.value, "\n") ? "\\n" : f->st.value),
		  f->st.op == STEP_LOAD_MODULE ? "" : "\"", f->cause);
	return 0;
}

static void print_dry_run(struct pb_ctx *c, const struct change_opts *o, const struct plan *p)
{
	_cleanup_(out_freep) struct out *out = NULL;

	if (!c->json) {
		printf("Plan: %s, %zu step%s (--dry-run: nothing is written)\n", op_name(o->op), p->n,
		       p->n == 1 ? "" : "s");
		plan_print(p, stdout);
		return;
	}
	out = out_new(true, stdout);
	if (!out)
		return;
	out_string(out, "operation", NULL, op_name(o->op));
	out_begin_array(out, "steps", NULL);
	for (size_t i = 0; i < p->n; i++) {
		const struct step *st = &p->steps[i];

		out_begin_object(out, NULL);
		out_string(out, "op", NULL, st->op == STEP_LOAD_MODULE ? "load-module" : "write");
		out_string(out, "device", NULL, st->bdf[0] ? st->bdf : NULL);
		out_string(out, "path", NULL, st->op == STEP_WRITE ? st->path : NULL);
		out_string(out, "value", NULL, st->op == STEP_WRITE ? st->value : NULL);
		out_string(out, "module", NULL, st->module[0] ? st->module : NULL);
		out_string(out, "check", NULL, plan_check_name(st->check));
		out_string(out, "why", NULL, st->why);
		out_end_object(out);
	}
	out_end_array(out);
	(void)out_finish(out);
}

/* For release: each function's native driver, from its record or libkmod. */
static int find_natives(struct pb_ctx *c, struct kmodq *kq, struct journal *j,
			struct pcidev *const *set, size_t n, bool dry_run, struct plan_native *nat,
			char (*names)[3][JOURNAL_NAME_MAX])
{
	for (size_t i = 0; i < n; i++) {
		const struct pcidev *d = set[i];
		_cleanup_strv_free_ char **mods = NULL;
		struct journal_device rec;
		int r;

		/* Copied: the snapshot is taken again after a module loads. */
		snprintf(names[i][2], JOURNAL_NAME_MAX, "%s", d->bdf);
		nat[i] = (struct plan_native){ .bdf = names[i][2] };
		if (j && journal_get(j, d->bdf, &rec) == 0 && rec.driver[0]) {
			strcpy(names[i][0], rec.driver);
			strcpy(names[i][1], rec.module);
			nat[i].driver = names[i][0];
			nat[i].module = rec.module[0] ? names[i][1] : NULL;
			continue;
		}
		if (!d->modalias || !kq)
			continue;
		r = kmodq_lookup(kq, d->modalias, &mods, NULL);
		if (r <= 0)
			continue;
		snprintf(names[i][1], JOURNAL_NAME_MAX, "%s", mods[0]);
		nat[i].module = names[i][1];
		r = rebind_module_driver(c->sysfs, mods[0], names[i][0], JOURNAL_NAME_MAX);
		if (r == -ENOENT && !dry_run) {
			r = kmodq_load(kq, mods[0]);
			if (r < 0)
				return log_error_errno(r, "cannot load %s, the native driver's module "
							  "of %s",
						       mods[0], d->bdf);
			r = rebind_module_driver(c->sysfs, mods[0], names[i][0], JOURNAL_NAME_MAX);
		}
		if (r == 0)
			nat[i].driver = names[i][0];
		else if (!dry_run)
			return log_error_errno(r, "module %s registers no PCI driver for %s",
					       mods[0], d->bdf);
	}
	return 0;
}

static const char *default_stub(const struct pcidev_list *l)
{
	return l->xen ? "pciback" : "vfio-pci";
}

struct change_session {
	struct journal *j;
	struct kmodq *kq;
	struct pcidev_list *l;
	struct policy *pol;
	struct guard_facts *gf;
	struct rebind rb;
	bool dry_run;
};

/* Accepts NULL, returns NULL. */
struct change_session *cmd_session_close(struct change_session *s)
{
	if (!s)
		return NULL;
	guard_facts_free(s->gf);
	policy_free(s->pol);
	pcidev_list_free(s->l);
	kmodq_free(s->kq);
	journal_close(s->j);
	free(s);
	return NULL;
}

/*
 * What every change needs, taken once: the journal and its lock (a dry run
 * only reads it), an unfinished transaction undone, libkmod, the snapshot,
 * the policy (fail closed) and the guards' facts. boot keeps one session for
 * all its slots. Returns an exit code.
 */
int cmd_session_open(struct pb_ctx *c, bool dry_run, struct change_session **ret)
{
	_cleanup_(cmd_session_closep) struct change_session *s = calloc(1, sizeof(*s));
	int r, ret_code;

	if (!s)
		return PB_EXIT_FAILURE;
	s->dry_run = dry_run;
	s->rb = (struct rebind){ .s = c->sysfs, .probe_timeout_ms = c->probe_timeout_ms };
	r = journal_open(c->roots.state_dir, !dry_run, c->lock_timeout_ms, &s->j);
	if (r == -ENOENT && dry_run) {
		r = 0; /* no journal yet: nothing recorded */
	} else if (r == -EWOULDBLOCK) {
		log_error("another pcibind holds %s/lock (waited %d ms); try again when it is done",
			  c->roots.state_dir, c->lock_timeout_ms);
		return PB_EXIT_FAILURE;
	}
	if (r < 0) {
		log_error_errno(r, "cannot open the state directory '%s'%s", c->roots.state_dir,
				r == -EPERM || r == -ELOOP
					? " (it must be a real directory owned by the user running "
					  "pcibind, not writable by group or others)"
					: "");
		return PB_EXIT_FAILURE;
	}
	r = kmodq_new(c->roots.modules_dir, &s->kq);
	if (r < 0)
		log_warning_errno(r, "cannot load the kernel module index (give --modules-dir); "
				     "native drivers are known only from the journal");
	else
		kmodq_allow_load(s->kq, sysfs_is_default_root(c->sysfs));
	s->rb.kmod = s->kq;
	s->rb.j = s->j;
	if (!dry_run) {
		ret_code = recover(&s->rb, s->j);
		if (ret_code != PB_EXIT_OK)
			return ret_code;
	}
	ret_code = cmd_scan(c, &s->l);
	if (ret_code == PB_EXIT_OK)
		ret_code = cmd_load_policy(c, true, &s->pol);
	if (ret_code == PB_EXIT_OK)
		ret_code = cmd_load_guards(c, &s->gf);
	if (ret_code != PB_EXIT_OK)
		return ret_code;
	*ret = TAKE_PTR(s);
	return PB_EXIT_OK;
}

/*
 * Seize or release the functions ARGS name, as one transaction: plan,
 * journal, execute with verification, roll back on failure. Reports once
 * on stderr. Returns an exit code (PB_EXIT_*).
 */
int cmd_change(struct pb_ctx *c, const struct change_opts *o, char **args, int nargs)
{
	_cleanup_(cmd_session_closep) struct change_session *s = NULL;
	int ret;

	if (nargs < 1)
		return cmd_usage_error("%s needs at least one DEVICE", op_name(o->op));
	ret = cmd_session_open(c, o->dry_run, &s);
	if (ret != PB_EXIT_OK)
		return ret;
	return cmd_change_in(c, s, o, args, nargs);
}

/* Refresh the session's snapshot for the functions a change touched. */
static void session_refresh(struct pb_ctx *c, struct change_session *s,
			    const struct journal_txn *t)
{
	char *bdfs[MAX_DEVICES];
	size_t n = 0;

	for (size_t i = 0; i < t->n && n < MAX_DEVICES; i++)
		bdfs[n++] = (char *)t->devs[i].before.bdf;
	if (pcidev_refresh(c->sysfs, s->l, bdfs, n) < 0) {
		/* Cannot read them again: take a whole new snapshot. */
		s->l = pcidev_list_free(s->l);
		(void)cmd_scan(c, &s->l);
	}
}

/* cmd_change() within session S (whose dry-run-ness must be O's). */
int cmd_change_in(struct pb_ctx *c, struct change_session *s, const struct change_opts *o,
		  char **args, int nargs)
{
	struct pcidev_list *l = s->l;
	struct journal *j = s->j;
	struct kmodq *kq = s->kq;
	struct policy *pol = s->pol;
	struct guard_facts *gf = s->gf;
	_cleanup_free_ struct pcidev **set = NULL;
	_cleanup_free_ struct plan_native *nat = NULL;
	_cleanup_free_ char(*names)[3][JOURNAL_NAME_MAX] = NULL;
	_cleanup_free_ struct plan_variant *variants = NULL;
	_cleanup_free_ struct vfio_choice *choices = NULL;
	size_t n_choices = 0;
	struct pci_addr addrs[MAX_DEVICES];
	char stub_buf[16];
	struct pcidev *devs[MAX_DEVICES];
	struct plan_request req = { .op = o->op };
	struct plan_refusal why = { 0 };
	struct rebind_failure f = { 0 };
	struct rebind rb = s->rb;
	struct journal_txn txn = { 0 };
	struct plan p;
	size_t n = 0;
	int r, ret;

	if (nargs < 1)
		return cmd_usage_error("%s needs at least one DEVICE", op_name(o->op));
	if (nargs > MAX_DEVICES)
		return cmd_usage_error("at most %d devices at once", MAX_DEVICES);
	if (!l || s->dry_run != o->dry_run)
		return PB_EXIT_FAILURE;
	for (int i = 0; i < nargs; i++) {
		ret = cmd_resolve_device(c, l, args[i], &devs[n]);
		if (ret != PB_EXIT_OK)
			return ret;
		n++;
	}
	req.devs = devs;
	req.n = n;
	req.all_functions = o->all_functions;
	req.iommu_group = o->iommu_group;
	ret = consult_policy(c, o, l, pol, gf, &req, stub_buf, sizeof(stub_buf));
	if (ret != PB_EXIT_OK)
		return ret;
	/* VFIO gates (cmd-vfio.c): nothing a process holds leaves vfio; variant drivers. */
	{
		_cleanup_free_ struct pcidev **vset = NULL;
		size_t vn = 0;

		if (plan_group(l, &req, &vset, &vn, &why) == 0) {
			ret = cmd_vfio_refuse_in_use(c, o->op, vset, vn);
			if (ret == PB_EXIT_OK && o->op == PLAN_SEIZE && !o->driver &&
			    streq(req.stub, "vfio-pci")) {
				variants = calloc(vn + 1, sizeof(*variants));
				choices = calloc(vn + 1, sizeof(*choices));
				n_choices = vn;
				ret = variants && choices
					      ? cmd_vfio_variants(c, kq, vset, vn, choices, variants,
								  &req.n_variants)
					      : PB_EXIT_FAILURE;
				req.variants = variants;
			}
			if (ret != PB_EXIT_OK)
				return ret;
		}
	}

	plan_init(&p);
	if (o->op == PLAN_SEIZE) {
		r = plan_seize(l, &req, &p, &why);
	} else {
		size_t ns = 0;

		r = plan_group(l, &req, &set, &ns, &why);
		if (r == 0) {
			nat = calloc(ns + 1, sizeof(*nat));
			names = calloc(ns + 1, sizeof(*names));
			if (!nat || !names)
				r = -ENOMEM;
		}
		if (r == 0) {
			r = find_natives(c, kq, j, set, ns, o->dry_run, nat, names);
			if (r < 0) {
				plan_done(&p);
				return PB_EXIT_FAILURE;
			}
			/* Loading a native module registered a driver: look again. */
			if (!o->dry_run) {
				for (size_t i = 0; i < n; i++)
					addrs[i] = devs[i]->addr;
				set = mfree(set);
				s->l = pcidev_list_free(s->l);
				ret = cmd_scan(c, &s->l);
				l = s->l;
				if (ret != PB_EXIT_OK) {
					plan_done(&p);
					return ret;
				}
				for (size_t i = 0; i < n; i++) {
					devs[i] = pcidev_find(l, &addrs[i]);
					if (!devs[i]) {
						log_error("a device disappeared while pcibind looked");
						plan_done(&p);
						return PB_EXIT_FAILURE;
					}
				}
			}
			r = plan_release(l, &req, nat, ns, &p, &why);
		}
	}
	if (r == -EPERM) {
		print_refusal(c, o, l, pol, gf, &why);
		plan_done(&p);
		return PB_EXIT_REFUSED;
	}
	if (r < 0) {
		plan_done(&p);
		log_error_errno(r, "cannot plan the %s", op_name(o->op));
		return PB_EXIT_FAILURE;
	}

	if (o->dry_run) {
		struct journal_txn pending;

		if (j && journal_txn_read(j, &pending) == 0) {
			log_warning("an unfinished %s is in %s: a real run undoes it first",
				    pending.op, journal_dir(j));
			journal_txn_done(&pending);
		}
		/* Which vfio driver, and why, when the module index knows vfio_pci aliases. */
		for (size_t i = 0; i < n_choices && !c->json; i++)
			if (choices[i].pattern[0])
				printf("Driver for %s: %s\n", choices[i].bdf, choices[i].why);
		print_dry_run(c, o, &p);
		plan_done(&p);
		return PB_EXIT_OK;
	}
	if (p.n == 0) {
		for (size_t i = 0; i < n; i++)
			log_info("%s: already on %s, nothing to do", devs[i]->bdf,
				 devs[i]->driver ? devs[i]->driver : "no driver");
		plan_done(&p);
		return PB_EXIT_OK;
	}

	r = txn_build(j, l, &p, o, &txn);
	if (r == 0)
		r = journal_txn_write(j, &txn);
	if (r < 0) {
		log_error_errno(r, "cannot write the transaction to %s; nothing was changed",
				journal_dir(j));
		journal_txn_done(&txn);
		plan_done(&p);
		return PB_EXIT_FAILURE;
	}
	rb.txn = &txn;
	rb.skipped[0] = '\0';
	r = rebind_execute(&rb, &p, &f);
	if (r == 0 && rb.skipped[0])
		log_warning("returned without a reset (no-strict-reset): %s", rb.skipped);
	if (r < 0) {
		report_failure(o, &p, &f);
		r = undo_txn(&rb, j, &txn);
		ret = r < 0 ? PB_EXIT_STRANDED : PB_EXIT_ROLLED_BACK;
		if (r < 0)
			log_error("the devices above are recorded as stranded in %s; see 'pcibind "
				  "status', then 'pcibind release' them or reboot",
				  journal_dir(j));
		else
			log_error("every function is back where it was, with its driver and "
				  "driver_override as before");
		goto out_done;
	}
	r = records_commit(j, &txn, o, req.stub);
	if (r == 0)
		r = journal_txn_end(j);
	if (r < 0) {
		log_error_errno(r, "the %s is done but its record in %s is not; the transaction "
				   "stays, so the next seize, release or 'pcibind recover' undoes it",
				op_name(o->op), journal_dir(j));
		ret = PB_EXIT_FAILURE;
		goto out_done;
	}
	/* On this system, let udev finish (the netdev going, or coming back). */
	if (sysfs_is_default_root(c->sysfs) && strcmp(o->origin, "udev"))
		(void)udevq_settle(5000);
	if (o->persistent) {
		_cleanup_(pcidev_list_freep) struct pcidev_list *now = NULL;

		ret = cmd_scan(c, &now);
		if (ret == PB_EXIT_OK)
			ret = persist(c, o, now, &txn, req.stub);
		if (ret != PB_EXIT_OK)
			goto out_done;
	}
	for (size_t i = 0; i < txn.n; i++) {
		char drv[NAME_MAX + 1] = "";

		(void)sysfs_read_link_name(c->sysfs, drv, sizeof(drv), "bus/pci/devices/%s/driver",
					   txn.devs[i].before.bdf);
		printf("%s: %s -> %s\n", txn.devs[i].before.bdf,
		       txn.devs[i].before.driver[0] ? txn.devs[i].before.driver : "none",
		       drv[0] ? drv : "none");
	}
	ret = PB_EXIT_OK;
out_done:
	/* What changed (or changed and went back) is read again for the next change. */
	session_refresh(c, s, &txn);
	journal_txn_done(&txn);
	plan_done(&p);
	return ret;
}

enum {
	OPT_ALL_FUNCTIONS = CHAR_MAX + 1,
	OPT_DRY_RUN,
	OPT_DRIVER,
	OPT_PERSISTENT,
	OPT_GROUP,
};

static void change_help(enum plan_op op)
{
	if (op == PLAN_SEIZE)
		printf("Usage: pcibind [OPTIONS] seize DEVICE... [--driver pciback|vfio-pci|pci-stub]\n"
		       "       [-o permissive] [-o no-strict-reset] [--all-functions] [--dry-run]\n"
		       "\n"
		       "Move functions from their drivers to a passthrough stub (default: pciback\n"
		       "on a Xen dom0, else vfio-pci), verified and all-or-nothing.\n");
	else
		printf("Usage: pcibind [OPTIONS] release DEVICE... [-o no-strict-reset]\n"
		       "       [--all-functions] [--dry-run]\n"
		       "\n"
		       "Return functions from a stub to their native drivers (reattach is an alias).\n"
		       "A function that cannot be reset is refused unless -o no-strict-reset.\n");
	printf("\n"
	       "  -o NAME[=BOOL]     %s (qvm-pci spelling)\n"
	       "  --all-functions    move every function of the slot together\n"
	       "  --group            move every endpoint of the IOMMU group together\n"
	       "  --persistent       also write (seize) or remove (release) a rule in\n"
	       "                     /etc/pcibind/policy.d/90-persistent.conf\n"
	       "  -n, --dry-run      print the sysfs writes in order, change nothing\n"
	       "  -j, --json         print the --dry-run plan as JSON\n",
	       op == PLAN_SEIZE ? "permissive, no-strict-reset" : "no-strict-reset");
}

static int change_main(struct pb_ctx *c, enum plan_op op, int argc, char **argv)
{
	static const struct option options[] = {
		{ "driver", required_argument, NULL, OPT_DRIVER },
		{ "option", required_argument, NULL, 'o' },
		{ "all-functions", no_argument, NULL, OPT_ALL_FUNCTIONS },
		{ "persistent", no_argument, NULL, OPT_PERSISTENT },
		{ "group", no_argument, NULL, OPT_GROUP },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct change_opts o = { .op = op, .origin = "cli" };
	int opt, r;

	while ((opt = getopt_long(argc, argv, "o:njh", options, NULL)) >= 0) {
		switch (opt) {
		case OPT_DRIVER:
			if (op != PLAN_SEIZE)
				return cmd_usage_error("--driver goes with seize; release returns "
						       "to the native driver");
			if (pcidev_stub_from_driver(optarg) == PCIDEV_STUB_NONE)
				return cmd_usage_error("--driver %s: not a stub (one of pciback, "
						       "vfio-pci, pci-stub)",
						       optarg);
			o.driver = optarg;
			break;
		case 'o':
			r = cmd_parse_o(optarg, &o);
			if (r != 0)
				return r < 0 ? PB_EXIT_FAILURE : r;
			break;
		case OPT_ALL_FUNCTIONS:
			o.all_functions = true;
			break;
		case OPT_PERSISTENT:
			o.persistent = true;
			break;
		case OPT_GROUP:
			o.iommu_group = true;
			break;
		case 'n':
			o.dry_run = true;
			break;
		case 'j':
			c->json = true;
			break;
		case 'h':
			change_help(op);
			return PB_EXIT_OK;
		default:
			return cmd_option_error(op_name(op), argv);
		}
	}
	if (o.permissive && o.driver && !streq(o.driver, "pciback"))
		return cmd_usage_error("-o permissive applies only to --driver pciback");
	return cmd_change(c, &o, argv + optind, argc - optind);
}

/* pcibind recover: finish what a killed pcibind left (undo its transaction). */
int cmd_recover(struct pb_ctx *c, int argc, char **argv)
{
	_cleanup_(journal_closep) struct journal *j = NULL;
	_cleanup_(kmodq_freep) struct kmodq *kq = NULL;
	struct rebind rb = { .s = c->sysfs, .probe_timeout_ms = c->probe_timeout_ms };
	int r;

	if (argc > 1 && (streq(argv[1], "-h") || streq(argv[1], "--help"))) {
		printf("Usage: pcibind [OPTIONS] recover\n\n"
		       "Undo the transaction a killed pcibind left unfinished, putting every\n"
		       "function back where it was. seize and release do this first anyway.\n");
		return PB_EXIT_OK;
	}
	if (argc > 1)
		return cmd_usage_error("recover takes no arguments");
	r = journal_open(c->roots.state_dir, true, c->lock_timeout_ms, &j);
	if (r == -EWOULDBLOCK) {
		log_error("another pcibind holds %s/lock (waited %d ms); try again when it is done",
			  c->roots.state_dir, c->lock_timeout_ms);
		return PB_EXIT_FAILURE;
	}
	if (r < 0) {
		log_error_errno(r, "cannot open and lock the state directory '%s'",
				c->roots.state_dir);
		return PB_EXIT_FAILURE;
	}
	if (kmodq_new(c->roots.modules_dir, &kq) == 0)
		kmodq_allow_load(kq, sysfs_is_default_root(c->sysfs));
	rb.kmod = kq;
	rb.j = j;
	return recover(&rb, j);
}

/* pcibind seize DEVICE... Returns an exit code. */
int cmd_seize(struct pb_ctx *c, int argc, char **argv)
{
	return change_main(c, PLAN_SEIZE, argc, argv);
}

/* pcibind release DEVICE... (alias reattach). Returns an exit code. */
int cmd_release(struct pb_ctx *c, int argc, char **argv)
{
	return change_main(c, PLAN_RELEASE, argc, argv);
}

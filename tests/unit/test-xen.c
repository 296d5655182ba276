/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for xen.c and decide_xen_holder(): detection, the errno map, who holds a device. */
#include "unit.h"

#include "decide.h"
#include "macro.h"
#include "pcidev.h"
#include "proc.h"
#include "sysfs.h"
#include "xen.h"

/* ---- a xenstore as (path, value) pairs, and a backend around it ------------------ */

struct kv {
	const char *path, *value;
};

static void store_from(struct xen_store *st, const struct kv *kv)
{
	*st = (struct xen_store){ 0 };
	for (; kv->path; kv++)
		assert_int_equal(xen_store_add(st, kv->path, kv->value), 0);
}

struct fake {
	int test_assign;		/* what test_assign answers */
	int deassign;
	int dump;			/* 0: dump STORE; else this error */
	const struct kv *store;
	unsigned int dumps, deassigns;
	uint32_t last_sbdf;
};

static int f_deassign(void *ctx, uint32_t sbdf)
{
	struct fake *f = ctx;

	f->deassigns++;
	f->last_sbdf = sbdf;
	return f->deassign;
}

static int f_test_assign(void *ctx, uint32_t sbdf)
{
	struct fake *f = ctx;

	f->last_sbdf = sbdf;
	return f->test_assign;
}

static int f_dump(void *ctx, int timeout_ms, struct xen_store *ret)
{
	struct fake *f = ctx;

	assert_true(timeout_ms > 0); /* xenstore is never read without a timeout */
	f->dumps++;
	if (f->dump)
		return f->dump;
	for (const struct kv *kv = f->store; kv && kv->path; kv++) {
		int r = xen_store_add(ret, kv->path, kv->value);

		if (r < 0)
			return r;
	}
	return 0;
}

static const struct xen_backend fake_ops = {
	.deassign = f_deassign,
	.test_assign = f_test_assign,
	.store_dump = f_dump,
};

static const struct pci_addr nic = { 0, 0x02, 0x00, 0 };

#define BK "/local/domain/0/backend/pci/"

/* ---- the errno map --------------------------------------------------------------- */

static void test_dq_outcome(void **state)
{
	(void)state;
	assert_int_equal(xen_dq_outcome(0), XEN_DQ_DONE);
	assert_int_equal(xen_dq_outcome(-ENODEV), XEN_DQ_NOT_QUARANTINED);
	assert_int_equal(xen_dq_outcome(-EOPNOTSUPP), XEN_DQ_NO_IOMMU);
	assert_int_equal(xen_dq_outcome(-ESRCH), XEN_DQ_OLD_XEN);
	assert_int_equal(xen_dq_outcome(-EACCES), XEN_DQ_FAILED);
	assert_int_equal(xen_dq_outcome(-EINVAL), XEN_DQ_FAILED);
	assert_int_equal(xen_dq_outcome(-EPERM), XEN_DQ_FAILED);
	assert_int_equal(xen_dq_outcome(-ENOENT), XEN_DQ_FAILED);
	assert_int_equal(xen_dq_outcome(-EIO), XEN_DQ_FAILED);
}

static void test_dq_describe(void **state)
{
	char buf[400];

	(void)state;
	xen_dq_describe(0, "0000:01:00.0", buf, sizeof(buf));
	assert_non_null(strstr(buf, "0000:01:00.0 from its quarantine (DOM_IO) back to dom0"));
	xen_dq_describe(-ESRCH, "0000:01:00.0", buf, sizeof(buf));
	assert_non_null(strstr(buf, "older than 4.13"));
	xen_dq_describe(-EACCES, "0000:01:00.0", buf, sizeof(buf));
	assert_non_null(strstr(buf, "another Xen version"));
	/* a missing library names the Debian packages, never "Object is remote" */
	xen_dq_describe(-ELIBACC, "0000:01:00.0", buf, sizeof(buf));
	assert_non_null(strstr(buf, "libxenctrl"));
	assert_non_null(strstr(buf, "not installed"));
	assert_non_null(strstr(buf, "libxenmisc4.17"));
	assert_non_null(strstr(buf, "libxenstore4"));
	assert_null(strstr(xen_strerror(-EREMOTE), strerror(EREMOTE)));
	assert_non_null(strstr(xen_strerror(-EREMOTE), "not this system's"));
	xen_dq_describe(-EIO, "0000:01:00.0", buf, sizeof(buf));
	assert_non_null(strstr(buf, strerror(EIO)));
	assert_non_null(strstr(buf, "no MSI and no DMA"));
}

static void test_sbdf(void **state)
{
	const struct pci_addr a = { 0, 0x01, 0x00, 0 }, b = { 1, 0xff, 0x1f, 7 },
			      c = { 0x10001, 0x03, 0x02, 1 };

	(void)state;
	assert_int_equal(xen_sbdf(&a), 0x100);
	assert_int_equal(xen_sbdf(&b), 0x1ffff);
	/* Xen's segment is 16 bits. */
	assert_int_equal(xen_sbdf(&c), 0x10311);
}

/* The de-assign goes to the backend with the right sbdf, and only on a dom0. */
static void test_dequarantine_calls(void **state)
{
	struct fake f = { .deassign = -ENODEV };
	_cleanup_(xen_closep) struct xen *x = NULL, *y = NULL;
	const struct pci_addr a = { 0, 0x01, 0x00, 0 };

	(void)state;
	assert_int_equal(xen_open_with(XEN_HOST_DOM0, &fake_ops, &f, &x), 0);
	assert_int_equal(xen_dequarantine(x, &a), -ENODEV);
	assert_int_equal(f.last_sbdf, 0x100);
	f.deassign = 0;
	assert_int_equal(xen_dequarantine(x, &a), 0);
	assert_int_equal(f.deassigns, 2);

	/* No backend and not a dom0: nothing is loaded, and ENODEV is never faked. */
	assert_int_equal(xen_open_with(XEN_HOST_NONE, NULL, NULL, &y), 0);
	assert_false(xen_is_dom0(y));
	assert_int_equal(xen_dequarantine(y, &a), -ENOENT);
}

/* ---- xenstore verdicts ------------------------------------------------------------ */

/* One xenstore and what xen_store_find_user() must make of it. Each case runs as its
 * own cmocka test under its name; a field left at NOT_CHECKED (or NULL) is not checked. */
#define NOT_CHECKED (-1)

struct store_case {
	const char *name;
	const struct kv *kv;
	int found;		/* xen_store_find_user()'s answer */
	int domid, backend_domid, named;
	const char *user;	/* u.name */
	const char *shown;	/* xen_user_format() */
};

static const struct kv in_use[] = {
	{ BK "3/0/num_devs", "2" },
	{ BK "3/0/dev-0", "0000:00:14.0" },
	{ BK "3/0/state-0", "3" },
	{ BK "3/0/dev-1", "0000:02:00.0" },
	{ BK "3/0/state-1", "3" },
	{ "/local/domain/3", "" },
	{ "/local/domain/3/name", "sys-net" },
	{},
};

/* After a detach libxl renumbers dev-N; beyond num_devs during it still counts. */
static const struct kv renumbered[] = {
	{ BK "5/0/num_devs", "1" },
	{ BK "5/0/dev-0", "0000:00:14.0" },
	{ BK "5/0/state-0", "3" },
	{ BK "5/0/dev-1", "0000:02:00.0" },
	{ BK "5/0/state-1", "1" },
	{ "/local/domain/5", "" },
	{ "/local/domain/5/name", "sys-usb" },
	{},
};

static const struct kv stale[] = {
	{ BK "7/0/dev-0", "0000:02:00.0" },
	{ BK "7/0/state-0", "3" },
	{ "/local/domain/0", "" },
	{},
};

static const struct kv closed[] = {
	{ BK "3/0/dev-0", "0000:02:00.0" },
	{ BK "3/0/state-0", "6" },
	{ "/local/domain/3", "" },
	{},
};

static const struct kv other[] = {
	{ BK "3/0/dev-0", "0000:02:00.1" },
	{ BK "3/0/vdev-0", "0000:02:00.00" },
	{ BK "3/0/dev-10x", "0000:02:00.0" },
	{ "/local/domain/3", "" },
	{},
};

/* A detach in progress (5, Closing) still holds it; no name: just the id. */
static const struct kv closing_nameless[] = {
	{ BK "3/0/dev-0", "0000:02:00.0" },
	{ BK "3/0/state-0", "5" },
	{ "/local/domain/3", "" },
	{},
};

static const struct kv stubdom[] = {
	{ BK "4/0/dev-0", "0000:02:00.0" },
	{ BK "4/0/state-0", "3" },
	{ "/local/domain/4", "" },
	{ "/local/domain/4/name", "sys-net-dm" },
	{ "/local/domain/4/target", "3" },
	{ "/local/domain/3", "" },
	{ "/local/domain/3/name", "sys-net" },
	{},
};

#define NONE NOT_CHECKED
static struct store_case store_cases[] = {
	{ "store_in_use", in_use, 1, 3, 3, true, "sys-net", "domain 3 (sys-net)" },
	{ "store_renumbered", renumbered, 1, 5, NONE, NONE, "sys-usb", NULL },
	{ "store_stale", stale, 0, NONE, NONE, NONE, NULL, NULL },
	{ "store_closed", closed, 0, NONE, NONE, NONE, NULL, NULL },
	{ "store_other", other, 0, NONE, NONE, NONE, NULL, NULL },
	{ "store_closing_nameless", closing_nameless, 1, NONE, NONE, false, NULL, "domain 3" },
	{ "store_stubdom", stubdom, 1, 3, 4, NONE, NULL,
	  "domain 3 (sys-net, through stub domain 4)" },
};
#undef NONE

static void test_store_case(void **state)
{
	const struct store_case *c = *state;
	struct xen_store st;
	struct xen_user u;
	char buf[200];

	store_from(&st, c->kv);
	assert_int_equal(xen_store_find_user(&st, &nic, &u), c->found);
	if (c->domid != NOT_CHECKED)
		assert_int_equal(u.domid, c->domid);
	if (c->backend_domid != NOT_CHECKED)
		assert_int_equal(u.backend_domid, c->backend_domid);
	if (c->named != NOT_CHECKED)
		assert_int_equal(u.named, c->named);
	if (c->user)
		assert_string_equal(u.name, c->user);
	if (c->shown) {
		xen_user_format(&u, buf, sizeof(buf));
		assert_string_equal(buf, c->shown);
	}
	xen_store_done(&st);
}

/* ---- xen_store_collect: what is copied out of a xenstore ----------------------------- */

static const struct kv tree[] = {
	{ "/local/domain", "" },
	{ "/local/domain/0", "" },
	{ "/local/domain/0/name", "Domain-0" },
	{ "/local/domain/0/backend/pci", "" },
	{ "/local/domain/0/backend/pci/4", "" },
	{ "/local/domain/0/backend/pci/4/0", "" },
	{ BK "4/0/num_devs", "1" },
	{ BK "4/0/dev-0", "0000:02:00.0" },
	{ BK "4/0/state-0", "3" },
	{ BK "4/0/frontend", "/local/domain/4/device/pci/0" },
	{ BK "4/0/opts-0", "msitranslate=0" },
	{ "/local/domain/4", "" },
	{ "/local/domain/4/name", "sys-net-dm" },
	{ "/local/domain/4/target", "3" },
	{ "/local/domain/3", "" },
	{ "/local/domain/3/name", "sys-net" },
	{ "/local/domain/9", "" },
	{ "/local/domain/9/name", "unrelated" },
	{},
};

static const struct kv empty[] = { {} };

static int t_list(void *h, const char *path, char ***ret)
{
	const struct kv *t = h;
	size_t n = 0, len = strlen(path);
	char **v = calloc(32, sizeof(*v));
	bool found = false;

	assert_non_null(v);
	for (; t->path; t++) {
		const char *rest;

		if (streq(t->path, path))
			found = true;
		if (strncmp(t->path, path, len) || t->path[len] != '/')
			continue;
		rest = t->path + len + 1;
		if (strchr(rest, '/'))
			continue;
		assert_true(n < 31);
		v[n++] = strdup(rest);
	}
	if (!found) {
		strv_free(v);
		return -ENOENT;
	}
	*ret = v;
	return 0;
}

static int t_read(void *h, const char *path, char **ret)
{
	for (const struct kv *t = h; t->path; t++)
		if (streq(t->path, path)) {
			*ret = strdup(t->value);
			return 0;
		}
	return -ENOENT;
}

static void test_store_collect(void **state)
{
	static const struct xen_store_ops ops = { .list = t_list, .read = t_read };
	struct xen_store st = { 0 };
	struct xen_user u;

	(void)state;
	assert_int_equal(xen_store_collect(&ops, (void *)tree, &st), 0);
	assert_string_equal(xen_store_get(&st, BK "4/0/dev-0"), "0000:02:00.0");
	assert_string_equal(xen_store_get(&st, BK "4/0/num_devs"), "1");
	assert_string_equal(xen_store_get(&st, "/local/domain/3/name"), "sys-net");
	/* Only what the verdict needs. */
	assert_null(xen_store_get(&st, BK "4/0/opts-0"));
	assert_null(xen_store_get(&st, "/local/domain/9/name"));
	assert_int_equal(xen_store_find_user(&st, &nic, &u), 1);
	assert_int_equal(u.domid, 3);
	xen_store_done(&st);

	/* Not even /local/domain: not a xenstore. */
	assert_int_equal(xen_store_collect(&ops, (void *)empty, &st), -ENOENT);
	xen_store_done(&st);
}

/* ---- xen_assigned_domain: the hypervisor first, xenstore for the name -------------------- */

static const struct kv held[] = {
	{ BK "3/0/dev-0", "0000:02:00.0" },
	{ BK "3/0/state-0", "3" },
	{ "/local/domain/3", "" },
	{ "/local/domain/3/name", "sys-net" },
	{},
};

static void test_assigned_domain(void **state)
{
	struct fake f = { .store = held };
	_cleanup_(xen_closep) struct xen *x = NULL;
	struct xen_user u;

	(void)state;
	assert_int_equal(xen_open_with(XEN_HOST_DOM0, &fake_ops, &f, &x), 0);

	/* Xen: dom0 or DOM_IO owns it. No guest, and xenstore is not read. */
	f.test_assign = 0;
	assert_int_equal(xen_assigned_domain(x, &nic, &u), 0);
	assert_int_equal(f.dumps, 0);
	assert_int_equal(f.last_sbdf, 0x200);

	/* Xen: another domain owns it; xenstore names it. */
	f.test_assign = -EINVAL;
	assert_int_equal(xen_assigned_domain(x, &nic, &u), 1);
	assert_int_equal(u.domid, 3);
	assert_string_equal(u.name, "sys-net");

	/* ... xenstore unreadable: still held, by an unnamed domain. */
	f.dump = -ETIMEDOUT;
	assert_int_equal(xen_assigned_domain(x, &nic, &u), 1);
	assert_int_equal(u.domid, XEN_DOMID_INVALID);
	assert_false(u.named);

	/* No IOMMU (EOPNOTSUPP): xenstore alone decides, both ways. */
	f.test_assign = -EOPNOTSUPP;
	f.dump = 0;
	assert_int_equal(xen_assigned_domain(x, &nic, &u), 1);
	f.store = NULL;
	assert_int_equal(xen_assigned_domain(x, &nic, &u), 0);

	/* Nobody can answer: an error, the caller fails closed. */
	f.test_assign = -ENOENT;
	f.dump = -ENOENT;
	assert_int_equal(xen_assigned_domain(x, &nic, &u), -ENOENT);
}

/* Detection from a sysfs and a /proc root, and XEN_OPEN_NO_XENSTORE. */
static void test_detect(void **state)
{
	struct unit_dir *d = *state;
	char sysroot[PATH_MAX], procroot[PATH_MAX];
	_cleanup_(sysfs_closep) struct sysfs *s = NULL;
	_cleanup_(proc_closep) struct proc *p = NULL;
	struct fake f = { .test_assign = -EOPNOTSUPP, .store = held };
	struct xen *x;
	struct xen_user u;

	unit_mkdirs(d->root, "sys/bus/pci/devices");
	unit_mkdirs(d->root, "proc");
	assert_int_equal(sysfs_open(unit_path(d->root, "sys", sysroot), &s), 0);
	assert_int_equal(proc_open(unit_path(d->root, "proc", procroot), &p), 0);

	assert_int_equal(xen_open(s, p, 0, &x), 0);
	assert_int_equal(xen_host(x), XEN_HOST_NONE);
	x = xen_close(x);

	unit_write_str(d->root, "sys/hypervisor/type", "xen\n");
	assert_int_equal(xen_open(s, p, 0, &x), 0);
	assert_int_equal(xen_host(x), XEN_HOST_OTHER);
	x = xen_close(x);
	assert_int_equal(xen_open(s, NULL, 0, &x), 0);
	assert_int_equal(xen_host(x), XEN_HOST_OTHER);
	x = xen_close(x);

	unit_write_str(d->root, "proc/xen/capabilities", "\n");
	assert_int_equal(xen_open(s, p, 0, &x), 0);
	assert_int_equal(xen_host(x), XEN_HOST_OTHER);
	x = xen_close(x);

	unit_write_str(d->root, "proc/xen/capabilities", "control_d\n");
	assert_int_equal(xen_open(s, p, 0, &x), 0);
	assert_true(xen_is_dom0(x));
	/* A fixture's dom0 is not this system's Xen: its libraries are not used, and
	 * that is never mistaken for Xen's EOPNOTSUPP (no IOMMU: fine). */
	assert_int_equal(xen_assigned_domain(x, &nic, &u), -EREMOTE);
	assert_int_equal(xen_dequarantine(x, &nic), -EREMOTE);
	assert_int_equal(xen_dq_outcome(xen_dequarantine(x, &nic)), XEN_DQ_FAILED);
	x = xen_close(x);

	/* boot and udev: xenstore is never read. */
	assert_int_equal(xen_open(s, p, XEN_OPEN_NO_XENSTORE, &x), 0);
	xen_set_backend(x, &fake_ops, &f);
	assert_int_equal(xen_assigned_domain(x, &nic, &u), -EOPNOTSUPP);
	assert_int_equal(f.dumps, 0);
	x = xen_close(x);
	assert_int_equal(xen_open(s, p, 0, &x), 0);
	xen_set_backend(x, &fake_ops, &f);
	assert_int_equal(xen_assigned_domain(x, &nic, &u), 1);
	assert_int_equal(f.dumps, 1);
	x = xen_close(x);
}

/* ---- the verdict ------------------------------------------------------------------ */

static void test_decide_holder(void **state)
{
	struct pcidev d = { .addr = { 0, 2, 0, 0 }, .bdf = "0000:02:00.0" };
	struct xen_user u = { .domid = 3, .backend_domid = 3, .named = true, .name = "sys-net" };
	struct verdict v;

	(void)state;
	decide_xen_holder(&d, 0, &u, &v);
	assert_true(v.allowed);
	decide_xen_holder(&d, 1, &u, &v);
	assert_false(v.allowed);
	assert_non_null(strstr(v.reason, "0000:02:00.0 is in use by domain 3 (sys-net)"));
	u = (struct xen_user){ .domid = XEN_DOMID_INVALID, .backend_domid = XEN_DOMID_INVALID,
			       .source = "the hypervisor" };
	decide_xen_holder(&d, 1, &u, &v);
	assert_false(v.allowed);
	assert_non_null(strstr(v.reason, "a domain other than dom0"));
	decide_xen_holder(&d, -ENOENT, NULL, &v);
	assert_false(v.allowed);
	assert_non_null(strstr(v.reason, "cannot determine whether 0000:02:00.0 is assigned"));
	decide_xen_holder(&d, -ELIBACC, NULL, &v);
	assert_false(v.allowed);
	assert_non_null(strstr(v.reason, "libxenmisc4.17"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dq_outcome),
		cmocka_unit_test(test_dq_describe),
		cmocka_unit_test(test_sbdf),
		cmocka_unit_test(test_dequarantine_calls),
		cmocka_unit_test(test_store_collect),
		cmocka_unit_test(test_assigned_domain),
		cmocka_unit_test_setup_teardown(test_detect, unit_setup_dir, unit_teardown_dir),
		cmocka_unit_test(test_decide_holder),
	};
	struct CMUnitTest store_tests[ELEMENTSOF(store_cases)];

	for (size_t i = 0; i < ELEMENTSOF(store_cases); i++)
		store_tests[i] = (struct CMUnitTest){ .name = store_cases[i].name,
						      .test_func = test_store_case,
						      .initial_state = &store_cases[i] };
	return cmocka_run_group_tests(tests, NULL, NULL) |
	       cmocka_run_group_tests(store_tests, NULL, NULL);
}

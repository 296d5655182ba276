/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lazy-plans ROOT...: on each sysfs tree, for every function D, take a fresh
 * lazy snapshot (PCIDEV_SCAN_LAZY), load D's details (pcidev_load_details)
 * and check that D, its slot and IOMMU group read the same as in the full
 * snapshot, and that every seize and release plan for D (each stub, with and
 * without --all-functions, no-strict-reset and permissive), its refusals,
 * its guards and its reset reason are the same text. Exit 0 when all agree,
 * 1 with the first difference on stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "macro.h"
#include "pcidev.h"
#include "plan.h"
#include "sysfs.h"

static const char *root;
static size_t n_checked, n_plans;

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, "lazy-plans: %s: ", root);                                         \
		fprintf(stderr, __VA_ARGS__);                                                      \
		fputc('\n', stderr);                                                               \
		exit(1);                                                                           \
	} while (0)

static bool strv_same(char **a, char **b)
{
	for (; a && *a && b && *b; a++, b++)
		if (strcmp(*a, *b))
			return false;
	return (!a || !*a) == (!b || !*b) && !a == !b;
}

/*
 * Every field of the model, lazily and fully read, must agree; with
 * DECIDE, those a decision reads (pcidev_load_details()), which leave out
 * what only show and explain print (the revision, the header type of a
 * function that is no bridge, net/: pcidev_load_shown()).
 */
static void same_dev_as(const struct pcidev *x, const struct pcidev *y, bool decide)
{
#define SAME_INT(f)                                                                                \
	if (x->f != y->f)                                                                          \
		FAIL("%s: " #f " is %lld lazily, %lld fully", x->bdf, (long long)x->f,              \
		     (long long)y->f)
#define SAME_STR(f)                                                                                \
	if (!streq_ptr(x->f, y->f))                                                                \
		FAIL("%s: " #f " is '%s' lazily, '%s' fully", x->bdf, x->f ? x->f : "(null)", y->f ? y->f : "(null)")

	if (!x->details)
		FAIL("%s: its details were not loaded", x->bdf);
	SAME_STR(bdf);
	SAME_STR(qubes);
	SAME_INT(vendor);
	SAME_INT(device);
	SAME_INT(subsys_vendor);
	SAME_INT(subsys_device);
	SAME_INT(class);
	if (!decide)
		SAME_INT(revision);
	if (!decide || pcidev_is_bridge(y)) {
		SAME_INT(header_type);
		SAME_INT(multifunction);
	}
	SAME_STR(driver);
	SAME_STR(driver_module);
	SAME_STR(driver_override);
	SAME_STR(modalias);
	SAME_INT(stub);
	SAME_INT(in_pciback_slots);
	SAME_INT(resettable);
	SAME_INT(iommu_group);
	SAME_INT(boot_vga);
	SAME_INT(secondary_bus);
	SAME_STR(parent_bdf);
	SAME_STR(physfn_bdf);
	SAME_INT(sriov_totalvfs);
	SAME_INT(sriov_numvfs);
	if (!x->parent != !y->parent || (x->parent && strcmp(x->parent->bdf, y->parent->bdf)))
		FAIL("%s: parent differs", x->bdf);
	if (!x->physfn != !y->physfn || (x->physfn && strcmp(x->physfn->bdf, y->physfn->bdf)))
		FAIL("%s: physfn differs", x->bdf);
	if (!strv_same(x->reset_methods, y->reset_methods))
		FAIL("%s: reset_methods differ", x->bdf);
	if (!strv_same(x->virtfns, y->virtfns))
		FAIL("%s: virtfns differ", x->bdf);
	if (!decide && !strv_same(x->net_ifaces, y->net_ifaces))
		FAIL("%s: net_ifaces differ", x->bdf);
#undef SAME_INT
#undef SAME_STR
	n_checked++;
}

static void same_dev(const struct pcidev *x, const struct pcidev *y)
{
	same_dev_as(x, y, true);
}

/* The plan (or the refusal) as text. */
static char *plan_text(const struct pcidev_list *l, struct pcidev *d, enum plan_op op,
		       const char *stub, unsigned int v)
{
	_cleanup_free_ struct pcidev **set = NULL;
	struct plan_native nat[64];
	struct pcidev *devs[1] = { d };
	struct plan_request req = { .op = op, .devs = devs, .n = 1, .stub = stub,
				    .all_functions = v & 1, .no_strict_reset = v & 2,
				    .permissive = v & 4 };
	struct plan_refusal why = { 0 };
	struct plan p;
	char *buf = NULL;
	size_t size = 0, ns = 0;
	FILE *f = open_memstream(&buf, &size);
	int r;

	if (!f)
		FAIL("open_memstream: %m");
	plan_init(&p);
	if (op == PLAN_SEIZE) {
		r = plan_seize(l, &req, &p, &why);
	} else {
		r = plan_group(l, &req, &set, &ns, &why);
		if (r == 0) {
			if (ns > ELEMENTSOF(nat))
				ns = ELEMENTSOF(nat);
			for (size_t i = 0; i < ns; i++)
				nat[i] = (struct plan_native){ .bdf = set[i]->bdf,
							       .driver = (v & 16) ? NULL : "native",
							       .module = "native_mod" };
			r = plan_release(l, &req, nat, ns, &p, &why);
		}
	}
	fprintf(f, "r=%d refused %s: %s\n", r, why.bdf, why.reason);
	if (r == 0)
		plan_print(&p, f);
	plan_done(&p);
	fclose(f);
	n_plans++;
	return buf;
}

static char *guard_text(struct sysfs *s, const struct pcidev_list *l, const struct pcidev *d)
{
	char reason[2048], *buf;
	struct guards g;
	size_t len = 0;

	if (pcidev_reset_reason(l, d, reason, sizeof(reason)) < 0)
		strcpy(reason, "(too long)");
	guard_check(s, NULL, d, &g);
	buf = malloc(4096 + sizeof(reason));
	if (!buf)
		FAIL("out of memory");
	len += snprintf(buf + len, 4096 - len, "%s\n", reason);
	for (size_t i = 0; i < g.n && len < 4096; i++)
		len += snprintf(buf + len, 4096 - len, "%s: %s\n", guard_name(g.hits[i].kind),
				g.hits[i].detail);
	return buf;
}

static void check_tree(void)
{
	_cleanup_(sysfs_closep) struct sysfs *s = NULL;
	_cleanup_(pcidev_list_freep) struct pcidev_list *full = NULL;
	static const char *const stubs[] = { "pciback", "vfio-pci", "pci-stub" };
	int r;

	r = sysfs_open(root, &s);
	if (r < 0)
		FAIL("cannot open: %s", strerror(-r));
	r = pcidev_scan(s, 0, &full);
	if (r < 0)
		FAIL("full scan: %s", strerror(-r));
	if (full->n == 0)
		FAIL("no PCI functions: not a tree to compare on");
	/*
	 * The cheap pass alone: what boot selects by, and what a Qubes path
	 * needs (the revision is a detail: only list, show and explain print it).
	 */
	{
		_cleanup_(pcidev_list_freep) struct pcidev_list *lazy = NULL;

		if (pcidev_scan(s, PCIDEV_SCAN_LAZY, &lazy) < 0 || lazy->n != full->n)
			FAIL("lazy scan failed or differs in size");
		for (size_t i = 0; i < full->n; i++) {
			const struct pcidev *x = lazy->devs[i], *y = full->devs[i];

			if (strcmp(x->bdf, y->bdf) || strcmp(x->qubes, y->qubes) ||
			    x->vendor != y->vendor || x->device != y->device ||
			    x->subsys_vendor != y->subsys_vendor ||
			    x->subsys_device != y->subsys_device || x->class != y->class ||
			    !streq_ptr(x->driver, y->driver) ||
			    !streq_ptr(x->driver_module, y->driver_module) || x->stub != y->stub ||
			    x->in_pciback_slots != y->in_pciback_slots ||
			    strcmp(x->parent_bdf, y->parent_bdf) ||
			    (pcidev_is_bridge(y) && x->secondary_bus != y->secondary_bus))
				FAIL("%s: the cheap pass reads it otherwise than the full scan", y->bdf);
		}
		n_checked += full->n;
	}
	for (size_t i = 0; i < full->n; i++) {
		_cleanup_(pcidev_list_freep) struct pcidev_list *lazy = NULL;
		_cleanup_strv_free_ char **members = NULL;
		struct pcidev *fd = full->devs[i], *ld;
		struct pcidev *sib[16];
		size_t ns;

		r = pcidev_scan(s, PCIDEV_SCAN_LAZY, &lazy);
		if (r < 0)
			FAIL("lazy scan: %s", strerror(-r));
		if (lazy->n != full->n)
			FAIL("%zu functions lazily, %zu fully", lazy->n, full->n);
		for (size_t k = 0; k < lazy->n; k++)
			if (lazy->devs[k]->details)
				FAIL("%s: a lazy scan read details", lazy->devs[k]->bdf);
		ld = pcidev_find_bdf(lazy, fd->bdf);
		if (!ld)
			FAIL("%s missing from the lazy snapshot", fd->bdf);
		r = pcidev_load_details(s, lazy, ld);
		if (r < 0)
			FAIL("%s: load details: %s", fd->bdf, strerror(-r));
		same_dev(ld, fd);
		ns = pcidev_slot_functions(lazy, ld, sib, ELEMENTSOF(sib));
		for (size_t k = 0; k < ns && k < ELEMENTSOF(sib); k++)
			same_dev(sib[k], pcidev_find_bdf(full, sib[k]->bdf));
		/*
		 * Before its group is read: a seize to pciback or pci-stub (the
		 * engine reads the group only for vfio, --group and a release).
		 */
		for (size_t k = 0; k < ELEMENTSOF(stubs); k++)
			for (unsigned int v = 0; v < 8 && strcmp(stubs[k], "vfio-pci"); v++) {
				_cleanup_free_ char *a = plan_text(lazy, ld, PLAN_SEIZE, stubs[k], v);
				_cleanup_free_ char *b = plan_text(full, fd, PLAN_SEIZE, stubs[k], v);

				if (strcmp(a, b))
					FAIL("%s: seize to %s (variant %u) without its group differs:\n"
					     "--- lazy\n%s--- full\n%s",
					     fd->bdf, stubs[k], v, a, b);
			}
		r = pcidev_load_group(s, lazy, ld);
		if (r < 0)
			FAIL("%s: load group: %s", fd->bdf, strerror(-r));
		if (pcidev_iommu_members(s, ld, &members) >= 0)
			for (char **m = members; m && *m; m++)
				if (pcidev_find_bdf(lazy, *m))
					same_dev(pcidev_find_bdf(lazy, *m), pcidev_find_bdf(full, *m));

		for (size_t k = 0; k < ELEMENTSOF(stubs); k++)
			for (unsigned int v = 0; v < 32; v++) {
				enum plan_op op = v < 8 ? PLAN_SEIZE : PLAN_RELEASE;
				_cleanup_free_ char *a = plan_text(lazy, ld, op, stubs[k], v);
				_cleanup_free_ char *b = plan_text(full, fd, op, stubs[k], v);

				if (strcmp(a, b))
					FAIL("%s: %s to %s (variant %u) plans differ:\n--- lazy\n%s--- "
					     "full\n%s",
					     fd->bdf, op == PLAN_SEIZE ? "seize" : "release", stubs[k],
					     v, a, b);
			}
		{
			_cleanup_free_ char *a = guard_text(s, lazy, ld);
			_cleanup_free_ char *b = guard_text(s, full, fd);

			if (strcmp(a, b))
				FAIL("%s: guards or reset reason differ:\n%s---\n%s", fd->bdf, a, b);
		}
	}
	/* Loading everything lazily is the full snapshot. */
	{
		_cleanup_(pcidev_list_freep) struct pcidev_list *lazy = NULL;

		if (pcidev_scan(s, PCIDEV_SCAN_LAZY, &lazy) < 0 ||
		    pcidev_load_all_details(s, lazy) < 0)
			FAIL("lazy scan with every detail failed");
		for (size_t i = 0; i < full->n; i++)
			same_dev_as(lazy->devs[i], full->devs[i], false);
	}
	printf("lazy-plans: %s: %zu functions, lazy = full\n", root, full->n);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: lazy-plans SYSFS_ROOT...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		root = argv[i];
		check_tree();
	}
	printf("lazy-plans: %zu function comparisons, %zu plans compared\n", n_checked, n_plans);
	return 0;
}

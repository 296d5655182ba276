/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Planning: pure functions from a snapshot and a request to an ordered list
 * of sysfs writes. No I/O here: --dry-run prints exactly what rebind.c then
 * does, and tests feed snapshots directly.
 *
 * Every change is one "move": each function of a group goes to a target
 * driver (or none) and ends with a given driver_override. Seize, release and
 * rollback are all moves, so they share one order of phases:
 *
 *   load the target driver's module; reset (release, while still on the
 *   stub); pciback new_slot; pin driver_override to the target (before
 *   unbinding, so that no other driver grabs it); unbind, EHCI first;
 *   pciback remove_slot; bind to the target, EHCI first; pciback
 *   permissive; set the final driver_override.
 *
 * Unbinding every function before binding any, EHCI first, is the order
 * proved safe on Linux 6.1 for a USB companion slot (EHCI + UHCI/OHCI),
 * where binding or unbinding ehci/uhci while a sibling sits on vfio-pci or
 * pciback corrupts kernel memory.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "pcidev.h"
#include "plan.h"
#include "vfio.h"

static const char *const check_names[_CHECK_MAX] = {
	[CHECK_NONE] = "none",
	[CHECK_DRIVER_PRESENT] = "driver-present",
	[CHECK_OVERRIDE] = "override",
	[CHECK_UNBOUND] = "unbound",
	[CHECK_BOUND] = "bound",
	[CHECK_SLOT_LISTED] = "slot-listed",
	[CHECK_SLOT_UNLISTED] = "slot-unlisted",
	[CHECK_PERMISSIVE] = "permissive",
	[CHECK_XEN_DOM0] = "xen-dom0",
};

static const char *const op_names[_STEP_OP_MAX] = {
	[STEP_LOAD_MODULE] = "load-module",
	[STEP_WRITE] = "write",
	[STEP_XEN_DEASSIGN] = "xen-deassign",
};

/* The step's verb, as --dry-run prints it. */
const char *plan_op_name(enum step_op op)
{
	return op < _STEP_OP_MAX ? op_names[op] : "?";
}

/* "write PATH \"VALUE\"", "load-module M" or "xen-deassign DOMID_IO BDF", for messages. */
void plan_step_describe(const struct step *st, char *buf, size_t size)
{
	if (st->op == STEP_LOAD_MODULE)
		snprintf(buf, size, "load-module %s", st->module);
	else if (st->op == STEP_XEN_DEASSIGN)
		snprintf(buf, size, "xen-deassign DOMID_IO %s", st->bdf);
	else
		snprintf(buf, size, "write %s \"%s\"", st->path,
			 streq(st->value, "\n") ? "\\n" : st->value);
}

/* The check's name, as --dry-run --json prints it. */
const char *plan_check_name(enum step_check c)
{
	return c < _CHECK_MAX ? check_names[c] : "?";
}

void plan_init(struct plan *p)
{
	*p = (struct plan){ 0 };
}

/* Free the steps; the plan can be reused after plan_init(). */
void plan_done(struct plan *p)
{
	free(p->steps);
	plan_init(p);
}

/* "<driver of MODULE>" into BUF. Returns 0 or -ENAMETOOLONG. */
int plan_symbol(const char *module, char *buf, size_t size)
{
	int n = snprintf(buf, size, PLAN_SYMBOL_FMT, module);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Whether DRIVER is a symbolic driver of plan_symbol(). */
bool plan_is_symbol(const char *driver)
{
	return driver && strncmp(driver, "<driver of ", 11) == 0;
}

static int copy_field(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src ? src : "");

	if (n >= size)
		return -ENAMETOOLONG;
	memcpy(dst, src ? src : "", n + 1);
	return 0;
}

static int add_step(struct plan *p, enum step_op op, enum step_check check, const char *bdf,
		    const char *value, const char *driver, const char *module, const char *why,
		    const char *path_fmt, ...) __attribute__((format(printf, 9, 10)));

static int add_step(struct plan *p, enum step_op op, enum step_check check, const char *bdf,
		    const char *value, const char *driver, const char *module, const char *why,
		    const char *path_fmt, ...)
{
	struct step *st;
	va_list ap;
	int n;

	if (p->n == p->alloc) {
		size_t na = p->alloc ? p->alloc * 2 : 16;
		struct step *ns = realloc(p->steps, na * sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		p->steps = ns;
		p->alloc = na;
	}
	st = &p->steps[p->n];
	*st = (struct step){ .op = op, .check = check, .why = why };
	va_start(ap, path_fmt);
	n = vsnprintf(st->path, sizeof(st->path), path_fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(st->path))
		return -ENAMETOOLONG;
	if (copy_field(st->bdf, sizeof(st->bdf), bdf) < 0 ||
	    copy_field(st->value, sizeof(st->value), value) < 0 ||
	    copy_field(st->driver, sizeof(st->driver), driver) < 0 ||
	    copy_field(st->module, sizeof(st->module), module) < 0)
		return -ENAMETOOLONG;
	p->n++;
	return 0;
}

#define WRITE(p, check, t, value, driver, why, ...)                                        \
	add_step(p, STEP_WRITE, check, (t)->dev->bdf, value, driver, NULL, why, __VA_ARGS__)

/* Order of the unbind and bind phases: EHCI first, then address order. */
static void phase_order(const struct plan_target *t, size_t n, size_t *order)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (pcidev_is_ehci(t[i].dev))
			order[k++] = i;
	for (size_t i = 0; i < n; i++)
		if (!pcidev_is_ehci(t[i].dev))
			order[k++] = i;
}

static bool on_driver(const struct pcidev *d, const char *driver)
{
	return d->driver && driver && streq(d->driver, driver);
}

static int plan_load_modules(const struct pcidev_list *l, const struct plan_target *t, size_t n,
			     struct plan *p)
{
	for (size_t i = 0; i < n; i++) {
		bool dup = false;
		int r;

		if (!t[i].driver || !t[i].module || pcidev_driver_registered(l, t[i].driver))
			continue;
		for (size_t j = 0; j < i; j++)
			dup = dup || streq_ptr(t[j].module, t[i].module);
		if (dup)
			continue;
		r = add_step(p, STEP_LOAD_MODULE, CHECK_DRIVER_PRESENT, "", "", t[i].driver,
			     t[i].module, "the target driver is not registered yet",
			     "bus/pci/drivers/%s", t[i].driver);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * Plan moving the N functions of T to their targets, in the phase order
 * described at the top of this file. Appends to RET. Returns 0 or -errno.
 */
int plan_move(const struct pcidev_list *l, const struct plan_target *t, size_t n,
	      struct plan *ret)
{
	_cleanup_free_ size_t *order = calloc(n + 1, sizeof(*order));
	_cleanup_free_ const char **override = calloc(n + 1, sizeof(*override));
	int r;

	if (!order || !override)
		return -ENOMEM;
	phase_order(t, n, order);
	for (size_t i = 0; i < n; i++)
		override[i] = t[i].dev->driver_override;

	r = plan_load_modules(l, t, n, ret);
	if (r < 0)
		return r;

	for (size_t i = 0; i < n; i++) {
		const struct pcidev *d = t[i].dev;

		if (!t[i].reset_first || !pcidev_reset_works(l, d) || on_driver(d, t[i].driver))
			continue;
		r = WRITE(ret, CHECK_NONE, &t[i], "1", "",
			  t[i].reset_optional
				  ? "reset it before it returns (no-strict-reset: if the kernel "
				    "refuses, it returns without)"
				  : "reset it before it returns, so nothing of its last user remains",
			  "bus/pci/devices/%s/reset", d->bdf);
		if (r < 0)
			return r;
		ret->steps[ret->n - 1].optional = t[i].reset_optional;
	}

	for (size_t i = 0; i < n; i++) {
		if (!streq_ptr(t[i].driver, "pciback") || t[i].dev->in_pciback_slots)
			continue;
		r = WRITE(ret, CHECK_SLOT_LISTED, &t[i], t[i].dev->bdf, "pciback",
			  "pciback binds only what its slot list names (written once: new_slot "
			  "is not idempotent)",
			  "bus/pci/drivers/pciback/new_slot");
		if (r < 0)
			return r;
	}

	for (size_t i = 0; i < n; i++) {
		if (!t[i].driver || on_driver(t[i].dev, t[i].driver) ||
		    streq_ptr(override[i], t[i].driver))
			continue;
		r = WRITE(ret, CHECK_OVERRIDE, &t[i], t[i].driver, t[i].driver,
			  "from now on only the target driver may bind it (set before unbinding)",
			  "bus/pci/devices/%s/driver_override", t[i].dev->bdf);
		if (r < 0)
			return r;
		override[i] = t[i].driver;
	}

	for (size_t k = 0; k < n; k++) {
		const struct plan_target *x = &t[order[k]];

		if (!x->dev->driver || on_driver(x->dev, x->driver))
			continue;
		r = WRITE(ret, CHECK_UNBOUND, x, x->dev->bdf, "", "release it from its driver",
			  "bus/pci/drivers/%s/unbind", x->dev->driver);
		if (r < 0)
			return r;
	}

	for (size_t i = 0; i < n; i++) {
		if (!t[i].remove_slot || !t[i].dev->in_pciback_slots)
			continue;
		r = WRITE(ret, CHECK_SLOT_UNLISTED, &t[i], t[i].dev->bdf, "",
			  "else pciback takes it back at the next probe",
			  "bus/pci/drivers/pciback/remove_slot");
		if (r < 0)
			return r;
	}

	/*
	 * Xen moves every device that leaves a guest (or that xl made
	 * assignable) into its DOM_IO quarantine, and a driver bound to it then
	 * gets no MSI and no DMA: out of pciback, it goes back to dom0 in Xen
	 * too, before any driver binds.
	 */
	for (size_t i = 0; i < n; i++) {
		if (!t[i].xen_deassign)
			continue;
		r = add_step(ret, STEP_XEN_DEASSIGN, CHECK_XEN_DOM0, t[i].dev->bdf, "", "", NULL,
			     "Xen quarantines what leaves a guest: give it back to dom0 before a "
			     "driver binds (else no MSI, no DMA)",
			     "DOMID_IO");
		if (r < 0)
			return r;
	}

	for (size_t k = 0; k < n; k++) {
		const struct plan_target *x = &t[order[k]];

		if (!x->driver || on_driver(x->dev, x->driver))
			continue;
		r = WRITE(ret, CHECK_BOUND, x, x->dev->bdf, x->driver,
			  "bind it to the target driver and wait until the driver link says so",
			  "bus/pci/drivers/%s/bind", x->driver);
		if (r < 0)
			return r;
	}

	for (size_t i = 0; i < n; i++) {
		if (!t[i].permissive || pcidev_permissive(l, t[i].dev))
			continue;
		r = WRITE(ret, CHECK_PERMISSIVE, &t[i], t[i].dev->bdf, "",
			  "permissive: the guest may write all of its config space",
			  "bus/pci/drivers/pciback/permissive");
		if (r < 0)
			return r;
	}

	for (size_t i = 0; i < n; i++) {
		if (streq_ptr(override[i], t[i].final_override))
			continue;
		r = WRITE(ret, CHECK_OVERRIDE, &t[i], t[i].final_override ? t[i].final_override : "\n",
			  t[i].final_override ? t[i].final_override : "",
			  t[i].final_override ? "leave driver_override as it should stay"
					      : "clear driver_override, so nothing stale remains",
			  "bus/pci/devices/%s/driver_override", t[i].dev->bdf);
		if (r < 0)
			return r;
	}
	return 0;
}

static void print_value(const char *v, FILE *f)
{
	fputc('"', f);
	for (const char *c = v; *c; c++) {
		if (*c == '\n')
			fputs("\\n", f);
		else if (*c == '"' || *c == '\\')
			fprintf(f, "\\%c", *c);
		else
			fputc(*c, f);
	}
	fputc('"', f);
}

/* Print the plan as --dry-run shows it: one numbered step per line. */
void plan_print(const struct plan *p, FILE *f)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct step *st = &p->steps[i];

		if (st->op == STEP_LOAD_MODULE) {
			fprintf(f, "%2zu  load-module %s  # %s\n", i + 1, st->module, st->why);
			continue;
		}
		if (st->op == STEP_XEN_DEASSIGN) {
			fprintf(f, "%2zu  xen-deassign DOMID_IO %s  # %s\n", i + 1, st->bdf, st->why);
			continue;
		}
		fprintf(f, "%2zu  write %s ", i + 1, st->path);
		print_value(st->value, f);
		fprintf(f, "  # %s\n", st->why);
	}
}

/* ---- grouping and refusals --------------------------------------------- */

static int refuse(struct plan_refusal *why, const struct pcidev *d, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct plan_refusal *why, const struct pcidev *d, const char *fmt, ...)
{
	va_list ap;

	snprintf(why->bdf, sizeof(why->bdf), "%s", d ? d->bdf : "");
	va_start(ap, fmt);
	vsnprintf(why->reason, sizeof(why->reason), fmt, ap);
	va_end(ap);
	return -EPERM;
}

static int cmp_dev_addr(const void *a, const void *b)
{
	return addr_cmp(&(*(struct pcidev *const *)a)->addr, &(*(struct pcidev *const *)b)->addr);
}

static bool in_set(struct pcidev *const *set, size_t n, const struct pcidev *d)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == d)
			return true;
	return false;
}

/* Whether a function is already where the request wants it. */
static bool settled(const struct plan_request *req, const struct pcidev *d)
{
	if (req->op == PLAN_SEIZE)
		return on_driver(d, req->stub);
	return d->stub == PCIDEV_STUB_NONE;
}

#define SLOT_FNS 8 /* functions 0-7 */

/* The functions of D's slot, in address order (a binary search, not a scan). */
static size_t slot_of(const struct pcidev_list *l, const struct pcidev *d,
		      struct pcidev *fns[SLOT_FNS])
{
	size_t nf = pcidev_slot_functions(l, d, fns, SLOT_FNS);

	return nf < SLOT_FNS ? nf : SLOT_FNS;
}

static bool companion_slot(const struct pcidev_list *l, const struct pcidev *d)
{
	bool ehci = false, companion = false;
	struct pcidev *fns[SLOT_FNS];
	size_t nf = slot_of(l, d, fns);

	for (size_t i = 0; i < nf; i++) {
		const struct pcidev *s = fns[i];

		ehci = ehci || pcidev_is_ehci(s);
		companion = companion || pcidev_is_usb_companion(s);
	}
	return ehci && companion;
}

static int refuse_split(const struct pcidev_list *l, const struct plan_request *req,
			const struct pcidev *d, struct pcidev *const *set, size_t n,
			struct plan_refusal *why)
{
	char others[600] = "";
	struct pcidev *fns[SLOT_FNS];
	size_t len = 0, nf = slot_of(l, d, fns);

	for (size_t i = 0; i < nf; i++) {
		const struct pcidev *s = fns[i];

		if (s == d || in_set(set, n, s) || settled(req, s))
			continue;
		len += snprintf(others + len, len < sizeof(others) ? sizeof(others) - len : 0,
				"%s%s (%s)", len ? ", " : "", s->bdf, s->driver ? s->driver : "no driver");
	}
	for (size_t i = 0; i < nf; i++) {
		const struct pcidev *s = fns[i];
		const char *what = pcidev_essential(s);

		if (s == d || in_set(set, n, s) || settled(req, s) || !what)
			continue;
		return refuse(why, d,
			      "%s cannot be reset on its own (no FLR or PM reset), and its slot also "
			      "holds %s (%s), which the machine cannot do without: the slot cannot "
			      "move whole, so on this board %s moves only alone, with -o "
			      "no-strict-reset (what its next user leaves in it could reach its "
			      "siblings %s)",
			      d->bdf, what, s->bdf, d->bdf, others);
	}
	if (companion_slot(l, d))
		return refuse(why, d,
			      "%s is one controller of a USB companion slot (EHCI with UHCI/OHCI); "
			      "its siblings %s stay. Moving part of such a slot makes the kernel's "
			      "ehci/uhci drivers treat a stub's data as their own and corrupt "
			      "memory (seen on Linux 6.1), so pcibind never splits it, not even "
			      "with no-strict-reset: add --all-functions",
			      d->bdf, others);
	if (pcidev_is_bridge(d))
		return refuse(why, d,
			      "%s is one function of a multi-function device whose other functions "
			      "%s would stay behind, and the kernel cannot reset it on its own (no "
			      "FLR or PM reset)",
			      d->bdf, others);
	return refuse(why, d,
		      "%s is one function of a multi-function device whose other functions %s "
		      "would stay behind, and the kernel cannot reset it on its own (no FLR or "
		      "PM reset), so its siblings could see what its next user leaves in it. Add "
		      "--all-functions to move the whole slot, or -o no-strict-reset to split it "
		      "anyway",
		      d->bdf, others);
}

/*
 * Expand the request to every function that moves. A function of a
 * multi-function slot that the kernel cannot reset on its own (no flr, pm,
 * ...) takes its siblings along with all_functions, is refused without it,
 * and goes alone with no_strict_reset: Qubes' strict reset. A function with
 * its own reset may go alone, as libvirt allows it. A USB companion slot
 * moves whole in every case (a kernel bug, not a policy). SR-IOV VFs are
 * units of their own. Functions already where the request wants them are
 * left out. Returns 0, -EPERM (refused, WHY says why) or -ENOMEM; *ret is
 * allocated.
 */
int plan_group(const struct pcidev_list *l, const struct plan_request *req,
	       struct pcidev ***ret, size_t *ret_n, struct plan_refusal *why)
{
	/* not zeroed: n counts what is set (boot plans 700 slots of 4,000 functions) */
	_cleanup_free_ struct pcidev **set = malloc((l->n + 1) * sizeof(*set));
	size_t n = 0;

	if (!set)
		return -ENOMEM;
	for (size_t i = 0; i < req->n; i++)
		if (!in_set(set, n, req->devs[i]))
			set[n++] = req->devs[i];

	for (size_t i = 0; i < n; i++) {
		const struct pcidev *d = set[i];
		struct pcidev *fns[SLOT_FNS];
		size_t nf;

		/*
		 * --group: every endpoint of its IOMMU group; bridges and what the
		 * machine runs on (SMBus, SPI flash) stay where they are.
		 */
		for (size_t j = 0; req->iommu_group && d->iommu_group >= 0 && j < l->n; j++) {
			struct pcidev *s = l->devs[j];

			if (s->iommu_group == d->iommu_group && !pcidev_is_bridge(s) &&
			    !pcidev_essential(s) &&
			    !in_set(set, n, s) && !settled(req, s))
				set[n++] = s;
		}
		if (d->physfn_bdf[0])
			continue;
		nf = slot_of(l, d, fns);
		for (size_t j = 0; j < nf; j++) {
			struct pcidev *s = fns[j];

			if (in_set(set, n, s) || s->physfn_bdf[0] || settled(req, s))
				continue;
			if (req->all_functions)
				set[n++] = s;
			else if (companion_slot(l, d) ||
				 (!req->no_strict_reset && !pcidev_has_function_reset(d)))
				return refuse_split(l, req, d, set, n, why);
		}
	}
	qsort(set, n, sizeof(*set), cmp_dev_addr);
	*ret = TAKE_PTR(set);
	*ret_n = n;
	return 0;
}

static const char *stub_module(const char *stub)
{
	if (streq_ptr(stub, "pciback"))
		return "xen_pciback";
	if (streq_ptr(stub, "vfio-pci"))
		return "vfio_pci";
	if (streq_ptr(stub, "pci-stub"))
		return "pci_stub";
	return NULL;
}

/*
 * A seize to vfio-pci (or a variant) must leave every IOMMU group it
 * touches viable: each other member without a driver, on a vfio driver,
 * pci-stub, or a bridge on pcieport. Else the kernel binds it and QEMU
 * fails later ("group N is not viable").
 */
static int refuse_unviable(const struct pcidev_list *l, struct pcidev *const *set, size_t n,
			   bool req_xen, struct plan_refusal *why)
{
	for (size_t i = 0; i < n; i++) {
		const struct pcidev *d = set[i], *m[64];
		char blockers[400], members[600] = "";
		size_t nm, len = 0;
		bool seen = false;
		int k;

		for (size_t j = 0; j < i; j++)
			seen = seen || set[j]->iommu_group == d->iommu_group;
		if (seen || d->iommu_group < 0)
			continue;
		k = vfio_blockers(l, d->iommu_group, set, n, blockers, sizeof(blockers));
		if (k == 0)
			continue;
		nm = vfio_group_members(l, d->iommu_group, m, ELEMENTSOF(m));
		for (size_t j = 0; j < nm && j < ELEMENTSOF(m); j++) {
			enum vfio_member st = vfio_member_state(m[j], set, n);

			len += snprintf(members + (len < sizeof(members) ? len : sizeof(members)),
					len < sizeof(members) ? sizeof(members) - len : 0,
					"%s%s (%s%s)", j ? ", " : "", m[j]->bdf,
					m[j]->driver ? m[j]->driver : "no driver",
					st == VFIO_MEMBER_MOVING ? ", moves"
					: st == VFIO_MEMBER_BLOCKS ? ", stays: not viable"
								   : ", fine");
		}
		for (size_t j = 0; j < nm && j < ELEMENTSOF(m); j++) {
			const char *what = pcidev_essential(m[j]);

			if (!what || vfio_member_state(m[j], set, n) != VFIO_MEMBER_BLOCKS)
				continue;
			return refuse(why, d,
				      "%s: its IOMMU group %d also holds %s (%s, on %s): a VM can claim "
				      "a VFIO group only when every member has no driver, a vfio driver, "
				      "pci-stub or (bridges) pcieport, and that one stays with dom0. On "
				      "this board %s cannot go to vfio-pci; pci-stub%s can take it "
				      "alone%s. Members: %s",
				      d->bdf, d->iommu_group, what, m[j]->bdf, m[j]->driver, d->bdf,
				      req_xen ? " or pciback" : "",
				      pcidev_has_function_reset(d) ? "" : " (with -o no-strict-reset)",
				      members);
		}
		return refuse(why, d,
			      "IOMMU group %d would not be viable: a VM can claim a VFIO group only "
			      "when every member has no driver, a vfio driver, pci-stub or (bridges) "
			      "pcieport, and %s would keep %s (QEMU fails with \"group %d is not "
			      "viable\"). Members: %s. Add --group to move every endpoint of the "
			      "group to vfio-pci, or move those members to pci-stub first",
			      d->iommu_group, blockers, k == 1 ? "its driver" : "their drivers",
			      d->iommu_group, members);
	}
	return 0;
}

static const struct plan_variant *find_variant(const struct plan_request *req,
					       const struct pcidev *d)
{
	for (size_t i = 0; i < req->n_variants; i++)
		if (streq(req->variants[i].bdf, d->bdf))
			return &req->variants[i];
	return NULL;
}

/* What the stub itself cannot do; the safety guards are decide.c's. */
static int seize_guards(const struct plan_request *req, const struct pcidev *d,
			struct plan_refusal *why)
{
	if (streq_ptr(req->stub, "vfio-pci") && d->iommu_group < 0)
		return refuse(why, d,
			      "%s has no IOMMU group, and vfio-pci cannot bind without one: boot "
			      "with intel_iommu=on (or amd_iommu=on), or seize it with --driver "
			      "pci-stub",
			      d->bdf);
	return 0;
}

/*
 * Plan a seize: group, refuse what must not move, then move every function
 * to the stub and leave driver_override pinned to it. Returns 0, -EPERM
 * (refused; WHY says why), -EINVAL for an unknown stub, or -ENOMEM.
 */
int plan_seize(const struct pcidev_list *l, const struct plan_request *req, struct plan *ret,
	       struct plan_refusal *why)
{
	_cleanup_free_ struct pcidev **set = NULL;
	_cleanup_free_ struct plan_target *t = NULL;
	size_t n = 0, nt = 0;
	int r;

	if (!stub_module(req->stub))
		return -EINVAL;
	if (req->permissive && !streq(req->stub, "pciback"))
		return refuse(why, NULL, "permissive applies only to pciback, not %s", req->stub);
	r = plan_group(l, req, &set, &n, why);
	if (r < 0)
		return r;
	t = calloc(n + 1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct plan_variant *v = find_variant(req, set[i]);

		r = seize_guards(req, set[i], why);
		if (r < 0)
			return r;
		t[nt++] = (struct plan_target){
			.dev = set[i],
			.driver = v ? v->driver : req->stub,
			.module = v ? v->module : stub_module(req->stub),
			.final_override = v ? v->driver : req->stub,
			.permissive = req->permissive,
			.xen_deassign = req->xen_dom0 && on_driver(set[i], "pciback") &&
					!streq(req->stub, "pciback"),
		};
	}
	if (streq(req->stub, "vfio-pci")) {
		r = refuse_unviable(l, set, n, req->xen_dom0, why);
		if (r < 0)
			return r;
	}
	/* Already seized functions of the request may still need permissive. */
	for (size_t i = 0; i < req->n; i++)
		if (!in_set(set, n, req->devs[i]) && req->permissive &&
		    on_driver(req->devs[i], "pciback") && !pcidev_permissive(l, req->devs[i]))
			t[nt++] = (struct plan_target){ .dev = req->devs[i],
							.driver = "pciback",
							.final_override =
								req->devs[i]->driver_override,
							.permissive = true };
	return plan_move(l, t, nt, ret);
}

static const struct plan_native *find_native(const struct plan_native *v, size_t n,
					     const char *bdf)
{
	for (size_t i = 0; i < n; i++)
		if (streq(v[i].bdf, bdf))
			return &v[i];
	return NULL;
}

/*
 * Plan a release: group, then reset (what can be reset), pin driver_override to the native driver,
 * unbind, leave pciback's slots, bind, and clear driver_override. NATIVES
 * says each function's native driver. Returns 0, -EPERM or -ENOMEM.
 */
int plan_release(const struct pcidev_list *l, const struct plan_request *req,
		 const struct plan_native *natives, size_t n_natives, struct plan *ret,
		 struct plan_refusal *why)
{
	_cleanup_free_ struct pcidev **set = NULL;
	_cleanup_free_ struct plan_target *t = NULL;
	_cleanup_free_ char(*placeholder)[PLAN_NAME_MAX] = NULL;
	size_t n = 0;
	int r;

	r = plan_group(l, req, &set, &n, why);
	if (r < 0)
		return r;
	t = calloc(n + 1, sizeof(*t));
	placeholder = calloc(n + 1, sizeof(*placeholder));
	if (!t || !placeholder)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct pcidev *d = set[i];
		const struct plan_native *nat = find_native(natives, n_natives, d->bdf);
		const char *driver;

		if (nat && nat->none) {
			t[i] = (struct plan_target){
				.dev = d,
				.reset_first = d->stub != PCIDEV_STUB_NONE,
				.remove_slot = d->in_pciback_slots,
			};
			continue;
		}
		if (!nat || (!nat->driver && !nat->module))
			return refuse(why, d,
				      "%s: no native driver is known: pcibind has no record of it "
				      "and its modalias resolves to no usable module",
				      d->bdf);
		/* Whether it may return unreset is decide.c's verdict, made before. */
		driver = nat->driver;
		if (!driver) {
			r = plan_symbol(nat->module, placeholder[i], PLAN_NAME_MAX);
			if (r < 0)
				return r;
			driver = placeholder[i];
		}
		t[i] = (struct plan_target){
			.dev = d,
			.driver = driver,
			.module = nat->module,
			.final_override = NULL,
			.reset_first = d->stub != PCIDEV_STUB_NONE,
			.reset_optional = req->no_strict_reset,
			.remove_slot = d->in_pciback_slots,
			.xen_deassign = req->xen_dom0 && d->stub == PCIDEV_STUB_PCIBACK,
		};
	}
	r = plan_move(l, t, n, ret);
	if (r < 0)
		return r;
	/* Back to no driver: the kernel probes it as if pcibind had never been there. */
	for (size_t i = 0; i < n; i++) {
		const struct plan_native *nat = find_native(natives, n_natives, set[i]->bdf);

		if (!nat || !nat->none)
			continue;
		r = WRITE(ret, CHECK_NONE, &t[i], set[i]->bdf, "",
			  "let the kernel probe it, as before it was seized (whatever binds, or "
			  "nothing, is its own)",
			  "bus/pci/drivers_probe");
		if (r < 0)
			return r;
	}
	return 0;
}

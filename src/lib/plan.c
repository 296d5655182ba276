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
	[CHECK_ATTR] = "attr",
};

static const char *const op_names[_STEP_OP_MAX] = {
	[STEP_LOAD_MODULE] = "load-module",
	[STEP_WRITE] = "write",
	[STEP_XEN_DEASSIGN] = "xen-deassign",
	[STEP_HOT_RESET] = "vfio-hot-reset",
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
	else if (st->op == STEP_HOT_RESET)
		snprintf(buf, size, "vfio-hot-reset %s (behind %s, groups %s)", st->covers,
			 st->path, st->value);
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

/* The groups of the functions a bus reset covers, "7,8", each once. */
static int group_list(const struct plan_bus_reset *br, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < br->n; i++) {
		bool dup = false;

		for (size_t j = 0; j < i; j++)
			dup = dup || br->covers[j]->iommu_group == br->covers[i]->iommu_group;
		if (dup)
			continue;
		len += snprintf(buf + (len < size ? len : size), len < size ? size - len : 0,
				"%s%d", len ? "," : "", br->covers[i]->iommu_group);
	}
	return len < size ? 0 : -ENAMETOOLONG;
}

/* The one reset step of T's bus: VFIO's hot reset, or the bridge's reset_subordinate. */
static int plan_bus_reset_step(struct plan *p, const struct plan_target *t)
{
	const struct plan_bus_reset *br = t->bus_reset;
	char covers[PLAN_COVERS_MAX], groups[PLAN_NAME_MAX];
	size_t len = 0;
	int r;

	for (size_t i = 0; i < br->n; i++)
		len += snprintf(covers + (len < sizeof(covers) ? len : sizeof(covers)),
				len < sizeof(covers) ? sizeof(covers) - len : 0, "%s%s",
				i ? " " : "", br->covers[i]->bdf);
	if (len >= sizeof(covers))
		return -ENAMETOOLONG;
	if (br->how == BUS_RESET_VFIO) {
		r = group_list(br, groups, sizeof(groups));
		if (r < 0)
			return r;
		r = add_step(p, STEP_HOT_RESET, CHECK_NONE, br->covers[0]->bdf, groups, "", NULL,
			     t->reset_optional
				     ? "one bus reset for the whole slot, while vfio-pci holds every "
				       "function (no-strict-reset: if the kernel refuses, they "
				       "return without)"
				     : "one bus reset for the whole slot, while vfio-pci holds every "
				       "function, so nothing of its last user remains",
			     "%s", br->bridge->bdf);
	} else {
		r = add_step(p, STEP_WRITE, CHECK_NONE, br->covers[0]->bdf, "1", "", NULL,
			     t->reset_optional
				     ? "one bus reset for the whole slot, through its bridge "
				       "(no-strict-reset: if the kernel refuses, they return without)"
				     : "one bus reset for the whole slot, through its bridge, so "
				       "nothing of its last user remains",
			     "bus/pci/devices/%s/reset_subordinate", br->bridge->bdf);
	}
	if (r < 0)
		return r;
	p->steps[p->n - 1].optional = t->reset_optional;
	memcpy(p->steps[p->n - 1].covers, covers, len + 1);
	return 0;
}

static bool lists_bus_reset(const struct pcidev *d)
{
	for (char **m = d->reset_methods; m && *m; m++)
		if (streq(*m, "bus"))
			return true;
	return false;
}

static bool in_set(struct pcidev *const *set, size_t n, const struct pcidev *d);

/*
 * Whether one bus reset can stand in for the reset D cannot have alone:
 * every function behind D's bridge is in SET (the change), they all sit on
 * vfio (VFIO's hot reset) or all on pciback/pci-stub with a bridge that has
 * reset_subordinate, and the kernel offered a bus reset to one of them
 * (reset_method lists "bus": the bridge can do a secondary bus reset).
 * RET->how says which, or NONE with RET->fact saying why not ("" when D
 * needs no bus reset: it can be reset alone, or it is not on a stub).
 * Pure. Returns 0.
 */
int plan_bus_reset(const struct pcidev_list *l, const struct pcidev *d,
		   struct pcidev *const *set, size_t n, struct plan_bus_reset *ret)
{
	const struct pcidev *out[PLAN_BUS_MAX];
	char names[200] = "", left[200] = "";
	size_t nb, len = 0, nleft = 0, lleft = 0;
	bool vfio = true, stub = true, offered = false;

	*ret = (struct plan_bus_reset){ .how = BUS_RESET_NONE };
	if (d->stub == PCIDEV_STUB_NONE || pcidev_reset_works(l, d) || !d->parent)
		return 0;
	ret->bridge = d->parent;
	nb = pcidev_behind(l, d->parent, out, ELEMENTSOF(out));
	if (nb > ELEMENTSOF(out)) {
		snprintf(ret->fact, sizeof(ret->fact),
			 "a bus reset behind %s would hit %zu functions, more than pcibind plans "
			 "one reset for",
			 d->parent->bdf, nb);
		return 0;
	}
	for (size_t i = 0; i < nb; i++) {
		const struct pcidev *o = out[i];

		ret->covers[ret->n++] = o;
		offered = offered || lists_bus_reset(o);
		vfio = vfio && o->driver && (o->vfio_dev || pcidev_is_vfio_driver(o->driver));
		stub = stub && (o->stub == PCIDEV_STUB_PCIBACK || o->stub == PCIDEV_STUB_PCI_STUB);
		len += snprintf(names + (len < sizeof(names) ? len : sizeof(names)),
				len < sizeof(names) ? sizeof(names) - len : 0, "%s%s",
				i == 0 ? "" : i + 1 == nb ? " and " : ", ", o->bdf);
		if (in_set(set, n, o))
			continue;
		nleft++;
		lleft += snprintf(left + (lleft < sizeof(left) ? lleft : sizeof(left)),
				  lleft < sizeof(left) ? sizeof(left) - lleft : 0, "%s%s (%s)",
				  lleft ? ", " : "", o->bdf, o->driver ? o->driver : "no driver");
	}
	if (nleft) {
		snprintf(ret->fact, sizeof(ret->fact),
			 "a bus reset of bus %02x would also reset %s, which %s not in this change",
			 d->addr.bus, left, nleft == 1 ? "is" : "are");
		return 0;
	}
	if (!offered) {
		snprintf(ret->fact, sizeof(ret->fact),
			 "the kernel offers a bus reset to none of %s (no reset_method lists bus), "
			 "so bridge %s cannot reset bus %02x",
			 names, d->parent->bdf, d->addr.bus);
		return 0;
	}
	if (vfio) {
		ret->how = BUS_RESET_VFIO;
		snprintf(ret->fact, sizeof(ret->fact),
			 "a bus reset of bus %02x covers %s, %s in this change (VFIO's hot reset, "
			 "while vfio-pci holds them)",
			 d->addr.bus, names, nb == 2 ? "both" : "all");
		return 0;
	}
	if (stub && d->parent->reset_subordinate) {
		ret->how = BUS_RESET_BRIDGE;
		snprintf(ret->fact, sizeof(ret->fact),
			 "a bus reset of bus %02x covers %s, %s in this change (through bridge "
			 "%s's reset_subordinate)",
			 d->addr.bus, names, nb == 2 ? "both" : "all", d->parent->bdf);
		return 0;
	}
	if (stub)
		snprintf(ret->fact, sizeof(ret->fact),
			 "a bus reset of bus %02x would cover %s, all in this change, but this "
			 "kernel has no way to ask for it on %s: pciback and pci-stub reset only "
			 "function by function, and bridge %s has no reset_subordinate (Linux 6.13 "
			 "and later); seize them to vfio-pci, whose hot reset does it",
			 d->addr.bus, names, pcidev_stub_name(d->stub), d->parent->bdf);
	else
		snprintf(ret->fact, sizeof(ret->fact),
			 "a bus reset of bus %02x would cover %s, all in this change, but they are "
			 "not all on vfio-pci (VFIO's hot reset) nor all on pciback or pci-stub",
			 d->addr.bus, names);
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
		bool dup = false;

		if (!t[i].reset_first || !t[i].bus_reset || on_driver(d, t[i].driver))
			continue;
		for (size_t j = 0; j < i; j++)
			dup = dup || (t[j].reset_first && t[j].bus_reset &&
				      t[j].bus_reset->bridge == t[i].bus_reset->bridge);
		if (dup)
			continue;
		r = plan_bus_reset_step(ret, &t[i]);
		if (r < 0)
			return r;
	}

	for (size_t i = 0; i < n; i++) {
		const struct pcidev *d = t[i].dev;

		if (!t[i].reset_first || t[i].bus_reset || !pcidev_reset_works(l, d) ||
		    on_driver(d, t[i].driver))
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
		if (st->op == STEP_HOT_RESET) {
			fprintf(f, "%2zu  vfio-hot-reset %s (bus behind %s, VFIO groups %s)  # %s\n",
				i + 1, st->covers, st->path, st->value, st->why);
			continue;
		}
		fprintf(f, "%2zu  write %s ", i + 1, st->path);
		print_value(st->value, f);
		if (st->covers[0])
			fprintf(f, " (resets %s)", st->covers);
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
		if (pcidev_has_function_reset(d) && !companion_slot(l, d))
			return refuse(why, d,
				      "%s's slot also holds %s (%s), which the machine cannot do "
				      "without: the slot cannot move whole. %s has a reset of its own "
				      "and can move alone: leave out --all-functions",
				      d->bdf, what, s->bdf, d->bdf);
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
			/* never the chipset's own functions as a slot's siblings */
			if (req->all_functions && pcidev_essential(s) && !pcidev_essential(d))
				return refuse_split(l, req, d, set, n, why);
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
		k = pcidev_group_blockers(l, d->iommu_group, set, n, blockers, sizeof(blockers));
		if (k == 0)
			continue;
		nm = pcidev_group_members(l, d->iommu_group, m, ELEMENTSOF(m));
		for (size_t j = 0; j < nm && j < ELEMENTSOF(m); j++) {
			enum pcidev_group_member st = pcidev_group_member_state(m[j], set, n);

			len += snprintf(members + (len < sizeof(members) ? len : sizeof(members)),
					len < sizeof(members) ? sizeof(members) - len : 0,
					"%s%s (%s%s)", j ? ", " : "", m[j]->bdf,
					m[j]->driver ? m[j]->driver : "no driver",
					st == PCIDEV_GROUP_MOVING   ? ", moves"
					: st == PCIDEV_GROUP_BLOCKS ? ", stays: not viable"
								    : ", fine");
		}
		for (size_t j = 0; j < nm && j < ELEMENTSOF(m); j++) {
			const char *what = pcidev_essential(m[j]);

			if (!what || pcidev_group_member_state(m[j], set, n) != PCIDEV_GROUP_BLOCKS)
				continue;
			return refuse(why, d,
				      "%s: its IOMMU group %d also holds %s (%s, on %s): a VM can claim "
				      "a VFIO group only when every member has no driver, a vfio driver, "
				      "pci-stub or (bridges) pcieport, and that one stays with %s. On "
				      "this board %s cannot go to vfio-pci; pci-stub%s can take it "
				      "alone%s. Members: %s",
				      d->bdf, d->iommu_group, what, m[j]->bdf, m[j]->driver,
				      req_xen ? "dom0" : "the host", d->bdf,
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
	_cleanup_free_ struct plan_bus_reset *br = NULL;
	size_t n = 0;
	int r;

	r = plan_group(l, req, &set, &n, why);
	if (r < 0)
		return r;
	t = calloc(n + 1, sizeof(*t));
	placeholder = calloc(n + 1, sizeof(*placeholder));
	br = calloc(n + 1, sizeof(*br));
	if (!t || !placeholder || !br)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		(void)plan_bus_reset(l, set[i], set, n, &br[i]);
	for (size_t i = 0; i < n; i++) {
		const struct pcidev *d = set[i];
		const struct plan_native *nat = find_native(natives, n_natives, d->bdf);
		const char *driver;

		if (nat && nat->none) {
			t[i] = (struct plan_target){
				.dev = d,
				.reset_first = d->stub != PCIDEV_STUB_NONE,
				.bus_reset = br[i].how != BUS_RESET_NONE ? &br[i] : NULL,
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
			.bus_reset = br[i].how != BUS_RESET_NONE ? &br[i] : NULL,
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

/* ---- SR-IOV: pcibind vfs ------------------------------------------------ */

/*
 * The VF number I (0-based) of PF as the kernel will make it
 * (drivers/pci/iov.c pci_iov_virtfn_bus/devfn: routing ID = PF's + offset +
 * I * stride): its address, IDs (the PF's vendor, sriov_vf_device), class
 * and physfn link, into RET (no driver, no IOMMU group yet). Returns 0,
 * -ENODATA when the PF does not say where its VFs go, -ERANGE past bus ff.
 */
int plan_vf_predict(const struct pcidev *pf, int i, struct pcidev *ret)
{
	int rid;

	if (pf->sriov_offset < 0 || pf->sriov_stride < 0)
		return -ENODATA;
	rid = (pf->addr.bus << 8 | pf->addr.slot << 3 | pf->addr.func) + pf->sriov_offset +
	      i * pf->sriov_stride;
	if (rid > 0xffff)
		return -ERANGE;
	*ret = (struct pcidev){
		.addr = { .domain = pf->addr.domain,
			  .bus = (unsigned int)rid >> 8,
			  .slot = ((unsigned int)rid >> 3) & 0x1f,
			  .func = (unsigned int)rid & 7 },
		.vendor = pf->vendor,
		.device = pf->sriov_vf_device >= 0 ? (uint16_t)pf->sriov_vf_device : pf->device,
		.subsys_vendor = pf->subsys_vendor,
		.subsys_device = pf->subsys_device,
		.class = pf->class,
		.header_type = 0,
		.iommu_group = -1,
		.boot_vga = -1,
		.secondary_bus = -1,
		.sriov_totalvfs = -1,
		.sriov_numvfs = -1,
		.sriov_autoprobe = -1,
		.sriov_offset = -1,
		.sriov_stride = -1,
		.sriov_vf_device = -1,
		.parent = pf->parent,
		.physfn = (struct pcidev *)pf,
	};
	addr_format_bdf(&ret->addr, ret->bdf);
	snprintf(ret->physfn_bdf, sizeof(ret->physfn_bdf), "%s", pf->bdf);
	snprintf(ret->parent_bdf, sizeof(ret->parent_bdf), "%s", pf->parent_bdf);
	return 0;
}

static int write_attr(struct plan *p, const char *bdf, const char *attr, const char *value,
		      enum step_check check, const char *why)
{
	return add_step(p, STEP_WRITE, check, bdf, value, "", NULL, why, "bus/pci/devices/%s/%s",
			bdf, attr);
}

/*
 * Plan setting PF's VF count to N (pure): VFS (N_VFS of them, from
 * plan_vf_predict()) say where each new VF goes. Appends to RET; no steps
 * when the count is N already. Returns 0, -EINVAL (N out of range) or
 * -ENOMEM.
 */
int plan_vfs(const struct pcidev_list *l, const struct pcidev *pf, int n,
	     const struct plan_vf *vfs, size_t n_vfs, struct plan *ret)
{
	char count[16];
	bool autoprobe = pf->sriov_autoprobe != 0;
	int r;

	if (n < 0 || (pf->sriov_totalvfs >= 0 && n > pf->sriov_totalvfs))
		return -EINVAL;
	if (n == pf->sriov_numvfs)
		return 0;
	if (pf->sriov_numvfs > 0) {
		r = write_attr(ret, pf->bdf, "sriov_numvfs", "0", CHECK_ATTR,
			       n ? "the kernel makes a new count only from 0: remove the VFs first"
				 : "remove the VFs");
		if (r < 0 || n == 0)
			return r;
	}
	if (autoprobe) {
		r = write_attr(ret, pf->bdf, "sriov_drivers_autoprobe", "0", CHECK_ATTR,
			       "no driver may probe the new VFs as they appear");
		if (r < 0)
			return r;
	}
	snprintf(count, sizeof(count), "%d", n);
	r = write_attr(ret, pf->bdf, "sriov_numvfs", count, CHECK_ATTR,
		       "the PF's driver makes the VFs (they appear unbound)");
	if (r < 0)
		return r;
	/* the seized VFs' stub modules, once each, as for any move */
	{
		_cleanup_free_ struct plan_target *t = calloc(n_vfs + 1, sizeof(*t));

		if (!t)
			return -ENOMEM;
		for (size_t i = 0; i < n_vfs; i++)
			t[i] = (struct plan_target){ .dev = vfs[i].dev,
						     .driver = vfs[i].stub,
						     .module = vfs[i].module };
		r = plan_load_modules(l, t, n_vfs, ret);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < n_vfs; i++) {
		const char *bdf = vfs[i].dev->bdf;

		if (!vfs[i].stub)
			continue;
		r = write_attr(ret, bdf, "driver_override", vfs[i].stub, CHECK_OVERRIDE,
			       "the policy seizes this VF: only its stub may bind it");
		if (r < 0)
			return r;
		ret->steps[ret->n - 1].check = CHECK_OVERRIDE;
		snprintf(ret->steps[ret->n - 1].driver, PLAN_NAME_MAX, "%s", vfs[i].stub);
		r = add_step(ret, STEP_WRITE, CHECK_BOUND, bdf, bdf, vfs[i].stub, NULL,
			     "bind it to the stub and wait until the driver link says so",
			     "bus/pci/drivers/%s/bind", vfs[i].stub);
		if (r < 0)
			return r;
	}
	if (autoprobe) {
		r = write_attr(ret, pf->bdf, "sriov_drivers_autoprobe", "1", CHECK_ATTR,
			       "autoprobe back as it was");
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < n_vfs; i++) {
		if (vfs[i].stub)
			continue;
		r = add_step(ret, STEP_WRITE, CHECK_NONE, vfs[i].dev->bdf, vfs[i].dev->bdf, "",
			     NULL,
			     "no rule seizes this VF: let the kernel probe it natively (whatever "
			     "binds, or nothing, is its own)",
			     "bus/pci/drivers_probe");
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * The way back for pcibind vfs: PF's autoprobe, then its VF count, as they
 * were (NUMVFS; AUTOPROBE -1: unknown, left). Appends to RET. Returns 0 or
 * -ENOMEM.
 */
int plan_sriov_restore(const struct pcidev *pf, int numvfs, int autoprobe, struct plan *ret)
{
	char v[16];
	int r;

	if (autoprobe >= 0 && pf->sriov_autoprobe >= 0 && autoprobe != pf->sriov_autoprobe) {
		snprintf(v, sizeof(v), "%d", autoprobe);
		r = write_attr(ret, pf->bdf, "sriov_drivers_autoprobe", v, CHECK_ATTR,
			       "autoprobe as it was before");
		if (r < 0)
			return r;
	}
	if (numvfs == pf->sriov_numvfs || pf->sriov_numvfs < 0)
		return 0;
	if (pf->sriov_numvfs > 0) {
		r = write_attr(ret, pf->bdf, "sriov_numvfs", "0", CHECK_ATTR,
			       "remove the VFs the change made");
		if (r < 0 || numvfs == 0)
			return r;
	}
	snprintf(v, sizeof(v), "%d", numvfs);
	return write_attr(ret, pf->bdf, "sriov_numvfs", v, CHECK_ATTR, "the VF count as it was");
}

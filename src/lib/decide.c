/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Verdicts. Seize: a protected function is refused; an address rule's
 * expect-id that does not match what sits there is refused (a new card
 * shifted the buses); a tripped safety guard is refused unless a rule for
 * that exact address says force. Release: release = never is refused;
 * if-resettable refuses a function without a reset method unless
 * strict-reset is off for it; always allows. Every reason names the rule.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "guard.h"
#include "macro.h"
#include "pcidev.h"
#include "plan.h"
#include "policy.h"
#include "select.h"
#include "xen.h"

/* "rule [name] at FILE:LINE", "-o on the command line", or "the built-in default". */
int decide_source(const struct policy_eval *e, int key, char *buf, size_t size)
{
	const struct policy_rule *r = e->source[key];
	int n;

	if (e->cli_source[key])
		n = snprintf(buf, size, "%s on the command line", e->cli_source[key]);
	else if (r)
		n = snprintf(buf, size, "rule [%s] at %s:%d", r->name, r->file, r->key_line[key]);
	else
		n = snprintf(buf, size, "the built-in default");
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static void say(struct verdict *v, bool allowed, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct verdict *v, bool allowed, const char *fmt, ...)
{
	va_list ap;

	v->allowed = allowed;
	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
	va_end(ap);
}

/* Decide whether D may be seized. */
void decide_seize(const struct pcidev *d, const struct policy_eval *e, const struct guards *g,
		  struct verdict *v)
{
	char src[512], guards[600] = "";
	size_t len = 0;

	*v = (struct verdict){ 0 };
	if (e->v.protect) {
		decide_source(e, PK_PROTECT, src, sizeof(src));
		say(v, false, "%s is protected (protect = yes, %s)", d->bdf, src);
		return;
	}
	if (e->v.expect_vendor >= 0 &&
	    (e->v.expect_vendor != d->vendor || e->v.expect_device != d->device)) {
		decide_source(e, PK_EXPECT_ID, src, sizeof(src));
		say(v, false,
		    "%s is %04x:%04x, but %s expects %04x:%04x there: the devices moved (a new "
		    "card shifts the bus numbers), so this is not the device the rule means; fix "
		    "the rule's address or use its PCI path",
		    d->bdf, d->vendor, d->device, src, e->v.expect_vendor, e->v.expect_device);
		return;
	}
	for (size_t i = 0; i < g->n; i++)
		len += snprintf(guards + len, len < sizeof(guards) ? sizeof(guards) - len : 0, "%s%s",
				i ? "; " : "", g->hits[i].detail);
	/* A bridge, or what the machine runs on: no advice ends at forcing it. */
	if (g->n && !e->v.force && (pcidev_is_bridge(d) || pcidev_essential(d))) {
		say(v, false,
		    "%s is one dom0 cannot lose: %s. It stays with dom0: the machine depends on it",
		    d->bdf, guards);
		return;
	}
	if (g->n && !e->v.force) {
		say(v, false,
		    "%s is one this system cannot lose: %s. A rule naming exactly this address with "
		    "force = yes overrides this (see pcibind.conf(5))",
		    d->bdf, guards);
		return;
	}
	if (g->n) {
		decide_source(e, PK_FORCE, src, sizeof(src));
		say(v, true, "allowed by force = yes (%s) despite: %s", src, guards);
		return;
	}
	say(v, true, "allowed: not protected, no safety guard applies");
}

/* "dom0" on a Xen dom0, "the host" elsewhere: what a function returns to. */
static const char *host(const struct pcidev_list *l)
{
	return l && l->xen ? "dom0" : "the host";
}

/* Decide whether D may return to dom0 (the host). */
void decide_release(const struct pcidev_list *l, const struct pcidev *d,
		    const struct policy_eval *e, struct verdict *v)
{
	decide_release_bus(l, d, e, NULL, v);
}

/*
 * Decide whether D may return to dom0, given BR: whether one bus reset of
 * its whole slot (plan_bus_reset(), NULL: not asked) stands in for the
 * reset it cannot have alone.
 */
void decide_release_bus(const struct pcidev_list *l, const struct pcidev *d,
			const struct policy_eval *e, const struct plan_bus_reset *br,
			struct verdict *v)
{
	char src[512], why[1024];

	*v = (struct verdict){ 0 };
	decide_source(e, PK_RELEASE, src, sizeof(src));
	/* On its own driver already: a release has nothing to do, and nothing to reset. */
	if (d->driver && d->stub == PCIDEV_STUB_NONE) {
		say(v, true, "allowed: it is not on a stub (it is on %s), so there is nothing to "
			     "release",
		    d->driver);
		return;
	}
	if (e->v.release == RELEASE_NEVER) {
		say(v, false, "%s may never return to %s (release = never, %s); reboot to get it back",
		    d->bdf, host(l), src);
		return;
	}
	if (pcidev_reset_works(l, d)) {
		say(v, true, "allowed: it can be reset before it returns");
		return;
	}
	if (br && br->how != BUS_RESET_NONE) {
		say(v, true, "allowed: %s", br->fact);
		return;
	}
	if (pcidev_reset_reason(l, d, why, sizeof(why)) < 0)
		snprintf(why, sizeof(why), "not resettable");
	if (br && br->fact[0]) {
		size_t len = strlen(why);

		snprintf(why + len, sizeof(why) - len, "; %s", br->fact);
	}
	if (e->v.release == RELEASE_ALWAYS) {
		say(v, true, "allowed by release = always (%s), although %s", src, why);
		return;
	}
	if (!e->v.strict_reset) {
		decide_source(e, PK_STRICT_RESET, src, sizeof(src));
		say(v, true, "allowed by strict-reset = no (%s), although %s", src, why);
		return;
	}
	say(v, false,
	    "%s cannot be reset, so whatever its last user left in it would reach %s (%s). "
	    "Reboot to get it back safely, or accept the risk with -o no-strict-reset",
	    d->bdf, host(l), why);
}

/*
 * Decide whether D may leave pciback on a Xen dom0, given what
 * xen_assigned_domain() said: HELD 1 (U names the domain), 0 (no guest
 * holds it) or -errno (nobody could tell: fail closed). Unbinding pciback
 * under a running guest pulls the device out of it, and Xen keeps it
 * assigned to the guest (then quarantines it) under dom0's new driver.
 */
void decide_xen_holder(const struct pcidev *d, int held, const struct xen_user *u,
		       struct verdict *v)
{
	char who[200];

	*v = (struct verdict){ 0 };
	if (held == 0) {
		say(v, true, "allowed: no Xen domain holds it");
		return;
	}
	if (held < 0) {
		say(v, false,
		    "cannot determine whether %s is assigned to a Xen guest: neither the "
		    "hypervisor (libxenctrl) nor xenstore answered (%s). Taking a device from a "
		    "running guest breaks both, so pcibind does not guess: install Xen's "
		    "libraries (libxenctrl, libxenstore) or start xenstored, then try again",
		    d->bdf, xen_strerror(held));
		return;
	}
	xen_user_format(u, who, sizeof(who));
	say(v, false,
	    "%s is in use by %s: pciback serves it to that running guest, and taking it away "
	    "would pull it out of the guest while Xen keeps it assigned there. Shut the guest "
	    "down or detach the device from it (xl pci-detach), then try again",
	    d->bdf, who);
}

static struct policy_warning *warning_add(struct policy_warning **v, size_t *n)
{
	struct policy_warning *nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return NULL;
	*v = nv;
	memset(&nv[*n], 0, sizeof(nv[*n]));
	return &nv[(*n)++];
}

/*
 * The warnings of `policy check`, text and JSON alike: each rule with
 * match keys that names no function of L, then for each function, protect
 * against boot/hotplug, and an expect-id that the function does not have.
 * *RET (free() it) holds *N of them. Returns 0 or -ENOMEM.
 */
int decide_policy_warnings(const struct policy *p, const struct pcidev_list *l,
			   struct policy_warning **ret, size_t *n)
{
	_cleanup_free_ struct policy_warning *v = NULL;
	char a[512], b[512];
	size_t nv = 0;

	for (size_t i = 0; i < p->n_rules; i++) {
		const struct policy_rule *rule = &p->rules[i];
		struct policy_warning *w;
		bool any = false;

		for (size_t k = 0; k < l->n && !any; k++)
			any = policy_match_device(rule, l, l->devs[k]);
		/* a rule for VFs not made yet: fine while its PF is here */
		for (size_t m = 0; m < rule->n_matches && !any; m++)
			for (size_t k = 0; rule->matches[m].kind == MATCH_PHYSFN && k < l->n && !any;
			     k++)
				any = l->devs[k]->sriov_totalvfs >= 0 &&
				      select_match(&rule->matches[m].sel, l->devs[k]);
		if (any || !rule->n_matches)
			continue;
		w = warning_add(&v, &nv);
		if (!w)
			return -ENOMEM;
		w->file = rule->file;
		w->line = rule->line;
		snprintf(w->message, sizeof(w->message), "[%s] matches no PCI function here",
			 rule->name);
	}
	/* A stub that cannot exist on this kernel: boot and hot-plug leave it alone. */
	for (size_t i = 0; i < p->n_rules && !l->xen; i++) {
		const struct policy_rule *rule = &p->rules[i];
		struct policy_warning *w;

		if (!rule->set[PK_DRIVER] || !streq(rule->v.driver, "pciback"))
			continue;
		w = warning_add(&v, &nv);
		if (!w)
			return -ENOMEM;
		w->file = rule->file;
		w->line = rule->key_line[PK_DRIVER];
		snprintf(w->message, sizeof(w->message),
			 "[%s] says driver = pciback, but " DECIDE_NO_PCIBACK
			 ": boot and hot-plug leave what it names alone",
			 rule->name);
	}
	for (size_t k = 0; k < l->n; k++) {
		const struct pcidev *d = l->devs[k];
		struct policy_warning *w;
		struct policy_eval e;

		if (policy_eval(p, l, d, &e) < 0)
			continue;
		if (e.v.protect && (e.v.boot || e.v.hotplug)) {
			w = warning_add(&v, &nv);
			if (!w) {
				policy_eval_done(&e);
				return -ENOMEM;
			}
			decide_source(&e, PK_PROTECT, a, sizeof(a));
			decide_source(&e, e.v.boot ? PK_BOOT : PK_HOTPLUG, b, sizeof(b));
			snprintf(w->bdf, sizeof(w->bdf), "%s", d->bdf);
			snprintf(w->message, sizeof(w->message),
				 "protect = yes (%s) contradicts %s = yes (%s): it is never seized",
				 a, e.v.boot ? "boot" : "hotplug", b);
		}
		if (e.v.vfs >= 0 && (d->sriov_totalvfs < 0 || e.v.vfs > d->sriov_totalvfs)) {
			w = warning_add(&v, &nv);
			if (!w) {
				policy_eval_done(&e);
				return -ENOMEM;
			}
			decide_source(&e, PK_VFS, a, sizeof(a));
			snprintf(w->bdf, sizeof(w->bdf), "%s", d->bdf);
			if (d->sriov_totalvfs < 0)
				snprintf(w->message, sizeof(w->message),
					 "vfs = %d (%s), but it is not an SR-IOV physical function "
					 "(no sriov_totalvfs): it is ignored",
					 e.v.vfs, a);
			else
				snprintf(w->message, sizeof(w->message),
					 "vfs = %d (%s), but its sriov_totalvfs is %d: the kernel "
					 "refuses more (ERANGE), so no VF is made",
					 e.v.vfs, a, d->sriov_totalvfs);
		}
		if (e.v.expect_vendor >= 0 &&
		    (e.v.expect_vendor != d->vendor || e.v.expect_device != d->device)) {
			w = warning_add(&v, &nv);
			if (!w) {
				policy_eval_done(&e);
				return -ENOMEM;
			}
			decide_source(&e, PK_EXPECT_ID, a, sizeof(a));
			snprintf(w->bdf, sizeof(w->bdf), "%s", d->bdf);
			snprintf(w->message, sizeof(w->message),
				 "%s expects %04x:%04x here, but it is %04x:%04x: the rule will "
				 "refuse it",
				 a, e.v.expect_vendor, e.v.expect_device, d->vendor, d->device);
		}
		policy_eval_done(&e);
	}
	*ret = TAKE_PTR(v);
	*n = nv;
	return 0;
}

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
#include <string.h>

#include "decide.h"
#include "guard.h"
#include "pcidev.h"
#include "policy.h"

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
	if (g->n && !e->v.force) {
		say(v, false,
		    "%s is one dom0 cannot lose: %s. A rule naming exactly this address with "
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

/* Decide whether D may return to dom0. */
void decide_release(const struct pcidev_list *l, const struct pcidev *d,
		    const struct policy_eval *e, struct verdict *v)
{
	char src[512], why[512];

	*v = (struct verdict){ 0 };
	decide_source(e, PK_RELEASE, src, sizeof(src));
	if (e->v.release == RELEASE_NEVER) {
		say(v, false, "%s may never return to dom0 (release = never, %s); reboot to get it back",
		    d->bdf, src);
		return;
	}
	if (d->resettable) {
		say(v, true, "allowed: it can be reset before it returns");
		return;
	}
	if (pcidev_reset_reason(l, d, why, sizeof(why)) < 0)
		snprintf(why, sizeof(why), "not resettable");
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
	    "%s cannot be reset, so whatever its last user left in it would reach dom0 (%s). "
	    "Reboot to get it back safely, or accept the risk with -o no-strict-reset",
	    d->bdf, why);
}

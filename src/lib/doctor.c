/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pcibind doctor, in the spirit of virt-host-validate: read-only checks of
 * what passthrough needs (an enabled IOMMU with groups, interrupt
 * remapping, the kernel command line, Xen's pciback, the stub modules) and,
 * per device, its IOMMU group, the group's viability and its reset. Each
 * check is PASS, WARN or FAIL with the fix; nothing is printed here.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor.h"
#include "kmodq.h"
#include "macro.h"
#include "pcidev.h"
#include "proc.h"
#include "sysfs.h"

const char *doctor_status_name(enum doctor_status s)
{
	return s == DOCTOR_PASS ? "PASS" : s == DOCTOR_WARN ? "WARN" : "FAIL";
}

void doctor_report_done(struct doctor_report *r)
{
	free(r->checks);
	*r = (struct doctor_report){ 0 };
}

enum doctor_status doctor_worst(const struct doctor_report *r)
{
	enum doctor_status w = DOCTOR_PASS;

	for (size_t i = 0; i < r->n; i++)
		if (r->checks[i].status > w)
			w = r->checks[i].status;
	return w;
}

static int add(struct doctor_report *r, const char *name, enum doctor_status st, const char *fix,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int add(struct doctor_report *r, const char *name, enum doctor_status st, const char *fix,
	       const char *fmt, ...)
{
	struct doctor_check *c;
	va_list ap;

	if (r->n == r->alloc) {
		size_t na = r->alloc ? r->alloc * 2 : 16;
		struct doctor_check *nc = realloc(r->checks, na * sizeof(*nc));

		if (!nc)
			return -ENOMEM;
		r->checks = nc;
		r->alloc = na;
	}
	c = &r->checks[r->n++];
	*c = (struct doctor_check){ .status = st };
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->fix, sizeof(c->fix), "%s", fix ? fix : "");
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	return 0;
}

/* Whether the kernel command line has WORD ("iommu=pt") or, for "K=", any K=value. */
bool doctor_cmdline_has(const char *cmdline, const char *word)
{
	size_t n = strlen(word);
	bool prefix = n && word[n - 1] == '=';

	for (const char *p = cmdline; p && *p;) {
		size_t len;

		p += strspn(p, " \t\n");
		len = strcspn(p, " \t\n");
		if (len && (prefix ? len >= n && !strncmp(p, word, n)
				   : len == n && !strncmp(p, word, n)))
			return true;
		p += len;
	}
	return false;
}

/* The value of K= on the command line (last one wins), in BUF; "" if absent. */
static void cmdline_value(const char *cmdline, const char *key, char *buf, size_t size)
{
	size_t n = strlen(key);

	buf[0] = '\0';
	for (const char *p = cmdline; p && *p;) {
		size_t len;

		p += strspn(p, " \t\n");
		len = strcspn(p, " \t\n");
		if (len > n && !strncmp(p, key, n))
			snprintf(buf, size, "%.*s", (int)(len - n), p + n);
		p += len;
	}
}

static int check_iommu(struct sysfs *s, const struct pcidev_list *l, const char *cmdline,
		       const char *cpuinfo, struct doctor_report *r, bool *have_iommu)
{
	_cleanup_strv_free_ char **units = NULL, **groups = NULL;
	const char *fix_on;
	char val[64];
	int nu, ng, k;
	bool amd;

	nu = sysfs_list_dir(s, &units, "class/iommu");
	ng = sysfs_list_dir(s, &groups, "kernel/iommu_groups");
	if (nu < 0)
		nu = 0;
	if (ng < 0)
		ng = 0;
	/* The IOMMU's own name says whose it is (dmarN: VT-d, ivhdN: AMD-Vi), else the CPU. */
	if (nu > 0)
		amd = !strncmp(units[0], "ivhd", 4);
	else if (sysfs_exists(s, "firmware/acpi/tables/DMAR"))
		amd = false;
	else if (sysfs_exists(s, "firmware/acpi/tables/IVRS"))
		amd = true;
	else
		amd = cpuinfo && strstr(cpuinfo, "AuthenticAMD");
	fix_on = amd ? "enable AMD-Vi (IOMMU) in the firmware setup and boot with amd_iommu=on"
		     : "enable VT-d in the firmware setup and boot with intel_iommu=on";
	*have_iommu = nu > 0 && ng > 0;

	if (nu > 0)
		k = add(r, "iommu", DOCTOR_PASS, NULL, "IOMMU present and enabled: %s%s", units[0],
			nu > 1 ? " and more" : "");
	else if (l->xen)
		k = add(r, "iommu", DOCTOR_PASS, NULL,
			"Xen owns the IOMMU (dom0 sees none, as it should): pciback, not vfio-pci");
	else
		k = add(r, "iommu", DOCTOR_FAIL, fix_on,
			"no IOMMU: /sys/class/iommu is empty, so vfio-pci cannot bind anything%s",
			sysfs_exists(s, "firmware/acpi/tables/DMAR") ||
					sysfs_exists(s, "firmware/acpi/tables/IVRS")
				? " (the firmware describes one: the kernel did not enable it)"
				: "");
	if (k < 0)
		return k;

	if (ng > 0)
		k = add(r, "iommu-groups", DOCTOR_PASS, NULL, "%d IOMMU groups", ng);
	else if (l->xen)
		k = add(r, "iommu-groups", DOCTOR_PASS, NULL, "none in a Xen dom0 (Xen isolates)");
	else
		k = add(r, "iommu-groups", DOCTOR_FAIL, fix_on,
			"no IOMMU groups in /sys/kernel/iommu_groups");
	if (k < 0)
		return k;

	/* The kernel command line: what turns the IOMMU on, and passthrough mode. */
	if (l->xen) {
		k = add(r, "kernel-cmdline", DOCTOR_PASS, NULL,
			"Xen dom0: the IOMMU is Xen's (iommu= on Xen's command line)");
	} else if (!cmdline) {
		k = add(r, "kernel-cmdline", DOCTOR_WARN, NULL, "cannot read /proc/cmdline");
	} else {
		cmdline_value(cmdline, amd ? "amd_iommu=" : "intel_iommu=", val, sizeof(val));
		if (strstr(val, "off"))
			k = add(r, "kernel-cmdline", DOCTOR_FAIL,
				amd ? "remove amd_iommu=off" : "replace intel_iommu=off by intel_iommu=on",
				"%s_iommu=%s turns the IOMMU off", amd ? "amd" : "intel", val);
		else if (val[0])
			k = add(r, "kernel-cmdline", DOCTOR_PASS, NULL, "%s_iommu=%s",
				amd ? "amd" : "intel", val);
		else if (*have_iommu)
			k = add(r, "kernel-cmdline", DOCTOR_PASS, NULL,
				"no %s_iommu= but the kernel enabled the IOMMU by default",
				amd ? "amd" : "intel");
		else
			k = add(r, "kernel-cmdline", DOCTOR_FAIL, fix_on,
				"no %s on the kernel command line, and this kernel does not "
				"enable the IOMMU by default",
				amd ? "amd_iommu=on" : "intel_iommu=on");
		if (k < 0)
			return k;
		cmdline_value(cmdline, "iommu=", val, sizeof(val));
		if (streq(val, "pt"))
			k = add(r, "iommu-passthrough", DOCTOR_PASS, NULL,
				"iommu=pt: the host's own devices skip DMA translation");
		else
			k = add(r, "iommu-passthrough", DOCTOR_WARN,
				"add iommu=pt to the kernel command line",
				"iommu=pt is not set: the host's own devices pay for DMA "
				"translation (it does not affect passthrough itself)");
	}
	return k;
}

static int check_irq_remap(struct proc *p, bool have_iommu, const struct pcidev_list *l,
			   struct doctor_report *r)
{
	_cleanup_free_ char *irqs = NULL;

	if (l->xen)
		return add(r, "interrupt-remapping", DOCTOR_PASS, NULL,
			   "Xen does interrupt remapping for its guests");
	if (!p || proc_read(p, "interrupts", &irqs) < 0)
		return add(r, "interrupt-remapping", DOCTOR_WARN, NULL,
			   "cannot read /proc/interrupts");
	if (strstr(irqs, "IR-"))
		return add(r, "interrupt-remapping", DOCTOR_PASS, NULL,
			   "enabled (IR- interrupt chips in /proc/interrupts)");
	return add(r, "interrupt-remapping", have_iommu ? DOCTOR_FAIL : DOCTOR_WARN,
		   "enable interrupt remapping in the firmware (VT-d/AMD-Vi with x2APIC); "
		   "vfio_iommu_type1.allow_unsafe_interrupts=1 works around it, unsafely",
		   "not enabled (no IR- interrupt chips in /proc/interrupts): vfio refuses to "
		   "assign devices without it");
}

static int check_xen(struct kmodq *q, const struct pcidev_list *l, struct doctor_report *r)
{
	if (!l->xen)
		return add(r, "xen-pciback", DOCTOR_PASS, NULL,
			   "not a Xen dom0: vfio-pci is the stub, pciback is not needed");
	if (l->have_pciback)
		return add(r, "xen-pciback", DOCTOR_PASS, NULL, "Xen dom0, pciback is loaded");
	if (kmodq_module_known(q, "xen_pciback"))
		return add(r, "xen-pciback", DOCTOR_PASS, NULL,
			   "Xen dom0, pciback is loadable (xen_pciback); seize loads it");
	return add(r, "xen-pciback", DOCTOR_FAIL,
		   "install a kernel with CONFIG_XEN_PCIDEV_BACKEND", "Xen dom0 without xen_pciback");
}

static int check_stubs(struct kmodq *q, const struct pcidev_list *l, struct doctor_report *r)
{
	static const struct {
		const char *driver, *module;
	} stubs[] = { { "vfio-pci", "vfio_pci" }, { "pci-stub", "pci_stub" } };
	char have[128] = "", missing[128] = "";

	for (size_t i = 0; i < ELEMENTSOF(stubs); i++) {
		bool ok = pcidev_driver_registered(l, stubs[i].driver) ||
			  kmodq_module_known(q, stubs[i].module);
		char *b = ok ? have : missing;

		snprintf(b + strlen(b), 128 - strlen(b), "%s%s", b[0] ? ", " : "",
			 stubs[i].driver);
	}
	if (missing[0])
		return add(r, "stub-modules", l->xen ? DOCTOR_WARN : DOCTOR_FAIL,
			   "install the kernel's vfio-pci/pci-stub modules (CONFIG_VFIO_PCI, "
			   "CONFIG_PCI_STUB), or give --modules-dir",
			   "available: %s; missing: %s", have[0] ? have : "none", missing);
	return add(r, "stub-modules", DOCTOR_PASS, NULL, "available: %s", have);
}

/*
 * The host's checks. P, Q may be NULL (then what they would tell is a WARN).
 * Returns 0 or -ENOMEM.
 */
int doctor_host(struct sysfs *s, struct proc *p, struct kmodq *q, const struct pcidev_list *l,
		struct doctor_report *r)
{
	_cleanup_free_ char *cmdline = NULL, *cpuinfo = NULL;
	bool have_iommu = false;
	int k;

	if (p) {
		(void)proc_read(p, "cmdline", &cmdline);
		(void)proc_read(p, "cpuinfo", &cpuinfo);
	}
	k = check_iommu(s, l, cmdline, cpuinfo, r, &have_iommu);
	if (k >= 0)
		k = check_irq_remap(p, have_iommu, l, r);
	if (k >= 0)
		k = check_xen(q, l, r);
	if (k >= 0)
		k = check_stubs(q, l, r);
	return k < 0 ? k : 0;
}

/*
 * The checks of device D, which is on STUB or goes there by policy:
 * its IOMMU group, the group's viability (vfio only), its reset, and
 * USERS ("pid 412 (qemu-system-x86)", "" if none). Returns 0 or -ENOMEM.
 */
int doctor_device(const struct pcidev_list *l, const struct pcidev *d, const char *stub,
		  const char *users, struct doctor_report *r)
{
	struct pcidev *self[1] = { (struct pcidev *)d };
	const struct pcidev *m[64];
	char name[64], members[400] = "", blockers[400], reason[600];
	bool vfio = streq_ptr(stub, "vfio-pci") || pcidev_vfio_holds(d);
	size_t nm, len = 0;
	int k;

	snprintf(name, sizeof(name), "%s group", d->bdf);
	if (d->iommu_group < 0) {
		k = add(r, name, vfio && !l->xen ? DOCTOR_FAIL : DOCTOR_PASS,
			vfio && !l->xen ? "enable the IOMMU (see above), or use pci-stub" : NULL,
			"no IOMMU group%s", vfio && !l->xen ? ": vfio-pci cannot take it" : "");
	} else {
		nm = pcidev_group_members(l, d->iommu_group, m, ELEMENTSOF(m));
		for (size_t i = 0; i < nm && i < ELEMENTSOF(m); i++)
			len += snprintf(members + (len < sizeof(members) ? len : sizeof(members)),
					len < sizeof(members) ? sizeof(members) - len : 0, "%s%s (%s)",
					i ? ", " : "", m[i]->bdf,
					m[i]->driver ? m[i]->driver : "no driver");
		k = add(r, name, DOCTOR_PASS, NULL, "IOMMU group %d: %s", d->iommu_group, members);
	}
	if (k < 0)
		return k;

	if (vfio && d->iommu_group >= 0) {
		snprintf(name, sizeof(name), "%s viability", d->bdf);
		if (pcidev_group_blockers(l, d->iommu_group, self, 1, blockers, sizeof(blockers)) >
		    0)
			k = add(r, name, DOCTOR_FAIL,
				"seize the whole group: pcibind seize --group --driver vfio-pci",
				"group %d is not viable: %s keep%s a DMA-owning driver", d->iommu_group,
				blockers, strchr(blockers, ',') ? "" : "s");
		else
			k = add(r, name, DOCTOR_PASS, NULL, "group %d is viable", d->iommu_group);
		if (k < 0)
			return k;
	}

	snprintf(name, sizeof(name), "%s reset", d->bdf);
	if (pcidev_reset_reason(l, d, reason, sizeof(reason)) < 0)
		snprintf(reason, sizeof(reason), "%s", pcidev_reset_works(l, d) ? "resettable"
										  : "not resettable");
	k = add(r, name, pcidev_reset_works(l, d) ? DOCTOR_PASS : DOCTOR_WARN,
		pcidev_reset_works(l, d) ? NULL
					 : "release needs -o no-strict-reset (or reboot to get it back)",
		"%s", reason);
	if (k < 0 || !users || !users[0])
		return k;
	snprintf(name, sizeof(name), "%s in-use", d->bdf);
	return add(r, name, DOCTOR_PASS, NULL, "in use by %s", users);
}

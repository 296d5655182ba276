/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pcibind doctor: a read-only readiness report, one line per check (src/lib/doctor.c). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "doctor.h"
#include "kmodq.h"
#include "log.h"
#include "macro.h"
#include "output.h"
#include "pcidev.h"
#include "policy.h"
#include "proc.h"

static void print_report(struct pb_ctx *c, const struct doctor_report *r)
{
	_cleanup_(out_freep) struct out *o = NULL;
	enum doctor_status w = doctor_worst(r);

	if (!c->json) {
		for (size_t i = 0; i < r->n; i++) {
			const struct doctor_check *k = &r->checks[i];

			printf("%s  %-28s %s\n", doctor_status_name(k->status), k->name, k->detail);
			if (k->fix[0] && k->status != DOCTOR_PASS)
				printf("      %-28s fix: %s\n", "", k->fix);
		}
		printf("%s\n", w == DOCTOR_FAIL   ? "Not ready: fix the FAIL lines above."
			       : w == DOCTOR_WARN ? "Ready, with warnings."
						  : "Ready.");
		return;
	}
	o = out_new(true, stdout);
	if (!o)
		return;
	out_string(o, "result", NULL, w == DOCTOR_FAIL ? "fail" : w == DOCTOR_WARN ? "warn" : "pass");
	out_begin_array(o, "checks", NULL);
	for (size_t i = 0; i < r->n; i++) {
		const struct doctor_check *k = &r->checks[i];

		out_begin_object(o, NULL);
		out_string(o, "name", NULL, k->name);
		out_string(o, "status", NULL, doctor_status_name(k->status));
		out_string(o, "detail", NULL, k->detail);
		out_string(o, "fix", NULL, k->fix[0] ? k->fix : NULL);
		out_end_object(o);
	}
	out_end_array(o);
	(void)out_finish(o);
}

/*
 * The stub a device is on, or the one the policy sends it to (a rule with
 * driver, boot or hotplug); NULL if neither.
 */
static const char *device_stub(const struct policy *pol, const struct pcidev_list *l,
			       const struct pcidev *d, char *buf, size_t size)
{
	struct change_opts o = { .op = 0, .origin = "cli" };
	struct policy_eval e;
	const char *ret = NULL;

	if (d->stub != PCIDEV_STUB_NONE)
		return d->driver;
	if (!pol || cmd_eval(pol, l, d, &o, &e) < 0)
		return NULL;
	if (e.v.driver[0] || e.v.boot > 0 || e.v.hotplug > 0) {
		snprintf(buf, size, "%s", e.v.driver[0] ? e.v.driver
				     : l->xen	     ? "pciback"
						     : "vfio-pci");
		ret = buf;
	}
	policy_eval_done(&e);
	return ret;
}

/* pcibind doctor [--json]. Exit 0 unless a check FAILs. */
int cmd_doctor(struct pb_ctx *c, int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	_cleanup_(pcidev_list_freep) struct pcidev_list *l = NULL;
	_cleanup_(proc_closep) struct proc *p = NULL;
	_cleanup_(kmodq_freep) struct kmodq *q = NULL;
	struct policy *pol = NULL;
	struct doctor_report r = { 0 };
	int opt, ret, k;

	while ((opt = getopt_long(argc, argv, "jh", options, NULL)) >= 0) {
		switch (opt) {
		case 'j':
			c->json = true;
			break;
		case 'h':
			printf("Usage: pcibind [OPTIONS] doctor [--json]\n\n"
			       "Is this host ready for passthrough? One line per check, PASS, WARN\n"
			       "or FAIL with the fix: the IOMMU and its groups, interrupt remapping,\n"
			       "the kernel command line, Xen's pciback, the stub modules, and for\n"
			       "each seized or policy-named device its group, viability and reset.\n"
			       "Read-only. Exit 0 unless a check FAILs.\n");
			return PB_EXIT_OK;
		default:
			return cmd_option_error("doctor", argv);
		}
	}
	if (optind < argc)
		return cmd_usage_error("doctor takes no arguments");
	ret = cmd_scan(c, &l);
	if (ret != PB_EXIT_OK)
		return ret;
	if (proc_open(c->roots.proc_root, &p) < 0)
		p = NULL;
	if (kmodq_new(c->roots.modules_dir, &q) < 0)
		q = NULL;
	/* Read-only: an untrusted policy only means no policy-named devices. */
	if (cmd_load_policy(c, false, &pol) != PB_EXIT_OK)
		pol = NULL;

	k = doctor_host(c->sysfs, p, q, l, &r);
	for (size_t i = 0; k >= 0 && i < l->n; i++) {
		const struct pcidev *d = l->devs[i];
		char buf[64], users[256] = "";
		const char *stub = device_stub(pol, l, d, buf, sizeof(buf));

		if (!stub)
			continue;
		(void)cmd_vfio_users(c, d, users, sizeof(users));
		k = doctor_device(l, d, stub, users, &r);
	}
	policy_free(pol);
	if (k < 0) {
		doctor_report_done(&r);
		log_error_errno(k, "doctor");
		return PB_EXIT_FAILURE;
	}
	print_report(c, &r);
	ret = doctor_worst(&r) == DOCTOR_FAIL ? PB_EXIT_FAILURE : PB_EXIT_OK;
	doctor_report_done(&r);
	return ret;
}

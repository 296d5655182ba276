/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pcibind doctor: a read-only readiness report, one line per check (src/lib/doctor.c). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "commands.h"
#include "doctor.h"
#include "log.h"
#include "macro.h"
#include "output.h"

static void print_report(struct pb_ctx *c, const struct doctor_report *r)
{
	_cleanup_(out_freep) struct out *o = NULL;
	enum doctor_status w = doctor_worst(r);

	if (!c->json) {
		for (size_t i = 0; i < r->n; i++) {
			const struct doctor_check *k = &r->checks[i];

			out_printf(stdout, "%s  %-28s %s\n", doctor_status_name(k->status), k->name,
				   k->detail);
			if (k->fix[0] && k->status != DOCTOR_PASS)
				out_printf(stdout, "      %-28s fix: %s\n", "", k->fix);
		}
		out_printf(stdout, "%s\n",
			   w == DOCTOR_FAIL   ? "Not ready: fix the FAIL lines above."
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

		struct pci_addr a;
		const char *sp = strchr(k->name, ' ');
		char bdf[ADDR_BDF_MAX] = "";

		/* "0000:06:00.0 group": the check's name, and the function apart */
		if (sp && (size_t)(sp - k->name) < sizeof(bdf)) {
			memcpy(bdf, k->name, (size_t)(sp - k->name));
			bdf[sp - k->name] = '\0';
			if (addr_parse_bdf(bdf, &a) < 0)
				bdf[0] = '\0';
		}
		out_begin_object(o, NULL);
		out_string(o, "name", NULL, bdf[0] ? sp + 1 : k->name);
		out_string(o, "address", NULL, bdf[0] ? bdf : NULL);
		/* lower case, as "result" */
		out_string(o, "status", NULL,
			   k->status == DOCTOR_FAIL	  ? "fail"
			   : k->status == DOCTOR_WARN ? "warn"
						  : "pass");
		out_string(o, "detail", NULL, k->detail);
		out_string(o, "fix", NULL, k->fix[0] ? k->fix : NULL);
		out_end_object(o);
	}
	out_end_array(o);
	(void)out_finish(o);
}

/* pcibind doctor [--json]. Exit 0, or PB_EXIT_NOT_READY when a check FAILs. */
int cmd_doctor(struct pb_ctx *c, int argc, char **argv)
{
	struct doctor_report r = { 0 };
	int k, ret;

	ret = cmd_json_only_options(
		c, argc, argv, "doctor",
		"Usage: pcibind [OPTIONS] doctor [--json]\n\n"
		"Is this host ready for passthrough? One line per check, PASS, WARN\n"
		"or FAIL with the fix: the IOMMU and its groups, interrupt remapping,\n"
		"the kernel command line, Xen's pciback, the stub modules, and for\n"
		"each seized or policy-named device its group, viability and reset.\n"
		"Read-only. Exit 0, or 7 when a check FAILs (not ready).\n");
	if (ret >= 0)
		return ret;
	k = engine_doctor(c->engine, &r);
	if (k < 0) {
		doctor_report_done(&r);
		log_error_errno(k, "cannot read the PCI devices under '%s'", c->roots.sysfs_root);
		return PB_EXIT_FAILURE;
	}
	print_report(c, &r);
	ret = doctor_worst(&r) == DOCTOR_FAIL ? PB_EXIT_NOT_READY : PB_EXIT_OK;
	doctor_report_done(&r);
	return ret;
}

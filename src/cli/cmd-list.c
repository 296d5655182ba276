/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pcibind list: one line per PCI function, the Qubes address first. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "describe.h"
#include "holders.h"
#include "log.h"
#include "output.h"
#include "pcidev.h"
#include "pciname.h"
#include "select.h"

#define MAX_SELECTORS 64
static bool selected(const struct selector *sel, size_t nsel, const struct selector *ids,
		     size_t nids, const struct pcidev *d)
{
	bool any_sel = nsel == 0, any_id = nids == 0;

	for (size_t i = 0; i < nsel && !any_sel; i++)
		any_sel = select_match(&sel[i], d);
	for (size_t i = 0; i < nids && !any_id; i++)
		any_id = select_match(&ids[i], d);
	return any_sel && any_id;
}

/* "pid 1001 (Xorg), dm-0, VF 0000:05:00.1" in BUF: the "used by" column of --used. */
static void used_by(const struct holders *h, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < h->n; i++) {
		const struct holder *x = &h->v[i];
		char comm[64], one[200];

		holders_clean(x->comm, comm, sizeof(comm));
		switch (x->kind) {
		case HOLDER_PROCESS:
			snprintf(one, sizeof(one), "pid %d (%s)", x->pid, comm);
			break;
		case HOLDER_UNREADABLE:
			snprintf(one, sizeof(one), x->pid ? "pid %d (%s, unreadable)" : "unreadable /proc",
				 x->pid, comm);
			break;
		case HOLDER_STACK:
			snprintf(one, sizeof(one), "%s", x->node);
			break;
		case HOLDER_VF:
			snprintf(one, sizeof(one), "VF %s", x->node);
			break;
		default:
			snprintf(one, sizeof(one), "unknown");
			break;
		}
		/* one entry per process: a node open and another mapped is one user */
		if (strstr(buf, one))
			continue;
		len += snprintf(buf + (len < size ? len : size), len < size ? size - len : 0, "%s%s",
				len ? ", " : "", one);
	}
}

/*
 * What holds D, through the engine's own snapshot (its details: IOMMU group,
 * SR-IOV VFs); what cannot be read is one "unknown" holder. Returns 0 or
 * -ENOMEM.
 */
static int list_holders(struct pb_ctx *c, const struct pcidev *d, struct holders *h)
{
	struct pcidev_list *el = NULL;
	struct pcidev *own = NULL;
	int r;

	r = engine_snapshot(c->engine, &el);
	if (r == 0)
		own = pcidev_find_bdf(el, d->bdf);
	if (own)
		r = engine_details(c->engine, own);
	if (own && r == 0)
		r = engine_holders(c->engine, own, h);
	else if (r == 0)
		r = -ENOENT;
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		holders_done(h);
		h->v = calloc(1, sizeof(*h->v));
		if (!h->v)
			return -ENOMEM;
		h->n = 1;
		h->v[0] = (struct holder){ .kind = HOLDER_UNKNOWN, .error = r };
	}
	return 0;
}

/* One line; KERNEL_ADDR (-D) puts the kernel's address first, as lspci -D does. */
static void list_text(const struct pcidev *d, const struct describe *names, bool kernel_addr,
		      const struct holders *h)
{
	char line[1024], users[1024] = "";

	describe_line(d, names, line, sizeof(line));
	if (h)
		used_by(h, users, sizeof(users));
	out_printf(stdout, "%s  %s  driver: %s%s", kernel_addr ? d->bdf : d->qubes, line,
		   d->driver ? d->driver : "none", d->stub ? " (stub)" : "");
	/* SR-IOV: a PF's VF count, a VF's number and PF */
	if (d->sriov_totalvfs >= 0)
		printf("  VFs: %d of %d", d->sriov_numvfs, d->sriov_totalvfs);
	if (d->physfn_bdf[0])
		out_printf(stdout, "  VF %d of %s", pcidev_vf_index(d), d->physfn_bdf);
	/* the process names in USERS are their own: out_printf() escapes them */
	out_printf(stdout, "%s%s\n", users[0] ? "  used by: " : "", users);
}

static void list_json(struct out *o, const struct pcidev *d, const struct describe *names,
		      const struct holders *h)
{
	out_begin_object(o, NULL);
	out_string(o, "address", NULL, d->bdf);
	out_string(o, "qubes_address", NULL, d->qubes);
	out_hex(o, "class", NULL, d->class >> 8, 4);
	out_hex(o, "prog_if", NULL, d->class & 0xff, 2);
	out_string(o, "class_name", NULL, names->class_name[0] ? names->class_name : NULL);
	out_hex(o, "vendor_id", NULL, d->vendor, 4);
	out_hex(o, "device_id", NULL, d->device, 4);
	out_hex(o, "subsystem_vendor_id", NULL, d->subsys_vendor, 4);
	out_hex(o, "subsystem_device_id", NULL, d->subsys_device, 4);
	out_hex(o, "revision", NULL, d->revision, 2);
	out_string(o, "vendor_name", NULL, names->vendor_name[0] ? names->vendor_name : NULL);
	out_string(o, "device_name", NULL, names->device_name[0] ? names->device_name : NULL);
	out_string(o, "driver", NULL, d->driver);
	out_string(o, "module", NULL, d->driver_module);
	out_bool(o, "stub", NULL, d->stub != PCIDEV_STUB_NONE);
	out_string(o, "driver_override", NULL, d->driver_override);
	if (d->iommu_group >= 0)
		out_int(o, "iommu_group", NULL, d->iommu_group);
	else
		out_null(o, "iommu_group", NULL, NULL);
	/* SR-IOV keys only where they mean something: a PF's, a VF's (its VFs: show) */
	if (d->sriov_totalvfs >= 0) {
		out_int(o, "sriov_totalvfs", NULL, d->sriov_totalvfs);
		out_int(o, "sriov_numvfs", NULL, d->sriov_numvfs);
	}
	if (d->physfn_bdf[0]) {
		out_string(o, "physfn", NULL, d->physfn_bdf);
		out_int(o, "vf_index", NULL, pcidev_vf_index(d));
	}
	if (h) {
		char users[1024];

		used_by(h, users, sizeof(users));
		out_string(o, "used_by", NULL, users[0] ? users : NULL);
	}
	out_end_object(o);
}

static void list_help(void)
{
	printf("Usage: pcibind [OPTIONS] list [SELECTOR...] [-s SLOT] [-d VENDOR:DEVICE[:CLASS]]\n"
	       "                [-D] [--stub] [--used] [--json]\n"
	       "\n"
	       "List PCI functions: Qubes address, class, names, IDs and driver.\n"
	       "A function is listed if it matches any SELECTOR or -s (or none is given)\n"
	       "and any -d filter (or none is given).\n"
	       "\n"
	       "  -s, --slot SLOT  a selector, as lspci -s ([[DOMAIN:]BUS:]SLOT[.FUNC])\n"
	       "  -d, --id ID   vendor:device[:class[:prog-if]] filter, as lspci -d\n"
	       "  -D, --kernel-address  the kernel's address (0000:00:1d.0) first, as lspci -D\n"
	       "  --stub        only functions on a stub or with a driver_override, whoever\n"
	       "                put them there (xl pci-assignable-list, driverctl list-overrides)\n"
	       "  -u, --used    add who uses each function (processes with its device nodes\n"
	       "                open, block devices built on its disks, enabled VFs): reads\n"
	       "                every process's open files once\n"
	       "  -k, -n, -nn   accepted for lspci's sake: the driver, names and IDs are\n"
	       "                always shown (pcibind's -v is --verbose; 'show' has the detail)\n"
	       "  -j, --json    print JSON\n"
	       "\n"
	       "Class names: %s\n",
	       select_class_names());
}

/* pcibind list: see list_help(). Returns an exit code. */
int cmd_list(struct pb_ctx *c, int argc, char **argv)
{
	enum { OPT_STUB = CHAR_MAX + 1 };
	static const struct option options[] = {
		{ "id", required_argument, NULL, 'd' },
		{ "slot", required_argument, NULL, 's' },
		{ "kernel-address", no_argument, NULL, 'D' },
		{ "stub", no_argument, NULL, OPT_STUB },
		{ "used", no_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	_cleanup_(pcidev_list_freep) struct pcidev_list *l = NULL;
	_cleanup_(pciname_freep) struct pciname *names = NULL;
	_cleanup_(out_freep) struct out *o = NULL;
	struct selector sel[MAX_SELECTORS], ids[MAX_SELECTORS];
	size_t nsel = 0, nids = 0;
	bool kernel_addr = false, stub_only = false, used = false;
	const char *why;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "d:s:Dknujh", options, NULL)) >= 0) {
		switch (opt) {
		case 's':
			if (nsel >= MAX_SELECTORS)
				return cmd_usage_error("too many selectors (at most %d)",
						       MAX_SELECTORS);
			r = select_parse(optarg, &sel[nsel], &why);
			if (r == -ENOENT)
				return cmd_class_name_error(optarg);
			if (r < 0)
				return cmd_usage_error("invalid -s slot '%s': %s (expected "
						       "[[DOMAIN:]BUS:]SLOT[.FUNC], e.g. 00:1d.0)",
						       optarg, why);
			nsel++;
			break;
		case 'D':
			kernel_addr = true;
			break;
		case 'u':
			used = true;
			break;
		case OPT_STUB:
			stub_only = true;
			break;
		case 'k':
		case 'n':
			break; /* lspci's: pcibind always shows the driver, names and IDs */
		case 'd':
			if (nids >= MAX_SELECTORS)
				return cmd_usage_error("too many -d filters (at most %d)",
						       MAX_SELECTORS);
			if (select_parse_id(optarg, &ids[nids], &why) < 0)
				return cmd_usage_error("invalid -d filter '%s': %s (expected "
						       "VENDOR:DEVICE[:CLASS], e.g. 8086:10d3 "
						       "or ::0c03)",
						       optarg, why);
			nids++;
			break;
		case 'j':
			c->json = true;
			break;
		case 'h':
			list_help();
			return PB_EXIT_OK;
		default:
			return cmd_option_error("list", argv, options);
		}
	}
	for (int i = optind; i < argc; i++) {
		if (nsel >= MAX_SELECTORS)
			return cmd_usage_error("too many selectors (at most %d)", MAX_SELECTORS);
		r = select_parse(argv[i], &sel[nsel], &why);
		if (r == -ENOENT)
			return cmd_class_name_error(argv[i]);
		if (r < 0)
			return cmd_usage_error("invalid selector '%s': %s (expected e.g. "
					       "0000:00:1d.0, 00:1d.*, dom0:00_1d.0 or a class "
					       "name such as usb)",
					       argv[i], why);
		nsel++;
	}

	r = cmd_scan_flags(c,
			   PCIDEV_SCAN_BASIC | (c->json || stub_only ? PCIDEV_SCAN_OVERRIDE : 0),
			   &l);
	if (r != PB_EXIT_OK)
		return r;
	r = pciname_new(c->roots.pci_ids, &names);
	if (r < 0) {
		log_error_errno(r, "cannot set up PCI names");
		return PB_EXIT_FAILURE;
	}
	o = out_new(c->json, stdout);
	if (!o) {
		log_error_errno(-ENOMEM, "cannot print");
		return PB_EXIT_FAILURE;
	}
	if (c->json)
		out_begin_stream(o, "devices", NULL);
	for (size_t i = 0; i < l->n; i++) {
		struct pcidev *d = l->devs[i];
		struct holders h = { 0 };
		struct describe dn;

		if (!selected(sel, nsel, ids, nids, d))
			continue;
		/* --stub: what xl pci-assignable-list and driverctl list-overrides show */
		if (stub_only && d->stub == PCIDEV_STUB_NONE && !d->driver_override)
			continue;
		/* pciname caches each (vendor, device, subsystem, class) tuple */
		describe_device(names, d, &dn);
		/* --used: the one read of /proc, and each listed function's nodes */
		if (used && list_holders(c, d, &h) < 0)
			return log_error_errno(-ENOMEM, "cannot list"), PB_EXIT_FAILURE;
		if (c->json)
			list_json(o, d, &dn, used ? &h : NULL);
		else
			list_text(d, &dn, kernel_addr, used ? &h : NULL);
		holders_done(&h);
	}
	if (c->json)
		out_end_array(o);
	r = out_finish(o);
	if (r < 0) {
		log_error_errno(r, "cannot print the list");
		return PB_EXIT_FAILURE;
	}
	return PB_EXIT_OK;
}

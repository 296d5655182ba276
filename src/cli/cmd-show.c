/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pcibind show: everything the device model knows about one function. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "describe.h"
#include "log.h"
#include "output.h"
#include "pcidev.h"
#include "pciname.h"
#include "select.h"
#include "sysfs.h"
#include "xen.h"

#define MAX_SLOT_FUNCTIONS 8

static void show_identity(struct out *o, const struct pcidev *d, const struct describe *n)
{
	out_string(o, "address", "Address:", d->bdf);
	out_string(o, "qubes_address", "Qubes address:", d->qubes);
	{
		char path[PCIDEV_PATH_MAX];

		if (pcidev_qubes_path(d, path, sizeof(path)) == 0)
			out_string(o, "pci_path", "Qubes PCI path:", path);
		else
			out_null(o, "pci_path", "Qubes PCI path:", "unknown");
	}
	if (out_is_json(o)) {
		out_int(o, "domain", NULL, d->addr.domain);
		out_int(o, "bus", NULL, d->addr.bus);
		out_int(o, "slot", NULL, d->addr.slot);
		out_int(o, "function", NULL, d->addr.func);
		out_stringf(o, "class", NULL, "%04x", d->class >> 8);
		out_stringf(o, "prog_if", NULL, "%02x", d->class & 0xff);
		out_string(o, "class_name", NULL, n->class_name[0] ? n->class_name : NULL);
		out_string(o, "prog_if_name", NULL, n->progif_name[0] ? n->progif_name : NULL);
		out_stringf(o, "vendor_id", NULL, "%04x", d->vendor);
		out_string(o, "vendor_name", NULL, n->vendor_name[0] ? n->vendor_name : NULL);
		out_stringf(o, "device_id", NULL, "%04x", d->device);
		out_string(o, "device_name", NULL, n->device_name[0] ? n->device_name : NULL);
		out_stringf(o, "subsystem_vendor_id", NULL, "%04x", d->subsys_vendor);
		out_string(o, "subsystem_vendor_name", NULL,
			   n->subsys_vendor_name[0] ? n->subsys_vendor_name : NULL);
		out_stringf(o, "subsystem_device_id", NULL, "%04x", d->subsys_device);
		out_string(o, "subsystem_device_name", NULL,
			   n->subsys_device_name[0] ? n->subsys_device_name : NULL);
		out_stringf(o, "revision", NULL, "%02x", d->revision);
		return;
	}
	out_stringf(o, NULL, "Class:", "%s [%04x], prog-if %02x%s%s%s",
		    n->class_name[0] ? n->class_name : "Class", d->class >> 8, d->class & 0xff,
		    n->progif_name[0] ? " (" : "", n->progif_name, n->progif_name[0] ? ")" : "");
	out_stringf(o, NULL, "Vendor:", "%s [%04x]", n->vendor_name[0] ? n->vendor_name : "Unknown",
		    d->vendor);
	out_stringf(o, NULL, "Device:", "%s [%04x]", n->device_name[0] ? n->device_name : "Unknown",
		    d->device);
	out_stringf(o, NULL, "Subsystem:", "%s%s%s [%04x:%04x]",
		    n->subsys_vendor_name[0] ? n->subsys_vendor_name : "Unknown",
		    n->subsys_device_name[0] ? " " : "", n->subsys_device_name, d->subsys_vendor,
		    d->subsys_device);
	out_stringf(o, NULL, "Revision:", "%02x", d->revision);
}

static void show_kind(struct out *o, const struct pcidev *d)
{
	const char *kind = pcidev_is_bridge(d) ? "bridge" : "endpoint";

	out_string(o, "kind", "Kind:", kind);
	out_bool(o, "multifunction", "Multi-function:", d->multifunction);
	if (d->header_type >= 0)
		out_int(o, "header_type", "Header type:", d->header_type);
	else
		out_null(o, "header_type", "Header type:", "unknown");
	out_string(o, "parent", "Parent bridge:", d->parent ? d->parent->bdf : NULL);
	if (d->secondary_bus >= 0)
		out_int(o, "secondary_bus", "Secondary bus:", d->secondary_bus);
	if (d->boot_vga >= 0)
		out_bool(o, "boot_vga", "Boot VGA:", d->boot_vga > 0);
	else
		out_null(o, "boot_vga", NULL, NULL);
}

static void show_driver(struct out *o, const struct pcidev_list *l, const struct pcidev *d)
{
	out_string(o, "driver", "Driver:", d->driver);
	if (d->driver && !d->driver_module)
		out_null(o, "module", "Driver module:", "none (built-in)");
	else
		out_string(o, "module", "Driver module:", d->driver_module);
	out_string(o, "driver_override", "driver_override:", d->driver_override);
	out_bool(o, "stub", "On a stub:", d->stub != PCIDEV_STUB_NONE);
	if (l->have_pciback)
		out_bool(o, "pciback_slot", "In pciback slots:", d->in_pciback_slots);
	else
		out_null(o, "pciback_slot", NULL, NULL);
}

/* On a Xen dom0, for a function on pciback: which guest holds it. */
static void show_xen(struct out *o, struct pb_ctx *c, const struct pcidev *d)
{
	_cleanup_(xen_closep) struct xen *x = NULL;
	char what[300];

	if (cmd_xen_open(c, 0, &x) == 0 && cmd_xen_holder(x, d, what, sizeof(what)))
		out_string(o, "xen_guest", "Xen guest:", what);
}

static int show_modules(struct out *o, struct pb_ctx *c, const struct pcidev *d)
{
	_cleanup_strv_free_ char **mods = NULL, **blacklisted = NULL;
	int r;

	out_string(o, "modalias", "Modalias:", d->modalias);
	if (!d->modalias)
		goto out_empty;
	r = engine_native_modules(c->engine, d, &mods, &blacklisted);
	if (r == -ENOENT) {
		/* the engine said why the module index cannot be loaded */
		out_null(o, "modules", "Modules:", "unknown");
		out_null(o, "blacklisted_modules", "Blacklisted:", "unknown");
		return 0;
	}
	if (r < 0) {
		log_warning_errno(r, "cannot look up modules for %s (modalias %s)", d->bdf,
				  d->modalias);
		goto out_empty;
	}
	out_begin_array(o, "modules", "Modules:");
	for (char **m = mods; *m; m++)
		out_string(o, NULL, NULL, *m);
	out_end_array(o);
	out_begin_array(o, "blacklisted_modules", "Blacklisted:");
	for (char **m = blacklisted; *m; m++)
		out_string(o, NULL, NULL, *m);
	out_end_array(o);
	return 0;

out_empty:
	out_begin_array(o, "modules", "Modules:");
	out_end_array(o);
	out_begin_array(o, "blacklisted_modules", "Blacklisted:");
	out_end_array(o);
	return 0;
}

static void show_vfio(struct pb_ctx *c, struct out *o, const struct pcidev_list *l,
		      const struct pcidev *d);

static int show_groups(struct out *o, struct pb_ctx *c, const struct pcidev_list *l,
		       const struct pcidev *d)
{
	_cleanup_strv_free_ char **members = NULL;
	struct pcidev *fns[MAX_SLOT_FUNCTIONS];
	size_t n;
	int r;

	n = pcidev_slot_functions(l, d, fns, MAX_SLOT_FUNCTIONS);
	out_begin_array(o, "slot_functions", "Slot functions:");
	for (size_t i = 0; i < n && i < MAX_SLOT_FUNCTIONS; i++) {
		out_begin_object(o, NULL);
		out_string(o, "address", NULL, fns[i]->bdf);
		out_string(o, "driver", NULL, fns[i]->driver);
		out_end_object(o);
	}
	out_end_array(o);

	if (d->iommu_group < 0) {
		out_null(o, "iommu_group", "IOMMU group:", "none");
		out_begin_array(o, "iommu_group_members", "IOMMU members:");
		out_end_array(o);
		return 0;
	}
	out_int(o, "iommu_group", "IOMMU group:", d->iommu_group);
	r = pcidev_iommu_members(c->sysfs, d, &members);
	if (r < 0)
		return log_error_errno(r, "cannot read IOMMU group %d of %s", d->iommu_group,
				       d->bdf);
	out_begin_array(o, "iommu_group_members", "IOMMU members:");
	for (char **m = members; m && *m; m++)
		out_string(o, NULL, NULL, *m);
	out_end_array(o);
	show_vfio(c, o, l, d);
	return 0;
}

/* For a function on vfio: whether its group is viable, and who holds it open. */
static void show_vfio(struct pb_ctx *c, struct out *o, const struct pcidev_list *l,
		      const struct pcidev *d)
{
	struct pcidev *self[1] = { (struct pcidev *)d };
	char blockers[400], users[512];

	if (!pcidev_vfio_holds(d))
		return;
	if (pcidev_group_blockers(l, d->iommu_group, self, 1, blockers, sizeof(blockers)) > 0)
		out_stringf(o, "vfio_viability", "VFIO group:", "not viable: %s keep a DMA-owning driver "
			    "(seize them too: --group)", blockers);
	else
		out_string(o, "vfio_viability", "VFIO group:", "viable");
	if (engine_vfio_users(c->engine, d, users, sizeof(users)) == 0 && users[0])
		out_stringf(o, "in_use", "In use:", "in use by %s", users);
}

static void show_reset(struct out *o, const struct pcidev_list *l, const struct pcidev *d)
{
	char why[1024];

	out_bool(o, "resettable", "Resettable:", pcidev_reset_works(l, d));
	out_begin_array(o, "reset_methods", "Reset methods:");
	for (char **m = d->reset_methods; m && *m; m++)
		out_string(o, NULL, NULL, *m);
	out_end_array(o);
	if (pcidev_reset_reason(l, d, why, sizeof(why)) == 0)
		out_string(o, "reset_reason", "Reset:", why);
}

static void show_sriov(struct out *o, const struct pcidev *d)
{
	out_string(o, "physfn", "SR-IOV PF:", d->physfn_bdf[0] ? d->physfn_bdf : NULL);
	if (d->physfn_bdf[0])
		out_int(o, "vf_index", "SR-IOV VF index:", pcidev_vf_index(d));
	if (d->sriov_totalvfs >= 0) {
		out_int(o, "sriov_totalvfs", "SR-IOV total VFs:", d->sriov_totalvfs);
		out_int(o, "sriov_numvfs", "SR-IOV VFs:", d->sriov_numvfs);
		if (d->sriov_autoprobe >= 0)
			out_bool(o, "sriov_drivers_autoprobe", "SR-IOV autoprobe:",
				 d->sriov_autoprobe != 0);
	}
	if (d->virtfns || out_is_json(o)) {
		out_begin_array(o, "virtfns", "SR-IOV VF list:");
		for (char **v = d->virtfns; v && *v; v++)
			out_string(o, NULL, NULL, *v);
		out_end_array(o);
	}
	if (d->net_ifaces || out_is_json(o)) {
		out_begin_array(o, "net_interfaces", "Network:");
		for (char **v = d->net_ifaces; v && *v; v++)
			out_string(o, NULL, NULL, *v);
		out_end_array(o);
	}
}

static void show_help(void)
{
	printf("Usage: pcibind [OPTIONS] show DEVICE\n"
	       "\n"
	       "Show everything pcibind knows about one PCI function: identity, driver\n"
	       "and module, driver_override, modalias and the modules it resolves to,\n"
	       "IOMMU group, reset methods and why it is or is not resettable, the\n"
	       "slot's other functions, SR-IOV links, pciback slot membership and what\n"
	       "holds it (processes with its device nodes open, block devices built on\n"
	       "its disks, enabled SR-IOV VFs).\n"
	       "\n"
	       "  -j, --json    print JSON\n");
}

/* pcibind show DEVICE. Returns an exit code. */
int cmd_show(struct pb_ctx *c, int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct pcidev_list *l;
	_cleanup_(pciname_freep) struct pciname *names = NULL;
	_cleanup_(out_freep) struct out *o = NULL;
	struct pcidev *d;
	struct describe dn;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "jh", options, NULL)) >= 0) {
		switch (opt) {
		case 'j':
			c->json = true;
			break;
		case 'h':
			show_help();
			return PB_EXIT_OK;
		default:
			return cmd_option_error("show", argv, options);
		}
	}
	if (argc - optind != 1)
		return cmd_usage_error("show takes exactly one DEVICE, e.g. 'pcibind show 00:1d.0'");

	r = cmd_scan(c, &l);
	if (r != PB_EXIT_OK)
		return r;
	r = cmd_resolve_device(c, l, argv[optind], &d);
	if (r != PB_EXIT_OK)
		return r;
	r = engine_details_shown(c->engine, d);
	if (r < 0) {
		log_error_errno(r, "cannot read %s", d->bdf);
		return PB_EXIT_FAILURE;
	}

	r = pciname_new(c->roots.pci_ids, &names);
	if (r < 0) {
		log_error_errno(r, "cannot set up PCI names");
		return PB_EXIT_FAILURE;
	}
	describe_device(names, d, &dn);
	o = out_new(c->json, stdout);
	if (!o) {
		log_error_errno(-ENOMEM, "cannot print");
		return PB_EXIT_FAILURE;
	}
	if (!c->json) {
		char line[1024];

		describe_line(d, &dn, line, sizeof(line));
		out_textf(o, "%s  %s", d->qubes, line);
	}
	show_identity(o, d, &dn);
	show_kind(o, d);
	show_driver(o, l, d);
	show_xen(o, c, d);
	if (show_modules(o, c, d) < 0 || show_groups(o, c, l, d) < 0)
		return PB_EXIT_FAILURE;
	show_reset(o, l, d);
	show_sriov(o, d);
	cmd_out_holders(c, o, d);
	r = out_finish(o);
	if (r < 0) {
		log_error_errno(r, "cannot print");
		return PB_EXIT_FAILURE;
	}
	return PB_EXIT_OK;
}

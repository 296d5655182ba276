/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Planning: a snapshot and a request in, an ordered list of sysfs writes out; no I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "addr.h"

struct pcidev;
struct pcidev_list;

#define PLAN_NAME_MAX 64
#define PLAN_PATH_MAX 160
#define PLAN_COVERS_MAX 256

enum step_op {
	STEP_LOAD_MODULE,	/* load arg (a module) so that driver appears */
	STEP_WRITE,		/* write value to path */
	STEP_XEN_DEASSIGN,	/* take bdf out of Xen's quarantine (DOM_IO): xen.c */
	STEP_HOT_RESET,		/* VFIO hot reset of the bus behind path (a bridge): vfio.c */
	_STEP_OP_MAX,
};

/* How the executor proves a step took effect, by re-reading sysfs. */
enum step_check {
	CHECK_NONE,
	CHECK_DRIVER_PRESENT,	/* bus/pci/drivers/<driver> exists */
	CHECK_OVERRIDE,		/* driver_override reads <driver>, or (null) if "" */
	CHECK_UNBOUND,		/* the device has no driver link */
	CHECK_BOUND,		/* the driver link names <driver> (bounded wait) */
	CHECK_SLOT_LISTED,	/* pciback's slots lists the device */
	CHECK_SLOT_UNLISTED,
	CHECK_PERMISSIVE,	/* pciback's permissive lists the device */
	CHECK_XEN_DOM0,		/* Xen: a second de-assign answers "not in DOM_IO" */
	CHECK_ATTR,		/* the attribute at path reads value (sriov_numvfs, ...) */
	_CHECK_MAX,
};

struct step {
	enum step_op op;
	enum step_check check;
	char bdf[ADDR_BDF_MAX];		/* the function this step moves */
	char path[PLAN_PATH_MAX];	/* relative to the sysfs root */
	char value[PLAN_NAME_MAX];	/* written as is ("\n" clears) */
	char driver[PLAN_NAME_MAX];	/* what the check expects ("" = none) */
	char module[PLAN_NAME_MAX];	/* STEP_LOAD_MODULE */
	char covers[PLAN_COVERS_MAX];	/* a bus reset: every function it resets, space-separated */
	const char *why;		/* one line, for --dry-run */
	bool optional;			/* a reset that may fail: go on without it */
};

struct plan {
	struct step *steps;
	size_t n, alloc;
};

/*
 * One reset for a whole slot: when a function cannot be reset alone and
 * every function behind its bridge is in the change, a secondary bus reset
 * of that bridge covers exactly them. On vfio-pci it is VFIO's hot reset
 * (the kernel's vfio_pci_dev_set_hot_reset(): every affected device owned
 * through the groups passed); on pciback and pci-stub it is the bridge's
 * reset_subordinate (Linux 6.13 and later), as pciback itself only resets
 * function by function.
 */
enum plan_bus_reset_how {
	BUS_RESET_NONE,		/* not needed, or not possible: fact says why */
	BUS_RESET_VFIO,		/* VFIO_DEVICE_PCI_HOT_RESET */
	BUS_RESET_BRIDGE,	/* write 1 to the bridge's reset_subordinate */
};

#define PLAN_BUS_MAX 32

struct plan_bus_reset {
	enum plan_bus_reset_how how;
	const struct pcidev *bridge;
	const struct pcidev *covers[PLAN_BUS_MAX];	/* every function behind the bridge */
	size_t n;
	char fact[600];		/* what explain says ("" when no bus reset is in question) */
};

int plan_bus_reset(const struct pcidev_list *l, const struct pcidev *d,
		   struct pcidev *const *set, size_t n, struct plan_bus_reset *ret);

/* Where one function should end up. */
struct plan_target {
	const struct pcidev *dev;
	const char *driver;		/* NULL: leave it unbound */
	const char *module;		/* module to load if driver is not registered */
	const char *final_override;	/* NULL: clear driver_override at the end */
	bool reset_first;		/* reset while still on its current driver */
	bool reset_optional;		/* no-strict-reset: a failing reset is skipped */
	const struct plan_bus_reset *bus_reset;	/* reset with its whole bus, NULL: alone */
	bool remove_slot;		/* take it out of pciback's slots */
	bool permissive;		/* add it to pciback's permissive list */
	bool xen_deassign;		/* Xen dom0: it leaves pciback, de-quarantine it */
};

/*
 * A symbolic driver, "<driver of M>": the driver module M registers, known
 * only once M is loaded. The plan names it in paths and checks; the
 * executor resolves it after the load step, so a dry run shows exactly the
 * steps a real run takes.
 */
#define PLAN_SYMBOL_FMT "<driver of %s>"
int plan_symbol(const char *module, char *buf, size_t size);
bool plan_is_symbol(const char *driver);

void plan_init(struct plan *p);
void plan_done(struct plan *p);
int plan_move(const struct pcidev_list *l, const struct plan_target *t, size_t n,
	      struct plan *ret);
void plan_print(const struct plan *p, FILE *f);
const char *plan_check_name(enum step_check c);
const char *plan_op_name(enum step_op op);
void plan_step_describe(const struct step *st, char *buf, size_t size);

/* A seize or release request after the CLI resolved its devices. */
enum plan_op {
	PLAN_SEIZE,
	PLAN_RELEASE,
	PLAN_VFS,		/* set an SR-IOV PF's VF count (pcibind vfs) */
};

struct plan_request {
	enum plan_op op;
	struct pcidev **devs;
	size_t n;
	const char *stub;		/* seize: pciback, vfio-pci or pci-stub */
	bool all_functions;
	bool no_strict_reset;
	bool permissive;
	bool xen_dom0;			/* functions leaving pciback leave DOM_IO too */
	bool iommu_group;		/* --group: every endpoint of the IOMMU group moves */
	const struct plan_variant *variants;	/* seize to vfio-pci: per-function drivers */
	size_t n_variants;
};

/* Seize: a function goes to a vfio variant driver instead of the stub. */
struct plan_variant {
	const char *bdf;
	const char *driver;		/* "<driver of M>" until M is loaded */
	const char *module;
};

/* What release returns a function to (journal record or libkmod). */
struct plan_native {
	const char *bdf;
	const char *driver;		/* NULL if unknown until module loads */
	const char *module;		/* NULL if built in or unknown */
	bool none;			/* back to no driver: unbind, clear, let the kernel probe */
};

/* Why a request was refused; the planner's whole explanation. */
struct plan_refusal {
	char bdf[ADDR_BDF_MAX];
	char reason[1024];
};

int plan_group(const struct pcidev_list *l, const struct plan_request *req,
	       struct pcidev ***ret, size_t *ret_n, struct plan_refusal *why);
int plan_seize(const struct pcidev_list *l, const struct plan_request *req, struct plan *ret,
	       struct plan_refusal *why);
int plan_release(const struct pcidev_list *l, const struct plan_request *req,
		 const struct plan_native *natives, size_t n_natives, struct plan *ret,
		 struct plan_refusal *why);

/*
 * pcibind vfs PF N. The VFs do not exist until the kernel makes them, but
 * where they appear is known (the PF's routing ID + sriov_offset + i *
 * sriov_stride, device ID sriov_vf_device), so the policy can be asked
 * about each before, and the plan shows every step: the count to 0 first
 * when the kernel needs it, sriov_drivers_autoprobe off while they appear
 * (no native driver takes them first), the ones the policy seizes bound to
 * their stub, autoprobe back as it was, the others probed natively.
 */
struct plan_vf {
	struct pcidev *dev;		/* predicted (plan_vf_predict()) */
	const char *stub;		/* NULL: probe natively */
	const char *module;		/* the stub's module, if it is not registered */
};

int plan_vf_predict(const struct pcidev *pf, int i, struct pcidev *ret);
int plan_vfs(const struct pcidev_list *l, const struct pcidev *pf, int n,
	     const struct plan_vf *vfs, size_t n_vfs, struct plan *ret);
int plan_sriov_restore(const struct pcidev *pf, int numvfs, int autoprobe, struct plan *ret);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Xen adapter: dom0 detection, de-quarantine and "which domain holds it", libraries dlopen()ed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct sysfs;
struct proc;
struct xen;

/* Xen's own constants (xen/include/public/xen.h); declared here, see xen.c. */
#define XEN_DOMID_IO 0x7FF1U
#define XEN_DOMID_INVALID 0x7FF4U

enum xen_host {
	XEN_HOST_NONE,		/* not on Xen: nothing is opened, nothing is said */
	XEN_HOST_OTHER,		/* on Xen, but not (known to be) the control domain */
	XEN_HOST_DOM0,		/* hypervisor/type "xen" and xen/capabilities "control_d" */
};

/* xen_open() flags */
#define XEN_OPEN_NO_XENSTORE 1u	/* boot (initramfs) and udev: xenstore can hang there */

/* The xenstore nodes pcibind reads, as (path, value) pairs; a directory has value "". */
struct xen_store {
	char **paths;
	char **values;
	size_t n, alloc;
};

/* How to walk a xenstore: the real one (libxenstore, in a child) or a test's tree. */
struct xen_store_ops {
	/* NULL-terminated names under PATH; -ENOENT if it does not exist. */
	int (*list)(void *h, const char *path, char ***ret);
	/* The value of PATH ("" for a node without one); -ENOENT if absent. */
	int (*read)(void *h, const char *path, char **ret);
};

/* What pcibind asks of Xen; tests replace it (xen_open_with(), tests/fake). */
struct xen_backend {
	int (*deassign)(void *ctx, uint32_t sbdf);	/* xc_deassign_device(DOMID_IO): 0/-errno */
	int (*test_assign)(void *ctx, uint32_t sbdf);	/* ..._test_assign_(DOMID_INVALID) */
	int (*store_dump)(void *ctx, int timeout_ms, struct xen_store *ret);
	void (*close)(void *ctx);
};

/* A domain that holds a device. */
struct xen_user {
	unsigned int domid;		/* the guest (a stub domain resolved to its target) */
	unsigned int backend_domid;	/* the frontend of the pciback backend (stubdom or guest) */
	bool named;			/* name is known */
	char name[128];
	const char *source;		/* "xenstore" or "the hypervisor" */
};

int xen_open(struct sysfs *s, struct proc *p, unsigned int flags, struct xen **ret);
int xen_open_with(enum xen_host host, const struct xen_backend *ops, void *ctx,
		  struct xen **ret);
struct xen *xen_close(struct xen *x);
static inline void xen_closep(struct xen **x)
{
	xen_close(*x);
}
enum xen_host xen_host(const struct xen *x);
bool xen_is_dom0(const struct xen *x);
void xen_set_backend(struct xen *x, const struct xen_backend *ops, void *ctx);

uint32_t xen_sbdf(const struct pci_addr *a);
int xen_dequarantine(struct xen *x, const struct pci_addr *a);
int xen_assigned_domain(struct xen *x, const struct pci_addr *a, struct xen_user *ret);
void xen_user_format(const struct xen_user *u, char *buf, size_t size);
const char *xen_strerror(int r);
int xen_libxl_record(struct xen *x, const struct pci_addr *a, char *driver, size_t size,
		     char *node, size_t node_size);
int xen_store_libxl_record(const struct xen_store *st, const struct pci_addr *a, char *driver,
			   size_t size, char *node, size_t node_size);

/* The de-quarantine errno map (pure). */
enum xen_dq_outcome {
	XEN_DQ_DONE,		/* 0: it was in DOM_IO, now dom0's */
	XEN_DQ_NOT_QUARANTINED,	/* ENODEV: not in DOM_IO (dom0's already) */
	XEN_DQ_NO_IOMMU,	/* EOPNOTSUPP: no IOMMU, so no quarantine */
	XEN_DQ_OLD_XEN,		/* ESRCH: Xen before 4.13 has no DOMID_IO: warn */
	XEN_DQ_FAILED,		/* anything else: the change rolls back */
};
enum xen_dq_outcome xen_dq_outcome(int r);
void xen_dq_describe(int r, const char *bdf, char *buf, size_t size);

/* The xenstore part of "who holds it", on a dump (pure; unit-tested). */
int xen_store_collect(const struct xen_store_ops *ops, void *h, struct xen_store *ret);
int xen_store_add(struct xen_store *st, const char *path, const char *value);
const char *xen_store_get(const struct xen_store *st, const char *path);
void xen_store_done(struct xen_store *st);
int xen_store_find_user(const struct xen_store *st, const struct pci_addr *a,
			struct xen_user *ret);

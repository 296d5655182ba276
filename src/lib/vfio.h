/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VFIO: variant drivers and hot reset (group viability: pcidev.h; who holds a group: holders.h). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct pcidev;
struct pcidev_list;
struct kmodq;
struct kmodq_alias;
struct sysfs;

/* The variant driver chosen for a device (or the generic vfio-pci). */
struct vfio_choice {
	char bdf[20];		/* the function it is for */
	char module[64];	/* the module to load: vfio_pci or a variant */
	char driver[64];	/* its PCI driver, or "<driver of MODULE>" until it is loaded */
	char pattern[256];	/* the vfio_pci: alias that matched, "" if none */
	int wildcards;		/* '*' in the pattern, -1 if none matched */
	bool variant;		/* not the generic vfio_pci */
	char why[1024];		/* one line for --dry-run and explain */
};

int vfio_count_wildcards(const char *pattern);
int vfio_best_alias(const struct kmodq_alias *v, size_t n);
int vfio_choose(struct kmodq *q, struct sysfs *s, const struct pcidev *d,
		struct vfio_choice *ret);

/*
 * VFIO's hot reset of the bus (or slot) behind BDF, for the functions
 * COVERS (space-separated) whose IOMMU groups are GROUPS ("7,8").
 */
int vfio_hot_reset(struct sysfs *s, const char *bdf, const char *groups, const char *covers,
		   char *why, size_t size);

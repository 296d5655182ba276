/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libkmod adapter: modalias lookups with the blacklist applied; the driver a module registers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct kmodq;
struct sysfs;

int kmodq_new(const char *modules_dir, struct kmodq **ret);
struct kmodq *kmodq_free(struct kmodq *q);
static inline void kmodq_freep(struct kmodq **q)
{
	kmodq_free(*q);
}

int kmodq_lookup(struct kmodq *q, const char *modalias, char ***ret_modules,
		 char ***ret_blacklisted);
void kmodq_allow_load(struct kmodq *q, bool allow);
int kmodq_load(struct kmodq *q, const char *module);

/* One "alias vfio_pci:PATTERN MODULE" line that matched a device. */
struct kmodq_alias {
	char module[64];
	char pattern[256];
};

int kmodq_vfio_aliases(struct kmodq *q, const char *modalias, struct kmodq_alias **ret);
bool kmodq_module_known(struct kmodq *q, const char *module);

/* The PCI driver a loaded module registers (/sys/module/M/drivers, the sysfs gateway). */
int kmodq_module_driver(struct sysfs *s, const char *module, char *buf, size_t size);

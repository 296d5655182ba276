/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pcibind doctor: is this host ready for passthrough? Checks as data; the command prints. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct sysfs;
struct proc;
struct kmodq;
struct pcidev;
struct pcidev_list;

enum doctor_status {
	DOCTOR_PASS,
	DOCTOR_WARN,
	DOCTOR_FAIL,
};

struct doctor_check {
	char name[64];		/* "iommu", "device 0000:01:00.0 viability", ... */
	enum doctor_status status;
	char detail[600];	/* what was found */
	char fix[400];		/* what to do, "" when nothing */
};

struct doctor_report {
	struct doctor_check *checks;
	size_t n, alloc;
};

const char *doctor_status_name(enum doctor_status s);
void doctor_report_done(struct doctor_report *r);
enum doctor_status doctor_worst(const struct doctor_report *r);
int doctor_host(struct sysfs *s, struct proc *p, struct kmodq *q, const struct pcidev_list *l,
		struct doctor_report *r);
int doctor_device(const struct pcidev_list *l, const struct pcidev *d, const char *stub,
		  const char *users, struct doctor_report *r);
bool doctor_cmdline_has(const char *cmdline, const char *word);

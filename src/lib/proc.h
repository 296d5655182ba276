/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The /proc gateway for the safety guards: one directory fd, relative reads. */
#pragma once

#include <stddef.h>

struct proc;

extern const char proc_default_root[];

int proc_open(const char *root, struct proc **ret);
struct proc *proc_close(struct proc *p);
static inline void proc_closep(struct proc **p)
{
	proc_close(*p);
}
int proc_read(struct proc *p, const char *path, char **ret);
int proc_list_dir(struct proc *p, const char *path, char ***ret);
int proc_readlink(struct proc *p, const char *path, char *buf, size_t size);

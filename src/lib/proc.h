/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The /proc gateway for the safety guards: one directory fd, relative reads. */
#pragma once

#include <stdbool.h>
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

/* What a process has open or mapped that may be a device node. */
struct proc_file {
	bool map;		/* from PID/maps, not PID/fd */
	bool node;		/* stat() said char or block device: the fields below */
	bool block;
	unsigned int major, minor;
	char path[256];		/* the fd's link text or the mapping's path */
};

int proc_list_pids(struct proc *p, int **ret, size_t *ret_n);
int proc_pid_comm(struct proc *p, int pid, char *buf, size_t size);
int proc_pid_files(struct proc *p, int pid, bool stat_nodes, struct proc_file **ret,
		   size_t *ret_n);

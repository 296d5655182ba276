/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who holds a PCI function: processes with its device nodes open or mapped,
 * block devices stacked on its disks (dm, md, loop), its enabled SR-IOV VFs
 * and what holds them. /proc is read once into an index; matching against a
 * function's nodes is pure over what was read.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

struct proc;
struct proc_file;
struct sysfs;
struct sysfs_node;
struct pcidev;
struct pcidev_list;

enum holder_kind {
	HOLDER_PROCESS,		/* a process has one of its device nodes open or mapped */
	HOLDER_UNREADABLE,	/* a process (pid 0: /proc itself) whose open files could not be read */
	HOLDER_STACK,		/* a block device built on one of its disks (dm-0, md0, loop0) */
	HOLDER_VF,		/* an enabled SR-IOV VF of this PF */
	HOLDER_UNKNOWN,		/* its own sysfs directory could not be read */
	_HOLDER_KIND_MAX,
};

struct holder {
	enum holder_kind kind;
	char bdf[ADDR_BDF_MAX];	/* the function it holds */
	char via[ADDR_BDF_MAX];	/* a PF's holder through one of its VFs: that VF, else "" */
	int pid;		/* PROCESS, UNREADABLE */
	char comm[64];		/* as the process set it: untrusted */
	char node[160];		/* PROCESS: /dev/dri/card0; STACK: dm-0; VF: its address */
	char on[64];		/* STACK: the block device it is built on; VF: its driver */
	bool map;		/* PROCESS: mapped, not (only) open */
	int error;		/* UNREADABLE, UNKNOWN: -errno */
};

struct holders {
	struct holder *v;
	size_t n;
};

void holders_done(struct holders *h);
const char *holder_kind_name(enum holder_kind k);
int holder_text(const struct holder *h, char *buf, size_t size);
size_t holders_unreadable(const struct holders *h);
void holders_clean(const char *in, char *buf, size_t size);

/* Every process's open files, read once per command. */
struct holders_index;

int holders_index_new(bool by_rdev, struct holders_index **ret);
struct holders_index *holders_index_free(struct holders_index *ix);
static inline void holders_index_freep(struct holders_index **ix)
{
	holders_index_free(*ix);
}
int holders_index_add(struct holders_index *ix, int pid, const char *comm,
		      const struct proc_file *f, size_t n);
int holders_index_add_unreadable(struct holders_index *ix, int pid, const char *comm,
				 int error);
int holders_index_seal(struct holders_index *ix);
void holders_index_set_error(struct holders_index *ix, int error);
int holders_index_read(struct proc *p, bool by_rdev, struct holders_index **ret);
size_t holders_index_files(const struct holders_index *ix);

/* Pure: the processes of IX that hold one of the N NODES of BDF, into OUT. */
int holders_match(const struct holders_index *ix, const char *bdf, const char *via,
		  const struct sysfs_node *nodes, size_t n, struct holders *out);
/* Everything that holds D: its nodes (read through S), stacks and VFs. */
/* Gives the index of /proc, read on the first call. Returns 0 or -ENOMEM. */
typedef int (*holders_load_fn)(void *userdata, const struct holders_index **ret);
int holders_of(struct sysfs *s, const struct pcidev_list *l, const struct pcidev *d,
	       holders_load_fn load, void *userdata, struct holders *out);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who holds a function, for the engine: the /proc index read once, the
 * holders gate a change passes, and the processes of a vfio-bound function.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "engine-private.h"
#include "engine.h"
#include "holders.h"
#include "macro.h"
#include "pcidev.h"
#include "proc.h"
#include "sysfs.h"
#include "trace.h"

static int load_index(void *userdata, const struct holders_index **ret)
{
	struct engine *e = userdata;
	_cleanup_(proc_closep) struct proc *p = NULL;
	int r;

	if (!e->hix) {
		/*
		 * A fixture's /proc names nodes of another machine: stat() would
		 * find this host's devices, so a tree that is not this system's
		 * sysfs is matched by path only.
		 */
		bool by_rdev = sysfs_is_default_root(e->s);

		r = proc_open(e->roots.proc_root, &p);
		if (r < 0) {
			int error = r;

			r = holders_index_new(by_rdev, &e->hix);
			if (r < 0)
				return r;
			holders_index_set_error(e->hix, error);
			r = holders_index_seal(e->hix);
		} else {
			r = holders_index_read(p, by_rdev, &e->hix);
		}
		if (r < 0)
			return r;
		e->stats.holder_scans++;
		trace_point("read /proc: %zu open files", holders_index_files(e->hix));
	}
	*ret = e->hix;
	return 0;
}

/* Who holds D: its nodes (with /proc read once per context), stacks and VFs. */
int engine_holders(struct engine *e, const struct pcidev *d, struct holders *out)
{
	if (e->l && d->virtfns)
		for (char **vf = d->virtfns; *vf; vf++) {
			struct pcidev *v = pcidev_find_bdf(e->l, *vf);

			if (v && !v->details)
				(void)engine_details(e, v);
		}
	return holders_of(e->s, e->l, d, load_index, e, out);
}

static void block_holder(struct engine *e, struct change *ch, const struct holder *h)
{
	static const char stop[] = "stop it (or make it close the device) first: no policy key "
				   "or option overrides a process that holds a device";
	static const char unreadable[] =
		"run pcibind as root in the host's PID namespace "
		"(hidepid=, other users' processes and other namespaces "
		"hide their files), or pass --ignore-unreadable-holders to "
		"treat what cannot be read as holding nothing";
	char comm[64], via[64] = "";

	holders_clean(h->comm, comm, sizeof(comm));
	if (h->via[0])
		snprintf(via, sizeof(via), " through its VF %s", h->via);
	switch (h->kind) {
	case HOLDER_PROCESS:
		if (h->via[0]) {
			block(ch, h->bdf, "holder", stop,
			      "%s is held through its VF %s: pid %d (%s) has %s %s", h->bdf, h->via,
			      h->pid, comm, h->node, h->map ? "mapped" : "open");
			break;
		}
		if (!strncmp(h->node, "/dev/vfio/", 10)) {
			block(ch, h->bdf, "holder", "stop it first; there is no override",
			      "%s is in use by pid %d (%s), which holds %s open: a VM (or another "
			      "program) still drives it, and no native driver can bind while its "
			      "group is claimed",
			      h->bdf, h->pid, comm, h->node);
			break;
		}
		block(ch, h->bdf, "holder", stop,
		      "%s is in use: pid %d (%s) has %s %s, and unbinding its driver pulls the "
		      "device from under it",
		      h->bdf, h->pid, comm, h->node, h->map ? "mapped" : "open");
		break;
	case HOLDER_UNREADABLE:
	case HOLDER_UNKNOWN:
		if (ch->opts.ignore_unreadable) {
			char t[512];

			(void)holder_text(h, t, sizeof(t));
			elog(e, LOG_WARNING,
			     "%s: %s; going on without it (--ignore-unreadable-holders)", h->bdf,
			     t);
			break;
		}
		if (h->kind == HOLDER_UNKNOWN)
			block(ch, h->bdf, "holder", unreadable,
			      "cannot tell what holds %s%s: its device nodes could not be read (%s)",
			      h->bdf, via, strerror(-h->error));
		else if (h->pid)
			block(ch, h->bdf, "holder", unreadable,
			      "cannot tell whether pid %d (%s) holds %s%s: its open files could not "
			      "be read (%s)",
			      h->pid, comm, h->bdf, via, strerror(-h->error));
		else
			block(ch, h->bdf, "holder", unreadable,
			      "cannot tell whether a process holds %s%s: %s could not be read (%s)",
			      h->bdf, via, e->roots.proc_root, strerror(-h->error));
		break;
	case HOLDER_STACK:
		block(ch, h->bdf, "holder",
		      "take it down first (umount it, then dmsetup remove, vgchange -an, cryptsetup "
		      "close, mdadm --stop or losetup -d)",
		      "%s%s: %s is built on its block device %s (device-mapper, md or loop; mounted "
		      "or not), and would lose its disk",
		      h->bdf, via, h->node, h->on);
		break;
	case HOLDER_VF:
	default:
		break; /* one blocker for all of a PF's VFs (holders_gate_vfs) */
	}
}

/* A PF with VFs enabled: one blocker naming them all, with the kernel's reason. */
static void holders_gate_vfs(struct change *ch, const struct pcidev *d, const struct holders *h,
			     size_t from)
{
	char vfs[600] = "", fix[300];
	size_t len = 0, n = 0;

	for (size_t i = from; i < h->n; i++) {
		if (h->v[i].kind != HOLDER_VF)
			continue;
		n++;
		len += snprintf(vfs + (len < sizeof(vfs) ? len : sizeof(vfs)),
				len < sizeof(vfs) ? sizeof(vfs) - len : 0, "%s%s (%s)",
				len ? ", " : "", h->v[i].node,
				h->v[i].on[0] ? h->v[i].on : "no driver");
	}
	if (!n)
		return;
	snprintf(fix, sizeof(fix),
		 "stop what uses its VFs, then disable them (write 0 to %s's sriov_numvfs)",
		 d->bdf);
	if (ch->opts.op == PLAN_SEIZE && streq(ch->stub, "vfio-pci"))
		block(ch, d->bdf, "sriov", fix,
		      "%s is an SR-IOV PF with %zu VF%s enabled: %s. vfio-pci does not bind a PF with "
		      "SR-IOV enabled (the kernel refuses: \"Cannot bind to PF with SR-IOV "
		      "enabled\"), and its driver would be gone by then",
		      d->bdf, n, n == 1 ? "" : "s", vfs);
	else
		block(ch, d->bdf, "sriov", fix,
		      "%s is an SR-IOV PF with %zu VF%s enabled: %s. Taking its driver away leaves "
		      "them without the PF driver that manages them (the kernel: \"driver left "
		      "SR-IOV enabled after remove\")",
		      d->bdf, n, n == 1 ? "" : "s", vfs);
}

/*
 * The holders gate: a blocker in CH for everything that holds one of the N
 * functions of SET (processes with its nodes, block stacks, enabled VFs
 * and what holds them; what could not be read holds it, unless
 * ignore_unreadable). Keeps the holders in CH for explain. Returns 0 or
 * -ENOMEM.
 */
int engine_holders_gate(struct engine *e, struct change *ch, struct pcidev *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t from = ch->holders.n;
		int r = engine_holders(e, set[i], &ch->holders);

		if (r < 0)
			return r;
		holders_gate_vfs(ch, set[i], &ch->holders, from);
		for (size_t k = from; k < ch->holders.n; k++)
			block_holder(e, ch, &ch->holders.v[k]);
	}
	return 0;
}

/* engine_decide()'s holders gate, after judge(): every holder is a blocker. */
int engine_holders_gate_decide(struct engine *e, struct change *ch, struct pcidev *const *set,
			       size_t n)
{
	int r = engine_holders_gate(e, ch, set, n);

	return r == -ENOMEM ? r : 0;
}

/*
 * Who holds D open through VFIO, "pid 412 (qemu-system-x86)" in BUF ("" if
 * nobody): the holders of its /dev/vfio nodes, from the one read of /proc.
 */
int engine_vfio_users(struct engine *e, const struct pcidev *d, char *buf, size_t size)
{
	struct holders h = { 0 };
	size_t len = 0;
	int r;

	buf[0] = '\0';
	/* A lazy snapshot's function: its group and vfio-dev/ are details. */
	if (!d->details && e->l) {
		struct pcidev *own = pcidev_find_bdf(e->l, d->bdf);

		if (own) {
			r = engine_details(e, own);
			if (r < 0)
				return r;
			d = own;
		}
	}
	if (!pcidev_vfio_holds(d))
		return 0;
	r = engine_holders(e, d, &h);
	if (r < 0)
		return r;
	for (size_t i = 0, last = 0; i < h.n; i++) {
		const struct holder *x = &h.v[i];
		char comm[64];

		if (x->kind != HOLDER_PROCESS || x->via[0] || strncmp(x->node, "/dev/vfio/", 10) ||
		    (len && (size_t)x->pid == last))
			continue; /* one entry per process */
		last = (size_t)x->pid;
		holders_clean(x->comm, comm, sizeof(comm));
		len += snprintf(buf + (len < size ? len : size), len < size ? size - len : 0,
				"%spid %d (%s)", len ? ", " : "", x->pid, comm);
	}
	holders_done(&h);
	return len < size ? 0 : -ENOSPC;
}

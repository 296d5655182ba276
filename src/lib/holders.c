/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who holds a PCI function. The device nodes of a function are the class
 * devices below its sysfs directory that have a "dev" attribute (DRM cards,
 * sound PCMs, NVMe controllers and namespaces, USB devices, hidraw, input,
 * ttys, vfio-dev); its VFIO group node is /dev/vfio/GROUP. A process holds
 * one when one of its fds or mappings is that node: compared by st_rdev
 * (type, major, minor) as fuser and lsof do, when /proc is this machine's
 * and the sysfs root is this machine's, and always by the path /dev/DEVNAME
 * (a fake /proc names nodes of a machine that is not this one, so stat()
 * would find this host's devices: a fixture is matched by path only).
 * Block devices list what is built on them in holders/ (dm, md, loop),
 * followed recursively; an enabled SR-IOV PF is held by each VF and by
 * what holds the VF. Mounts, swap and routes are the guards' (guard.c).
 *
 * /proc is read once per command (holders_index_read()); holders_match()
 * is pure over that index and the nodes. What could not be read is a
 * holder of its own (HOLDER_UNREADABLE, HOLDER_UNKNOWN), never "nobody".
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "holders.h"
#include "macro.h"
#include "pcidev.h"
#include "proc.h"
#include "sysfs.h"

#define STACK_DEPTH_MAX 8

struct hproc {
	int pid;
	char comm[64];
	int error;		/* its files could not be read: -errno */
};

struct hfile {
	size_t proc;		/* index into procs */
	bool map, node, block;
	unsigned int major, minor;
	char *path;
};

struct holders_index {
	bool by_rdev;
	bool sealed;
	int error;		/* /proc itself could not be listed */
	struct hproc *procs;
	size_t n_procs, alloc_procs;
	struct hfile *files;
	size_t n_files, alloc_files;
	struct hfile **by_path;	/* sealed: every file, by path */
	struct hfile **by_dev;	/* sealed: device nodes, by type, major, minor */
	size_t n_by_dev;
};

static const char *const kind_names[_HOLDER_KIND_MAX] = {
	[HOLDER_PROCESS] = "process",
	[HOLDER_UNREADABLE] = "unreadable",
	[HOLDER_STACK] = "block-stack",
	[HOLDER_VF] = "sriov-vf",
	[HOLDER_UNKNOWN] = "unknown",
};

const char *holder_kind_name(enum holder_kind k)
{
	return k < _HOLDER_KIND_MAX ? kind_names[k] : "?";
}

void holders_done(struct holders *h)
{
	free(h->v);
	*h = (struct holders){ 0 };
}

size_t holders_unreadable(const struct holders *h)
{
	size_t n = 0;

	for (size_t i = 0; i < h->n; i++)
		n += h->v[i].kind == HOLDER_UNREADABLE || h->v[i].kind == HOLDER_UNKNOWN;
	return n;
}

/*
 * A process name for a message: what it set itself, as it is. It is
 * untrusted text: the CLI's output layer escapes it for the terminal and
 * makes it valid UTF-8 for JSON (out_printf(), the logger, out_string()).
 */
void holders_clean(const char *in, char *buf, size_t size)
{
	snprintf(buf, size, "%s", in);
}

/*
 * H in words: "pid 412 (qemu-system-x86) has /dev/vfio/7 open", "dm-0 is
 * built on nvme0n1", "its VF 0000:01:00.1 (vfio-pci) is enabled". Returns 0
 * or -ENOSPC.
 */
int holder_text(const struct holder *h, char *buf, size_t size)
{
	char comm[64], via[64] = "";
	int n;

	holders_clean(h->comm, comm, sizeof(comm));
	if (h->via[0])
		snprintf(via, sizeof(via), " (through its VF %s)", h->via);
	switch (h->kind) {
	case HOLDER_PROCESS:
		n = snprintf(buf, size, "pid %d (%s) has %s %s%s", h->pid, comm, h->node,
			     h->map ? "mapped" : "open", via);
		break;
	case HOLDER_UNREADABLE:
		if (h->pid)
			n = snprintf(buf, size,
				     "pid %d (%s): its open files could not be read (%s)%s",
				     h->pid, comm, strerror(-h->error), via);
		else
			n = snprintf(buf, size, "the processes' open files could not be read (%s)%s",
				     strerror(-h->error), via);
		break;
	case HOLDER_STACK:
		n = snprintf(buf, size, "%s is built on %s%s", h->node, h->on, via);
		break;
	case HOLDER_VF:
		n = snprintf(buf, size, "its SR-IOV VF %s (%s) is enabled", h->node,
			     h->on[0] ? h->on : "no driver");
		break;
	case HOLDER_UNKNOWN:
	default:
		n = snprintf(buf, size, "its device nodes could not be read (%s)%s",
			     strerror(-h->error), via);
		break;
	}
	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

static struct holder *holder_add(struct holders *out, enum holder_kind kind, const char *bdf,
				 const char *via)
{
	struct holder *nv = realloc(out->v, (out->n + 1) * sizeof(*nv));

	if (!nv)
		return NULL;
	out->v = nv;
	nv = &out->v[out->n++];
	*nv = (struct holder){ .kind = kind };
	snprintf(nv->bdf, sizeof(nv->bdf), "%s", bdf);
	snprintf(nv->via, sizeof(nv->via), "%s", via ? via : "");
	return nv;
}

/* ---- the index ----------------------------------------------------------- */

int holders_index_new(bool by_rdev, struct holders_index **ret)
{
	struct holders_index *ix = calloc(1, sizeof(*ix));

	if (!ix)
		return -ENOMEM;
	ix->by_rdev = by_rdev;
	*ret = ix;
	return 0;
}

struct holders_index *holders_index_free(struct holders_index *ix)
{
	if (!ix)
		return NULL;
	for (size_t i = 0; i < ix->n_files; i++)
		free(ix->files[i].path);
	free(ix->files);
	free(ix->procs);
	free(ix->by_path);
	free(ix->by_dev);
	free(ix);
	return NULL;
}

size_t holders_index_files(const struct holders_index *ix)
{
	return ix->n_files;
}

void holders_index_set_error(struct holders_index *ix, int error)
{
	ix->error = error;
}

static struct hproc *proc_add(struct holders_index *ix, int pid, const char *comm)
{
	struct hproc *pr;

	if (ix->n_procs == ix->alloc_procs) {
		size_t na = ix->alloc_procs ? ix->alloc_procs * 2 : 64;
		struct hproc *nv = realloc(ix->procs, na * sizeof(*nv));

		if (!nv)
			return NULL;
		ix->procs = nv;
		ix->alloc_procs = na;
	}
	pr = &ix->procs[ix->n_procs++];
	*pr = (struct hproc){ .pid = pid };
	snprintf(pr->comm, sizeof(pr->comm), "%s", comm ? comm : "?");
	ix->sealed = false;
	return pr;
}

/* Process PID (COMM) has the N files F open or mapped. Returns 0 or -ENOMEM. */
int holders_index_add(struct holders_index *ix, int pid, const char *comm,
		      const struct proc_file *f, size_t n)
{
	size_t pi;

	if (!n)
		return 0;
	if (!proc_add(ix, pid, comm))
		return -ENOMEM;
	pi = ix->n_procs - 1;
	if (ix->n_files + n > ix->alloc_files) {
		size_t na = ix->alloc_files ? ix->alloc_files * 2 : 256;
		struct hfile *nv;

		while (na < ix->n_files + n)
			na *= 2;
		nv = realloc(ix->files, na * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		ix->files = nv;
		ix->alloc_files = na;
	}
	for (size_t i = 0; i < n; i++) {
		struct hfile *h = &ix->files[ix->n_files];

		*h = (struct hfile){ .proc = pi, .map = f[i].map, .node = f[i].node,
				     .block = f[i].block, .major = f[i].major,
				     .minor = f[i].minor };
		h->path = strdup(f[i].path);
		if (!h->path)
			return -ENOMEM;
		ix->n_files++;
	}
	return 0;
}

/* Process PID (COMM, "" if unknown) whose files could not be read (ERROR). */
int holders_index_add_unreadable(struct holders_index *ix, int pid, const char *comm,
				 int error)
{
	struct hproc *pr = proc_add(ix, pid, comm && comm[0] ? comm : "?");

	if (!pr)
		return -ENOMEM;
	pr->error = error;
	return 0;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp((*(struct hfile *const *)a)->path, (*(struct hfile *const *)b)->path);
}

static int cmp_dev3(bool block_a, unsigned int ma, unsigned int mi, const struct hfile *b)
{
	if (block_a != b->block)
		return block_a ? 1 : -1;
	if (ma != b->major)
		return ma < b->major ? -1 : 1;
	if (mi != b->minor)
		return mi < b->minor ? -1 : 1;
	return 0;
}

static int cmp_dev(const void *a, const void *b)
{
	const struct hfile *x = *(struct hfile *const *)a;

	return cmp_dev3(x->block, x->major, x->minor, *(struct hfile *const *)b);
}

/* Sort what was added for lookups (holders_index_read() does it). Returns 0 or -ENOMEM. */
static int seal(struct holders_index *ix)
{
	free(ix->by_path);
	free(ix->by_dev);
	ix->by_path = calloc(ix->n_files + 1, sizeof(*ix->by_path));
	ix->by_dev = calloc(ix->n_files + 1, sizeof(*ix->by_dev));
	if (!ix->by_path || !ix->by_dev)
		return -ENOMEM;
	ix->n_by_dev = 0;
	for (size_t i = 0; i < ix->n_files; i++) {
		ix->by_path[i] = &ix->files[i];
		if (ix->files[i].node)
			ix->by_dev[ix->n_by_dev++] = &ix->files[i];
	}
	qsort(ix->by_path, ix->n_files, sizeof(*ix->by_path), cmp_path);
	qsort(ix->by_dev, ix->n_by_dev, sizeof(*ix->by_dev), cmp_dev);
	ix->sealed = true;
	return 0;
}

int holders_index_seal(struct holders_index *ix)
{
	return seal(ix);
}

/*
 * Read every process under the /proc root P once: its comm and what it has
 * open or mapped that may be a device node. BY_RDEV: compare st_rdev too
 * (only when /proc and the sysfs root are this machine's). A process that
 * exits meanwhile is left out; one whose files cannot be read is kept as
 * unreadable; /proc that cannot be listed is the index's error. Returns 0
 * or -ENOMEM.
 */
int holders_index_read(struct proc *p, bool by_rdev, struct holders_index **ret)
{
	_cleanup_(holders_index_freep) struct holders_index *ix = NULL;
	_cleanup_free_ int *pids = NULL;
	size_t n = 0;
	int r;

	r = holders_index_new(by_rdev, &ix);
	if (r < 0)
		return r;
	r = p ? proc_list_pids(p, &pids, &n) : -ENOENT;
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		ix->error = r;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ struct proc_file *f = NULL;
		char comm[64] = "";
		size_t nf = 0;

		r = proc_pid_files(p, pids[i], by_rdev, &f, &nf);
		if (r == -ENOENT || r == -ESRCH)
			continue; /* it exited: it holds nothing */
		if (r == -ENOMEM)
			return r;
		if (r < 0 || nf) {
			int rc = proc_pid_comm(p, pids[i], comm, sizeof(comm));

			if (rc < 0 && r == 0 && rc != -EACCES)
				continue; /* exited between the two reads */
		}
		if (r < 0)
			r = holders_index_add_unreadable(ix, pids[i], comm, r);
		else
			r = holders_index_add(ix, pids[i], comm, f, nf);
		if (r < 0)
			return r;
	}
	r = seal(ix);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(ix);
	return 0;
}

/* ---- matching (pure) ------------------------------------------------------ */

static bool have_process(const struct holders *out, size_t from, int pid, const char *node)
{
	for (size_t i = from; i < out->n; i++)
		if (out->v[i].kind == HOLDER_PROCESS && out->v[i].pid == pid &&
		    streq(out->v[i].node, node))
			return true;
	return false;
}

static int add_process(const struct holders_index *ix, const struct hfile *f, const char *bdf,
		       const char *via, const char *node, size_t from, struct holders *out)
{
	const struct hproc *pr = &ix->procs[f->proc];
	struct holder *h;

	if (have_process(out, from, pr->pid, node)) {
		/* open and mapped: say open */
		for (size_t i = from; i < out->n; i++)
			if (out->v[i].pid == pr->pid && streq(out->v[i].node, node) && !f->map)
				out->v[i].map = false;
		return 0;
	}
	h = holder_add(out, HOLDER_PROCESS, bdf, via);
	if (!h)
		return -ENOMEM;
	h->pid = pr->pid;
	h->map = f->map;
	snprintf(h->comm, sizeof(h->comm), "%s", pr->comm);
	snprintf(h->node, sizeof(h->node), "%s", node);
	return 0;
}

/* The first index in V (N entries, sorted by CMP against KEY) not below KEY. */
static size_t lower_bound(struct hfile *const *v, size_t n, const void *key,
			  int (*cmp)(const void *key, const struct hfile *f))
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp(key, v[mid]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int key_path(const void *key, const struct hfile *f)
{
	return strcmp(key, f->path);
}

static int key_dev(const void *key, const struct hfile *f)
{
	const struct sysfs_node *nd = key;

	return cmp_dev3(nd->block, nd->major, nd->minor, f);
}

static int cmp_holder(const void *a, const void *b)
{
	const struct holder *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return strcmp(x->node, y->node);
}

/*
 * The processes of IX that hold one of the N NODES of function BDF (VIA:
 * through that VF, or NULL), appended to OUT in pid order: by st_rdev when
 * IX compares it, and by /dev/DEVNAME. When BDF has nodes, every process
 * whose files could not be read is appended too (it may hold one), and so
 * is /proc itself when it could not be listed. Returns 0, -EINVAL (IX not
 * sealed) or -ENOMEM.
 */
int holders_match(const struct holders_index *ix, const char *bdf, const char *via,
		  const struct sysfs_node *nodes, size_t n, struct holders *out)
{
	size_t from = out->n;
	int r;

	if (!n)
		return 0;
	if (!ix->sealed)
		return -EINVAL;
	for (size_t k = 0; k < n; k++) {
		const struct sysfs_node *nd = &nodes[k];
		char path[160];

		if (nd->devname[0]) {
			snprintf(path, sizeof(path), "/dev/%s", nd->devname);
			for (size_t i = lower_bound(ix->by_path, ix->n_files, path, key_path);
			     i < ix->n_files && streq(ix->by_path[i]->path, path); i++) {
				r = add_process(ix, ix->by_path[i], bdf, via, path, from, out);
				if (r < 0)
					return r;
			}
		} else {
			snprintf(path, sizeof(path), "%s %u:%u", nd->block ? "block" : "char",
				 nd->major, nd->minor);
		}
		if (!ix->by_rdev)
			continue;
		for (size_t i = lower_bound(ix->by_dev, ix->n_by_dev, nd, key_dev);
		     i < ix->n_by_dev && key_dev(nd, ix->by_dev[i]) == 0; i++) {
			r = add_process(ix, ix->by_dev[i], bdf, via, path, from, out);
			if (r < 0)
				return r;
		}
	}
	for (size_t i = 0; i < ix->n_procs; i++) {
		struct holder *h;

		if (!ix->procs[i].error)
			continue;
		h = holder_add(out, HOLDER_UNREADABLE, bdf, via);
		if (!h)
			return -ENOMEM;
		h->pid = ix->procs[i].pid;
		h->error = ix->procs[i].error;
		snprintf(h->comm, sizeof(h->comm), "%s", ix->procs[i].comm);
	}
	if (ix->error) {
		struct holder *h = holder_add(out, HOLDER_UNREADABLE, bdf, via);

		if (!h)
			return -ENOMEM;
		h->error = ix->error;
	}
	if (out->n - from > 1)
		qsort(out->v + from, out->n - from, sizeof(*out->v), cmp_holder);
	return 0;
}

/* ---- a function's nodes, stacks and VFs (through the sysfs gateway) ------ */

static int node_add(struct sysfs_node **v, size_t *n, const struct sysfs_node *nd)
{
	struct sysfs_node *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[(*n)++] = *nd;
	return 0;
}

/* Block device NAME's node, from class/block/NAME/{dev,uevent}. */
static int block_node(struct sysfs *s, const char *name, struct sysfs_node *ret)
{
	char dev[32], uevent[512];
	unsigned int maj, min;

	*ret = (struct sysfs_node){ .block = true };
	snprintf(ret->path, sizeof(ret->path), "class/block/%s", name);
	snprintf(ret->name, sizeof(ret->name), "%s", name);
	snprintf(ret->devname, sizeof(ret->devname), "%s", name);
	if (sysfs_read_attr(s, dev, sizeof(dev), "class/block/%s/dev", name) < 0 ||
	    sscanf(dev, "%u:%u", &maj, &min) != 2)
		return -ENOENT;
	ret->major = maj;
	ret->minor = min;
	if (sysfs_read_attr(s, uevent, sizeof(uevent), "class/block/%s/uevent", name) >= 0) {
		const char *p = strstr(uevent, "DEVNAME=");

		if (p && (p == uevent || p[-1] == '\n'))
			snprintf(ret->devname, sizeof(ret->devname), "%.*s",
				 (int)strcspn(p + 8, "\n"), p + 8);
	}
	return 0;
}

/* What is built on the block device at sysfs PATH (named ON), recursively. */
static int stack_of(struct sysfs *s, const struct holders_index *ix, const char *bdf,
		    const char *via, const char *path, const char *on, int depth,
		    struct holders *out)
{
	_cleanup_strv_free_ char **names = NULL;
	int r;

	if (depth > STACK_DEPTH_MAX || sysfs_list_dir(s, &names, "%s/holders", path) <= 0)
		return 0;
	for (char **name = names; *name; name++) {
		struct sysfs_node nd;
		struct holder *h;
		char next[PATH_MAX];

		if (!sysfs_valid_name(*name))
			continue;
		h = holder_add(out, HOLDER_STACK, bdf, via);
		if (!h)
			return -ENOMEM;
		snprintf(h->node, sizeof(h->node), "%s", *name);
		snprintf(h->on, sizeof(h->on), "%s", on);
		/* whoever has the stacked device open holds this disk too */
		if (ix && block_node(s, *name, &nd) == 0) {
			r = holders_match(ix, bdf, via, &nd, 1, out);
			if (r < 0)
				return r;
		}
		snprintf(next, sizeof(next), "class/block/%s", *name);
		r = stack_of(s, ix, bdf, via, next, *name, depth + 1, out);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * Native NVMe multipath (Debian's default): below an NVMe function are its
 * controller nvme/nvmeC and, for each namespace, a hidden path device
 * nvmeScCnN with no node of its own; the disk people use, nvmeSnN and its
 * partitions, lives below the virtual nvme-subsystem. Add the nodes of
 * those disks to NODES, so that their users and what is built on them
 * (holders/) count as this function's. Returns 0 or -ENOMEM.
 */
static int nvme_heads(struct sysfs *s, const struct pcidev *d, struct sysfs_node **nodes,
		      size_t *n)
{
	_cleanup_strv_free_ char **ctrls = NULL;

	if (sysfs_list_dir(s, &ctrls, "bus/pci/devices/%s/nvme", d->bdf) <= 0)
		return 0;
	for (char **c = ctrls; *c; c++) {
		_cleanup_strv_free_ char **paths = NULL;

		if (!sysfs_valid_name(*c) ||
		    sysfs_list_dir(s, &paths, "bus/pci/devices/%s/nvme/%s", d->bdf, *c) <= 0)
			continue;
		for (char **p = paths; *p; p++) {
			_cleanup_free_ struct sysfs_node *more = NULL;
			struct sysfs_node nd;
			unsigned int subsys, ctrl, ns;
			char head[64], tail;
			int k;

			if (sscanf(*p, "nvme%uc%un%u%c", &subsys, &ctrl, &ns, &tail) != 3)
				continue;
			snprintf(head, sizeof(head), "nvme%un%u", subsys, ns);
			/* the disk itself, then its partitions below it */
			if (block_node(s, head, &nd) < 0)
				continue;
			if (node_add(nodes, n, &nd) < 0)
				return -ENOMEM;
			k = sysfs_find_nodes(s, &more, "class/block/%s", head);
			if (k == -ENOMEM)
				return k;
			for (int i = 0; i < k; i++) {
				bool seen = false;

				for (size_t j = 0; j < *n && !seen; j++)
					seen = (*nodes)[j].block == more[i].block &&
					       (*nodes)[j].major == more[i].major &&
					       (*nodes)[j].minor == more[i].minor;
				if (!seen && node_add(nodes, n, &more[i]) < 0)
					return -ENOMEM;
			}
		}
	}
	return 0;
}

static int holders_one(struct sysfs *s, const struct pcidev *d, holders_load_fn load, void *ud,
		       const char *bdf, const char *via, struct holders *out)
{
	_cleanup_free_ struct sysfs_node *nodes = NULL;
	const struct holders_index *ix = NULL;
	size_t n;
	int r;

	/*
	 * Class devices are a driver's: an unbound function has none, and
	 * neither pciback nor pci-stub makes any; a vfio driver's are its group
	 * and vfio-dev/ (below). Only the others are walked, and only when
	 * the details' listing of the directory found a subdirectory (a NIC's
	 * net/, power/ and msi_irqs/ hold no node).
	 */
	if (d->driver && d->stub != PCIDEV_STUB_PCIBACK && d->stub != PCIDEV_STUB_PCI_STUB &&
	    !pcidev_vfio_holds(d) && !(d->details && d->no_node_dirs)) {
		r = sysfs_find_nodes(s, &nodes, "bus/pci/devices/%s", d->bdf);
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			struct holder *h = holder_add(out, HOLDER_UNKNOWN, bdf, via);

			if (!h)
				return -ENOMEM;
			h->error = r;
			return 0;
		}
		n = (size_t)r;
		r = nvme_heads(s, d, &nodes, &n);
		if (r < 0)
			return r;
	} else {
		n = 0;
	}
	/* the VFIO group node lives outside the function's directory */
	if (pcidev_vfio_holds(d) && d->iommu_group >= 0) {
		struct sysfs_node nd = { 0 };
		char dev[32];
		unsigned int maj, min;

		snprintf(nd.name, sizeof(nd.name), "%d", d->iommu_group);
		snprintf(nd.devname, sizeof(nd.devname), "vfio/%d", d->iommu_group);
		if (sysfs_read_attr(s, dev, sizeof(dev), "class/vfio/%d/dev", d->iommu_group) >= 0 &&
		    sscanf(dev, "%u:%u", &maj, &min) == 2) {
			nd.major = maj;
			nd.minor = min;
		} else {
			nd.major = nd.minor = UINT_MAX; /* by path only */
		}
		r = node_add(&nodes, &n, &nd);
		if (r < 0)
			return r;
	}
	/* its vfio-dev/vfioN (iommufd's cdev); without a "dev", the path still names it */
	if (d->vfio_dev) {
		struct sysfs_node nd = { .major = UINT_MAX, .minor = UINT_MAX };
		char dev[32];
		unsigned int maj, min;

		snprintf(nd.name, sizeof(nd.name), "%s", d->vfio_dev);
		snprintf(nd.devname, sizeof(nd.devname), "vfio/devices/%s", d->vfio_dev);
		if (sysfs_read_attr(s, dev, sizeof(dev), "bus/pci/devices/%s/vfio-dev/%s/dev", d->bdf,
				    d->vfio_dev) >= 0 &&
		    sscanf(dev, "%u:%u", &maj, &min) == 2) {
			nd.major = maj;
			nd.minor = min;
		}
		r = node_add(&nodes, &n, &nd);
		if (r < 0)
			return r;
	}
	/* /proc is read (once) only when some function has a node */
	if (n && load) {
		r = load(ud, &ix);
		if (r < 0)
			return r;
	}
	if (ix) {
		r = holders_match(ix, bdf, via, nodes, n, out);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < n; i++) {
		if (!nodes[i].block)
			continue;
		r = stack_of(s, ix, bdf, via, nodes[i].path, nodes[i].name, 0, out);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * Everything that holds D, appended to OUT: processes with its nodes open
 * or mapped (LOAD gives the index of /proc, and is called only when a
 * function has device nodes; NULL: processes are not asked), block devices built on
 * its disks, and for an SR-IOV PF with VFs enabled each VF with its driver
 * and what holds it. Returns 0 or -ENOMEM; what could not be read is a
 * holder of its own.
 */
int holders_of(struct sysfs *s, const struct pcidev_list *l, const struct pcidev *d,
	       holders_load_fn load, void *ud, struct holders *out)
{
	int r;

	r = holders_one(s, d, load, ud, d->bdf, NULL, out);
	if (r < 0)
		return r;
	if (d->sriov_numvfs <= 0 || !d->virtfns)
		return 0;
	for (char **vf = d->virtfns; *vf; vf++) {
		const struct pcidev *v = pcidev_find_bdf(l, *vf);
		struct holder *h = holder_add(out, HOLDER_VF, d->bdf, NULL);

		if (!h)
			return -ENOMEM;
		snprintf(h->node, sizeof(h->node), "%s", *vf);
		snprintf(h->on, sizeof(h->on), "%s", v && v->driver ? v->driver : "");
		if (!v)
			continue;
		r = holders_one(s, v, load, ud, d->bdf, v->bdf, out);
		if (r < 0)
			return r;
	}
	return 0;
}

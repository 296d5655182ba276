/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Safety guards: what pcibind refuses to seize unless a rule for that exact
 * device says force. The facts come from sysfs and /proc, never from
 * configuration: a bridge (class 06); the boot VGA device; a device under
 * which sits a block device backing a mounted filesystem or active swap
 * (through device-mapper and md slaves); a NIC that carries a route, or is a
 * lower device (bond, bridge, VLAN) of one that does; a USB controller with
 * a boot keyboard attached (the LUKS prompt lockout).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "macro.h"
#include "pcidev.h"
#include "proc.h"
#include "sysfs.h"

#define DEPTH_MAX 8

struct holder {
	enum guard_kind kind;
	char *path;		/* the sysfs device path of a block device or netdev */
	char detail[200];
};

struct guard_facts {
	struct holder *h;
	size_t n;
};

static const char *const names[_GUARD_MAX] = {
	[GUARD_BRIDGE] = "bridge",
	[GUARD_BOOT_VGA] = "boot-vga",
	[GUARD_STORAGE] = "storage",
	[GUARD_NETWORK] = "network",
	[GUARD_KEYBOARD] = "keyboard",
};

const char *guard_name(enum guard_kind k)
{
	return k < _GUARD_MAX ? names[k] : "?";
}

struct guard_facts *guard_facts_free(struct guard_facts *f)
{
	if (!f)
		return NULL;
	for (size_t i = 0; i < f->n; i++)
		free(f->h[i].path);
	free(f->h);
	free(f);
	return NULL;
}

static int add_holder(struct guard_facts *f, enum guard_kind kind, const char *path,
		      const char *detail)
{
	struct holder *nv = realloc(f->h, (f->n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	f->h = nv;
	nv[f->n].kind = kind;
	nv[f->n].path = strdup(path);
	if (!nv[f->n].path)
		return -ENOMEM;
	snprintf(nv[f->n].detail, sizeof(nv[f->n].detail), "%s", detail);
	f->n++;
	return 0;
}

/* A block device (a path to its sysfs link), and through its slaves what it is made of. */
static int add_block(struct sysfs *s, struct guard_facts *f, const char *link,
		     const char *detail, int depth)
{
	_cleanup_strv_free_ char **slaves = NULL;
	char target[PATH_MAX], more[256];
	int r;

	if (depth > DEPTH_MAX || sysfs_read_link(s, target, sizeof(target), "%s", link) < 0)
		return 0;
	r = add_holder(f, GUARD_STORAGE, target, detail);
	if (r < 0)
		return r;
	if (sysfs_list_dir(s, &slaves, "%s/slaves", link) <= 0)
		return 0;
	for (char **sl = slaves; *sl; sl++) {
		char next[PATH_MAX];

		if (!sysfs_valid_name(*sl))
			continue;
		snprintf(next, sizeof(next), "class/block/%s", *sl);
		snprintf(more, sizeof(more), "%s", detail);
		r = add_block(s, f, next, more, depth + 1);
		if (r < 0)
			return r;
	}
	return 0;
}

static int load_mounts(struct sysfs *s, struct proc *p, struct guard_facts *f)
{
	_cleanup_free_ char *text = NULL;
	char *save = NULL;
	int r;

	r = proc_read(p, "self/mountinfo", &text);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned int maj, min;
		char mnt[256], link[64], detail[300];

		/* "36 35 259:2 / /boot rw,... - ext4 /dev/nvme0n1p2 rw" */
		if (sscanf(line, "%*u %*u %u:%u %*s %255s", &maj, &min, mnt) != 3 || maj == 0)
			continue;
		snprintf(link, sizeof(link), "dev/block/%u:%u", maj, min);
		snprintf(detail, sizeof(detail), "a block device under it is mounted on %s", mnt);
		r = add_block(s, f, link, detail, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

static int dm_by_name(struct sysfs *s, const char *name, char *buf, size_t size)
{
	_cleanup_strv_free_ char **blocks = NULL;
	char dmname[256];

	if (sysfs_list_dir(s, &blocks, "class/block") < 0)
		return -ENOENT;
	for (char **b = blocks; *b; b++)
		if (!strncmp(*b, "dm-", 3) &&
		    sysfs_read_attr(s, dmname, sizeof(dmname), "class/block/%s/dm/name", *b) >= 0 &&
		    !strcmp(dmname, name)) {
			snprintf(buf, size, "%s", *b);
			return 0;
		}
	return -ENOENT;
}

static int load_swaps(struct sysfs *s, struct proc *p, struct guard_facts *f)
{
	_cleanup_free_ char *text = NULL;
	char *save = NULL;
	int r;

	r = proc_read(p, "swaps", &text);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char file[256], name[256], link[320], detail[300];

		if (sscanf(line, "%255s", file) != 1 || strncmp(file, "/dev/", 5))
			continue; /* the header, or a swap file: its filesystem is a mount */
		if (!strncmp(file, "/dev/mapper/", 12)) {
			if (dm_by_name(s, file + 12, name, sizeof(name)) < 0)
				continue;
		} else {
			snprintf(name, sizeof(name), "%s", strrchr(file, '/') + 1);
		}
		if (!sysfs_valid_name(name))
			continue;
		snprintf(link, sizeof(link), "class/block/%s", name);
		snprintf(detail, sizeof(detail), "a block device under it is active swap (%s)", file);
		r = add_block(s, f, link, detail, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A network interface, and the lower devices it stands on (bond, bridge, VLAN). */
static int add_net(struct sysfs *s, struct guard_facts *f, const char *iface, const char *detail,
		   int depth)
{
	_cleanup_strv_free_ char **entries = NULL;
	char target[PATH_MAX], more[200];
	int r;

	if (depth > DEPTH_MAX || !sysfs_valid_name(iface))
		return 0;
	if (sysfs_read_link(s, target, sizeof(target), "class/net/%s", iface) < 0)
		return 0;
	r = add_holder(f, GUARD_NETWORK, target, detail);
	if (r < 0)
		return r;
	if (sysfs_list_dir(s, &entries, "class/net/%s", iface) <= 0)
		return 0;
	for (char **e = entries; *e; e++) {
		if (strncmp(*e, "lower_", 6))
			continue;
		snprintf(more, sizeof(more), "it is a lower device of %s, which carries a route",
			 iface);
		r = add_net(s, f, *e + 6, more, depth + 1);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool seen(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

static int load_routes(struct sysfs *s, struct proc *p, struct guard_facts *f)
{
	static const char *const files[] = { "net/route", "net/ipv6_route" };
	char *ifaces[256];
	size_t n = 0;
	int r = 0;

	for (size_t k = 0; k < ELEMENTSOF(files) && r >= 0; k++) {
		_cleanup_free_ char *text = NULL;
		char *save = NULL;

		if (proc_read(p, files[k], &text) < 0)
			continue;
		for (char *line = strtok_r(text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char name[64], *last;

			if (k == 0) {
				if (sscanf(line, "%63s", name) != 1 || !strcmp(name, "Iface"))
					continue;
			} else {
				last = strrchr(line, ' ');
				snprintf(name, sizeof(name), "%s", last ? last + 1 : line);
			}
			if (!strcmp(name, "lo") || seen(ifaces, n, name) || n == ELEMENTSOF(ifaces))
				continue;
			ifaces[n] = strdup(name);
			if (!ifaces[n]) {
				r = -ENOMEM;
				break;
			}
			n++;
		}
	}
	for (size_t i = 0; i < n; i++) {
		char detail[200];

		snprintf(detail, sizeof(detail), "its interface %s carries a route", ifaces[i]);
		if (r >= 0)
			r = add_net(s, f, ifaces[i], detail, 0);
		free(ifaces[i]);
	}
	return r;
}

/*
 * Gather, once per run, which block devices and network interfaces dom0
 * depends on. A /proc file that cannot be read is taken as empty. Returns 0
 * or -ENOMEM.
 */
int guard_facts_load(struct sysfs *s, struct proc *p, struct guard_facts **ret)
{
	_cleanup_(guard_facts_freep) struct guard_facts *f = calloc(1, sizeof(*f));
	int r;

	if (!f)
		return -ENOMEM;
	if (p) {
		r = load_mounts(s, p, f);
		if (r >= 0)
			r = load_swaps(s, p, f);
		if (r >= 0)
			r = load_routes(s, p, f);
		if (r == -ENOMEM)
			return r;
	}
	*ret = TAKE_PTR(f);
	return 0;
}

static void hit(struct guards *g, enum guard_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void hit(struct guards *g, enum guard_kind kind, const char *fmt, ...)
{
	va_list ap;

	if (g->n == GUARD_HITS_MAX)
		return;
	for (size_t i = 0; i < g->n; i++)
		if (g->hits[i].kind == kind && kind != GUARD_STORAGE && kind != GUARD_NETWORK)
			return;
	g->hits[g->n].kind = kind;
	va_start(ap, fmt);
	vsnprintf(g->hits[g->n].detail, sizeof(g->hits[g->n].detail), fmt, ap);
	va_end(ap);
	g->n++;
}

/* Whether the sysfs device path PATH lies under the function BDF. */
static bool under(const char *path, const char *bdf)
{
	size_t n = strlen(bdf);

	for (const char *p = strstr(path, bdf); p; p = strstr(p + 1, bdf))
		if ((p == path || p[-1] == '/') && (p[n] == '/' || p[n] == '\0'))
			return true;
	return false;
}

static bool attr_is(struct sysfs *s, const char *dir, const char *attr, const char *want)
{
	char buf[16];

	return sysfs_read_attr(s, buf, sizeof(buf), "%s/%s", dir, attr) >= 0 && !strcmp(buf, want);
}

/* Find a boot keyboard interface (class 03, subclass 01, protocol 01) under DIR. */
static bool find_keyboard(struct sysfs *s, const char *dir, int depth, char *where, size_t size)
{
	_cleanup_strv_free_ char **entries = NULL;

	if (depth > DEPTH_MAX)
		return false;
	if (attr_is(s, dir, "bInterfaceClass", "03") && attr_is(s, dir, "bInterfaceSubClass", "01") &&
	    attr_is(s, dir, "bInterfaceProtocol", "01")) {
		snprintf(where, size, "%s", strrchr(dir, '/') + 1);
		return true;
	}
	if (sysfs_list_dir(s, &entries, "%s", dir) < 0)
		return false;
	for (char **e = entries; *e; e++) {
		char sub[PATH_MAX];

		/* USB buses ("usb1"), devices ("1-2") and interfaces ("1-2:1.0") only. */
		if (strncmp(*e, "usb", 3) && !(**e >= '0' && **e <= '9'))
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", dir, *e) >= sizeof(sub) ||
		    !sysfs_is_dir(s, "%s", sub))
			continue;
		if (find_keyboard(s, sub, depth + 1, where, size))
			return true;
	}
	return false;
}

/* Which guards D trips, in the order of enum guard_kind. */
void guard_check(struct sysfs *s, const struct guard_facts *f, const struct pcidev *d,
		 struct guards *ret)
{
	char where[64], dir[64];

	ret->n = 0;
	if (pcidev_is_bridge(d))
		hit(ret, GUARD_BRIDGE, "it is a bridge (class %04x): what is behind it depends on it",
		    d->class >> 8);
	if (d->boot_vga > 0)
		hit(ret, GUARD_BOOT_VGA, "it is the boot VGA device: this system's console is on it");
	for (size_t i = 0; f && i < f->n; i++)
		if (under(f->h[i].path, d->bdf))
			hit(ret, f->h[i].kind, "%s", f->h[i].detail);
	snprintf(dir, sizeof(dir), "bus/pci/devices/%s", d->bdf);
	/* a controller whose directory has no subdirectory has no USB bus yet */
	if ((d->class >> 8) == 0x0c03 && !(d->details && d->no_node_dirs) &&
	    find_keyboard(s, dir, 0, where, sizeof(where)))
		hit(ret, GUARD_KEYBOARD,
		    "a USB keyboard is attached (%s): this system would lose it, and with it the disk "
		    "passphrase prompt",
		    where);
}

/* Forget the hits of KIND (boot: a controller named by address on the command line). */
void guard_drop(struct guards *g, enum guard_kind kind)
{
	size_t k = 0;

	for (size_t i = 0; i < g->n; i++)
		if (g->hits[i].kind != kind)
			g->hits[k++] = g->hits[i];
	g->n = k;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VFIO done right (whether an IOMMU group is viable is a fact of the
 * snapshot: pcidev_group_*() in pcidev.c). Variant drivers (mlx5_vfio_pci,
 * ...) are found through the "alias vfio_pci:..." lines of modules.alias,
 * the most specific match winning (fewest wildcards, as libvirt's
 * virPCIDeviceFindBestVFIOVariant); VFIO's hot reset of a bus. Who holds a
 * group open is the holders module's (holders.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "kmodq.h"
#include "macro.h"
#include "pcidev.h"
#include "sysfs.h"
#include "vfio.h"
#include "util.h"

/* The number of '*' in an alias pattern: the fewer, the more specific. */
int vfio_count_wildcards(const char *pattern)
{
	int n = 0;

	for (const char *c = pattern; *c; c++)
		n += *c == '*';
	return n;
}

/*
 * The index of the most specific alias of V (fewest wildcards; a tie goes
 * to the module name that sorts first, so the choice never depends on the
 * order of modules.alias). Returns -1 when N is 0.
 */
int vfio_best_alias(const struct kmodq_alias *v, size_t n)
{
	int best = -1, best_w = 0;

	for (size_t i = 0; i < n; i++) {
		int w = vfio_count_wildcards(v[i].pattern);

		if (best < 0 || w < best_w ||
		    (w == best_w && strcmp(v[i].module, v[best].module) < 0)) {
			best = (int)i;
			best_w = w;
		}
	}
	return best;
}

/*
 * Choose the vfio driver for D: the most specific "vfio_pci:" alias of its
 * modalias, vfio_pci when only the generic one (or none) matches. The
 * driver name comes from module/M/drivers/pci:* when M is loaded, else it
 * stays "<driver of M>" for the executor to resolve after it loads M.
 * Q may be NULL (no module index: the generic driver). Returns 0 or -errno.
 */
int vfio_choose(struct kmodq *q, struct sysfs *s, const struct pcidev *d,
		struct vfio_choice *ret)
{
	_cleanup_free_ struct kmodq_alias *v = NULL;
	int n = 0, best;

	*ret = (struct vfio_choice){ .wildcards = -1 };
	snprintf(ret->bdf, sizeof(ret->bdf), "%s", d->bdf);
	if (q && d->modalias) {
		n = kmodq_vfio_aliases(q, d->modalias, &v);
		if (n < 0 && n != -ENOENT && n != -EINVAL)
			return n;
		if (n < 0)
			n = 0;
	}
	best = vfio_best_alias(v, (size_t)n);
	if (best < 0 || streq(v[best].module, "vfio_pci")) {
		strcpy(ret->module, "vfio_pci");
		strcpy(ret->driver, "vfio-pci");
		if (best >= 0) {
			snprintf(ret->pattern, sizeof(ret->pattern), "%s", v[best].pattern);
			ret->wildcards = vfio_count_wildcards(v[best].pattern);
		}
		snprintf(ret->why, sizeof(ret->why), "%s",
			 best < 0 ? "vfio-pci: no vfio_pci alias in the module index matches it"
				  : "vfio-pci: no variant driver matches it more closely than the "
				    "generic one");
		return 0;
	}
	ret->variant = true;
	snprintf(ret->module, sizeof(ret->module), "%s", v[best].module);
	snprintf(ret->pattern, sizeof(ret->pattern), "%s", v[best].pattern);
	ret->wildcards = vfio_count_wildcards(v[best].pattern);
	if (!s || kmodq_module_driver(s, ret->module, ret->driver, sizeof(ret->driver)) < 0)
		snprintf(ret->driver, sizeof(ret->driver), "<driver of %.40s>", ret->module);
	snprintf(ret->why, sizeof(ret->why),
		 "variant %s (module %s): its alias %s is the most specific of %d matching "
		 "vfio_pci aliases (%d wildcards); --driver vfio-pci forces the generic one",
		 ret->driver, ret->module, ret->pattern, n, ret->wildcards);
	return 0;
}

/* ---- the hot reset ------------------------------------------------------- */

#define VFIO_DIR "/dev/vfio"
#define HOT_RESET_GROUPS_MAX 16

static void close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static bool covered(const char *covers, const char *bdf)
{
	size_t n = strlen(bdf);

	for (const char *p = covers; (p = strstr(p, bdf)); p += n)
		if ((p == covers || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

/*
 * Open every group of GROUPS, each viable, into one container with an
 * IOMMU model (what VFIO_GROUP_GET_DEVICE_FD needs, as QEMU's
 * hw/vfio/common.c does it). FDS gets the group fds; *CONTAINER the
 * container. Returns the number of groups or -errno with WHY filled.
 */
static int open_groups(const char *groups, int *container, int *fds, int *ids, char *why,
		       size_t size)
{
	static const int models[] = { VFIO_TYPE1v2_IOMMU, VFIO_TYPE1_IOMMU, VFIO_NOIOMMU_IOMMU };
	char path[64];
	int n = 0;

	*container = open(VFIO_DIR "/vfio", O_RDWR | O_CLOEXEC);
	if (*container < 0) {
		int r = -errno;

		snprintf(why, size, "cannot open %s/vfio: %s", VFIO_DIR, strerror(-r));
		return r;
	}
	if (ioctl(*container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
		snprintf(why, size, "%s/vfio speaks another VFIO API version", VFIO_DIR);
		return -EPROTO;
	}
	for (const char *p = groups; *p;) {
		struct vfio_group_status st = { .argsz = sizeof(st) };
		char *end;
		long g = strtol(p, &end, 10);

		if (end == p || g < 0 || g > 1000000 || n >= HOT_RESET_GROUPS_MAX) {
			snprintf(why, size, "bad IOMMU group list '%s'", groups);
			return -EINVAL;
		}
		p = *end == ',' ? end + 1 : end;
		ids[n] = (int)g;
		snprintf(path, sizeof(path), VFIO_DIR "/%ld", g);
		fds[n] = open(path, O_RDWR | O_CLOEXEC);
		if (fds[n] < 0) {
			int r = -errno;

			snprintf(why, size, "cannot open %s: %s%s", path, strerror(-r),
				 r == -EBUSY ? " (another process holds the group)" : "");
			return r;
		}
		n++;
		if (ioctl(fds[n - 1], VFIO_GROUP_GET_STATUS, &st) < 0) {
			int r = -errno;

			snprintf(why, size, "cannot read the status of %s: %s", path, strerror(-r));
			return r;
		}
		if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
			snprintf(why, size,
				 "IOMMU group %ld is not viable: a member is on a driver that is "
				 "not vfio, pci-stub or pcieport",
				 g);
			return -EBUSY;
		}
		if (ioctl(fds[n - 1], VFIO_GROUP_SET_CONTAINER, container) < 0) {
			int r = -errno;

			snprintf(why, size, "cannot set %s's container: %s", path, strerror(-r));
			return r;
		}
		/* The IOMMU model is set once, after the first group joined. */
		if (n == 1) {
			bool set = false;

			for (size_t m = 0; m < ELEMENTSOF(models) && !set; m++)
				set = ioctl(*container, VFIO_CHECK_EXTENSION, models[m]) > 0 &&
				      ioctl(*container, VFIO_SET_IOMMU, models[m]) == 0;
			if (!set) {
				snprintf(why, size, "the VFIO container takes no IOMMU model");
				return -ENODEV;
			}
		}
	}
	if (n == 0) {
		snprintf(why, size, "no IOMMU group to reset through");
		return -EINVAL;
	}
	return n;
}

/*
 * VFIO's hot reset (drivers/vfio/pci/vfio_pci_core.c): open the groups
 * GROUPS into one container, get BDF's device fd, ask
 * VFIO_DEVICE_GET_PCI_HOT_RESET_INFO which functions the reset affects
 * (every one must be in COVERS and its group in GROUPS, else nothing is
 * reset), then VFIO_DEVICE_PCI_HOT_RESET with every group fd: the kernel
 * resets the bus only when the caller owns every affected device through
 * them. Only for this system's own devices (the sysfs root is /sys), never
 * while PCIBIND_FORBID_REAL_SYSFS is set. Returns 0, or -errno with WHY
 * saying what the kernel refused.
 */
int vfio_hot_reset(struct sysfs *s, const char *bdf, const char *groups, const char *covers,
		   char *why, size_t size)
{
	_cleanup_free_ struct vfio_pci_hot_reset_info *info = NULL;
	_cleanup_free_ struct vfio_pci_hot_reset *reset = NULL;
	int fds[HOT_RESET_GROUPS_MAX], ids[HOT_RESET_GROUPS_MAX], container = -1, dev = -1;
	int n = 0, r;
	size_t sz;

	for (size_t i = 0; i < ELEMENTSOF(fds); i++)
		fds[i] = -1;
	if (!sysfs_is_default_root(s)) {
		snprintf(why, size, "the sysfs root is not this system's: VFIO's hot reset works "
				    "only on this system's own devices");
		return -EOPNOTSUPP;
	}
	if (getenv("PCIBIND_FORBID_REAL_SYSFS")) {
		snprintf(why, size, "resets of this system's devices are forbidden here "
				    "(PCIBIND_FORBID_REAL_SYSFS is set)");
		return -EROFS;
	}
	n = open_groups(groups, &container, fds, ids, why, size);
	if (n < 0) {
		r = n;
		n = HOT_RESET_GROUPS_MAX;
		goto out_close;
	}
	for (int i = 0; i < n && dev < 0; i++)
		dev = ioctl(fds[i], VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (dev < 0) {
		r = -errno;
		snprintf(why, size, "cannot open %s through its VFIO group: %s", bdf, strerror(-r));
		goto out_close;
	}
	sz = sizeof(*info) + 32 * sizeof(info->devices[0]);
	info = calloc(1, sz);
	if (!info) {
		r = -ENOMEM;
		goto out_close;
	}
	info->argsz = sz;
	if (ioctl(dev, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info) < 0) {
		r = -errno;
		snprintf(why, size, "the kernel offers no hot reset for %s: %s", bdf, strerror(-r));
		goto out_close;
	}
	for (uint32_t i = 0; i < info->count; i++) {
		const struct vfio_pci_dependent_device *x = &info->devices[i];
		char other[32];
		bool ours = false;

		snprintf(other, sizeof(other), "%04x:%02x:%02x.%x", x->segment, x->bus,
			 (x->devfn >> 3) & 0x1f, x->devfn & 7);
		for (int g = 0; g < n; g++)
			ours = ours || ids[g] == (int)x->group_id;
		if (!covered(covers, other) || !ours) {
			snprintf(why, size,
				 "the kernel's hot reset would also reset %s (IOMMU group %u), which "
				 "is not in this change; nothing was reset",
				 other, x->group_id);
			r = -EBUSY;
			goto out_close;
		}
	}
	reset = calloc(1, sizeof(*reset) + (size_t)n * sizeof(reset->group_fds[0]));
	if (!reset) {
		r = -ENOMEM;
		goto out_close;
	}
	reset->argsz = sizeof(*reset) + (uint32_t)n * sizeof(reset->group_fds[0]);
	reset->count = (uint32_t)n;
	for (int i = 0; i < n; i++)
		reset->group_fds[i] = fds[i];
	if (ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, reset) < 0) {
		r = -errno;
		snprintf(why, size, "the kernel refused the hot reset of %s: %s", covers,
			 strerror(-r));
		goto out_close;
	}
	r = 0;
out_close:
	if (dev >= 0)
		close(dev);
	close_all(fds, (size_t)n);
	if (container >= 0)
		close(container);
	return r;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The device model: reads every PCI function from the sysfs gateway into a snapshot. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "pcidev.h"
#include "sysfs.h"
#include "trace.h"

static const char *const stub_names[_PCIDEV_STUB_MAX] = {
	[PCIDEV_STUB_NONE] = NULL,
	[PCIDEV_STUB_PCIBACK] = "pciback",
	[PCIDEV_STUB_VFIO_PCI] = "vfio-pci",
	[PCIDEV_STUB_PCI_STUB] = "pci-stub",
};

/* The driver name of a stub, NULL for PCIDEV_STUB_NONE. */
const char *pcidev_stub_name(enum pcidev_stub stub)
{
	return stub >= 0 && stub < _PCIDEV_STUB_MAX ? stub_names[stub] : NULL;
}

/* Which stub a driver name is, PCIDEV_STUB_NONE for any other driver. */
enum pcidev_stub pcidev_stub_from_driver(const char *driver)
{
	for (int i = PCIDEV_STUB_NONE + 1; i < _PCIDEV_STUB_MAX; i++)
		if (streq_ptr(driver, stub_names[i]))
			return i;
	return PCIDEV_STUB_NONE;
}

/*
 * The stub a user's spelling names: the kernel's driver names (pciback,
 * vfio-pci, pci-stub), the modules' (xen_pciback, vfio_pci, pci_stub) and
 * Xen's xen-pciback, as the kernel command line takes them. PCIDEV_STUB_NONE
 * for anything else; pcidev_stub_name() gives the canonical spelling.
 */
enum pcidev_stub pcidev_stub_from_spelling(const char *spelling)
{
	static const struct {
		const char *name;
		enum pcidev_stub stub;
	} alt[] = {
		{ "xen-pciback", PCIDEV_STUB_PCIBACK }, { "xen_pciback", PCIDEV_STUB_PCIBACK },
		{ "vfio_pci", PCIDEV_STUB_VFIO_PCI },	{ "pci_stub", PCIDEV_STUB_PCI_STUB },
	};
	enum pcidev_stub s = pcidev_stub_from_driver(spelling);

	for (size_t i = 0; s == PCIDEV_STUB_NONE && spelling && i < ELEMENTSOF(alt); i++)
		if (streq(spelling, alt[i].name))
			s = alt[i].stub;
	return s;
}

static bool slots_list(const char *slots, const char *bdf);

/* A vfio variant driver's name: "mlx5_vfio_pci", "xe-vfio-pci". */
static bool variant_name(const char *driver)
{
	size_t n = driver ? strlen(driver) : 0;

	return n > 9 && (streq(driver + n - 9, "_vfio_pci") || streq(driver + n - 9, "-vfio-pci"));
}

/* An EHCI controller (class 0c03, prog-if 20), the USB 2.0 half of a companion slot. */
bool pcidev_is_ehci(const struct pcidev *d)
{
	return d->class == 0x0c0320;
}

/* A UHCI or OHCI controller (prog-if 00 or 10): a USB 1.1 companion of an EHCI. */
bool pcidev_is_usb_companion(const struct pcidev *d)
{
	return d->class == 0x0c0300 || d->class == 0x0c0310;
}

/*
 * Whether the kernel can reset D alone, without touching its siblings: a
 * reset_method of flr, af_flr, pm or device_specific (bus and slot resets
 * take the whole slot along).
 */
bool pcidev_has_function_reset(const struct pcidev *d)
{
	if (!d->resettable)
		return false;
	for (char **m = d->reset_methods; m && *m; m++)
		if (streq(*m, "flr") || streq(*m, "af_flr") || streq(*m, "pm") ||
		    streq(*m, "device_specific"))
			return true;
	return false;
}

/* Whether DRIVER is registered (bus/pci/drivers/DRIVER exists in the snapshot). */
bool pcidev_driver_registered(const struct pcidev_list *l, const char *driver)
{
	for (char **p = l->drivers; driver && p && *p; p++)
		if (streq(*p, driver))
			return true;
	return false;
}

/* Whether pciback's permissive list names D. */
bool pcidev_permissive(const struct pcidev_list *l, const struct pcidev *d)
{
	return l->pciback_permissive && slots_list(l->pciback_permissive, d->bdf);
}

/* VF's number among its PF's VFs (virtfnN), -1 if not a VF or not known. */
int pcidev_vf_index(const struct pcidev *vf)
{
	if (!vf->physfn || !vf->physfn->virtfns)
		return -1;
	for (int i = 0; vf->physfn->virtfns[i]; i++)
		if (streq(vf->physfn->virtfns[i], vf->bdf))
			return i;
	return -1;
}

/* A bridge: PCI base class 06 (host, ISA, PCI-to-PCI, ...). */
bool pcidev_is_bridge(const struct pcidev *d)
{
	return (d->class >> 16) == 0x06;
}

/*
 * What the machine itself runs on, in words ("the chipset's LPC/ISA
 * bridge"), or NULL: a host bridge, an ISA/LPC bridge, an SMBus controller
 * or a platform's SPI flash controller (class 0c80). No advice offers to
 * move one: dom0 (or the firmware) needs it.
 */
const char *pcidev_essential(const struct pcidev *d)
{
	switch (d->class >> 8) {
	case 0x0600:
		return "the host bridge";
	case 0x0601:
		return "the chipset's LPC/ISA bridge";
	case 0x0c05:
		return "the SMBus controller";
	case 0x0c80:
		return "the chipset's SPI flash controller";
	default:
		return NULL;
	}
}

static void pcidev_clear(struct pcidev *d);

static struct pcidev *pcidev_free(struct pcidev *d)
{
	if (!d)
		return NULL;
	pcidev_clear(d);
	free(d);
	return NULL;
}

/* Free a snapshot; accepts NULL, returns NULL. */
struct pcidev_list *pcidev_list_free(struct pcidev_list *l)
{
	if (!l)
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		pcidev_free(l->devs[i]);
	free(l->devs);
	strv_free(l->drivers);
	free(l->pciback_permissive);
	free(l);
	return NULL;
}

static int read_id(struct sysfs *s, const char *bdf, const char *attr, uint32_t max,
		   uint32_t *ret)
{
	uint64_t v;
	int r;

	(void)bdf;
	r = sysfs_read_u64(s, &v, "%s", attr);
	if (r < 0)
		return r;
	if (v > max)
		return -ERANGE;
	*ret = (uint32_t)v;
	return 0;
}

/* Split a space-separated attribute value into a NULL-terminated array. */
static int split_words(const char *s, char ***ret)
{
	_cleanup_strv_free_ char **v = NULL;
	_cleanup_free_ char *copy = strdup(s);
	char *save = NULL, *w;
	size_t n = 0;

	if (!copy)
		return -ENOMEM;
	v = calloc(strlen(s) / 2 + 2, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
		v[n] = strdup(w);
		if (!v[n])
			return -ENOMEM;
		n++;
	}
	*ret = TAKE_PTR(v);
	return 0;
}

/* A small per-scan cache of driver -> module, since many devices share a driver. */
struct module_cache {
	char *driver[64];
	char *module[64];
	size_t n;
};

static void module_cache_clear(struct module_cache *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->driver[i]);
		free(c->module[i]);
	}
	c->n = 0;
}

static int driver_module(struct sysfs *s, struct module_cache *c, const char *driver,
			 char **ret)
{
	char name[NAME_MAX + 1];
	char *m = NULL;
	int r;

	for (size_t i = 0; i < c->n; i++)
		if (streq(c->driver[i], driver)) {
			m = c->module[i];
			goto out_copy;
		}
	r = sysfs_read_link_name(s, name, sizeof(name), "bus/pci/drivers/%s/module", driver);
	if (r >= 0) {
		m = strdup(name);
		if (!m)
			return -ENOMEM;
	} else if (r != -ENOENT) {
		return r;
	}
	if (c->n < ELEMENTSOF(c->driver)) {
		c->driver[c->n] = strdup(driver);
		if (!c->driver[c->n]) {
			free(m);
			return -ENOMEM;
		}
		c->module[c->n++] = m;
	} else {
		*ret = m;
		return 0;
	}
out_copy:
	if (m) {
		*ret = strdup(m);
		if (!*ret)
			return -ENOMEM;
	} else {
		*ret = NULL;
	}
	return 0;
}

/* Whether a pciback "slots" listing names this function. */
static bool slots_list(const char *slots, const char *bdf)
{
	size_t n = strlen(bdf);

	for (const char *p = slots; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);

		if (len == n && strncasecmp(p, bdf, n) == 0)
			return true;
		p = eol ? eol + 1 : NULL;
	}
	return false;
}

static int read_optional_int(struct sysfs *s, const char *bdf, const char *attr, int *ret)
{
	uint64_t v;
	int r;

	(void)bdf;
	r = sysfs_read_u64(s, &v, "%s", attr);
	if (r == -ENOENT) {
		*ret = -1;
		return 0;
	}
	if (r < 0)
		return r;
	*ret = v > INT_MAX ? INT_MAX : (int)v;
	return 0;
}

/* A PF's VF links: the kernel numbers them virtfn0, virtfn1, ... without holes. */
static int read_virtfns(struct sysfs *s, struct pcidev *d)
{
	char buf[NAME_MAX + 1];
	int r;

	strv_free(d->virtfns);
	d->virtfns = NULL;
	for (int n = 0; d->sriov_totalvfs >= 0; n++) {
		char **nv;

		r = sysfs_read_link_name(s, buf, sizeof(buf), "virtfn%d", n);
		if (r == -ENOENT)
			break;
		if (r < 0)
			return r;
		nv = realloc(d->virtfns, (n + 2) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		d->virtfns = nv;
		nv[n + 1] = NULL;
		nv[n] = strdup(buf);
		if (!nv[n])
			return -ENOMEM;
	}
	return 0;
}

/* What the details say before they are read: nothing known (-1). */
static void details_unknown(struct pcidev *d)
{
	d->header_type = -1;
	d->iommu_group = -1;
	d->boot_vga = -1;
	d->secondary_bus = -1;
	d->sriov_totalvfs = -1;
	d->sriov_numvfs = -1;
	d->sriov_autoprobe = -1;
	d->sriov_offset = d->sriov_stride = d->sriov_vf_device = -1;
}

/* Whether the directory NM lists (NULL: not listed, so maybe) has NAME. */
static bool may_have(const struct sysfs_names *nm, const char *name)
{
	return !nm || sysfs_names_has(nm, name);
}

/*
 * driver_override and the IOMMU group of D, from its directory S (whose
 * names NM lists, or NULL). Returns 0 or -errno.
 */
static int read_override_group(struct sysfs *s, const struct sysfs_names *nm, struct pcidev *d)
{
	char buf[PATH_MAX];
	int r = -ENOENT;

	d->driver_override = mfree(d->driver_override);
	if (may_have(nm, "driver_override"))
		r = sysfs_read_attr(s, buf, sizeof(buf), "driver_override");
	if (r >= 0 && !streq(buf, "(null)") && buf[0]) {
		d->driver_override = strdup(buf);
		if (!d->driver_override)
			return -ENOMEM;
	} else if (r < 0 && r != -ENOENT) {
		return r;
	}
	r = may_have(nm, "iommu_group") ? sysfs_read_link_name(s, buf, sizeof(buf), "iommu_group")
				       : -ENOENT;
	d->iommu_group = r >= 0 ? atoi(buf) : -1;
	return 0;
}

/*
 * What only show and explain print of D, from its directory S: the
 * revision (unless HAVE_REVISION: a full scan's cheap pass read it), the
 * header type (unless HAVE_HEADER: the details read config already) and
 * net/. Returns 0 or -errno.
 */
static int scan_shown(struct sysfs *s, struct pcidev *d, bool have_revision, bool have_header)
{
	uint8_t config[0x0f];
	uint32_t v;
	int n;

	if (!have_revision && read_id(s, d->bdf, "revision", 0xff, &v) == 0)
		d->revision = v;
	if (!have_header && sysfs_read_bin(s, config, sizeof(config), "config") > 0x0e) {
		d->header_type = config[0x0e] & 0x7f;
		d->multifunction = config[0x0e] & 0x80;
	}
	d->net_ifaces = strv_free(d->net_ifaces);
	n = sysfs_list_dir(s, &d->net_ifaces, "net");
	if (n == 0 || n == -ENOENT || n == -ENOTDIR)
		d->net_ifaces = strv_free(d->net_ifaces);
	else if (n < 0)
		return n;
	d->shown = true;
	return 0;
}

/*
 * The details of D from its directory S. FULL: also what only show prints
 * (config's header type of every function, net/); a change's decision
 * (load_one()) reads config only for a bridge, where it may carry the
 * secondary bus.
 */
static int scan_details(struct sysfs *s, const struct sysfs_names *nm, struct pcidev *d,
			bool full)
{
	char buf[PATH_MAX];
	uint8_t config[64];
	int r, n, ncfg = 0;

	r = read_override_group(s, nm, d);
	if (r < 0)
		return r;

	if (!d->modalias && may_have(nm, "modalias")) {
		r = sysfs_read_attr_alloc(s, &d->modalias, "modalias");
		if (r < 0 && r != -ENOENT)
			return r;
	}

	d->resettable = nm ? sysfs_names_has(nm, "reset") : sysfs_exists(s, "reset");
	r = may_have(nm, "reset_method") ? sysfs_read_attr(s, buf, sizeof(buf), "reset_method")
					 : -ENOENT;
	if (r >= 0) {
		r = split_words(buf, &d->reset_methods);
		if (r < 0)
			return r;
	} else if (r != -ENOENT) {
		return r;
	}

	/*
	 * The kernel makes these attributes only where they mean something
	 * (pci_dev_attrs_are_visible(), sriov_pf_attrs_are_visible()): boot_vga
	 * on a VGA function, secondary_bus_number on a bridge with a bus behind
	 * it, the sriov_* ones and virtfnN on an SR-IOV PF. Not asking where
	 * they cannot be saves a failed open each on every function a boot
	 * names.
	 */
	if (full || pcidev_is_bridge(d))
		ncfg = sysfs_read_bin(s, config, sizeof(config), "config");
	if (ncfg > 0x0e) {
		d->header_type = config[0x0e] & 0x7f;
		d->multifunction = config[0x0e] & 0x80;
	}
	if (((d->class >> 8) == 0x0300 || (d->class >> 8) == 0x0001) && may_have(nm, "boot_vga")) {
		r = read_optional_int(s, d->bdf, "boot_vga", &d->boot_vga);
		if (r < 0)
			return r;
	}
	if (pcidev_is_bridge(d) || d->header_type == 1) {
		r = may_have(nm, "secondary_bus_number")
			    ? read_optional_int(s, d->bdf, "secondary_bus_number", &d->secondary_bus)
			    : 0;
		if (r < 0)
			return r;
		if (d->secondary_bus < 0 && d->header_type == 1 && ncfg > 0x19)
			d->secondary_bus = config[0x19];
		/* A bus reset of everything behind it, from sysfs (Linux >= 6.13). */
		d->reset_subordinate = nm ? sysfs_names_has(nm, "reset_subordinate")
					  : sysfs_exists(s, "reset_subordinate");
	}
	r = may_have(nm, "sriov_totalvfs")
		    ? read_optional_int(s, d->bdf, "sriov_totalvfs", &d->sriov_totalvfs)
		    : 0;
	if (r < 0)
		return r;
	if (d->sriov_totalvfs >= 0) {
		r = read_optional_int(s, d->bdf, "sriov_numvfs", &d->sriov_numvfs);
		if (r == 0)
			r = read_optional_int(s, d->bdf, "sriov_drivers_autoprobe",
					      &d->sriov_autoprobe);
		if (r == 0)
			r = read_optional_int(s, d->bdf, "sriov_offset", &d->sriov_offset);
		if (r == 0)
			r = read_optional_int(s, d->bdf, "sriov_stride", &d->sriov_stride);
		if (r < 0)
			return r;
		if (sysfs_read_attr(s, buf, sizeof(buf), "sriov_vf_device") >= 0)
			d->sriov_vf_device = (int)strtol(buf, NULL, 16);
	}

	r = may_have(nm, "physfn") ? sysfs_read_link_name(s, buf, sizeof(buf), "physfn") : -ENOENT;
	if (r >= 0 && strlen(buf) < sizeof(d->physfn_bdf))
		strcpy(d->physfn_bdf, buf);

	r = read_virtfns(s, d);
	if (r < 0)
		return r;

	/* A vfio driver (vfio-pci or a variant) makes vfio-dev/vfioN (cdev, Linux >= 6.1). */
	if (d->driver && may_have(nm, "vfio-dev")) {
		_cleanup_strv_free_ char **v = NULL;

		n = sysfs_list_dir(s, &v, "vfio-dev");
		if (n > 0 && sysfs_valid_name(v[0])) {
			d->vfio_dev = strdup(v[0]);
			if (!d->vfio_dev)
				return -ENOMEM;
			/* A vfio variant driver (mlx5_vfio_pci, ...) holds it for passthrough too. */
			if (d->stub == PCIDEV_STUB_NONE && d->driver)
				d->stub = PCIDEV_STUB_VFIO_PCI;
		} else if (n < 0 && n != -ENOENT && n != -ENOTDIR) {
			return n;
		}
	}

	return full ? scan_shown(s, d, true, ncfg > 0x0e) : 0;
}

/* The upstream bridge is the directory the device's own directory sits in. */
static int parent_from_link(struct sysfs *devs, struct pcidev *d)
{
	char target[PATH_MAX], *slash, *prev;
	struct pci_addr a;
	int r;

	/* DEVS is bus/pci/devices: a one-component link is one readlinkat()
	 * (the link is only read; following it would leave DEVS) */
	r = sysfs_read_link(devs, target, sizeof(target), "%s", d->bdf);
	if (r < 0)
		return r == -EINVAL ? 0 : r; /* not a link: a flat hand-made tree */
	/*
	 * Where the link leads, from the root (bus/pci/devices is three deep):
	 * the details open it there, without walking the link again.
	 */
	if (!strncmp(target, "../../../devices/", 17) && !strstr(target + 9, "..")) {
		free(d->dir);
		d->dir = strdup(target + 9);
		if (!d->dir)
			return -ENOMEM;
	}
	slash = strrchr(target, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	prev = strrchr(target, '/');
	prev = prev ? prev + 1 : target;
	if (addr_parse_bdf(prev, &a) < 0 || strlen(prev) >= sizeof(d->parent_bdf))
		return 0;
	strcpy(d->parent_bdf, prev);
	return 0;
}

/* "KEY=HEX" or "KEY=HEX:HEX" on one line of a uevent; the value ends the line. */
static int uevent_hex(const char *ue, const char *key, int maxn, uint32_t *a, uint32_t *b)
{
	size_t n = strlen(key);

	for (const char *p = ue; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, n) || p[n] != '=')
			continue;
		p += n + 1;
		if (addr_parse_hex(&p, 1, maxn, a) < 0)
			return -EINVAL;
		if (b && (*p++ != ':' || addr_parse_hex(&p, 1, maxn, b) < 0))
			return -EINVAL;
		return *p == '\n' || *p == '\0' ? 0 : -EINVAL;
	}
	return -ENOENT;
}

/*
 * Vendor, device, class and subsystem IDs from the one uevent attribute
 * (PCI_CLASS, PCI_ID, PCI_SUBSYS_ID: the kernel's pci_uevent()), one read
 * instead of five. Returns 0, or -errno when the caller must read the
 * attributes one by one (no uevent, or one without these keys).
 */
static int read_uevent_ids(struct sysfs *ds, struct pcidev *d, bool want_modalias)
{
	char ue[1024];
	uint32_t cls, v, dev, sv, sd;
	int r;

	r = sysfs_read_attr(ds, ue, sizeof(ue), "uevent");
	if (r < 0)
		return r;
	if (uevent_hex(ue, "PCI_CLASS", 6, &cls, NULL) < 0 ||
	    uevent_hex(ue, "PCI_ID", 4, &v, &dev) < 0 ||
	    uevent_hex(ue, "PCI_SUBSYS_ID", 4, &sv, &sd) < 0)
		return -ENOENT;
	d->class = cls;
	d->vendor = v;
	d->device = dev;
	d->subsys_vendor = sv;
	d->subsys_device = sd;
	/*
	 * The same string as the modalias attribute (pci_uevent() and
	 * modalias_show() print one format): a change that names this
	 * function then reads one attribute fewer. Without the key, the
	 * details read the attribute.
	 */
	for (const char *p = ue; want_modalias && p && *p;
	     p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *eol;

		if (strncmp(p, "MODALIAS=", 9))
			continue;
		p += 9;
		eol = strchrnul(p, '\n');
		if (eol > p) {
			d->modalias = strndup(p, (size_t)(eol - p));
			if (!d->modalias)
				return -ENOMEM;
		}
		break;
	}
	return 0;
}

/* scan_one(): a function a PF scanned before says is its VF (it is no PF itself) */
#define SCAN_KNOWN_VF (1u << 8)

static int scan_one(struct sysfs *s, struct sysfs *devs, const char *bdf, struct module_cache *mc,
		    unsigned int flags, struct pcidev **ret)
{
	_cleanup_(sysfs_closep) struct sysfs *ds = NULL;
	struct pcidev *d;
	char buf[NAME_MAX + 1];
	uint32_t v;
	int r;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	details_unknown(d);

	r = addr_parse_bdf(bdf, &d->addr);
	if (r < 0)
		goto out_free;
	addr_format_bdf(&d->addr, d->bdf);
	/* Its link first: the parent, and where the directory is (d->dir). */
	r = parent_from_link(devs, d);
	if (r < 0)
		goto out_free;
	/* Every attribute below is read relative to the device's own directory. */
	if (d->dir)
		r = sysfs_open_sub(s, &ds, "%s", d->dir);
	else
		r = sysfs_open_sub(s, &ds, "bus/pci/devices/%s", bdf);
	if (r < 0)
		goto out_free;
	addr_format_qubes(&d->addr, d->qubes);

	r = read_uevent_ids(ds, d, !(flags & PCIDEV_SCAN_BASIC));
	if (r == -ENOMEM)
		goto out_free;
	if (r < 0) {
		if ((r = read_id(ds, bdf, "vendor", 0xffff, &v)) < 0)
			goto out_free;
		d->vendor = v;
		if ((r = read_id(ds, bdf, "device", 0xffff, &v)) < 0)
			goto out_free;
		d->device = v;
		if ((r = read_id(ds, bdf, "class", 0xffffff, &v)) < 0)
			goto out_free;
		d->class = v;
		if (read_id(ds, bdf, "subsystem_vendor", 0xffff, &v) == 0)
			d->subsys_vendor = v;
		if (read_id(ds, bdf, "subsystem_device", 0xffff, &v) == 0)
			d->subsys_device = v;
	}
	/* no decision reads the revision: a lazy snapshot leaves it to pcidev_load_shown() */
	if (!(flags & PCIDEV_SCAN_LAZY) && read_id(ds, bdf, "revision", 0xff, &v) == 0)
		d->revision = v;

	r = sysfs_read_link_name(ds, buf, sizeof(buf), "driver");
	if (r >= 0) {
		d->driver = strdup(buf);
		if (!d->driver) {
			r = -ENOMEM;
			goto out_free;
		}
		r = driver_module(s, mc, d->driver, &d->driver_module);
		if (r < 0)
			goto out_free;
	} else if (r != -ENOENT) {
		goto out_free;
	}
	d->stub = pcidev_stub_from_driver(d->driver);
	/* Before the details (vfio-dev/) are read: a variant by its name. */
	if (d->stub == PCIDEV_STUB_NONE && variant_name(d->driver))
		d->stub = PCIDEV_STUB_VFIO_PCI;

	if (flags & (PCIDEV_SCAN_BASIC | PCIDEV_SCAN_LAZY)) {
		/* list: IDs and driver, and what a Qubes PCI path needs of a bridge;
		 * lazy: the rest later, for the functions a change selects */
		if (flags & PCIDEV_SCAN_OVERRIDE) {
			r = read_override_group(ds, NULL, d);
			if (r < 0)
				goto out_free;
		}
		if (pcidev_is_bridge(d)) {
			r = read_optional_int(ds, d->bdf, "secondary_bus_number", &d->secondary_bus);
			if (r < 0)
				goto out_free;
			/* as scan_details(): a PCI-to-PCI bridge's config space has it too */
			if (d->secondary_bus < 0) {
				uint8_t config[0x1a];

				if (sysfs_read_bin(ds, config, sizeof(config), "config") ==
					    (int)sizeof(config) &&
				    (config[0x0e] & 0x7f) == 1)
					d->secondary_bus = config[0x19];
			}
		}
		/*
		 * list: a PF's VF count and where its VFs sit (one failed open
		 * on every other function); its VFs are found by address after
		 * the scan (link_vfs()), not by a readlink each.
		 */
		if ((flags & PCIDEV_SCAN_BASIC) && !(flags & SCAN_KNOWN_VF)) {
			r = read_optional_int(ds, d->bdf, "sriov_totalvfs", &d->sriov_totalvfs);
			if (r == 0 && d->sriov_totalvfs >= 0)
				r = read_optional_int(ds, d->bdf, "sriov_numvfs", &d->sriov_numvfs);
			if (r == 0 && d->sriov_numvfs > 0)
				r = read_optional_int(ds, d->bdf, "sriov_offset", &d->sriov_offset);
			if (r == 0 && d->sriov_numvfs > 0)
				r = read_optional_int(ds, d->bdf, "sriov_stride", &d->sriov_stride);
			if (r < 0)
				goto out_free;
		}
	} else {
		r = scan_details(ds, NULL, d, true);
		if (r < 0)
			goto out_free;
		d->details = true;
	}
	*ret = d;
	return 0;

out_free:
	pcidev_free(d);
	return r;
}

/* Facts of the bus as a whole: registered drivers, pciback's lists, Xen. */
static int scan_bus(struct sysfs *s, struct pcidev_list *l, char **ret_slots)
{
	char type[32];
	int r;

	l->drivers = strv_free(l->drivers);
	l->pciback_permissive = mfree(l->pciback_permissive);
	*ret_slots = NULL;
	r = sysfs_list_dir(s, &l->drivers, "bus/pci/drivers");
	if (r < 0 && r != -ENOENT)
		return r;
	l->have_pciback = sysfs_exists(s, "bus/pci/drivers/pciback");
	if (l->have_pciback) {
		r = sysfs_read_attr_alloc(s, ret_slots, "bus/pci/drivers/pciback/slots");
		if (r < 0 && r != -ENOENT)
			return r;
		r = sysfs_read_attr_alloc(s, &l->pciback_permissive,
					  "bus/pci/drivers/pciback/permissive");
		if (r < 0 && r != -ENOENT)
			return r;
	}
	l->xen = sysfs_read_attr(s, type, sizeof(type), "hypervisor/type") > 0 &&
		 streq(type, "xen");
	return 0;
}

/* What pciback's slots lists: one pass over the list, not one per device. */
static void mark_slots(struct pcidev_list *l, const char *slots)
{
	for (size_t i = 0; i < l->n; i++)
		l->devs[i]->in_pciback_slots = false;
	for (const char *p = slots; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char bdf[ADDR_BDF_MAX];
		struct pcidev *d;

		if (len < sizeof(bdf)) {
			memcpy(bdf, p, len);
			bdf[len] = '\0';
			d = pcidev_find_bdf(l, bdf);
			if (d)
				d->in_pciback_slots = true;
		}
		p = eol ? eol + 1 : NULL;
	}
}

static void pcidev_clear(struct pcidev *d)
{
	free(d->dir);
	free(d->driver);
	free(d->driver_module);
	free(d->driver_override);
	free(d->modalias);
	strv_free(d->reset_methods);
	strv_free(d->virtfns);
	strv_free(d->net_ifaces);
	free(d->vfio_dev);
}

/*
 * After a change: read the functions BDFS name again, in place, so that the
 * links other functions have to them stay valid, and the bus-wide facts
 * (registered drivers, pciback's lists). Cheaper than a new snapshot when a
 * run changes one slot after another (boot). Returns 0 or -errno.
 */
int pcidev_refresh(struct sysfs *s, struct pcidev_list *l, char *const *bdfs, size_t n)
{
	_cleanup_(sysfs_closep) struct sysfs *devs = NULL;
	_cleanup_free_ char *slots = NULL;
	struct module_cache mc = { .n = 0 };
	int r;

	r = sysfs_open_sub(s, &devs, "bus/pci/devices");
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && r >= 0; i++) {
		struct pcidev *d = pcidev_find_bdf(l, bdfs[i]), *fresh = NULL;
		struct pcidev *parent, *physfn;

		if (!d)
			continue;
		r = scan_one(s, devs, d->bdf, &mc, 0, &fresh);
		if (r < 0)
			break;
		parent = d->parent;
		physfn = d->physfn;
		pcidev_clear(d);
		*d = *fresh;
		d->parent = parent;
		d->physfn = physfn;
		free(fresh);
	}
	module_cache_clear(&mc);
	if (r >= 0)
		r = scan_bus(s, l, &slots);
	if (r >= 0)
		mark_slots(l, slots);
	return r;
}

/* [*lo, *hi): the functions of D's slot, contiguous in the sorted snapshot. */
static void slot_range(const struct pcidev_list *l, const struct pcidev *d, size_t *lo,
		       size_t *hi)
{
	struct pci_addr first = d->addr;
	size_t a = 0, b = l->n;

	first.func = 0;
	while (a < b) {
		size_t mid = a + (b - a) / 2;

		if (addr_cmp(&l->devs[mid]->addr, &first) < 0)
			a = mid + 1;
		else
			b = mid;
	}
	*lo = a;
	while (a < l->n && addr_same_slot(&l->devs[a]->addr, &d->addr))
		a++;
	*hi = a;
}

/* Read the details of D alone, if a lazy scan left them out. */
static int load_one(struct sysfs *s, const struct pcidev_list *l, struct pcidev *d)
{
	_cleanup_(sysfs_closep) struct sysfs *ds = NULL;
	struct sysfs_names nm;
	int r;

	if (d->details)
		return 0;
	/*
	 * Its names once (two getdents64): what the kernel did not make is
	 * not opened to learn so, and the holders walk knows whether there is
	 * any subdirectory to walk.
	 */
	if (d->dir)
		r = sysfs_open_listed(s, &ds, &nm, "%s", d->dir);
	else
		r = sysfs_open_listed(s, &ds, &nm, "bus/pci/devices/%s", d->bdf);
	if (r < 0)
		return r;
	/* a bridge's secondary bus is read again */
	details_unknown(d);
	r = scan_details(ds, &nm, d, false);
	d->no_node_dirs = !nm.node_dirs;
	sysfs_names_done(&nm);
	if (r < 0)
		return r;
	if (d->physfn_bdf[0])
		d->physfn = pcidev_find_bdf(l, d->physfn_bdf);
	d->details = true;
	return 0;
}

/*
 * After a PCIDEV_SCAN_LAZY snapshot: read the details of D and of what a
 * plan or a guard about D looks at: the other functions of its slot, its
 * bridge and what is behind that bridge (a bus reset). Each function is
 * read once. The members of its IOMMU group are pcidev_load_group()'s.
 * Returns 0 or -errno.
 */
int pcidev_load_details(struct sysfs *s, struct pcidev_list *l, struct pcidev *d)
{
	size_t lo, hi;
	int r;

	if (d->related)
		return 0;
	r = load_one(s, l, d);
	if (r < 0)
		return r;
	slot_range(l, d, &lo, &hi);
	for (size_t i = lo; i < hi; i++) {
		r = load_one(s, l, l->devs[i]);
		if (r < 0)
			return r;
	}
	/*
	 * A bus reset behind D's bridge (plan_bus_reset()) reads the bridge's
	 * reset_subordinate and what the kernel offers each function behind it;
	 * once per bridge (the VFs and functions behind one root port share it).
	 */
	if (d->parent && !d->parent->behind_loaded) {
		const struct pcidev *behind[64];
		size_t nb = pcidev_behind(l, d->parent, behind, ELEMENTSOF(behind));

		r = load_one(s, l, d->parent);
		for (size_t i = 0; r >= 0 && i < nb && i < ELEMENTSOF(behind); i++)
			r = load_one(s, l, (struct pcidev *)behind[i]);
		if (r < 0)
			return r;
		d->parent->behind_loaded = true;
	}
	/* a boot asks again for each function of a slot */
	d->related = true;
	return 0;
}

/*
 * The details of the other members of D's IOMMU group (pcidev_load_details()
 * first): what VFIO's viability and --group read. Its directory is listed
 * once. Returns 0 or -errno.
 */
int pcidev_load_group(struct sysfs *s, struct pcidev_list *l, struct pcidev *d)
{
	_cleanup_strv_free_ char **members = NULL;
	int r;

	if (d->group_loaded)
		return 0;
	r = pcidev_iommu_members(s, d, &members);
	if (r < 0 && r != -ENOENT)
		return r;
	for (char **m = members; m && *m; m++) {
		struct pcidev *o = pcidev_find_bdf(l, *m);

		if (o) {
			r = load_one(s, l, o);
			if (r < 0)
				return r;
		}
	}
	d->group_loaded = true;
	return 0;
}

/* What only show prints of D (pcidev_load_details() first). Returns 0 or -errno. */
int pcidev_load_shown(struct sysfs *s, struct pcidev *d)
{
	_cleanup_(sysfs_closep) struct sysfs *ds = NULL;
	int r;

	if (d->shown)
		return 0;
	if (d->dir)
		r = sysfs_open_sub(s, &ds, "%s", d->dir);
	else
		r = sysfs_open_sub(s, &ds, "bus/pci/devices/%s", d->bdf);
	if (r < 0)
		return r;
	return scan_shown(ds, d, false, d->header_type >= 0);
}

/* Read the details a lazy snapshot left out, of every function. Returns 0 or -errno. */
int pcidev_load_all_details(struct sysfs *s, struct pcidev_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		int r = load_one(s, l, l->devs[i]);

		if (r == 0)
			r = pcidev_load_shown(s, l->devs[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Where a PF's VFs sit: routing IDs first, first + stride, ... (n of them). */
struct vf_range {
	unsigned int domain;
	int first, stride, n;
};

/*
 * list's cheap pass: each PF's VFs from where the kernel puts them (routing
 * ID + sriov_offset + i * sriov_stride, drivers/pci/iov.c), found by address
 * in the sorted snapshot: their physfn and the PF's virtfns, without a
 * readlink per VF. Returns 0 or -ENOMEM.
 */
static int link_vfs(struct pcidev_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct pcidev *pf = l->devs[i];
		int rid = pf->addr.bus << 8 | pf->addr.slot << 3 | pf->addr.func;

		if (pf->sriov_numvfs <= 0 || pf->sriov_offset < 0 || pf->sriov_stride < 0 ||
		    pf->virtfns)
			continue;
		pf->virtfns = calloc((size_t)pf->sriov_numvfs + 1, sizeof(*pf->virtfns));
		if (!pf->virtfns)
			return -ENOMEM;
		for (int k = 0, n = 0; k < pf->sriov_numvfs; k++) {
			int v = rid + pf->sriov_offset + k * pf->sriov_stride;
			struct pci_addr a = { .domain = pf->addr.domain,
					      .bus = (unsigned int)v >> 8 & 0xff,
					      .slot = (unsigned int)v >> 3 & 0x1f,
					      .func = (unsigned int)v & 7 };
			struct pcidev *vf = v <= 0xffff ? pcidev_find(l, &a) : NULL;

			if (!vf)
				continue; /* not there (yet): no link to guess */
			pf->virtfns[n] = strdup(vf->bdf);
			if (!pf->virtfns[n++])
				return -ENOMEM;
			if (!vf->physfn_bdf[0]) {
				strcpy(vf->physfn_bdf, pf->bdf);
				vf->physfn = pf;
			}
		}
	}
	return 0;
}

static int cmp_dev(const void *a, const void *b)
{
	const struct pcidev *x = *(struct pcidev *const *)a, *y = *(struct pcidev *const *)b;

	return addr_cmp(&x->addr, &y->addr);
}

/*
 * Read every function under bus/pci/devices into a snapshot sorted by
 * address. A directory entry that is not a valid BDF is skipped. With
 * PCIDEV_SCAN_BASIC only identity, driver and bridges' secondary bus are
 * read (what list prints). Returns 0 or -errno (-ENOENT: no
 * bus/pci/devices under the root).
 */
int pcidev_scan(struct sysfs *s, unsigned int flags, struct pcidev_list **ret)
{
	_cleanup_(pcidev_list_freep) struct pcidev_list *l = NULL;
	_cleanup_(sysfs_closep) struct sysfs *devs = NULL;
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_free_ char *slots = NULL;
	struct module_cache mc = { .n = 0 };
	_cleanup_free_ struct vf_range *ranges = NULL;
	size_t n_ranges = 0, a_ranges = 0;
	int n, r = 0;

	n = sysfs_list_dir(s, &names, "bus/pci/devices");
	if (n < 0)
		return n;
	r = sysfs_open_sub(s, &devs, "bus/pci/devices");
	if (r < 0)
		return r;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->devs = calloc(n + 1, sizeof(*l->devs));
	if (!l->devs)
		return -ENOMEM;

	r = scan_bus(s, l, &slots);
	if (r < 0)
		return r;

	for (int i = 0; i < n; i++) {
		struct pci_addr a;
		unsigned int f = flags;

		if (addr_parse_bdf(names[i], &a) < 0 || !sysfs_valid_name(names[i]))
			continue;
		/* list: where the PFs read so far put their VFs (names are sorted) */
		for (size_t k = 0; (flags & PCIDEV_SCAN_BASIC) && k < n_ranges; k++) {
			int rid = (int)(a.bus << 8 | a.slot << 3 | a.func) - ranges[k].first;

			if (a.domain == ranges[k].domain && rid >= 0 &&
			    rid % ranges[k].stride == 0 && rid / ranges[k].stride < ranges[k].n) {
				f |= SCAN_KNOWN_VF;
				break;
			}
		}
		r = scan_one(s, devs, names[i], &mc, f, &l->devs[l->n]);
		if (r == -ENOENT)
			continue; /* removed while we looked (hot-unplug) */
		if (r < 0)
			goto out_clear_cache;
		if ((flags & PCIDEV_SCAN_BASIC) && l->devs[l->n]->sriov_numvfs > 0 &&
		    l->devs[l->n]->sriov_offset >= 0 && l->devs[l->n]->sriov_stride > 0) {
			const struct pcidev *pf = l->devs[l->n];

			if (n_ranges == a_ranges) {
				size_t na = a_ranges ? a_ranges * 2 : 16;
				void *nv = realloc(ranges, na * sizeof(*ranges));

				if (!nv) {
					r = -ENOMEM;
					goto out_clear_cache;
				}
				ranges = nv;
				a_ranges = na;
			}
			ranges[n_ranges++] = (struct vf_range){
				.domain = pf->addr.domain,
				.first = (int)(pf->addr.bus << 8 | pf->addr.slot << 3 | pf->addr.func) +
					 pf->sriov_offset,
				.stride = pf->sriov_stride,
				.n = pf->sriov_numvfs,
			};
		}
		l->n++;
	}
	r = 0;

	/* Link parents and PFs by address once every device is known. */
	qsort(l->devs, l->n, sizeof(*l->devs), cmp_dev);
	for (size_t i = 0; i < l->n; i++) {
		struct pcidev *d = l->devs[i];

		if (d->parent_bdf[0])
			d->parent = pcidev_find_bdf(l, d->parent_bdf);
		if (d->physfn_bdf[0])
			d->physfn = pcidev_find_bdf(l, d->physfn_bdf);
	}
	if (flags & PCIDEV_SCAN_BASIC) {
		r = link_vfs(l);
		if (r < 0)
			goto out_clear_cache;
	}
	mark_slots(l, slots);
	trace_point("snapshot of %zu functions%s", l->n,
		    flags & (PCIDEV_SCAN_BASIC | PCIDEV_SCAN_LAZY) ? " (cheap pass)" : "");
	*ret = TAKE_PTR(l);

out_clear_cache:
	module_cache_clear(&mc);
	return r;
}

/* The function at address A, or NULL (a binary search: the snapshot is sorted). */
struct pcidev *pcidev_find(const struct pcidev_list *l, const struct pci_addr *a)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = addr_cmp(&l->devs[mid]->addr, a);

		if (c == 0)
			return l->devs[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The function named BDF ("0000:00:1d.0"), or NULL. */
struct pcidev *pcidev_find_bdf(const struct pcidev_list *l, const char *bdf)
{
	struct pci_addr a;

	if (addr_parse_bdf(bdf, &a) < 0)
		return NULL;
	return pcidev_find(l, &a);
}

/*
 * Collect the functions of D's slot (D included) into OUT, up to MAX, in
 * address order. Returns how many there are.
 */
size_t pcidev_slot_functions(const struct pcidev_list *l, const struct pcidev *d,
			     struct pcidev **out, size_t max)
{
	size_t n = 0, lo, hi;

	slot_range(l, d, &lo, &hi);
	for (size_t i = lo; i < hi; i++) {
		if (n < max)
			out[n] = l->devs[i];
		n++;
	}
	return n;
}

/*
 * D's Qubes PCI path ("00_1c.0-00_00.0"): the first hop on its root bus,
 * every later bus relative to the secondary bus of the bridge before it, a
 * non-zero domain in front ("0001_..."). Returns 0, -ENOSPC, or -EINVAL when
 * a bridge's secondary bus is unknown.
 */
int pcidev_qubes_path(const struct pcidev *d, char *buf, size_t size)
{
	const struct pcidev *chain[257]; /* 256 buses deep at most, then a loop */
	size_t n = 0, len = 0;

	for (const struct pcidev *x = d; x; x = x->parent) {
		if (n == ELEMENTSOF(chain))
			return -EINVAL;
		chain[n++] = x;
	}
	buf[0] = '\0';
	if (d->addr.domain)
		len += snprintf(buf, size, "%04x_", d->addr.domain);
	for (size_t i = n; i-- > 0;) {
		const struct pcidev *x = chain[i];
		int base = i + 1 < n ? chain[i + 1]->secondary_bus : 0;

		if (base < 0 || (int)x->addr.bus < base)
			return -EINVAL;
		if (len < size)
			len += snprintf(buf + len, size - len, "%s%02x_%02x.%x", i + 1 < n ? "-" : "",
					x->addr.bus - base, x->addr.slot, x->addr.func);
	}
	return len < size ? 0 : -ENOSPC;
}

/* The BDFs in D's IOMMU group, sorted. Returns the count, 0 without a group, or -errno. */
int pcidev_iommu_members(struct sysfs *s, const struct pcidev *d, char ***ret)
{
	if (d->iommu_group < 0) {
		*ret = NULL;
		return 0;
	}
	return sysfs_list_dir(s, ret, "kernel/iommu_groups/%d/devices", d->iommu_group);
}

/* Another function sits on D's bus (a secondary bus reset would hit it too). */
static bool bus_shared(const struct pcidev_list *l, const struct pcidev *d)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct pcidev *o = l->devs[i];

		if (o != d && o->addr.domain == d->addr.domain && o->addr.bus == d->addr.bus)
			return true;
	}
	return false;
}

/*
 * Whether writing D's reset attribute can succeed. The kernel computes
 * reset_method once, at probe: a device alone on its bus keeps "bus" after
 * a sibling appears behind the same bridge, and pci_parent_bus_reset() then
 * answers ENOTTY (drivers/pci/pci.c: any other device on the bus). So a
 * device whose only methods are bus resets, on a shared bus, is not
 * resettable, whatever the attribute says.
 */
bool pcidev_reset_works(const struct pcidev_list *l, const struct pcidev *d)
{
	if (!d->resettable)
		return false;
	if (!d->reset_methods || !d->reset_methods[0])
		return true;
	for (char **m = d->reset_methods; *m; m++)
		if (!streq(*m, "bus") && !streq(*m, "cxl_bus"))
			return true;
	return !bus_shared(l, d);
}

/*
 * Every function behind BRIDGE (on its secondary bus and the buses below),
 * in snapshot (address) order, into OUT. Returns their count, which may
 * exceed MAX; OUT holds the first MAX.
 */
size_t pcidev_behind(const struct pcidev_list *l, const struct pcidev *bridge,
		     const struct pcidev **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; bridge && i < l->n; i++) {
		const struct pcidev *d = l->devs[i];
		bool below = false;

		for (const struct pcidev *p = d->parent; p && !below; p = p->parent)
			below = p == bridge;
		if (!below)
			continue;
		if (n < max)
			out[n] = d;
		n++;
	}
	return n;
}

/*
 * Say in BUF why D is or is not resettable, in the kernel's terms.
 * Returns 0 or -ENOSPC if BUF is too small.
 */
int pcidev_reset_reason(const struct pcidev_list *l, const struct pcidev *d, char *buf,
			size_t size)
{
	FILE *f = fmemopen(buf, size, "w");
	size_t others = 0;

	if (!f)
		return -errno;
	if (d->resettable && !pcidev_reset_works(l, d)) {
		fputs("not resettable: the kernel offers only a bus reset (reset_method is computed "
		      "once, at probe), but bus reset is impossible now: bus",
		      f);
		fprintf(f, " %02x is shared with", d->addr.bus);
		for (size_t i = 0; i < l->n; i++) {
			const struct pcidev *o = l->devs[i];

			if (o != d && o->addr.domain == d->addr.domain && o->addr.bus == d->addr.bus)
				fprintf(f, "%s %s", others++ ? "," : "", o->bdf);
		}
		fputs(", so writing reset fails (ENOTTY)", f);
		goto out_close;
	}
	if (d->resettable) {
		if (d->reset_methods && d->reset_methods[0]) {
			fputs("resettable: the kernel offers", f);
			for (char **m = d->reset_methods; *m; m++)
				fprintf(f, "%s %s", m == d->reset_methods ? "" : ",", *m);
		} else {
			fputs("resettable: the kernel offers a reset (it does not list the methods)",
			      f);
		}
		goto out_close;
	}
	fputs("not resettable: the kernel offers no reset method (no FLR, no PM reset)", f);
	if (!d->parent) {
		fprintf(f, "; bus reset impossible: it sits on root bus %02x, which has no bridge to reset",
			d->addr.bus);
		goto out_close;
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct pcidev *o = l->devs[i];

		if (o == d || o->addr.domain != d->addr.domain || o->addr.bus != d->addr.bus)
			continue;
		fprintf(f, "%s%s", others++ ? ", " : "; bus reset impossible: bus shared with ",
			o->bdf);
	}
	if (!others)
		fprintf(f, "; the kernel will not reset bus %02x behind bridge %s", d->addr.bus,
			d->parent->bdf);
out_close:
	if (fclose(f) != 0 || strlen(buf) + 1 >= size)
		return -ENOSPC;
	return 0;
}

/*
 * IOMMU group facts, pure over the snapshot: since Linux 5.19 a VFIO group
 * can be claimed only when every other member of the IOMMU group has no
 * driver, a vfio driver, pci-stub, or (bridges) pcieport: drivers with
 * driver_managed_dma. Binding vfio-pci succeeds either way; QEMU fails later
 * with "group N is not viable". The planner and doctor read them here.
 */
/* vfio-pci itself or a variant ("mlx5_vfio_pci", "xe-vfio-pci"). */
bool pcidev_is_vfio_driver(const char *driver)
{
	size_t n = driver ? strlen(driver) : 0;

	if (!driver)
		return false;
	return streq(driver, "vfio-pci") || streq(driver, "vfio_pci") ||
	       (n > 9 &&
		(streq(driver + n - 9, "_vfio_pci") || streq(driver + n - 9, "-vfio-pci")));
}

/* Whether a vfio driver holds D: its vfio-dev/ directory, or vfio-pci by name. */
bool pcidev_vfio_holds(const struct pcidev *d)
{
	return d->driver && (d->vfio_dev || pcidev_is_vfio_driver(d->driver));
}

static bool in_set(struct pcidev *const *set, size_t n, const struct pcidev *d)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == d)
			return true;
	return false;
}

/* How member D counts for its group's viability once MOVING went to vfio. */
enum pcidev_group_member pcidev_group_member_state(const struct pcidev *d,
						   struct pcidev *const *moving, size_t n_moving)
{
	if (in_set(moving, n_moving, d))
		return PCIDEV_GROUP_MOVING;
	if (!d->driver)
		return PCIDEV_GROUP_UNBOUND;
	if (pcidev_vfio_holds(d))
		return PCIDEV_GROUP_VFIO;
	if (streq(d->driver, "pci-stub"))
		return PCIDEV_GROUP_PCI_STUB;
	if (streq(d->driver, "pcieport") && pcidev_is_bridge(d))
		return PCIDEV_GROUP_PCIEPORT;
	return PCIDEV_GROUP_BLOCKS;
}

const char *pcidev_group_member_name(enum pcidev_group_member m)
{
	static const char *const names[] = {
		[PCIDEV_GROUP_UNBOUND] = "no driver",
		[PCIDEV_GROUP_VFIO] = "vfio",
		[PCIDEV_GROUP_PCI_STUB] = "pci-stub",
		[PCIDEV_GROUP_PCIEPORT] = "pcieport bridge",
		[PCIDEV_GROUP_MOVING] = "moves to vfio",
		[PCIDEV_GROUP_BLOCKS] = "blocks",
	};

	return m <= PCIDEV_GROUP_BLOCKS ? names[m] : "?";
}

/* The members of IOMMU group GROUP in the snapshot, in address order. Returns the count. */
size_t pcidev_group_members(const struct pcidev_list *l, int group, const struct pcidev **out,
			    size_t max)
{
	size_t n = 0;

	if (group < 0)
		return 0;
	for (size_t i = 0; i < l->n; i++) {
		if (l->devs[i]->iommu_group != group)
			continue;
		if (n < max)
			out[n] = l->devs[i];
		n++;
	}
	return n;
}

/*
 * The members of GROUP that would keep it from being viable once MOVING
 * went to vfio: "0000:02:02.0 (e1000), ..." in BUF. Returns their count,
 * 0 if the group would be viable, or -ENOSPC.
 */
int pcidev_group_blockers(const struct pcidev_list *l, int group, struct pcidev *const *moving,
			  size_t n_moving, char *buf, size_t size)
{
	size_t len = 0;
	int n = 0;

	if (size)
		buf[0] = '\0';
	if (group < 0)
		return 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct pcidev *d = l->devs[i];

		if (d->iommu_group != group ||
		    pcidev_group_member_state(d, moving, n_moving) != PCIDEV_GROUP_BLOCKS)
			continue;
		n++;
		len += snprintf(buf + (len < size ? len : size), len < size ? size - len : 0,
				"%s%s (%s)", len ? ", " : "", d->bdf, d->driver);
	}
	return len < size ? n : -ENOSPC;
}

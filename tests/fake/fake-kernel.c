/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A fake kernel for fixture trees: linked into build/pcibind-fake with
 * -Wl,--wrap= sysfs_open, sysfs_write and kmodq_load, it applies what the kernel
 * does on each write (drivers/base/bus.c, dd.c, drivers/pci/pci-driver.c,
 * drivers/xen/xen-pciback/pci_stub.c) to the fixture:
 *
 *   driver_override   stored; "" or "\n" clears it to "(null)"
 *   D/unbind BDF      -ENODEV unless bound to D; removes the driver links
 *   D/bind BDF        -ENODEV for no such device or no match (override names
 *                     another driver; no ID match), -EBUSY if bound; probe:
 *                     pciback takes a listed slot or an override to pciback
 *                     (and lists the slot itself), vfio-pci needs an IOMMU
 *                     group (-EINVAL)
 *   drivers_probe BDF binds the matching driver if any, and succeeds even
 *                     when nothing binds
 *   pciback new_slot  appends (duplicates allowed); remove_slot removes all
 *                     matches or -ENOENT; permissive needs the device bound
 *                     to pciback (-ENODEV)
 *   load module M     registers the drivers .fake/modules/M names, then
 *                     binds unbound devices that match them (autoprobe)
 *   PF/sriov_numvfs N -ENOENT without a driver on the PF, -ERANGE above
 *                     sriov_totalvfs, -EBUSY for N > 0 while VFs exist; 0
 *                     removes every VF (directories, virtfnK, bus and group
 *                     links); N > 0 makes VFs next to the PF (sriov_offset,
 *                     sriov_stride, sriov_vf_device), each in a new IOMMU
 *                     group, probed only when sriov_drivers_autoprobe is 1
 *   a VF's probe      (bind, drivers_probe) -ENODEV without driver_override
 *                     while its PF's sriov_drivers_autoprobe is 0
 *                     (pci_device_can_probe())
 *
 * Matching without an override uses .fake/ids/DRIVER ("vvvv:dddd" lines).
 * Environment: PCIBIND_FAKE_FAIL="N:ERRNO" fails operation N (1-based; a
 * write or a module load) with ERRNO and no effect; PCIBIND_FAKE_FAIL="N:kill"
 * kills the process with SIGKILL before operation N; "N:silent" makes it
 * succeed without effect (as drivers_probe does when nothing binds); PCIBIND_FAKE_LOG=FILE
 * appends every operation that took effect, in --dry-run's words.
 *
 * VFIO's hot reset (-Wl,--wrap=vfio_hot_reset): every function it covers
 * must be bound to vfio-pci (else -EINVAL, as vfio_pci_dev_set_hot_reset()
 * answers for a device not owned through the groups passed); each covered
 * function's command register (config bytes 4-5) is cleared, as a bus
 * reset does, and the log gets "vfio-hot-reset COVERS".
 *
 * Xen (-Wl,--wrap=xen_open): on a fixture that xen.c takes for a dom0
 * (hypervisor/type "xen", xen/capabilities "control_d" under --proc-root),
 * the Xen libraries are replaced by files under .fake/xen/:
 *   quarantined       BDFs in DOM_IO: de-assign takes one out (0), else ENODEV
 *   deassign-errno    de-assign answers this errno (EACCES, ESRCH, ...) instead
 *   deassign-noop     de-assign answers 0 and changes nothing (a lying Xen)
 *   assigned          BDFs a guest owns: test_assign answers EINVAL
 *   test-assign-errno test_assign answers this errno (e.g. ELIBACC: no libxenctrl)
 *   store/            xenstore as a tree: a node with children is a directory,
 *                     a value is a file; absent: xenstore unreadable (ENOENT)
 *   store-dumps       one line appended per xenstore read (tests count them)
 * PCIBIND_FAKE_LOG gets "xen-deassign DOMID_IO BDF" for each de-assign step (0 or
 * ENODEV), not for the executor's check that asks again.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kmodq.h"
#include "plan.h"
#include "proc.h"
#include "sysfs.h"
#include "vfio.h"
#include "xen.h"

int __real_sysfs_open(const char *dir, struct sysfs **ret);
int __wrap_sysfs_open(const char *dir, struct sysfs **ret);
int __wrap_sysfs_write(struct sysfs *s, const char *path, const char *value);
int __wrap_kmodq_load(struct kmodq *q, const char *module);

static const char *root;
static unsigned int op_count;

static char *rpath(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *rpath(const char *fmt, ...)
{
	static char buf[4][PATH_MAX];
	static int k;
	char rel[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	k = (k + 1) % 4;
	if ((size_t)snprintf(buf[k], sizeof(buf[k]), "%s/%s", root, rel) >= sizeof(buf[k]))
		abort(); /* fixture paths are short; a long one is a test bug */
	return buf[k];
}

static int read_text(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return 0;
}

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -errno;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* "devices/pci0000:00/0000:00:1f.6", from the bus/pci/devices link. */
static int device_dir(const char *bdf, char *buf, size_t size)
{
	char target[PATH_MAX];
	const char *p = target;
	ssize_t n = readlink(rpath("bus/pci/devices/%s", bdf), target, sizeof(target) - 1);

	if (n < 0)
		return -ENODEV;
	target[n] = '\0';
	while (strncmp(p, "../", 3) == 0)
		p += 3;
	snprintf(buf, size, "%s", p);
	return 0;
}

static int depth(const char *rel)
{
	int d = 1;

	for (const char *c = rel; *c; c++)
		d += *c == '/';
	return d;
}

static void up(char *buf, size_t size, int levels, const char *rest)
{
	buf[0] = '\0';
	for (int i = 0; i < levels; i++)
		strncat(buf, "../", size - strlen(buf) - 1);
	strncat(buf, rest, size - strlen(buf) - 1);
}

static void bound_driver(const char *bdf, char *buf, size_t size)
{
	char target[PATH_MAX];
	ssize_t n = readlink(rpath("bus/pci/devices/%s/driver", bdf), target, sizeof(target) - 1);
	const char *base;

	buf[0] = '\0';
	if (n < 0)
		return;
	target[n] = '\0';
	base = strrchr(target, '/');
	if ((size_t)snprintf(buf, size, "%s", base ? base + 1 : target) >= size)
		buf[0] = '\0';
}

static void override_of(const char *bdf, char *buf, size_t size)
{
	if (read_text(rpath("bus/pci/devices/%s/driver_override", bdf), buf, size) < 0 ||
	    strcmp(buf, "(null)") == 0)
		buf[0] = '\0';
}

static bool listed(const char *file, const char *bdf)
{
	char buf[8192], *save = NULL;

	if (read_text(file, buf, sizeof(buf)) < 0)
		return false;
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (strcasecmp(l, bdf) == 0)
			return true;
	return false;
}

static int append_line(const char *file, const char *bdf)
{
	char buf[8192] = "";

	(void)read_text(file, buf, sizeof(buf));
	if (buf[0])
		strncat(buf, "\n", sizeof(buf) - strlen(buf) - 1);
	strncat(buf, bdf, sizeof(buf) - strlen(buf) - 1);
	strncat(buf, "\n", sizeof(buf) - strlen(buf) - 1);
	return write_text(file, buf);
}

static bool ids_match(const char *driver, const char *bdf)
{
	char vendor[16] = "", device[16] = "", want[40];

	if (read_text(rpath("bus/pci/devices/%s/vendor", bdf), vendor, sizeof(vendor)) < 0 ||
	    read_text(rpath("bus/pci/devices/%s/device", bdf), device, sizeof(device)) < 0)
		return false;
	snprintf(want, sizeof(want), "%s:%s", vendor + 2, device + 2);
	return listed(rpath(".fake/ids/%s", driver), want);
}

static int link_driver(const char *driver, const char *bdf)
{
	char dev[PATH_MAX], target[PATH_MAX];

	if (device_dir(bdf, dev, sizeof(dev)) < 0)
		return -ENODEV;
	up(target, sizeof(target), depth(dev), "bus/pci/drivers/");
	strncat(target, driver, sizeof(target) - strlen(target) - 1);
	if (symlink(target, rpath("%s/driver", dev)) < 0)
		return -errno;
	up(target, sizeof(target), 4, dev);
	if (symlink(target, rpath("bus/pci/drivers/%s/%s", driver, bdf)) < 0)
		return -errno;
	return 0;
}

/* pci_device_can_probe(): a VF is probed only while its PF's autoprobe is on. */
static bool vf_can_probe(const char *bdf)
{
	char v[16];

	if (!exists(rpath("bus/pci/devices/%s/physfn", bdf)))
		return true;
	return read_text(rpath("bus/pci/devices/%s/physfn/sriov_drivers_autoprobe", bdf), v,
			 sizeof(v)) < 0 ||
	       strcmp(v, "0") != 0;
}

/* The probe: does DRIVER take BDF? Returns 0 (bound) or the probe's -errno. */
static int probe(const char *driver, const char *bdf)
{
	char ovr[256];
	bool slot = listed(rpath("bus/pci/drivers/pciback/slots"), bdf);

	override_of(bdf, ovr, sizeof(ovr));
	if (ovr[0] && strcmp(ovr, driver) != 0)
		return -ENODEV;
	if (!ovr[0] && !vf_can_probe(bdf))
		return -ENODEV;
	if (!ovr[0] && !ids_match(driver, bdf) && !(strcmp(driver, "pciback") == 0 && slot))
		return -ENODEV;
	if (strcmp(driver, "pciback") == 0 && !slot) {
		if (!ovr[0])
			return -ENODEV;
		/* pcistub_probe adds a slot entry for an overridden device itself. */
		append_line(rpath("bus/pci/drivers/pciback/slots"), bdf);
	}
	if (strcmp(driver, "vfio-pci") == 0 && !exists(rpath("bus/pci/devices/%s/iommu_group", bdf)))
		return -EINVAL;
	return link_driver(driver, bdf);
}

static int do_bind(const char *driver, const char *bdf)
{
	char cur[256];

	if (!exists(rpath("bus/pci/devices/%s", bdf)))
		return -ENODEV;
	bound_driver(bdf, cur, sizeof(cur));
	if (cur[0])
		return -EBUSY;
	return probe(driver, bdf);
}

static int do_unbind(const char *driver, const char *bdf)
{
	char cur[256], dev[PATH_MAX];

	bound_driver(bdf, cur, sizeof(cur));
	if (strcmp(cur, driver) != 0 || device_dir(bdf, dev, sizeof(dev)) < 0)
		return -ENODEV;
	unlink(rpath("%s/driver", dev));
	unlink(rpath("bus/pci/drivers/%s/%s", driver, bdf));
	return 0;
}

static void autoprobe(const char *bdf)
{
	DIR *d = opendir(rpath("bus/pci/drivers"));
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && probe(de->d_name, bdf) == 0)
			break;
	closedir(d);
}

static int do_drivers_probe(const char *bdf)
{
	char cur[256];

	if (!exists(rpath("bus/pci/devices/%s", bdf)))
		return -ENODEV;
	bound_driver(bdf, cur, sizeof(cur));
	if (!cur[0])
		autoprobe(bdf);
	return 0; /* success even when nothing bound, as the kernel */
}

static int remove_lines(const char *file, const char *bdf)
{
	char buf[8192], out[8192] = "", *save = NULL;
	int removed = 0;

	if (read_text(file, buf, sizeof(buf)) < 0)
		return -ENOENT;
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strcasecmp(l, bdf) == 0) {
			removed++;
			continue;
		}
		strncat(out, l, sizeof(out) - strlen(out) - 2);
		strcat(out, "\n");
	}
	if (!removed)
		return -ENOENT;
	return write_text(file, out);
}

static bool valid_bdf(const char *v)
{
	unsigned int d, b, s, f;
	char tail;

	return sscanf(v, "%4x:%2x:%2x.%1x%c", &d, &b, &s, &f, &tail) == 4 && strlen(v) == 12;
}

static int read_int(const char *path, int *ret)
{
	char v[32], *end;

	if (read_text(path, v, sizeof(v)) < 0)
		return -ENOENT;
	*ret = (int)strtol(v, &end, 0);
	return end == v ? -EINVAL : 0;
}

static void unlink_quiet(const char *path)
{
	(void)unlink(path);
}

/* rm -r of a VF's directory (files, links and the few directories a VF has). */
static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[PATH_MAX];

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			remove_tree(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

/* The VF directory's attributes, as pci_iov_add_virtfn() makes them. */
static int make_vf(const char *pf, const char *pfdir, int k, int rid, int group)
{
	char bdf[16], dir[PATH_MAX], target[PATH_MAX], buf[256], vendor[16] = "", cls[16] = "";
	char vfdev[16] = "", svid[16] = "", sdid[16] = "", parent[PATH_MAX];
	const char *slash = strrchr(pfdir, '/');
	unsigned int dom = 0, vd = 0, c = 0, sv = 0, sd = 0, dv = 0;
	int fd;

	sscanf(pf, "%x:", &dom);
	snprintf(bdf, sizeof(bdf), "%04x:%02x:%02x.%x", dom, (rid >> 8) & 0xff, (rid >> 3) & 0x1f,
		 rid & 7);
	snprintf(parent, sizeof(parent), "%.*s", (int)(slash ? slash - pfdir : 0), pfdir);
	if ((size_t)snprintf(dir, sizeof(dir), "%.4000s/%s", parent, bdf) >= sizeof(dir))
		return -ENAMETOOLONG;
	if (mkdir(rpath("%s", dir), 0755) < 0)
		return -errno;
	(void)read_text(rpath("%s/vendor", pfdir), vendor, sizeof(vendor));
	(void)read_text(rpath("%s/class", pfdir), cls, sizeof(cls));
	(void)read_text(rpath("%s/sriov_vf_device", pfdir), vfdev, sizeof(vfdev));
	(void)read_text(rpath("%s/subsystem_vendor", pfdir), svid, sizeof(svid));
	(void)read_text(rpath("%s/subsystem_device", pfdir), sdid, sizeof(sdid));
	sscanf(vendor, "%x", &vd);
	sscanf(cls, "%x", &c);
	sscanf(vfdev, "%x", &dv);
	sscanf(svid, "%x", &sv);
	sscanf(sdid, "%x", &sd);
	snprintf(buf, sizeof(buf), "0x%04x\n", vd);
	write_text(rpath("%s/vendor", dir), buf);
	snprintf(buf, sizeof(buf), "0x%04x\n", dv);
	write_text(rpath("%s/device", dir), buf);
	snprintf(buf, sizeof(buf), "0x%04x\n", sv);
	write_text(rpath("%s/subsystem_vendor", dir), buf);
	snprintf(buf, sizeof(buf), "0x%04x\n", sd);
	write_text(rpath("%s/subsystem_device", dir), buf);
	snprintf(buf, sizeof(buf), "0x%06x\n", c);
	write_text(rpath("%s/class", dir), buf);
	write_text(rpath("%s/revision", dir), "0x00\n");
	snprintf(buf, sizeof(buf), "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n", vd, dv, sv, sd,
		 c >> 16, (c >> 8) & 0xff, c & 0xff);
	write_text(rpath("%s/modalias", dir), buf);
	write_text(rpath("%s/driver_override", dir), "(null)\n");
	write_text(rpath("%s/enable", dir), "0\n");
	write_text(rpath("%s/irq", dir), "0\n");
	write_text(rpath("%s/numa_node", dir), "-1\n");
	write_text(rpath("%s/reset_method", dir), "flr\n");
	write_text(rpath("%s/reset", dir), "");
	write_text(rpath("%s/remove", dir), "");
	snprintf(buf, sizeof(buf), "PCI_SLOT_NAME=%s\n", bdf);
	write_text(rpath("%s/uevent", dir), buf);
	fd = open(rpath("%s/config", dir), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		unsigned char cfg[256] = { vd & 0xff, vd >> 8, dv & 0xff, dv >> 8 };

		if (write(fd, cfg, sizeof(cfg)) != (ssize_t)sizeof(cfg))
			fprintf(stderr, "fake kernel: short config write for %s\n", bdf);
		close(fd);
	}
	/* links: physfn, the PF's virtfnK, subsystem, bus/pci/devices, the IOMMU group */
	up(target, sizeof(target), 1, pfdir + strlen(parent) + 1);
	symlink(target, rpath("%s/physfn", dir));
	snprintf(buf, sizeof(buf), "virtfn%d", k);
	up(target, sizeof(target), 1, bdf);
	symlink(target, rpath("%s/%s", pfdir, buf));
	up(target, sizeof(target), depth(dir), "bus/pci");
	symlink(target, rpath("%s/subsystem", dir));
	up(target, sizeof(target), 3, dir);
	symlink(target, rpath("bus/pci/devices/%s", bdf));
	snprintf(buf, sizeof(buf), "kernel/iommu_groups/%d", group);
	mkdir(rpath("%s", buf), 0755);
	mkdir(rpath("%s/devices", buf), 0755);
	up(target, sizeof(target), depth(dir), buf);
	symlink(target, rpath("%s/iommu_group", dir));
	up(target, sizeof(target), 4, dir);
	symlink(target, rpath("%s/devices/%s", buf, bdf));
	return 0;
}

/* The first IOMMU group number not in use. */
static int free_group(void)
{
	DIR *d = opendir(rpath("kernel/iommu_groups"));
	struct dirent *de;
	int max = -1;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && atoi(de->d_name) > max)
			max = atoi(de->d_name);
	closedir(d);
	return max + 1;
}

/* PF/sriov_numvfs: drivers/pci/iov.c sriov_numvfs_store(), on the fixture. */
static int set_numvfs(const char *path, const char *value)
{
	char pf[32], pfdir[PATH_MAX], drv[256], *end;
	int total, cur, offset = 1, stride = 1, n, probe_on = 1;
	long v = strtol(value, &end, 10);

	if (end == value || *end || v < 0 || sscanf(path, "bus/pci/devices/%31[^/]/", pf) != 1)
		return -EINVAL;
	if (device_dir(pf, pfdir, sizeof(pfdir)) < 0 ||
	    read_int(rpath("%s/sriov_totalvfs", pfdir), &total) < 0 ||
	    read_int(rpath("%s/sriov_numvfs", pfdir), &cur) < 0)
		return -ENOENT;
	n = (int)v;
	bound_driver(pf, drv, sizeof(drv));
	if (!drv[0])
		return -ENOENT; /* "no driver bound to device; cannot configure SR-IOV" */
	if (n > total)
		return -ERANGE;
	if (n == cur)
		return 0;
	if (n && cur)
		return -EBUSY;
	(void)read_int(rpath("%s/sriov_offset", pfdir), &offset);
	(void)read_int(rpath("%s/sriov_stride", pfdir), &stride);
	(void)read_int(rpath("%s/sriov_drivers_autoprobe", pfdir), &probe_on);
	if (n == 0) {
		for (int k = 0; k < cur; k++) {
			char vf[64], vfdir[PATH_MAX], grp[PATH_MAX];
			ssize_t len;

			len = readlink(rpath("%s/virtfn%d", pfdir, k), vf, sizeof(vf) - 1);
			if (len < 0)
				continue;
			vf[len] = '\0';
			snprintf(vf, sizeof(vf), "%s", strrchr(vf, '/') ? strrchr(vf, '/') + 1 : vf);
			if (device_dir(vf, vfdir, sizeof(vfdir)) == 0) {
				bound_driver(vf, drv, sizeof(drv));
				if (drv[0])
					unlink_quiet(rpath("bus/pci/drivers/%s/%s", drv, vf));
				len = readlink(rpath("%s/iommu_group", vfdir), grp, sizeof(grp) - 1);
				if (len > 0) {
					grp[len] = '\0';
					unlink_quiet(rpath("kernel/iommu_groups/%s/devices/%s",
							   strrchr(grp, '/') + 1, vf));
				}
				remove_tree(rpath("%s", vfdir));
			}
			unlink_quiet(rpath("bus/pci/devices/%s", vf));
			unlink_quiet(rpath("%s/virtfn%d", pfdir, k));
		}
	} else {
		unsigned int b = 0, s = 0, f = 0, dom = 0;
		int rid;

		sscanf(pf, "%x:%x:%x.%x", &dom, &b, &s, &f);
		rid = (int)(b << 8 | s << 3 | f);
		for (int k = 0; k < n; k++) {
			int r = make_vf(pf, pfdir, k, rid + offset + k * stride, free_group());

			if (r < 0)
				return r;
		}
	}
	{
		char count[16];

		snprintf(count, sizeof(count), "%d\n", n);
		write_text(rpath("%s/sriov_numvfs", pfdir), count);
	}
	/* the kernel probes each new VF, unless autoprobe is off (vf_can_probe()) */
	for (int k = 0; n && probe_on && k < n; k++) {
		char vf[64];
		ssize_t len = readlink(rpath("%s/virtfn%d", pfdir, k), vf, sizeof(vf) - 1);

		if (len < 0)
			continue;
		vf[len] = '\0';
		autoprobe(strrchr(vf, '/') ? strrchr(vf, '/') + 1 : vf);
	}
	return 0;
}

static int apply(const char *path, const char *value)
{
	char drv[256], v[256];
	const char *attr = strrchr(path, '/');
	size_t n;

	attr = attr ? attr + 1 : path;
	snprintf(v, sizeof(v), "%s", value);
	n = strlen(v);
	while (n && v[n - 1] == '\n')
		v[--n] = '\0';

	if (strcmp(attr, "driver_override") == 0) {
		char shown[260];

		if (!exists(rpath("%s", path)))
			return -ENOENT;
		/* The kernel prints it with a newline, "(null)" when cleared. */
		snprintf(shown, sizeof(shown), "%s\n", v[0] ? v : "(null)");
		return write_text(rpath("%s", path), shown);
	}
	if (strcmp(path, "bus/pci/drivers_probe") == 0)
		return do_drivers_probe(v);
	if (sscanf(path, "bus/pci/drivers/%255[^/]/", drv) == 1) {
		if (!exists(rpath("bus/pci/drivers/%s", drv)))
			return -ENOENT;
		if (strcmp(attr, "bind") == 0)
			return do_bind(drv, v);
		if (strcmp(attr, "unbind") == 0)
			return do_unbind(drv, v);
		if (strcmp(drv, "pciback") == 0 && strcmp(attr, "new_slot") == 0) {
			if (!valid_bdf(v))
				return -EINVAL;
			return append_line(rpath("bus/pci/drivers/pciback/slots"), v);
		}
		if (strcmp(drv, "pciback") == 0 && strcmp(attr, "remove_slot") == 0)
			return remove_lines(rpath("bus/pci/drivers/pciback/slots"), v);
		if (strcmp(drv, "pciback") == 0 && strcmp(attr, "permissive") == 0) {
			bound_driver(v, drv, sizeof(drv));
			if (strcmp(drv, "pciback") != 0)
				return -ENODEV;
			return append_line(rpath("bus/pci/drivers/pciback/permissive"), v);
		}
	}
	if (strcmp(attr, "sriov_numvfs") == 0)
		return set_numvfs(path, v);
	if (strcmp(attr, "reset") == 0 || strcmp(attr, "reset_subordinate") == 0)
		return exists(rpath("%s", path)) ? 0 : -ENOENT;
	if (!exists(rpath("%s", path)))
		return -ENOENT;
	return write_text(rpath("%s", path), value);
}

static int errno_named(const char *name)
{
	static const struct {
		const char *name;
		int e;
	} names[] = { { "EBUSY", EBUSY },   { "ENODEV", ENODEV },	  { "EINVAL", EINVAL },
		      { "EIO", EIO },	    { "ENOENT", ENOENT },	  { "EAGAIN", EAGAIN },
		      { "EPERM", EPERM },   { "EACCES", EACCES },	  { "ESRCH", ESRCH },
		      { "EOPNOTSUPP", EOPNOTSUPP }, { "ELIBACC", ELIBACC } };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i].name) == 0)
			return names[i].e;
	return atoi(name) > 0 ? atoi(name) : EIO;
}

/* Count the operation; return -errno to inject, or 0 to go on. Kills if asked. */
static int inject(void)
{
	const char *spec = getenv("PCIBIND_FAKE_FAIL");
	unsigned int n;
	char what[32];

	op_count++;
	if (!spec || sscanf(spec, "%u:%31s", &n, what) != 2 || n != op_count)
		return 0;
	if (strcmp(what, "kill") == 0) {
		kill(getpid(), SIGKILL);
		pause();
	}
	if (strcmp(what, "silent") == 0)
		return 1;
	return -errno_named(what);
}

static void log_op(const char *fmt, const char *a, const char *b)
{
	const char *file = getenv("PCIBIND_FAKE_LOG");
	FILE *f;

	if (!file || !(f = fopen(file, "ae")))
		return;
	fprintf(f, fmt, a, b);
	fclose(f);
}

static void escape(const char *v, char *buf, size_t size)
{
	size_t k = 0;

	for (const char *c = v; *c && k + 3 < size; c++) {
		if (*c == '\n') {
			buf[k++] = '\\';
			buf[k++] = 'n';
		} else {
			buf[k++] = *c;
		}
	}
	buf[k] = '\0';
}

/* Learn the fixture's root when pcibind opens it (module loads may come first). */
int __wrap_sysfs_open(const char *dir, struct sysfs **ret)
{
	int r = __real_sysfs_open(dir, ret);

	if (r == 0)
		root = sysfs_root(*ret);
	return r;
}

int __wrap_sysfs_write(struct sysfs *s, const char *path, const char *value)
{
	char esc[512];
	int r;

	root = sysfs_root(s);
	if (path[0] == '/' || strstr(path, ".."))
		return -EINVAL;
	r = inject();
	if (r != 0)
		return r < 0 ? r : 0;
	r = apply(path, value);
	if (r == 0) {
		escape(value, esc, sizeof(esc));
		log_op("write %s \"%s\"\n", path, esc);
	}
	return r;
}

/* Register the drivers module M provides (from .fake/modules/M), then autoprobe. */
int __wrap_kmodq_load(struct kmodq *q, const char *module)
{
	char list[1024], *save = NULL;
	DIR *d;
	int r;

	(void)q;
	if (!root)
		return -EOPNOTSUPP;
	r = inject();
	if (r != 0)
		return r < 0 ? r : 0;
	if (read_text(rpath(".fake/modules/%s", module), list, sizeof(list)) < 0)
		return -ENOENT;
	mkdir(rpath("module/%s", module), 0755);
	mkdir(rpath("module/%s/drivers", module), 0755);
	for (char *drv = strtok_r(list, "\n", &save); drv; drv = strtok_r(NULL, "\n", &save)) {
		char target[PATH_MAX];
		static const char *const files[] = { "bind", "unbind", "new_id", "remove_id" };

		if (exists(rpath("bus/pci/drivers/%s", drv)))
			continue;
		mkdir(rpath("bus/pci/drivers/%s", drv), 0755);
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
			close(open(rpath("bus/pci/drivers/%s/%s", drv, files[i]),
				   O_CREAT | O_WRONLY | O_CLOEXEC, 0200));
		if (strcmp(drv, "pciback") == 0) {
			close(open(rpath("bus/pci/drivers/pciback/new_slot"),
				   O_CREAT | O_WRONLY | O_CLOEXEC, 0200));
			close(open(rpath("bus/pci/drivers/pciback/remove_slot"),
				   O_CREAT | O_WRONLY | O_CLOEXEC, 0200));
			write_text(rpath("bus/pci/drivers/pciback/slots"), "");
			write_text(rpath("bus/pci/drivers/pciback/permissive"), "");
		}
		snprintf(target, sizeof(target), "../../../../module/%s", module);
		symlink(target, rpath("bus/pci/drivers/%s/module", drv));
		snprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", drv);
		symlink(target, rpath("module/%s/drivers/pci:%s", module, drv));
		log_op("load-module %s%s\n", module, "");

		/* The kernel probes every unbound device against a new driver. */
		d = opendir(rpath("bus/pci/devices"));
		if (!d)
			continue;
		for (struct dirent *de; (de = readdir(d));) {
			char cur[256];

			if (de->d_name[0] == '.')
				continue;
			bound_driver(de->d_name, cur, sizeof(cur));
			if (!cur[0])
				(void)probe(drv, de->d_name);
		}
		closedir(d);
	}
	return 0;
}

/* ---- the fake Xen ------------------------------------------------------------ */

int __real_xen_open(struct sysfs *s, struct proc *p, unsigned int flags, struct xen **ret);
int __wrap_xen_open(struct sysfs *s, struct proc *p, unsigned int flags, struct xen **ret);

static void sbdf_text(uint32_t sbdf, char *buf, size_t size)
{
	snprintf(buf, size, "%04x:%02x:%02x.%x", sbdf >> 16, (sbdf >> 8) & 0xff, (sbdf >> 3) & 0x1f,
		 sbdf & 7);
}

static int forced_errno(const char *file)
{
	char buf[32];

	if (read_text(rpath(".fake/xen/%s", file), buf, sizeof(buf)) < 0 || !buf[0])
		return 0;
	return -errno_named(buf);
}

static int fake_deassign(void *ctx __attribute__((unused)), uint32_t sbdf)
{
	char bdf[32];
	int r = forced_errno("deassign-errno");

	if (r < 0)
		return r;
	if (exists(rpath(".fake/xen/deassign-noop")))
		return 0;
	static char taken[32];

	sbdf_text(sbdf, bdf, sizeof(bdf));
	if (remove_lines(rpath(".fake/xen/quarantined"), bdf) < 0) {
		/* A step that found nothing to do took effect too; not the check after it. */
		if (strcmp(taken, bdf))
			log_op("xen-deassign DOMID_IO %s%s\n", bdf, "");
		taken[0] = '\0';
		return -ENODEV;
	}
	snprintf(taken, sizeof(taken), "%s", bdf);
	log_op("xen-deassign DOMID_IO %s%s\n", bdf, "");
	return 0;
}

static int fake_test_assign(void *ctx __attribute__((unused)), uint32_t sbdf)
{
	char bdf[32];
	int r = forced_errno("test-assign-errno");

	if (r < 0)
		return r;
	sbdf_text(sbdf, bdf, sizeof(bdf));
	return listed(rpath(".fake/xen/assigned"), bdf) ? -EINVAL : 0;
}

static int tree_list(void *h __attribute__((unused)), const char *path, char ***ret)
{
	DIR *d = opendir(rpath(".fake/xen/store%s", path));
	struct dirent *e;
	char **v = calloc(1, sizeof(*v));
	size_t n = 0;

	if (!d) {
		free(v);
		return errno == ENOTDIR ? -ENOENT : -errno;
	}
	while (v && (e = readdir(d))) {
		char **nv;

		if (e->d_name[0] == '.')
			continue;
		nv = realloc(v, (n + 2) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		v[n++] = strdup(e->d_name);
		v[n] = NULL;
	}
	closedir(d);
	*ret = v;
	return v ? 0 : -ENOMEM;
}

static int tree_read(void *h __attribute__((unused)), const char *path, char **ret)
{
	char buf[512];
	const char *file = rpath(".fake/xen/store%s", path);
	struct stat st;

	if (stat(file, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		buf[0] = '\0';
	else if (read_text(file, buf, sizeof(buf)) < 0)
		return -EIO;
	*ret = strdup(buf);
	return *ret ? 0 : -ENOMEM;
}

static const struct xen_store_ops tree_ops = { .list = tree_list, .read = tree_read };

static int fake_store_dump(void *ctx __attribute__((unused)), int timeout_ms __attribute__((unused)),
			   struct xen_store *ret)
{
	(void)append_line(rpath(".fake/xen/store-dumps"), "dump");
	if (!exists(rpath(".fake/xen/store")))
		return -ENOENT;
	return xen_store_collect(&tree_ops, NULL, ret);
}

static const struct xen_backend fake_xen = {
	.deassign = fake_deassign,
	.test_assign = fake_test_assign,
	.store_dump = fake_store_dump,
};

int __wrap_xen_open(struct sysfs *s, struct proc *p, unsigned int flags, struct xen **ret)
{
	int r = __real_xen_open(s, p, flags, ret);

	if (r == 0 && xen_is_dom0(*ret))
		xen_set_backend(*ret, &fake_xen, NULL);
	return r;
}

/* ---- the fake VFIO hot reset -------------------------------------------------- */

int __wrap_vfio_hot_reset(struct sysfs *s, const char *bdf, const char *groups,
			  const char *covers, char *why, size_t size);

static void clear_command(const char *bdf)
{
	char dir[PATH_MAX];
	int fd;

	if (device_dir(bdf, dir, sizeof(dir)) < 0)
		return;
	fd = open(rpath("%s/config", dir), O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (pwrite(fd, "\0\0", 2, 4) != 2)
		fprintf(stderr, "fake kernel: cannot clear the command register of %s\n", bdf);
	close(fd);
}

int __wrap_vfio_hot_reset(struct sysfs *s, const char *bdf, const char *groups,
			  const char *covers, char *why, size_t size)
{
	char list[PLAN_COVERS_MAX], *save = NULL, drv[256];
	int r;

	root = sysfs_root(s);
	(void)groups;
	r = inject();
	if (r != 0) {
		snprintf(why, size, "the kernel refused the hot reset of %s: %s", covers,
			 r < 0 ? strerror(-r) : "silent");
		return r < 0 ? r : 0;
	}
	bound_driver(bdf, drv, sizeof(drv));
	if (strcmp(drv, "vfio-pci") != 0) {
		snprintf(why, size, "cannot open %s through its VFIO group: %s", bdf,
			 strerror(ENODEV));
		return -ENODEV;
	}
	snprintf(list, sizeof(list), "%s", covers);
	for (char *b = strtok_r(list, " ", &save); b; b = strtok_r(NULL, " ", &save)) {
		bound_driver(b, drv, sizeof(drv));
		if (strcmp(drv, "vfio-pci") != 0) {
			snprintf(why, size, "the kernel refused the hot reset of %s: %s", covers,
				 strerror(EINVAL));
			return -EINVAL;
		}
	}
	snprintf(list, sizeof(list), "%s", covers);
	for (char *b = strtok_r(list, " ", &save); b; b = strtok_r(NULL, " ", &save))
		clear_command(b);
	log_op("vfio-hot-reset %s%s\n", covers, "");
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * floor: the least a tool can read to do what pcibind list and pcibind boot
 * do, for make bench's "floor" column. Not pcibind: no policy, no guards,
 * no plan, no journal; only the sysfs reads (and, for list, libpci's names
 * with a per-tuple cache) with the fewest system calls we know of.
 *
 *   floor list SYSFS_ROOT PCI_IDS   one line per function: address, IDs,
 *                                   class, names, driver (what list prints)
 *   floor boot SYSFS_ROOT           rd.qubes.hide_all_usb: the class of every
 *                                   function, then for each network or USB
 *                                   one its driver link and driver_override,
 *                                   and one line per function to seize
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pci/pci.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int read_at(int dfd, const char *name, char *buf, size_t size)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

static unsigned long field(const char *ue, const char *key, int second)
{
	const char *p = strstr(ue, key);

	if (!p)
		return 0;
	p += strlen(key);
	if (second) {
		p = strchr(p, ':');
		if (!p)
			return 0;
		p++;
	}
	return strtoul(p, NULL, 16);
}

static void link_name(int dfd, const char *name, char *buf, size_t size)
{
	char t[PATH_MAX];
	ssize_t n = readlinkat(dfd, name, t, sizeof(t) - 1);
	const char *s;

	buf[0] = '\0';
	if (n < 0)
		return;
	t[n] = '\0';
	s = strrchr(t, '/');
	snprintf(buf, size, "%s", s ? s + 1 : t);
}

/* libpci's default callbacks are unset without pci_init(): stay quiet, as pcibind does. */
static void quiet(char *msg, ...)
{
	(void)msg;
}

struct tuple {
	unsigned long v, d, sv, sd, c;
	char line[600];
};

/*
 * floor proc PROC_ROOT: the least a holders scan does, readlink() of every
 * PID/fd/N from the fd directory's own fd. Prints the number of links.
 */
static int proc_floor(const char *proc)
{
	int root = open(proc, O_PATH | O_DIRECTORY | O_CLOEXEC);
	DIR *pids = root >= 0 ? fdopendir(openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) : NULL;
	struct dirent *p;
	long links = 0;

	if (!pids)
		return 1;
	while ((p = readdir(pids))) {
		char path[300], target[256];
		struct dirent *f;
		DIR *fds;
		int fd;

		if (p->d_name[0] < '0' || p->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/fd", p->d_name);
		fd = openat(root, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		fds = fd >= 0 ? fdopendir(fd) : NULL;
		if (!fds)
			continue;
		while ((f = readdir(fds)))
			if (f->d_name[0] != '.' && readlinkat(fd, f->d_name, target, sizeof(target)) > 0)
				links++;
		closedir(fds);
	}
	closedir(pids);
	printf("%ld\n", links);
	return 0;
}

int main(int argc, char **argv)
{
	char path[PATH_MAX], ue[1024], drv[PATH_MAX], ovr[PATH_MAX], rev[16];
	struct pci_access *pacc = NULL;
	struct tuple *cache = NULL;
	size_t ncache = 0, seize = 0;
	struct dirent *e;
	int list, root, devs;
	DIR *dir;

	if (argc == 3 && !strcmp(argv[1], "proc"))
		return proc_floor(argv[2]);
	if (argc < 3 || (strcmp(argv[1], "list") && strcmp(argv[1], "boot")) ||
	    (!strcmp(argv[1], "list") && argc < 4)) {
		fprintf(stderr, "usage: floor list SYSFS_ROOT PCI_IDS | floor boot SYSFS_ROOT | "
				"floor proc PROC_ROOT\n");
		return 2;
	}
	list = !strcmp(argv[1], "list");
	root = open(argv[2], O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return 1;
	devs = openat(root, "bus/pci/devices", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dir = devs >= 0 ? fdopendir(devs) : NULL;
	if (!dir)
		return 1;
	if (list) {
		void (*q)(char *, ...) = quiet;

		pacc = pci_alloc();
		pacc->warning = quiet;
		pacc->debug = quiet;
		memcpy(&pacc->error, &q, sizeof(q));
		pci_set_name_list_path(pacc, argv[3], 0);
	}
	while ((e = readdir(dir))) {
		unsigned long v, d, sv, sd, c;
		int fd;

		if (e->d_name[0] == '.')
			continue;
		fd = openat(devs, e->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (read_at(fd, "uevent", ue, sizeof(ue)) < 0) {
			close(fd);
			continue;
		}
		c = field(ue, "PCI_CLASS=", 0);
		if (!list) {
			/* boot: network (02) and USB (0c03) functions only */
			if ((c >> 16) == 0x02 || (c >> 8) == 0x0c03) {
				link_name(fd, "driver", drv, sizeof(drv));
				if (read_at(fd, "driver_override", ovr, sizeof(ovr)) < 0)
					ovr[0] = '\0';
				if (strcmp(drv, "pciback")) {
					printf("seize %s (%s) -> pciback\n", e->d_name,
					       drv[0] ? drv : "none");
					seize++;
				}
			}
			close(fd);
			continue;
		}
		v = field(ue, "PCI_ID=", 0);
		d = field(ue, "PCI_ID=", 1);
		sv = field(ue, "PCI_SUBSYS_ID=", 0);
		sd = field(ue, "PCI_SUBSYS_ID=", 1);
		if (read_at(fd, "revision", rev, sizeof(rev)) < 0)
			rev[0] = '\0';
		rev[strcspn(rev, "\n")] = '\0';
		link_name(fd, "driver", drv, sizeof(drv));
		/* the parent, for the Qubes address */
		snprintf(path, sizeof(path), "%s", e->d_name);
		link_name(devs, path, ovr, sizeof(ovr));
		close(fd);
		{
			size_t i;

			for (i = 0; i < ncache; i++)
				if (cache[i].v == v && cache[i].d == d && cache[i].sv == sv &&
				    cache[i].sd == sd && cache[i].c == c)
					break;
			if (i == ncache) {
				char cls[128], dev[256];
				struct tuple *nc = realloc(cache, (ncache + 1) * sizeof(*cache));

				if (!nc)
					return 1;
				cache = nc;
				pci_lookup_name(pacc, cls, sizeof(cls), PCI_LOOKUP_CLASS | PCI_LOOKUP_NO_HWDB, c >> 8);
				pci_lookup_name(pacc, dev, sizeof(dev),
						PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_HWDB,
						v, d);
				cache[i] = (struct tuple){ v, d, sv, sd, c, "" };
				snprintf(cache[i].line, sizeof(cache[i].line),
					 "%s [%04lx]: %s [%04lx:%04lx]", cls, c >> 8, dev, v, d);
				ncache++;
			}
			printf("%s  %s (rev %s)  driver: %s\n", e->d_name, cache[i].line,
			       rev[0] ? rev + 2 : "", drv[0] ? drv : "none");
		}
	}
	if (!list)
		printf("%zu functions to seize\n", seize);
	closedir(dir);
	if (pacc)
		pci_cleanup(pacc);
	free(cache);
	return 0;
}

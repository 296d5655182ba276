/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rebind-floor: the least a separate program can do for pcibind's seize and
 * release of one function, for make bench-vm's floor column. One process
 * per change, as pcibind runs: it reads the driver link, writes the same
 * sysfs files in the same order, and reads the driver link again after the
 * bind. No policy, plan, journal, guards, libraries beyond libc, or undo.
 *
 *   rebind-floor seize BDF STUB       override=STUB, unbind, bind STUB
 *   rebind-floor release BDF NATIVE   reset, override=NATIVE, unbind, bind
 *                                     NATIVE, override cleared
 *
 * Exit status 0 if the function ends on the driver asked for, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int put(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		fprintf(stderr, "rebind-floor: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = write(fd, value, strlen(value));
	if (n < 0)
		fprintf(stderr, "rebind-floor: %s: %s\n", path, strerror(errno));
	close(fd);
	return n < 0 ? -1 : 0;
}

/* The name of BDF's driver into BUF ("" if none). */
static void driver_of(const char *bdf, char *buf, size_t size)
{
	char path[128], target[PATH_MAX];
	const char *base;
	ssize_t n;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) < size)
		strcpy(buf, base);
}

int main(int argc, char **argv)
{
	char dev[64], path[512], cur[NAME_MAX + 1];
	const char *op, *bdf, *to;

	if (argc != 4) {
		fprintf(stderr, "usage: rebind-floor seize|release BDF DRIVER\n");
		return 2;
	}
	op = argv[1];
	bdf = argv[2];
	to = argv[3];
	if (strlen(bdf) > 16 || strlen(to) > 64) {
		fprintf(stderr, "rebind-floor: '%s' or '%s' is too long\n", bdf, to);
		return 2;
	}
	snprintf(dev, sizeof(dev), "/sys/bus/pci/devices/%s", bdf);
	if (!strcmp(op, "release")) {
		snprintf(path, sizeof(path), "%s/reset", dev);
		if (put(path, "1") < 0)
			return 1;
	} else if (strcmp(op, "seize")) {
		fprintf(stderr, "rebind-floor: unknown operation '%s'\n", op);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/driver_override", dev);
	if (put(path, to) < 0)
		return 1;
	driver_of(bdf, cur, sizeof(cur));
	if (cur[0]) {
		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind", cur);
		if (put(path, bdf) < 0)
			return 1;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", to);
	if (put(path, bdf) < 0)
		return 1;
	if (!strcmp(op, "release")) {
		snprintf(path, sizeof(path), "%s/driver_override", dev);
		if (put(path, "\n") < 0)
			return 1;
	}
	driver_of(bdf, cur, sizeof(cur));
	return strcmp(cur, to) ? 1 : 0;
}

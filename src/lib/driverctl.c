/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * driverctl's saved overrides: "driverctl set-override 0000:03:00.0
 * vfio-pci" writes the driver's name to /etc/driverctl.d/pci-0000:03:00.0,
 * and driverctl's udev rule sets driver_override from it at every boot and
 * hot-plug. pcibind reads it to say where a function on a stub came from
 * (status, release), and never writes it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driverctl.h"
#include "macro.h"
#include "util.h"

const char driverctl_default_dir[] = "/etc/driverctl.d";

/*
 * The driver driverctl's file in DIR saves for BDF (into DRIVER, SIZE
 * bytes), and the file's path (PATH, PATH_SIZE bytes; may be NULL). A name
 * that is not a driver's ([A-Za-z0-9_-], at most SIZE - 1) counts as
 * unusable. Returns 0, -ENOENT (none saved), -EBADMSG (unusable) or -errno.
 */
int driverctl_saved(const char *dir, const char *bdf, char *driver, size_t size, char *path,
		    size_t path_size)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int dfd = -1;
	char name[64];
	size_t len;
	int r;

	if (!dir || strlen(bdf) > 32)
		return -ENOENT;
	snprintf(name, sizeof(name), "pci-%s", bdf);
	if (path)
		snprintf(path, path_size, "%s/%s", dir, name);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOTDIR ? -ENOENT : -errno;
	r = util_read_at(dfd, name, O_NOFOLLOW, 256, &text);
	if (r < 0)
		return r == -ELOOP ? -EBADMSG : r;
	len = strcspn(text, "\n");
	if (!len || len >= size || strspn(text, "abcdefghijklmnopqrstuvwxyz"
						"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != len)
		return -EBADMSG;
	memcpy(driver, text, len);
	driver[len] = '\0';
	return 0;
}

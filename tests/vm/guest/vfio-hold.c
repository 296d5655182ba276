/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfio-hold GROUP [SECONDS]: open /dev/vfio/GROUP as QEMU does, ask the
 * kernel whether the group is viable (VFIO_GROUP_GET_STATUS, flag
 * VFIO_GROUP_FLAGS_VIABLE: every member of the IOMMU group has no driver or
 * a DMA-ownership-managing one), print "viable" or "not-viable" and, with
 * SECONDS, hold the group open that long (or until killed), as a VM would.
 * Exit 0 if viable, 2 if not, 1 on error. Built on the host, run in the guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vfio.h>

int main(int argc, char **argv)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[64];
	int fd, hold;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: vfio-hold GROUP [SECONDS]\n");
		return 1;
	}
	hold = argc == 3 ? atoi(argv[2]) : 0;
	snprintf(path, sizeof(path), "/dev/vfio/%s", argv[1]);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "vfio-hold: open %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (ioctl(fd, VFIO_GROUP_GET_STATUS, &st) < 0) {
		fprintf(stderr, "vfio-hold: VFIO_GROUP_GET_STATUS: %s\n", strerror(errno));
		return 1;
	}
	printf("%s pid %d\n", st.flags & VFIO_GROUP_FLAGS_VIABLE ? "viable" : "not-viable",
	       (int)getpid());
	fflush(stdout);
	if (hold > 0)
		sleep((unsigned int)hold);
	close(fd);
	return st.flags & VFIO_GROUP_FLAGS_VIABLE ? 0 : 2;
}

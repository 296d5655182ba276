/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libudev adapter, the only file that talks to libudev. libudev cannot read
 * a fixture tree, so pcibind uses it only for what is udev's own: the event
 * a rule's program runs for, and the event queue.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libudev.h>

#include "macro.h"
#include "trace.h"
#include "udevq.h"

/*
 * The device and action of the udev event this process runs for, from the
 * environment udev gives RUN programs (ACTION, DEVPATH, SUBSYSTEM). BDF gets
 * the PCI function's name. Returns 0, -ENXIO outside a udev event, -ENODEV
 * for a device that is not on the PCI bus.
 */
int udevq_event(char *bdf, size_t bdf_size, char *action, size_t action_size)
{
	struct udev *u = udev_new();
	struct udev_device *d;
	const char *sub, *name, *act;
	int r = 0;

	if (!u)
		return -ENOMEM;
	d = udev_device_new_from_environment(u);
	if (!d) {
		r = -ENXIO;
		goto out_unref;
	}
	sub = udev_device_get_subsystem(d);
	name = udev_device_get_sysname(d);
	act = udev_device_get_action(d);
	if (!sub || strcmp(sub, "pci") || !name) {
		r = -ENODEV;
	} else if ((size_t)snprintf(bdf, bdf_size, "%s", name) >= bdf_size ||
		   (size_t)snprintf(action, action_size, "%s", act ? act : "") >= action_size) {
		r = -ENAMETOOLONG;
	}
	udev_device_unref(d);
out_unref:
	udev_unref(u);
	return r;
}

/*
 * Wait until udev has handled every queued event (the netdev of a NIC that
 * came back, say), at most TIMEOUT_MS. Returns 0, -ETIMEDOUT, or -ENOENT
 * when udev does not run.
 */
int udevq_settle(int timeout_ms)
{
	struct udev *u = udev_new();
	struct udev_queue *q;
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	int r = -ETIMEDOUT;

	if (!u)
		return -ENOMEM;
	q = udev_queue_new(u);
	if (!q) {
		udev_unref(u);
		return -ENOMEM;
	}
	if (!udev_queue_get_udev_is_active(q)) {
		r = -ENOENT;
		goto out_unref;
	}
	for (int waited = 0; waited <= timeout_ms; waited += 20) {
		if (udev_queue_get_queue_is_empty(q)) {
			r = 0;
			break;
		}
		nanosleep(&pause, NULL);
	}
out_unref:
	udev_queue_unref(q);
	udev_unref(u);
	trace_point("udev settled (%s)", r == 0 ? "queue empty" : r == -ENOENT ? "no udev" : "timed out");
	return r;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libudev adapter, the only file that talks to libudev. libudev cannot read
 * a fixture tree, so pcibind uses it only for what is udev's own: the event
 * a rule's program runs for, and the event queue.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libudev.h>

#include "macro.h"
#include "trace.h"
#include "udevq.h"

/*
 * The socket udevd listens on while it runs: what libudev's
 * udev_queue_get_udev_is_active() looks for (systemd's
 * src/libudev/libudev-queue.c). Asked first, so that where udev does not
 * run (the initramfs before udevd, a container) no libudev context is made.
 */
static const char udev_control[] = "/run/udev/control";

/*
 * The device and action of the udev event this process runs for, from the
 * environment udev gives RUN programs (ACTION, DEVPATH, SUBSYSTEM). BDF gets
 * the PCI function's name. Returns 0, -ENXIO outside a udev event, -ENODEV
 * for a device that is not on the PCI bus.
 */
static int check_env(char *why, size_t size);

/* What udevq_event() found wrong with the environment (libudev unsets what it reads). */
static char event_problem[160];
static int event_problem_r = 1; /* 1: udevq_event() has not run */

int udevq_event(char *bdf, size_t bdf_size, char *action, size_t action_size)
{
	struct udev *u;
	struct udev_device *d;
	const char *sub, *name, *act;
	int r = 0;

	event_problem_r = check_env(event_problem, sizeof(event_problem));
	if (event_problem_r < 0)
		return -ENXIO;
	u = udev_new();
	if (!u)
		return -ENOMEM;
	d = udev_device_new_from_environment(u);
	if (!d) {
		snprintf(event_problem, sizeof(event_problem),
			 "libudev could not read the event from it");
		event_problem_r = -ENXIO;
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
 * Which of the variables libudev needs to build the event (ACTION, DEVPATH,
 * SUBSYSTEM, SEQNUM) is missing or invalid, in WHY; after udevq_event(),
 * what it found (libudev unsets the variables it reads). Returns 0 when all
 * are there and well-formed, or -ENXIO.
 */
int udevq_env_problem(char *why, size_t size)
{
	if (event_problem_r <= 0) {
		snprintf(why, size, "%s", event_problem);
		return event_problem_r;
	}
	return check_env(why, size);
}

static int check_env(char *why, size_t size)
{
	static const char *const actions[] = { "add",	 "remove", "change", "move",
					       "online", "offline", "bind",   "unbind" };
	static const char *const names[] = { "ACTION", "DEVPATH", "SUBSYSTEM", "SEQNUM" };
	const char *v;
	bool ok = false;

	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		v = getenv(names[i]);
		if (!v || !*v) {
			snprintf(why, size, "%s is not set", names[i]);
			return -ENXIO;
		}
	}
	v = getenv("ACTION");
	for (size_t i = 0; i < ELEMENTSOF(actions); i++)
		ok = ok || !strcmp(v, actions[i]);
	if (!ok) {
		snprintf(why, size, "ACTION='%.32s' is not a udev action (add, remove, ...)", v);
		return -ENXIO;
	}
	v = getenv("DEVPATH");
	if (v[0] != '/' || strstr(v, "/../") || strlen(v) >= 4096) {
		snprintf(why, size, "DEVPATH='%.64s' is not a device path (/devices/...)", v);
		return -ENXIO;
	}
	v = getenv("SEQNUM");
	if (strspn(v, "0123456789") != strlen(v) || strlen(v) > 20) {
		snprintf(why, size, "SEQNUM='%.32s' is not a number", v);
		return -ENXIO;
	}
	snprintf(why, size, "udev's environment is incomplete");
	return 0;
}

/*
 * Wait until udev has handled every queued event (the netdev of a NIC that
 * came back, say), at most TIMEOUT_MS. Returns 0, -ETIMEDOUT, or -ENOENT
 * when udev does not run.
 */
int udevq_settle(int timeout_ms)
{
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	struct udev_queue *q;
	struct udev *u;
	int r = -ETIMEDOUT;

	if (access(udev_control, F_OK) < 0) {
		trace_point("udev settled (no udev)");
		return -ENOENT;
	}
	u = udev_new();
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

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every command shares: usage errors in pcibind's voice and the device snapshot. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "log.h"
#include "pcidev.h"

/* Report a usage error once, with the way to help. Returns PB_EXIT_USAGE. */
int cmd_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("pcibind: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'pcibind --help'.\n", stderr);
	return PB_EXIT_USAGE;
}

/*
 * Report an option getopt refused (opterr is off, so getopt prints nothing
 * that carries the binary's path). Returns PB_EXIT_USAGE.
 */
int cmd_option_error(const char *cmd, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";

	if (optopt && arg[0] == '-' && arg[1] != '-' && strchr(arg + 1, optopt))
		fprintf(stderr, "pcibind: %s%sinvalid option '-%c', or it needs a value\n",
			cmd ? cmd : "", cmd ? ": " : "", optopt);
	else
		fprintf(stderr, "pcibind: %s%sinvalid option '%s', or it needs a value\n",
			cmd ? cmd : "", cmd ? ": " : "", arg);
	fprintf(stderr, "Try 'pcibind %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
	return PB_EXIT_USAGE;
}

/* Take a snapshot of the sysfs root; reports its own errors. Returns an exit code. */
int cmd_scan(struct pb_ctx *c, struct pcidev_list **ret)
{
	int r = pcidev_scan(c->sysfs, ret);

	if (r == -ENOENT || r == -ENOTDIR) {
		log_error("'%s' is not a sysfs root: it has no bus/pci/devices "
			  "(give the directory that holds bus/pci, e.g. --sysfs-root /sys)",
			  c->roots.sysfs_root);
		return PB_EXIT_USAGE;
	}
	if (r < 0) {
		log_error_errno(r, "cannot read the PCI devices under '%s'", c->roots.sysfs_root);
		return PB_EXIT_FAILURE;
	}
	return PB_EXIT_OK;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* driverctl's saved overrides (/etc/driverctl.d/pci-BDF): who else puts a function on a stub. */
#pragma once

#include <stddef.h>

extern const char driverctl_default_dir[];

int driverctl_saved(const char *dir, const char *bdf, char *driver, size_t size, char *path,
		    size_t path_size);

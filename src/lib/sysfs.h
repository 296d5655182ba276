/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sysfs gateway: every read and write under the sysfs root goes through here. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

struct sysfs;

/* The default sysfs root; the only place that names it. */
extern const char sysfs_default_root[];

int sysfs_open(const char *root, struct sysfs **ret);
int sysfs_open_sub(struct sysfs *s, struct sysfs **ret, const char *fmt, ...) _printf_(3, 4);
struct sysfs *sysfs_close(struct sysfs *s);
static inline void sysfs_closep(struct sysfs **s)
{
	sysfs_close(*s);
}

const char *sysfs_root(const struct sysfs *s);
bool sysfs_is_default_root(const struct sysfs *s);
const char *sysfs_escape(void);
void sysfs_use_openat2(bool on);

bool sysfs_valid_name(const char *name);

int sysfs_read_attr(struct sysfs *s, char *buf, size_t size, const char *fmt, ...)
	_printf_(4, 5);
int sysfs_read_attr_alloc(struct sysfs *s, char **ret, const char *fmt, ...) _printf_(3, 4);
int sysfs_read_u64(struct sysfs *s, uint64_t *ret, const char *fmt, ...) _printf_(3, 4);
int sysfs_read_bin(struct sysfs *s, void *buf, size_t size, const char *fmt, ...)
	_printf_(4, 5);
int sysfs_read_link_name(struct sysfs *s, char *buf, size_t size, const char *fmt, ...)
	_printf_(4, 5);
int sysfs_read_link(struct sysfs *s, char *buf, size_t size, const char *fmt, ...)
	_printf_(4, 5);
bool sysfs_exists(struct sysfs *s, const char *fmt, ...) _printf_(2, 3);
bool sysfs_is_dir(struct sysfs *s, const char *fmt, ...) _printf_(2, 3);
int sysfs_list_dir(struct sysfs *s, char ***ret, const char *fmt, ...) _printf_(3, 4);
int sysfs_write(struct sysfs *s, const char *path, const char *value);

/* A directory's names, read once (sysfs_open_listed()), to ask what it has. */
struct sysfs_names {
	char *blob;		/* the names, each NUL-terminated */
	const char **v;		/* sorted */
	size_t n;
	bool node_dirs;		/* a subdirectory a class device with a node may be in */
};
int sysfs_open_listed(struct sysfs *s, struct sysfs **ret, struct sysfs_names *names,
		      const char *fmt, ...) _printf_(4, 5);
bool sysfs_names_has(const struct sysfs_names *names, const char *name);
void sysfs_names_done(struct sysfs_names *names);

/* A class device with a device node, below a device (sysfs_find_nodes()). */
struct sysfs_node {
	char path[512];		/* its directory, relative to the root */
	char name[64];		/* its directory's name: card0, nvme0n1, vfio0 */
	char devname[128];	/* uevent DEVNAME: dri/card0 ("" if none) */
	unsigned int major, minor;
	bool block;
};
int sysfs_find_nodes(struct sysfs *s, struct sysfs_node **ret, const char *fmt, ...)
	_printf_(3, 4);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libkmod adapter: the only file that talks to libkmod. */
#include <dlfcn.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <libkmod.h>

#include "kmodq.h"
#include "macro.h"
#include "sysfs.h"
#include "trace.h"

/*
 * libkmod is opened with dlopen() at the first lookup or load, not linked:
 * it pulls in libcrypto, libzstd and liblzma, whose relocation is most of
 * a process start (340 ms of each pcibind run in a TCG guest), and most
 * runs (list, status, a seize onto a registered stub) never ask it.
 */
#define KMOD_SYMS(X)                                                                               \
	X(kmod_new) X(kmod_unref) X(kmod_set_log_fn) X(kmod_load_resources) X(kmod_list_next)      \
	X(kmod_module_apply_filter) X(kmod_module_get_initstate) X(kmod_module_get_module)        \
	X(kmod_module_get_name) X(kmod_module_get_path) X(kmod_module_new_from_lookup)            \
	X(kmod_module_new_from_name) X(kmod_module_probe_insert_module) X(kmod_module_unref)     \
	X(kmod_module_unref_list) X(kmod_module_get_info) X(kmod_module_info_get_key)             \
	X(kmod_module_info_get_value) X(kmod_module_info_free_list)

static struct {
	void *handle;
#define X(name) __typeof__(name) *name;
	KMOD_SYMS(X)
#undef X
} kd;

static int kmod_dlopen(void)
{
	void *h;

	if (kd.handle)
		return 0;
	h = dlopen("libkmod.so.2", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return -EOPNOTSUPP;
#define X(name)                                                                                    \
	kd.name = (__typeof__(kd.name))dlsym(h, #name);                                            \
	if (!kd.name) {                                                                            \
		dlclose(h);                                                                        \
		return -EOPNOTSUPP;                                                                \
	}
	KMOD_SYMS(X)
#undef X
	kd.handle = h;
	return 0;
}

/* From here on every kmod_*() call goes through the table. */
#define kmod_new (*kd.kmod_new)
#define kmod_unref (*kd.kmod_unref)
#define kmod_set_log_fn (*kd.kmod_set_log_fn)
#define kmod_load_resources (*kd.kmod_load_resources)
#define kmod_list_next (*kd.kmod_list_next)
#define kmod_module_apply_filter (*kd.kmod_module_apply_filter)
#define kmod_module_get_initstate (*kd.kmod_module_get_initstate)
#define kmod_module_get_module (*kd.kmod_module_get_module)
#define kmod_module_get_name (*kd.kmod_module_get_name)
#define kmod_module_get_path (*kd.kmod_module_get_path)
#define kmod_module_new_from_lookup (*kd.kmod_module_new_from_lookup)
#define kmod_module_new_from_name (*kd.kmod_module_new_from_name)
#define kmod_module_probe_insert_module (*kd.kmod_module_probe_insert_module)
#define kmod_module_unref (*kd.kmod_module_unref)
#define kmod_module_unref_list (*kd.kmod_module_unref_list)
#define kmod_module_get_info (*kd.kmod_module_get_info)
#define kmod_module_info_get_key (*kd.kmod_module_info_get_key)
#define kmod_module_info_get_value (*kd.kmod_module_info_get_value)
#define kmod_module_info_free_list (*kd.kmod_module_info_free_list)

struct kmodq {
	char *modules_dir;	/* NULL: the running kernel's */
	struct kmod_ctx *ctx;	/* opened at first use */
	int open_error;
	bool allow_load;
};

/* libkmod's own messages stay quiet: callers report errors once. */
static void kmodq_log(void *data _unused_, int priority _unused_, const char *file _unused_,
		      int line _unused_, const char *fn _unused_, const char *format _unused_,
		      va_list args _unused_)
{
}

/*
 * Set up libkmod on MODULES_DIR (the directory holding modules.alias.bin),
 * NULL for the running kernel's; libkmod itself is opened and its index
 * loaded at the first lookup or load. Returns 0 or -errno (-ENOENT: no
 * index there).
 */
int kmodq_new(const char *modules_dir, struct kmodq **ret)
{
	char path[PATH_MAX];
	struct utsname u;
	struct kmodq *q;

	if (modules_dir)
		snprintf(path, sizeof(path), "%s/modules.alias.bin", modules_dir);
	else if (uname(&u) == 0)
		snprintf(path, sizeof(path), "/lib/modules/%s/modules.alias.bin", u.release);
	else
		return -errno;
	if (access(path, R_OK) < 0)
		return -errno;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	if (modules_dir) {
		q->modules_dir = strdup(modules_dir);
		if (!q->modules_dir) {
			free(q);
			return -ENOMEM;
		}
	}
	*ret = q;
	return 0;
}

/* libkmod and its index, at first use. Returns 0 or -errno (kept for later calls). */
static int kmodq_open(struct kmodq *q)
{
	int r;

	if (q->ctx)
		return 0;
	if (q->open_error)
		return q->open_error;
	r = kmod_dlopen();
	if (r < 0)
		return q->open_error = r;
	q->ctx = kmod_new(q->modules_dir, NULL);
	if (!q->ctx)
		return q->open_error = -ENOMEM;
	kmod_set_log_fn(q->ctx, kmodq_log, NULL);
	r = kmod_load_resources(q->ctx);
	if (r < 0) {
		kmod_unref(q->ctx);
		q->ctx = NULL;
		return q->open_error = r;
	}
	trace_point("libkmod index loaded");
	return 0;
}

/* Accepts NULL, returns NULL. */
struct kmodq *kmodq_free(struct kmodq *q)
{
	if (!q)
		return NULL;
	if (q->ctx)
		kmod_unref(q->ctx);
	free(q->modules_dir);
	free(q);
	return NULL;
}

static int list_names(struct kmod_list *list, char ***ret)
{
	struct kmod_list *it;
	size_t n = 0, i = 0;
	char **v;

	kmod_list_foreach(it, list)
		n++;
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	kmod_list_foreach(it, list) {
		struct kmod_module *m = kmod_module_get_module(it);

		v[i] = strdup(kmod_module_get_name(m));
		kmod_module_unref(m);
		if (!v[i]) {
			strv_free(v);
			return -ENOMEM;
		}
		i++;
	}
	*ret = v;
	return 0;
}

/*
 * Resolve MODALIAS to module names as modprobe would, then apply the
 * modprobe.d blacklist. RET_MODULES gets the usable modules, RET_BLACKLISTED
 * (if not NULL) the ones the blacklist removed; both NULL-terminated.
 * Returns the number of usable modules or -errno.
 */
int kmodq_lookup(struct kmodq *q, const char *modalias, char ***ret_modules,
		 char ***ret_blacklisted)
{
	struct kmod_list *all = NULL, *allowed = NULL;
	_cleanup_strv_free_ char **mods = NULL, **all_names = NULL;
	int r;

	r = kmodq_open(q);
	if (r < 0)
		return r;
	r = kmod_module_new_from_lookup(q->ctx, modalias, &all);
	if (r < 0)
		return r;
	r = kmod_module_apply_filter(q->ctx, KMOD_FILTER_BLACKLIST, all, &allowed);
	if (r < 0)
		goto out_unref;
	r = list_names(allowed, &mods);
	if (r < 0)
		goto out_unref;
	if (ret_blacklisted) {
		char **bl;
		size_t n = 0;

		r = list_names(all, &all_names);
		if (r < 0)
			goto out_unref;
		bl = calloc(strv_length(all_names) + 1, sizeof(*bl));
		if (!bl) {
			r = -ENOMEM;
			goto out_unref;
		}
		for (char **a = all_names; *a; a++) {
			bool kept = false;

			for (char **m = mods; *m; m++)
				kept = kept || streq(*a, *m);
			if (kept)
				continue;
			bl[n] = strdup(*a);
			if (!bl[n++]) {
				strv_free(bl);
				r = -ENOMEM;
				goto out_unref;
			}
		}
		*ret_blacklisted = bl;
	}
	r = (int)strv_length(mods);
	*ret_modules = TAKE_PTR(mods);
out_unref:
	kmod_module_unref_list(allowed);
	kmod_module_unref_list(all);
	return r;
}

/*
 * Allow kmodq_load() to load modules into the running kernel: only right
 * when the sysfs root is this system's own (never for a fixture tree).
 */
void kmodq_allow_load(struct kmodq *q, bool allow)
{
	q->allow_load = allow;
}

/*
 * Load MODULE and what it depends on, as modprobe would (options from
 * modprobe.d and the kernel command line apply). Returns 0 (also when it is
 * loaded or built in already), -EPERM if modprobe.d blacklists it, -ENOENT if
 * there is no such module, -EOPNOTSUPP unless allowed, or the kernel's -errno.
 */
int kmodq_load(struct kmodq *q, const char *module)
{
	struct kmod_module *mod = NULL;
	int r;

	if (!q || !q->allow_load)
		return -EOPNOTSUPP;
	r = kmodq_open(q);
	if (r < 0)
		return r;
	r = kmod_module_new_from_name(q->ctx, module, &mod);
	if (r < 0)
		return r;
	if (!kmod_module_get_path(mod) && kmod_module_get_initstate(mod) < 0) {
		r = -ENOENT;
		goto out_unref;
	}
	r = kmod_module_probe_insert_module(mod, KMOD_PROBE_APPLY_BLACKLIST, NULL, NULL, NULL,
					    NULL);
	if (r == KMOD_PROBE_APPLY_BLACKLIST)
		r = -EPERM;
	else if (r > 0)
		r = -EINVAL;
out_unref:
	kmod_module_unref(mod);
	return r;
}

/*
 * The vfio_pci aliases that match MODALIAS ("pci:v...d..."): modpost writes
 * "alias vfio_pci:v...d...sv...sd...bc...sc...i... MODULE" for every ID a
 * vfio-pci variant driver (or vfio_pci itself) declares with
 * PCI_DRIVER_OVERRIDE_DEVICE_VFIO(). libkmod finds the modules whose alias
 * matches; each module's own "alias=" records then give the matching
 * patterns. Blacklisted modules are left out. RET gets N entries. Returns
 * the count or -errno.
 */
int kmodq_vfio_aliases(struct kmodq *q, const char *modalias, struct kmodq_alias **ret)
{
	struct kmod_list *all = NULL, *allowed = NULL, *it;
	_cleanup_free_ struct kmodq_alias *v = NULL;
	_cleanup_free_ char *key = NULL;
	size_t n = 0, alloc = 0;
	int r;

	*ret = NULL;
	if (!modalias || strncmp(modalias, "pci:", 4))
		return -EINVAL;
	if (asprintf(&key, "vfio_pci:%s", modalias + 4) < 0)
		return -ENOMEM;
	r = kmodq_open(q);
	if (r < 0)
		return r;
	r = kmod_module_new_from_lookup(q->ctx, key, &all);
	if (r < 0)
		return r;
	r = kmod_module_apply_filter(q->ctx, KMOD_FILTER_BLACKLIST, all, &allowed);
	if (r < 0)
		goto out_unref;
	kmod_list_foreach(it, allowed) {
		struct kmod_module *m = kmod_module_get_module(it);
		struct kmod_list *info = NULL, *i;

		if (kmod_module_get_info(m, &info) < 0) {
			kmod_module_unref(m);
			continue;
		}
		kmod_list_foreach(i, info) {
			const char *k = kmod_module_info_get_key(i);
			const char *val = kmod_module_info_get_value(i);

			if (!k || !val || !streq(k, "alias") || strncmp(val, "vfio_pci:", 9) ||
			    fnmatch(val, key, 0) != 0)
				continue;
			if (n == alloc) {
				size_t na = alloc ? alloc * 2 : 8;
				struct kmodq_alias *nv = realloc(v, na * sizeof(*nv));

				if (!nv) {
					r = -ENOMEM;
					break;
				}
				v = nv;
				alloc = na;
			}
			if (strlen(val) >= sizeof(v[n].pattern) ||
			    strlen(kmod_module_get_name(m)) >= sizeof(v[n].module))
				continue;
			strcpy(v[n].pattern, val);
			strcpy(v[n].module, kmod_module_get_name(m));
			n++;
		}
		kmod_module_info_free_list(info);
		kmod_module_unref(m);
		if (r == -ENOMEM)
			goto out_unref;
	}
	r = (int)n;
	*ret = TAKE_PTR(v);
out_unref:
	kmod_module_unref_list(allowed);
	kmod_module_unref_list(all);
	return r;
}

/* Whether MODULE exists for this kernel: a file in the index, built in, or loaded. */
bool kmodq_module_known(struct kmodq *q, const char *module)
{
	struct kmod_module *mod = NULL;
	bool known;

	if (!q || kmodq_open(q) < 0 || kmod_module_new_from_name(q->ctx, module, &mod) < 0)
		return false;
	known = kmod_module_get_path(mod) || kmod_module_get_initstate(mod) >= 0;
	kmod_module_unref(mod);
	return known;
}

/*
 * The driver that MODULE registers on the PCI bus, from
 * module/MODULE/drivers/pci:DRIVER (module xhci_pci registers xhci_hcd).
 * Returns 0, -ENOENT when the module registers no PCI driver (or is not
 * loaded), or -errno.
 */
int kmodq_module_driver(struct sysfs *s, const char *module, char *buf, size_t size)
{
	_cleanup_strv_free_ char **entries = NULL;
	int r;

	if (!sysfs_valid_name(module))
		return -EINVAL;
	r = sysfs_list_dir(s, &entries, "module/%s/drivers", module);
	if (r < 0)
		return r;
	for (char **e = entries; *e; e++)
		if (strncmp(*e, "pci:", 4) == 0 && sysfs_valid_name(*e + 4)) {
			if (strlen(*e + 4) >= size)
				return -ENAMETOOLONG;
			strcpy(buf, *e + 4);
			return 0;
		}
	return -ENOENT;
}

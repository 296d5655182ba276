/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libkmod adapter: the only file that talks to libkmod. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libkmod.h>

#include "kmodq.h"
#include "macro.h"
#include "trace.h"

struct kmodq {
	struct kmod_ctx *ctx;
	bool allow_load;
};

/* libkmod's own messages stay quiet: callers report errors once. */
static void kmodq_log(void *data _unused_, int priority _unused_, const char *file _unused_,
		      int line _unused_, const char *fn _unused_, const char *format _unused_,
		      va_list args _unused_)
{
}

/*
 * Open libkmod on MODULES_DIR (the directory holding modules.alias.bin),
 * NULL for the running kernel's. Returns 0 or -errno (-ENOENT: no index there).
 */
int kmodq_new(const char *modules_dir, struct kmodq **ret)
{
	struct kmodq *q;
	int r;

	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->ctx = kmod_new(modules_dir, NULL);
	if (!q->ctx) {
		free(q);
		return -ENOMEM;
	}
	kmod_set_log_fn(q->ctx, kmodq_log, NULL);
	r = kmod_load_resources(q->ctx);
	if (r < 0) {
		kmod_unref(q->ctx);
		free(q);
		return r;
	}
	trace_point("libkmod index loaded");
	*ret = q;
	return 0;
}

/* Accepts NULL, returns NULL. */
struct kmodq *kmodq_free(struct kmodq *q)
{
	if (!q)
		return NULL;
	kmod_unref(q->ctx);
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

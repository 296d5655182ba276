/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Xen adapter: the only file that talks to Xen's libraries.
 *
 * libxenctrl's soname follows the Xen release (libxenctrl.so.4.17) and its
 * domctl interface must match the hypervisor's, so linking it would tie
 * pcibind to one Xen and make it uninstallable without Xen's packages,
 * which most VFIO users do not have. Like systemd's optional libraries,
 * the libraries are dlopen()ed at run time, and only on a Xen dom0 and
 * only when a question needs them: libxenctrl.so (unversioned, from
 * libxen-dev) then .so.4.21 ... .so.4.13, and libxenstore.so.4 (a stable
 * soname). The few prototypes and constants are declared here rather than
 * taken from libxen-dev, so the build needs no Xen package either; they
 * are Xen's stable public ABI (DOMID_IO = 0x7FF1, DOMID_INVALID = 0x7FF4,
 * sbdf = seg << 16 | bus << 8 | dev << 3 | fn, the xentoollog_logger
 * layout), unchanged since 4.13, the first Xen with DOM_IO quarantine.
 *
 * Host detection comes first and opens nothing: hypervisor/type through
 * the sysfs gateway and xen/capabilities through the /proc gateway. On a
 * host that is not a Xen dom0 nothing is loaded and nothing is printed;
 * libxencall's own messages go to a logger that drops them.
 *
 * xenstore can block (a dom0 whose xenstored is not running, as in the
 * initramfs), so it is read in a child process that is killed after a
 * timeout, never from boot or udev (XEN_OPEN_NO_XENSTORE).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "proc.h"
#include "sysfs.h"
#include "xen.h"
#include "util.h"

#define XEN_STORE_TIMEOUT_MS 3000
#define XEN_STORE_MAX (1024 * 1024)

struct xen {
	enum xen_host host;
	unsigned int flags;
	bool own_root;			/* the sysfs root is this system's: Xen is this Xen */
	const struct xen_backend *ops;
	void *ctx;
	int load_error;			/* why the real backend could not be loaded */
};

/* ---- detection ----------------------------------------------------------- */

static enum xen_host detect(struct sysfs *s, struct proc *p)
{
	_cleanup_free_ char *caps = NULL;
	char type[32];

	if (sysfs_read_attr(s, type, sizeof(type), "hypervisor/type") <= 0 || !streq(type, "xen"))
		return XEN_HOST_NONE;
	if (!p || proc_read(p, "xen/capabilities", &caps) < 0)
		return XEN_HOST_OTHER;
	return strstr(caps, "control_d") ? XEN_HOST_DOM0 : XEN_HOST_OTHER;
}

/*
 * Find out whether this is a Xen dom0 (S is the sysfs root, P the /proc
 * root, NULL if none). Loads nothing; the libraries are loaded at the first
 * question. Returns 0 or -ENOMEM.
 */
int xen_open(struct sysfs *s, struct proc *p, unsigned int flags, struct xen **ret)
{
	struct xen *x = calloc(1, sizeof(*x));

	if (!x)
		return -ENOMEM;
	x->host = detect(s, p);
	x->flags = flags;
	x->own_root = sysfs_is_default_root(s);
	*ret = x;
	return 0;
}

/* A Xen with a given host kind and backend: for tests. Returns 0 or -ENOMEM. */
int xen_open_with(enum xen_host host, const struct xen_backend *ops, void *ctx,
		  struct xen **ret)
{
	struct xen *x = calloc(1, sizeof(*x));

	if (!x)
		return -ENOMEM;
	x->host = host;
	x->ops = ops;
	x->ctx = ctx;
	*ret = x;
	return 0;
}

/* Use OPS instead of Xen's libraries (the fake kernel does). */
void xen_set_backend(struct xen *x, const struct xen_backend *ops, void *ctx)
{
	if (x->ops && x->ops->close)
		x->ops->close(x->ctx);
	x->ops = ops;
	x->ctx = ctx;
}

/* Accepts NULL, returns NULL. */
struct xen *xen_close(struct xen *x)
{
	if (!x)
		return NULL;
	if (x->ops && x->ops->close)
		x->ops->close(x->ctx);
	free(x);
	return NULL;
}

enum xen_host xen_host(const struct xen *x)
{
	return x ? x->host : XEN_HOST_NONE;
}

bool xen_is_dom0(const struct xen *x)
{
	return x && x->host == XEN_HOST_DOM0;
}

/* Xen's machine_sbdf: pci_encode_bdf() of libxl. */
uint32_t xen_sbdf(const struct pci_addr *a)
{
	return (a->domain & 0xffffu) << 16 | (uint32_t)a->bus << 8 | (a->slot & 0x1fu) << 3 |
	       (a->func & 7u);
}

/* ---- the real backend: dlopen()ed libxenctrl and libxenstore -------------------- */

/* xentoollog.h's logger (stable layout); ours drops every message. */
struct xtl_logger {
	void (*vmessage)(struct xtl_logger *l, int level, int errnoval, const char *context,
			 const char *format, va_list al);
	void (*progress)(struct xtl_logger *l, const char *context, const char *doing_what,
			 int percent, unsigned long done, unsigned long total);
	void (*destroy)(struct xtl_logger *l);
};

static void xtl_silent(struct xtl_logger *l _unused_, int level _unused_, int errnoval _unused_,
		       const char *context _unused_, const char *format _unused_,
		       va_list al _unused_)
{
}

static struct xtl_logger silent_logger = { .vmessage = xtl_silent };

struct xen_libs {
	void *xc_so, *xs_so;
	void *xch;
	void *(*xc_interface_open)(struct xtl_logger *l, struct xtl_logger *dl, unsigned int f);
	int (*xc_interface_close)(void *xch);
	int (*xc_deassign_device)(void *xch, uint32_t domid, uint32_t sbdf);
	int (*xc_test_assign_device)(void *xch, uint32_t domid, uint32_t sbdf);
	void *(*xs_open)(unsigned long flags);
	void (*xs_close)(void *h);
	char **(*xs_directory)(void *h, uint32_t t, const char *path, unsigned int *num);
	void *(*xs_read)(void *h, uint32_t t, const char *path, unsigned int *len);
};

static void *open_xenctrl(void)
{
	char name[32];
	void *so = dlopen("libxenctrl.so", RTLD_NOW | RTLD_LOCAL);

	for (int minor = 21; !so && minor >= 13; minor--) {
		snprintf(name, sizeof(name), "libxenctrl.so.4.%d", minor);
		so = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	}
	return so;
}

#define SYM(so, lib, fn) (*(void **)&(lib)->fn = dlsym((so), #fn))

static int libs_open_xc(struct xen_libs *lib)
{
	if (lib->xch)
		return 0;
	if (!lib->xc_so) {
		lib->xc_so = open_xenctrl();
		if (!lib->xc_so)
			return -ELIBACC;
	}
	if (!SYM(lib->xc_so, lib, xc_interface_open) || !SYM(lib->xc_so, lib, xc_interface_close) ||
	    !SYM(lib->xc_so, lib, xc_deassign_device) ||
	    !SYM(lib->xc_so, lib, xc_test_assign_device))
		return -ENOSYS;
	lib->xch = lib->xc_interface_open(&silent_logger, &silent_logger, 0);
	return lib->xch ? 0 : -(errno ? errno : EIO);
}

static int real_deassign(void *ctx, uint32_t sbdf)
{
	struct xen_libs *lib = ctx;
	int r = libs_open_xc(lib);

	if (r < 0)
		return r;
	errno = 0;
	if (lib->xc_deassign_device(lib->xch, XEN_DOMID_IO, sbdf) < 0)
		return -(errno ? errno : EIO);
	return 0;
}

static int real_test_assign(void *ctx, uint32_t sbdf)
{
	struct xen_libs *lib = ctx;
	int r = libs_open_xc(lib);

	if (r < 0)
		return r;
	errno = 0;
	if (lib->xc_test_assign_device(lib->xch, XEN_DOMID_INVALID, sbdf) < 0)
		return -(errno ? errno : EIO);
	return 0;
}

static int xs_list(void *h, const char *path, char ***ret)
{
	struct xen_libs *lib = h;
	unsigned int n = 0;
	char **v = lib->xs_directory(lib->xch, 0, path, &n);
	char **out;

	if (!v)
		return -(errno ? errno : ENOENT);
	out = calloc(n + 1, sizeof(*out));
	for (unsigned int i = 0; out && i < n; i++)
		if (!(out[i] = strdup(v[i])))
			out = strv_free(out);
	free(v); /* one allocation holds the array and the strings */
	if (!out)
		return -ENOMEM;
	*ret = out;
	return 0;
}

static int xs_read1(void *h, const char *path, char **ret)
{
	struct xen_libs *lib = h;
	unsigned int len = 0;
	char *v = lib->xs_read(lib->xch, 0, path, &len);
	char *s;

	if (!v)
		return -(errno ? errno : ENOENT);
	s = strndup(v, len);
	free(v);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

static const struct xen_store_ops xs_ops = { .list = xs_list, .read = xs_read1 };

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* The child: open xenstore, collect, write "path\0value\0"... to FD, exit. */
static _Noreturn void store_child(struct xen_libs *lib, int fd)
{
	struct xen_libs child = *lib;
	struct xen_store st = { 0 };
	int r;

	child.xch = lib->xs_open(0);
	if (!child.xch)
		_exit(3);
	r = xen_store_collect(&xs_ops, &child, &st);
	if (r < 0)
		_exit(4);
	for (size_t i = 0; i < st.n; i++)
		if (write_all(fd, st.paths[i], strlen(st.paths[i]) + 1) < 0 ||
		    write_all(fd, st.values[i], strlen(st.values[i]) + 1) < 0)
			_exit(5);
	_exit(0);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read xenstore in a child that dies after TIMEOUT_MS. Returns 0 or -errno. */
static int real_store_dump(void *ctx, int timeout_ms, struct xen_store *ret)
{
	struct xen_libs *lib = ctx;
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int rfd = -1;
	long long deadline = now_ms() + timeout_ms;
	size_t len = 0, alloc = 0;
	int fds[2], status, r = 0;
	pid_t pid;

	if (!lib->xs_so) {
		lib->xs_so = dlopen("libxenstore.so.4", RTLD_NOW | RTLD_LOCAL);
		if (!lib->xs_so)
			return -ELIBACC;
	}
	if (!SYM(lib->xs_so, lib, xs_open) || !SYM(lib->xs_so, lib, xs_close) ||
	    !SYM(lib->xs_so, lib, xs_directory) || !SYM(lib->xs_so, lib, xs_read))
		return -ENOSYS;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(fds[0]);
		close(fds[1]);
		return r;
	}
	if (pid == 0) {
		close(fds[0]);
		store_child(lib, fds[1]);
	}
	close(fds[1]);
	rfd = fds[0];
	for (;;) {
		struct pollfd pfd = { .fd = rfd, .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t k;

		if (left <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		k = poll(&pfd, 1, (int)left);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			r = k < 0 ? -errno : -ETIMEDOUT;
			break;
		}
		if (len + 4096 > alloc) {
			char *nb;

			if (alloc >= XEN_STORE_MAX) {
				r = -EFBIG;
				break;
			}
			alloc = alloc ? alloc * 2 : 16384;
			nb = realloc(buf, alloc);
			if (!nb) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
		}
		k = read(rfd, buf + len, alloc - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = -errno;
			break;
		}
		if (k == 0)
			break;
		len += (size_t)k;
	}
	if (r < 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return r;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return WIFEXITED(status) && WEXITSTATUS(status) == 3 ? -ENOENT : -EIO;
	for (size_t i = 0; i < len;) {
		const char *path = buf + i, *value;
		size_t pl = strnlen(path, len - i);

		if (i + pl + 1 >= len)
			return -EBADMSG;
		value = path + pl + 1;
		i += pl + 1;
		pl = strnlen(value, len - i);
		if (i + pl >= len)
			return -EBADMSG;
		i += pl + 1;
		r = xen_store_add(ret, path, value);
		if (r < 0)
			return r;
	}
	return 0;
}

static void real_close(void *ctx)
{
	struct xen_libs *lib = ctx;

	if (lib->xch)
		lib->xc_interface_close(lib->xch);
	if (lib->xc_so)
		dlclose(lib->xc_so);
	if (lib->xs_so)
		dlclose(lib->xs_so);
	free(lib);
}

static const struct xen_backend real_backend = {
	.deassign = real_deassign,
	.test_assign = real_test_assign,
	.store_dump = real_store_dump,
	.close = real_close,
};

/* The backend, loaded at the first question. Returns 0 or -errno. */
static int backend(struct xen *x)
{
	struct xen_libs *lib;

	if (x->ops)
		return 0;
	if (x->load_error)
		return x->load_error;
	if (x->host != XEN_HOST_DOM0)
		return (x->load_error = -ENODEV);
	/*
	 * A fixture's Xen is not the Xen this process would talk to. Not
	 * EOPNOTSUPP: from Xen that means "no IOMMU", which is fine.
	 */
	if (!x->own_root)
		return (x->load_error = -EREMOTE);
	lib = calloc(1, sizeof(*lib));
	if (!lib)
		return -ENOMEM;
	x->ops = &real_backend;
	x->ctx = lib;
	return 0;
}

/*
 * De-assign A from DOM_IO (Xen's quarantine), so that dom0's driver gets
 * its MSIs and DMA. Returns 0, -ENODEV (not quarantined), -EOPNOTSUPP (no
 * IOMMU), -ESRCH (Xen before 4.13), or another -errno (xen_dq_outcome()).
 */
int xen_dequarantine(struct xen *x, const struct pci_addr *a)
{
	int r = backend(x);

	if (r < 0)
		return r == -ENODEV ? -ENOENT : r; /* not ENODEV: that means "not quarantined" */
	return x->ops->deassign(x->ctx, xen_sbdf(a));
}

enum xen_dq_outcome xen_dq_outcome(int r)
{
	switch (r) {
	case 0:
		return XEN_DQ_DONE;
	case -ENODEV:
		return XEN_DQ_NOT_QUARANTINED;
	case -EOPNOTSUPP:
		return XEN_DQ_NO_IOMMU;
	case -ESRCH:
		return XEN_DQ_OLD_XEN;
	default:
		return XEN_DQ_FAILED;
	}
}

/* One line on what de-quarantining BDF answered R means. */
void xen_dq_describe(int r, const char *bdf, char *buf, size_t size)
{
	switch (xen_dq_outcome(r)) {
	case XEN_DQ_DONE:
		snprintf(buf, size, "Xen moved %s from its quarantine (DOM_IO) back to dom0", bdf);
		break;
	case XEN_DQ_NOT_QUARANTINED:
		snprintf(buf, size, "%s was not in Xen's quarantine (DOM_IO): nothing to do", bdf);
		break;
	case XEN_DQ_NO_IOMMU:
		snprintf(buf, size, "Xen runs without an IOMMU, so %s was never quarantined", bdf);
		break;
	case XEN_DQ_OLD_XEN:
		snprintf(buf, size,
			 "this Xen has no DOM_IO quarantine (older than 4.13): %s is taken to be "
			 "dom0's already",
			 bdf);
		break;
	default:
		if (r == -EREMOTE)
			snprintf(buf, size,
				 "cannot take %s out of Xen's quarantine (DOM_IO): the sysfs root "
				 "is not this system's, so this system's Xen cannot be asked",
				 bdf);
		else if (r == -ELIBACC)
			snprintf(buf, size,
				 "cannot take %s out of Xen's quarantine (DOM_IO): %s; dom0's "
				 "driver would get no MSI and no DMA",
				 bdf, xen_strerror(r));
		else if (r == -EACCES)
			snprintf(buf, size,
				 "Xen refused to take %s out of its quarantine (DOM_IO): %s (a "
				 "libxenctrl of another Xen version than the hypervisor's, or an "
				 "XSM policy)",
				 bdf, strerror(-r));
		else
			snprintf(buf, size,
				 "Xen could not take %s out of its quarantine (DOM_IO): %s; dom0's "
				 "driver would get no MSI and no DMA",
				 bdf, strerror(-r));
		break;
	}
}

/*
 * R (a -errno of this adapter) in words for a message: a missing library
 * names the Debian packages that provide it, and a fixture's Xen says why
 * it is not asked, instead of strerror()'s "Object is remote".
 */
const char *xen_strerror(int r)
{
	switch (r) {
	case -ELIBACC:
		return "Xen's libraries are not installed (libxenctrl.so.4.NN from Debian's "
		       "libxenmisc4.NN, e.g. libxenmisc4.17, and libxenstore.so.4 from "
		       "libxenstore4)";
	case -EREMOTE:
		return "the sysfs root is not this system's, so this system's Xen is not asked";
	case -ENOSYS:
		return "the installed Xen library lacks a function pcibind needs";
	default:
		return strerror(-r);
	}
}

/* ---- who holds a device ----------------------------------------------------- */

int xen_store_add(struct xen_store *st, const char *path, const char *value)
{
	if (st->n == st->alloc) {
		size_t na = st->alloc ? st->alloc * 2 : 32;
		char **np = realloc(st->paths, na * sizeof(*np));

		if (!np)
			return -ENOMEM;
		st->paths = np;
		np = realloc(st->values, na * sizeof(*np));
		if (!np)
			return -ENOMEM;
		st->values = np;
		st->alloc = na;
	}
	st->paths[st->n] = strdup(path);
	st->values[st->n] = strdup(value);
	if (!st->paths[st->n] || !st->values[st->n]) {
		free(st->paths[st->n]);
		free(st->values[st->n]);
		return -ENOMEM;
	}
	st->n++;
	return 0;
}

const char *xen_store_get(const struct xen_store *st, const char *path)
{
	for (size_t i = 0; i < st->n; i++)
		if (streq(st->paths[i], path))
			return st->values[i];
	return NULL;
}

void xen_store_done(struct xen_store *st)
{
	for (size_t i = 0; i < st->n; i++) {
		free(st->paths[i]);
		free(st->values[i]);
	}
	free(st->paths);
	free(st->values);
	*st = (struct xen_store){ 0 };
}

static int copy_node(const struct xen_store_ops *ops, void *h, struct xen_store *st,
		     const char *path)
{
	_cleanup_free_ char *v = NULL;
	int r = ops->read(h, path, &v);

	if (r == -ENOENT || r == -EACCES)
		return 0;
	if (r < 0)
		return r;
	return xen_store_add(st, path, v);
}

static int copy_domain(const struct xen_store_ops *ops, void *h, struct xen_store *st,
		       const char *domid, int depth)
{
	char path[96];
	const char *target;
	int r;

	snprintf(path, sizeof(path), "/local/domain/%s", domid);
	if (xen_store_get(st, path))
		return 0;
	r = copy_node(ops, h, st, path);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/local/domain/%s/name", domid);
	r = copy_node(ops, h, st, path);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/local/domain/%s/target", domid);
	r = copy_node(ops, h, st, path);
	if (r < 0)
		return r;
	target = xen_store_get(st, path);
	if (target && util_all_digits(target) && depth == 0)
		return copy_domain(ops, h, st, target, 1);
	return 0;
}

/*
 * libxl's records of what 'xl pci-assignable-add' took from its driver:
 * /libxl/pci/DDDD-BB-SS-F/driver_path (Xen 4.15 on; /libxl/pciback before),
 * the sysfs path of the driver it was on. Returns 0 or -errno.
 */
static int copy_libxl(const struct xen_store_ops *ops, void *h, struct xen_store *st)
{
	static const char *const bases[] = { "/libxl/pci", "/libxl/pciback" };

	for (size_t b = 0; b < ELEMENTSOF(bases); b++) {
		_cleanup_strv_free_ char **bdfs = NULL;
		int r = ops->list(h, bases[b], &bdfs);

		if (r == -ENOENT || r == -EACCES)
			continue;
		if (r < 0)
			return r;
		for (char **d = bdfs; *d; d++) {
			char path[96];

			if (strlen(*d) != sizeof("0000-00-00-0") - 1)
				continue;
			snprintf(path, sizeof(path), "%s/%s/driver_path", bases[b], *d);
			r = copy_node(ops, h, st, path);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/*
 * libxl's record of A in ST (xen_store_collect()): 1 with the driver it
 * was taken from in DRIVER ("" when the record names none) and the node's
 * path in NODE, or 0 when libxl recorded nothing.
 */
int xen_store_libxl_record(const struct xen_store *st, const struct pci_addr *a, char *driver,
			   size_t size, char *node, size_t node_size)
{
	static const char *const bases[] = { "/libxl/pci", "/libxl/pciback" };

	for (size_t b = 0; b < ELEMENTSOF(bases); b++) {
		const char *v, *slash;

		snprintf(node, node_size, "%s/%04x-%02x-%02x-%01x/driver_path", bases[b], a->domain,
			 a->bus, a->slot, a->func);
		v = xen_store_get(st, node);
		if (!v)
			continue;
		slash = strrchr(v, '/');
		snprintf(driver, size, "%s", slash ? slash + 1 : v);
		return 1;
	}
	return 0;
}

/*
 * Whether libxl ('xl pci-assignable-add') recorded A as taken from its
 * driver: 1 (DRIVER, NODE as xen_store_libxl_record()), 0, or -errno when
 * xenstore could not be read (-ENODEV: not a dom0).
 */
int xen_libxl_record(struct xen *x, const struct pci_addr *a, char *driver, size_t size,
		     char *node, size_t node_size)
{
	struct xen_store st = { 0 };
	int r = backend(x);

	if (r < 0)
		return r;
	if (x->flags & XEN_OPEN_NO_XENSTORE)
		return -EPERM;
	r = x->ops->store_dump(x->ctx, XEN_STORE_TIMEOUT_MS, &st);
	if (r == 0)
		r = xen_store_libxl_record(&st, a, driver, size, node, node_size);
	xen_store_done(&st);
	return r;
}

/*
 * Copy what "who holds it" needs from a xenstore: the pci backends of dom0
 * (/local/domain/0/backend/pci/<domid>/0/{num_devs,dev-N,state-N}), and for
 * each frontend domain its node, name and target (a stub domain's guest).
 * Returns 0, -ENOENT (no such store) or -errno.
 */
int xen_store_collect(const struct xen_store_ops *ops, void *h, struct xen_store *ret)
{
	static const char base[] = "/local/domain/0/backend/pci";
	_cleanup_strv_free_ char **domids = NULL;
	int r;

	r = ops->list(h, "/local/domain", &domids);
	if (r < 0)
		return r; /* not even the domains: not a readable xenstore */
	domids = strv_free(domids);
	r = copy_libxl(ops, h, ret);
	if (r < 0)
		return r;
	r = ops->list(h, base, &domids);
	if (r == -ENOENT)
		return 0; /* no pci backend at all */
	if (r < 0)
		return r;
	for (char **d = domids; *d; d++) {
		_cleanup_strv_free_ char **keys = NULL;
		char path[160];

		if (!util_all_digits(*d) || strlen(*d) > 10)
			continue;
		snprintf(path, sizeof(path), "%s/%s/0", base, *d);
		r = ops->list(h, path, &keys);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		for (char **k = keys; *k; k++) {
			if (!streq(*k, "num_devs") && strncmp(*k, "dev-", 4) &&
			    strncmp(*k, "state-", 6))
				continue;
			if (strlen(*k) > 20)
				continue;
			snprintf(path, sizeof(path), "%s/%s/0/%s", base, *d, *k);
			r = copy_node(ops, h, ret, path);
			if (r < 0)
				return r;
		}
		r = copy_domain(ops, h, ret, *d, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

/* XenbusState of a device slot: 1 Initialising, 3 Initialised, 5 Closing (detach running). */
static bool state_in_use(const char *state)
{
	if (!state)
		return true; /* no state: libxl is still writing it; count it */
	return streq(state, "1") || streq(state, "3") || streq(state, "4") || streq(state, "5");
}

/*
 * Whether the dump ST names A in a pci backend of a live domain: 1 (RET
 * says which), 0 (no), -errno. Every dev-N is looked at, whatever num_devs
 * says, so a renumbering in progress does not hide it; a backend whose
 * domain is gone (a crashed toolstack's leftovers) does not count; a stub
 * domain is resolved to its target.
 */
int xen_store_find_user(const struct xen_store *st, const struct pci_addr *a,
			struct xen_user *ret)
{
	static const char base[] = "/local/domain/0/backend/pci/";

	for (size_t i = 0; i < st->n; i++) {
		const char *p = st->paths[i];
		unsigned int domid, n, target;
		char key[160], *end;
		const char *name, *t;
		struct pci_addr b;
		int off = 0;

		if (strncmp(p, base, sizeof(base) - 1))
			continue;
		if (sscanf(p + sizeof(base) - 1, "%u/0/dev-%u%n", &domid, &n, &off) != 2 ||
		    p[sizeof(base) - 1 + off] != '\0')
			continue;
		if (addr_parse_bdf(st->values[i], &b) < 0 || addr_cmp(&b, a) != 0)
			continue;
		snprintf(key, sizeof(key), "%s%u/0/state-%u", base, domid, n);
		if (!state_in_use(xen_store_get(st, key)))
			continue;
		snprintf(key, sizeof(key), "/local/domain/%u", domid);
		if (!xen_store_get(st, key))
			continue; /* stale: that domain does not exist */
		*ret = (struct xen_user){ .domid = domid, .backend_domid = domid,
					  .source = "xenstore" };
		snprintf(key, sizeof(key), "/local/domain/%u/target", domid);
		t = xen_store_get(st, key);
		if (t && util_all_digits(t)) {
			errno = 0;
			target = (unsigned int)strtoul(t, &end, 10);
			if (!errno && !*end)
				ret->domid = target;
		}
		snprintf(key, sizeof(key), "/local/domain/%u/name", ret->domid);
		name = xen_store_get(st, key);
		if (name && *name) {
			snprintf(ret->name, sizeof(ret->name), "%s", name);
			ret->named = true;
		}
		return 1;
	}
	return 0;
}

/*
 * Which domain holds A. The hypervisor first (xc_test_assign_device with
 * DOMID_INVALID): 0 means dom0 or DOM_IO owns it, so no guest does, and
 * xenstore is not asked; EINVAL means another domain owns it, and
 * xenstore's pci backends give its id and name (a stub domain resolved to
 * its guest). When the hypervisor cannot answer (no IOMMU: EOPNOTSUPP; no
 * libxenctrl; another Xen), xenstore alone decides. Returns 1 (held; RET
 * says by whom), 0 (no guest holds it) or -errno when neither could
 * answer (the caller fails closed).
 */
int xen_assigned_domain(struct xen *x, const struct pci_addr *a, struct xen_user *ret)
{
	struct xen_store st = { 0 };
	int hv, sr = -EPERM, r;

	r = backend(x);
	if (r < 0)
		return r;
	hv = x->ops->test_assign(x->ctx, xen_sbdf(a));
	if (hv == 0)
		return 0;
	if (!(x->flags & XEN_OPEN_NO_XENSTORE)) {
		sr = x->ops->store_dump(x->ctx, XEN_STORE_TIMEOUT_MS, &st);
		r = sr == 0 ? xen_store_find_user(&st, a, ret) : 0;
		xen_store_done(&st);
		if (r != 0)
			return r;
	}
	if (hv == -EINVAL) {
		*ret = (struct xen_user){ .domid = XEN_DOMID_INVALID,
					  .backend_domid = XEN_DOMID_INVALID,
					  .source = "the hypervisor" };
		return 1;
	}
	return sr == 0 ? 0 : hv;
}

/* "domain 3 (sys-net)", "domain 3 (sys-net, through stub domain 4)", "a domain other than dom0". */
void xen_user_format(const struct xen_user *u, char *buf, size_t size)
{
	char stub[48] = "";

	if (u->domid == XEN_DOMID_INVALID) {
		snprintf(buf, size, "a domain other than dom0 (so says %s; xenstore names none)",
			 u->source ? u->source : "Xen");
		return;
	}
	if (u->backend_domid != u->domid)
		snprintf(stub, sizeof(stub), "%sthrough stub domain %u", u->named ? ", " : "",
			 u->backend_domid);
	if (u->named || stub[0])
		snprintf(buf, size, "domain %u (%s%s)", u->domid, u->named ? u->name : "", stub);
	else
		snprintf(buf, size, "domain %u", u->domid);
}

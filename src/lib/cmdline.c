/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel command line, as "pcibind boot" reads it: rd.pcibind.* and
 * Qubes' rd.qubes.* options into a request, and the request resolved
 * against a device snapshot. Pure: text and a snapshot in, no I/O.
 *
 * Rules (pcibind-dracut(7) is the user's version):
 *  - words are split as the kernel's next_arg() splits them: "..." quotes
 *    a whole word or a value, and a bare "--" ends the kernel's part;
 *  - list keys (seize, keep, hide_pci, dom0_usb) accumulate over repeats,
 *    and an empty value ("rd.pcibind.seize=") drops what that key said
 *    before; scalar keys (rd.pcibind, rd.pcibind.driver) take the last;
 *  - items are split at commas (and blanks inside quotes); a bad item is
 *    reported with its reason and only that item is ignored;
 *  - any of rd.qubes.hide_all_usb, rd.qubes.hide_pci, rd.qubes.dom0_usb
 *    brings Qubes' rule: network controllers are seized, USB controllers
 *    too with hide_all_usb;
 *  - a boolean (rd.pcibind, rd.qubes.hide_all_usb) is read as dracut's
 *    getargbool reads it: false only for exactly 0, no and off.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "macro.h"
#include "pcidev.h"
#include "select.h"

#define CMDLINE_MAX_ITEMS 256

static const char *const kind_names[_CMDLINE_KIND_MAX] = {
	[CMDLINE_CLASS] = "class",
	[CMDLINE_ADDRESS] = "address",
	[CMDLINE_PATH] = "PCI path",
	[CMDLINE_ID] = "vendor:device ID",
};

/* "class", "address", "PCI path" or "vendor:device ID". */
const char *cmdline_kind_name(enum cmdline_kind k)
{
	return k < _CMDLINE_KIND_MAX ? kind_names[k] : "?";
}

static void item_done(struct cmdline_item *it)
{
	free(it->text);
}

static void error_done(struct cmdline_error *e)
{
	free(e->key);
	free(e->item);
	free(e->why);
}

static void errors_free(struct cmdline_error *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		error_done(&v[i]);
	free(v);
}

/* Free a request; accepts NULL, returns NULL. */
struct cmdline_request *cmdline_request_free(struct cmdline_request *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_seize; i++)
		item_done(&r->seize[i]);
	for (size_t i = 0; i < r->n_keep; i++)
		item_done(&r->keep[i]);
	free(r->seize);
	free(r->keep);
	errors_free(r->errors, r->n_errors);
	free(r);
	return NULL;
}

/* Whether the request asks for anything to be seized (and is not disabled). */
bool cmdline_wants_something(const struct cmdline_request *r)
{
	return r && !r->disabled && r->n_seize > 0;
}

static int add_error(struct cmdline_error **v, size_t *n, const char *key, const char *item,
		     const char *why)
{
	struct cmdline_error *nv = realloc(*v, (*n + 1) * sizeof(**v));
	struct cmdline_error e = { 0 };

	if (!nv)
		return -ENOMEM;
	*v = nv;
	e.key = strdup(key);
	e.item = strdup(item ? item : "");
	e.why = strdup(why);
	if (!e.key || !e.item || !e.why) {
		error_done(&e);
		return -ENOMEM;
	}
	(*v)[(*n)++] = e;
	return 0;
}

static bool is_hex4(const char *s, size_t n)
{
	if (n != 4)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* "8086:10d3": four hex digits, a colon, four hex digits. */
static bool looks_like_id(const char *s)
{
	const char *colon = strchr(s, ':');

	return colon && is_hex4(s, (size_t)(colon - s)) && is_hex4(colon + 1, strlen(colon + 1));
}

/*
 * Classify and parse one item. Returns 0, -EINVAL with *why set (a static
 * string), or -ENOMEM.
 */
static int parse_item(const char *text, const char *key, struct cmdline_item *ret,
		      char *why, size_t why_size)
{
	struct cmdline_item it = { .key = key };
	const char *err = NULL;
	int r;

	it.text = strdup(text);
	if (!it.text)
		return -ENOMEM;
	if (looks_like_id(text)) {
		it.kind = CMDLINE_ID;
		r = select_parse_id(it.text, &it.sel, &err);
	} else {
		r = select_parse(it.text, &it.sel, &err);
		if (r == 0) {
			const struct pciname_filter *f = &it.sel.f;

			if (it.sel.n_hops > 1)
				it.kind = CMDLINE_PATH;
			else if (f->device_class >= 0)
				it.kind = CMDLINE_CLASS;
			else
				it.kind = CMDLINE_ADDRESS;
			if (it.kind == CMDLINE_ADDRESS && f->domain < 0 && f->bus < 0 &&
			    f->slot < 0 && f->func < 0) {
				err = "it would match every PCI function (name a class, an address "
				      "or a vendor:device ID)";
				r = -EINVAL;
			} else if (it.kind == CMDLINE_ADDRESS && f->slot < 0) {
				/* "00:*", "0000:*", "0000:00:*.0": every endpoint of a bus */
				err = "it would match every function on a bus (name a slot, a "
				      "class, an address or a vendor:device ID)";
				r = -EINVAL;
			}
		} else if (r == -EINVAL) {
			/* select.c's reason is about addresses; say what else was possible. */
			snprintf(why, why_size,
				 "not a class name (network, usb, storage, ...), an address, a PCI "
				 "path or a vendor:device ID (%s)",
				 err ? err : "?");
			free(it.text);
			return r;
		}
	}
	if (r < 0) {
		free(it.text);
		snprintf(why, why_size, "%s", err ? err : "not a valid item");
		return r;
	}
	it.sel.text = it.text;
	*ret = it;
	return 0;
}

static int add_item(struct cmdline_item **v, size_t *n, const struct cmdline_item *it)
{
	struct cmdline_item *nv;

	if (*n >= CMDLINE_MAX_ITEMS)
		return -E2BIG;
	nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	(*v)[(*n)++] = *it;
	return 0;
}

/* Drop the items KEY contributed so far (an empty value resets the list). */
static void drop_key(struct cmdline_item *v, size_t *n, const char *key)
{
	size_t k = 0;

	for (size_t i = 0; i < *n; i++) {
		if (streq(v[i].key, key))
			item_done(&v[i]);
		else
			v[k++] = v[i];
	}
	*n = k;
}

/* Split VALUE at commas and blanks and add every good item to the list. */
static int add_list(struct cmdline_request *r, bool keep, const char *key, const char *value)
{
	_cleanup_free_ char *copy = strdup(value);
	struct cmdline_item **v = keep ? &r->keep : &r->seize;
	size_t *n = keep ? &r->n_keep : &r->n_seize;
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *tok = strtok_r(copy, ", \t\n", &save); tok; tok = strtok_r(NULL, ", \t\n", &save)) {
		struct cmdline_item it;
		char why[256];
		int q;

		q = parse_item(tok, key, &it, why, sizeof(why));
		if (q == -ENOMEM)
			return q;
		if (q < 0) {
			q = add_error(&r->errors, &r->n_errors, key, tok, why);
			if (q < 0)
				return q;
			continue;
		}
		q = add_item(v, n, &it);
		if (q == -E2BIG) {
			item_done(&it);
			q = add_error(&r->errors, &r->n_errors, key, tok,
				      "too many items (at most 256 per list)");
		}
		if (q < 0) {
			item_done(&it);
			return q;
		}
	}
	return 0;
}

/*
 * dracut's getargbool (dracut-lib.sh) for every boolean option: false only
 * for exactly 0, no and off (case matters); the bare key, an empty value and
 * any other value are true. Returns 0, or 1 for a value that is true but
 * none of 1, yes, on, true (worth a word: "false", "NO" and "Off" are true).
 */
static int getargbool(const char *value, bool *ret)
{
	static const char *const no[] = { "0", "no", "off" };
	static const char *const yes[] = { "1", "yes", "on", "true" };

	*ret = true;
	if (!value || !*value)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(no); i++)
		if (streq(value, no[i])) {
			*ret = false;
			return 0;
		}
	for (size_t i = 0; i < ELEMENTSOF(yes); i++)
		if (streq(value, yes[i]))
			return 0;
	return 1;
}

static int parse_driver(const char *value, const char **ret)
{
	static const struct {
		const char *word, *driver;
	} map[] = {
		{ "pciback", "pciback" },   { "xen-pciback", "pciback" },
		{ "xen_pciback", "pciback" }, { "vfio-pci", "vfio-pci" },
		{ "vfio_pci", "vfio-pci" }, { "pci-stub", "pci-stub" },
		{ "pci_stub", "pci-stub" }, { "auto", NULL },
	};

	for (size_t i = 0; i < ELEMENTSOF(map); i++)
		if (value && streq(value, map[i].word)) {
			*ret = map[i].driver;
			return 0;
		}
	return -EINVAL;
}

static const char *const list_keys[] = {
	"rd.pcibind.seize",
	"rd.pcibind.keep",
	"rd.qubes.hide_pci",
	"rd.qubes.dom0_usb",
};

/* One "key[=value]" word. Returns 0 or -ENOMEM; bad input becomes an error entry. */
static int handle_param(struct cmdline_request *r, const char *key, const char *value)
{
	bool b;
	int q;

	if (streq(key, "rd.pcibind")) {
		q = getargbool(value, &b);
		r->disabled = !b;
		if (q > 0)
			return add_error(
				&r->errors, &r->n_errors, key, value,
				"not 0, no or off, so pcibind acts, as dracut's getargbool "
				"reads it (rd.pcibind=0 disables pcibind)");
		return 0;
	}
	if (streq(key, "rd.pcibind.driver")) {
		const char *d;

		if (parse_driver(value, &d) < 0)
			return add_error(&r->errors, &r->n_errors, key, value ? value : "",
					 "not a stub driver (pciback, vfio-pci, pci-stub or auto)");
		r->driver = d;
		return 0;
	}
	if (streq(key, "rd.qubes.hide_all_usb")) {
		r->qubes = true;
		q = getargbool(value, &b);
		r->hide_all_usb = b;
		if (q > 0)
			return add_error(&r->errors, &r->n_errors, key, value,
					 "not 0, no or off: taken as true, as dracut's getargbool "
					 "does");
		return 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(list_keys); i++) {
		bool keep;

		if (!streq(key, list_keys[i]))
			continue;
		key = list_keys[i]; /* items keep the key: not a pointer into the text */
		keep = streq(key, "rd.pcibind.keep") || streq(key, "rd.qubes.dom0_usb");

		if (strncmp(key, "rd.qubes.", 9) == 0)
			r->qubes = true;
		if (!value)
			return add_error(&r->errors, &r->n_errors, key, "",
					 "needs a value (a comma list of classes, addresses, PCI "
					 "paths or vendor:device IDs)");
		if (!*value) {
			drop_key(keep ? r->keep : r->seize, keep ? &r->n_keep : &r->n_seize, key);
			return 0;
		}
		return add_list(r, keep, key, value);
	}
	if (strncmp(key, "rd.pcibind.", 11) == 0)
		return add_error(&r->errors, &r->n_errors, key, value ? value : "",
				 "unknown option (pcibind knows rd.pcibind, rd.pcibind.seize, "
				 "rd.pcibind.keep and rd.pcibind.driver)");
	return 0;
}

/*
 * The kernel's next_arg() (lib/cmdline.c): split off one word at ARGS,
 * honouring "..." around the word or the value. Returns where the next
 * word starts.
 */
static char *next_arg(char *args, char **param, char **val)
{
	size_t i, equals = 0;
	bool in_quote = false, quoted = false;

	if (*args == '"') {
		args++;
		in_quote = quoted = true;
	}
	for (i = 0; args[i]; i++) {
		if (isspace((unsigned char)args[i]) && !in_quote)
			break;
		if (equals == 0 && args[i] == '=')
			equals = i;
		if (args[i] == '"')
			in_quote = !in_quote;
	}
	*param = args;
	if (!equals) {
		*val = NULL;
	} else {
		args[equals] = '\0';
		*val = args + equals + 1;
		if (**val == '"') {
			(*val)++;
			if (args[i - 1] == '"')
				args[i - 1] = '\0';
		}
	}
	if (quoted && i > 0 && args[i - 1] == '"')
		args[i - 1] = '\0';
	if (args[i]) {
		args[i] = '\0';
		args += i + 1;
	} else {
		args += i;
	}
	while (isspace((unsigned char)*args))
		args++;
	return args;
}

static int add_implied(struct cmdline_request *r, const char *cls, const char *key)
{
	struct cmdline_item it;
	char why[256];
	int q;

	q = parse_item(cls, key, &it, why, sizeof(why));
	if (q < 0)
		return q;
	it.implied = true;
	q = add_item(&r->seize, &r->n_seize, &it);
	if (q < 0)
		item_done(&it);
	return q == -E2BIG ? 0 : q;
}

/*
 * Parse command line TEXT (e.g. /proc/cmdline's contents) into *RET. Bad
 * items and values end up in (*ret)->errors, each with its reason; the rest
 * still counts. Returns 0 or -ENOMEM.
 */
int cmdline_parse(const char *text, struct cmdline_request **ret)
{
	_cleanup_(cmdline_request_freep) struct cmdline_request *r = calloc(1, sizeof(*r));
	_cleanup_free_ char *buf = strdup(text ? text : "");
	char *args = buf;
	int q;

	if (!r || !buf)
		return -ENOMEM;
	while (isspace((unsigned char)*args))
		args++;
	while (*args) {
		char *param, *val;

		args = next_arg(args, &param, &val);
		if (!val && streq(param, "--"))
			break; /* the rest is init's */
		q = handle_param(r, param, val);
		if (q < 0)
			return q;
	}
	if (r->qubes) {
		q = add_implied(r, "network", "rd.qubes");
		if (q == 0 && r->hide_all_usb)
			q = add_implied(r, "usb", "rd.qubes.hide_all_usb");
		if (q < 0)
			return q;
	}
	*ret = TAKE_PTR(r);
	return 0;
}

/* Free a selection; accepts NULL, returns NULL. */
struct cmdline_selection *cmdline_selection_free(struct cmdline_selection *s)
{
	if (!s)
		return NULL;
	free(s->picks);
	errors_free(s->errors, s->n_errors);
	free(s);
	return NULL;
}

static const struct cmdline_item *first_match(const struct cmdline_item *v, size_t n,
					      const struct pcidev *d, bool *used)
{
	const struct cmdline_item *found = NULL;

	for (size_t i = 0; i < n; i++)
		if (select_match(&v[i].sel, d)) {
			used[i] = true;
			if (!found)
				found = &v[i];
		}
	return found;
}

static int unmatched(struct cmdline_selection *s, const struct cmdline_item *v, size_t n,
		     const bool *used)
{
	for (size_t i = 0; i < n; i++) {
		int q;

		if (used[i] || v[i].kind == CMDLINE_CLASS)
			continue;
		q = add_error(&s->errors, &s->n_errors, v[i].key, v[i].text,
			      v[i].kind == CMDLINE_ID ? "no PCI function has this vendor:device ID"
			      : v[i].kind == CMDLINE_PATH
				      ? "no PCI function sits at this PCI path"
				      : "no such PCI function");
		if (q < 0)
			return q;
	}
	return 0;
}

/*
 * Whether IT names one function by its exact address or PCI path (no
 * wildcard): what boot asks before it seizes storage or dom0's keyboard.
 */
bool cmdline_item_exact(const struct cmdline_item *it)
{
	const struct pciname_filter *f = &it->sel.f;

	if (it->kind == CMDLINE_PATH)
		return true;
	return it->kind == CMDLINE_ADDRESS && f->bus >= 0 && f->slot >= 0 && f->func >= 0;
}

/* A mass storage controller (base class 01): the root disk may be behind it. */
static bool is_storage(const struct pcidev *d)
{
	return (d->class >> 16) == 0x01;
}

/*
 * Resolve request R against snapshot L: every function a seize or keep item
 * names, with the first item that names it (a PCI path is followed through
 * the bridges' secondary bus numbers). Items other than classes that name
 * no function are reported in (*ret)->errors. Returns 0 or -ENOMEM.
 */
int cmdline_resolve(const struct cmdline_request *r, const struct pcidev_list *l,
		    struct cmdline_selection **ret)
{
	_cleanup_(cmdline_selection_freep) struct cmdline_selection *s = calloc(1, sizeof(*s));
	_cleanup_free_ bool *used_seize = calloc(r->n_seize + 1, sizeof(bool));
	_cleanup_free_ bool *used_keep = calloc(r->n_keep + 1, sizeof(bool));
	int q;

	if (!s || !used_seize || !used_keep)
		return -ENOMEM;
	s->picks = calloc(l->n + 1, sizeof(*s->picks));
	if (!s->picks)
		return -ENOMEM;
	for (size_t i = 0; i < l->n; i++) {
		struct cmdline_pick p = { .dev = l->devs[i] };

		p.seized_by = first_match(r->seize, r->n_seize, p.dev, used_seize);
		p.kept_by = first_match(r->keep, r->n_keep, p.dev, used_keep);
		if (p.seized_by && !cmdline_item_exact(p.seized_by) && is_storage(p.dev)) {
			/*
			 * Nothing is mounted at pre-udev, so the storage guard cannot
			 * see the root disk: a class, an ID or a wildcard never takes
			 * storage at boot, only an exact address does.
			 */
			const struct cmdline_item *exact = NULL;
			char why[256];

			for (size_t k = 0; k < r->n_seize && !exact; k++)
				if (cmdline_item_exact(&r->seize[k]) &&
				    select_match(&r->seize[k].sel, p.dev))
					exact = &r->seize[k];
			if (!exact) {
				snprintf(why, sizeof(why),
					 "not for %s, a storage controller: at boot, storage is "
					 "seized only when its exact address is named (the root "
					 "disk may be behind it)",
					 p.dev->bdf);
				q = add_error(&s->errors, &s->n_errors, p.seized_by->key,
					      p.seized_by->text, why);
				if (q < 0)
					return q;
			}
			p.seized_by = exact;
		}
		if (p.seized_by || p.kept_by)
			s->picks[s->n++] = p;
	}
	q = unmatched(s, r->seize, r->n_seize, used_seize);
	if (q == 0)
		q = unmatched(s, r->keep, r->n_keep, used_keep);
	if (q < 0)
		return q;
	*ret = TAKE_PTR(s);
	return 0;
}

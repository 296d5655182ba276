/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The policy engine, and the only file that talks to inih.
 *
 * Files: *.conf in /usr/lib/pcibind/policy.d (vendor) and
 * /etc/pcibind/policy.d (admin); a file in /etc replaces the vendor file of
 * the same name; all are read in lexical order of file name. Every section
 * is a rule. A rule matches a function when every match-* key it has
 * matches (a key given several times, or with a comma list, matches any of
 * its values); a rule without match-* keys matches every function.
 *
 * Precedence: rules are taken in file order, then in order within a file;
 * for each key, the last matching rule that sets it wins. explain shows
 * which rule (file:line) set each key.
 *
 * Fail closed: a syntax error, an unknown key or value, an unsafe file or
 * directory is an error with file and line; mutating commands refuse to
 * run with errors, read commands warn.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ini.h>

#include "addr.h"
#include "macro.h"
#include "pcidev.h"
#include "policy.h"
#include "sysfs.h"
#include "util.h"

#define POLICY_FILE_MAX (1024 * 1024)
#define POLICY_LINE_MAX 196 /* inih's line buffer is 200, with \r\n\0 */

const char *const policy_default_dirs[] = {
	"/usr/lib/pcibind/policy.d",
	"/etc/pcibind/policy.d",
	NULL,
};

static const char *const key_names[_PK_MAX] = {
	[PK_BOOT] = "boot",
	[PK_HOTPLUG] = "hotplug",
	[PK_DRIVER] = "driver",
	[PK_STRICT_RESET] = "strict-reset",
	[PK_PERMISSIVE] = "permissive",
	[PK_RELEASE] = "release",
	[PK_PROTECT] = "protect",
	[PK_EXPECT_ID] = "expect-id",
	[PK_FORCE] = "force",
	[PK_VFS] = "vfs",
};

static const char *const match_names[_MATCH_KIND_MAX] = {
	[MATCH_ADDRESS] = "match-address",
	[MATCH_ID] = "match-id",
	[MATCH_CLASS] = "match-class",
	[MATCH_DRIVER] = "match-driver",
	[MATCH_PHYSFN] = "match-physfn",
};

/* The key's name as policy files spell it. */
const char *policy_key_name(enum policy_key k)
{
	return k < _PK_MAX ? key_names[k] : "?";
}

static const struct policy_values builtin = {
	.boot = 0,
	.hotplug = 0,
	.strict_reset = 1,
	.permissive = 0,
	.protect = 0,
	.force = 0,
	.release = RELEASE_IF_RESETTABLE,
	.driver = "",
	.expect_vendor = -1,
	.expect_device = -1,
	.vfs = -1,
};

static void match_free(struct policy_match *m)
{
	free(m->text);
}

static void rule_free(struct policy_rule *r)
{
	for (size_t i = 0; i < r->n_matches; i++)
		match_free(&r->matches[i]);
	free(r->matches);
	free(r->file);
	free(r->name);
}

/* Free a policy; accepts NULL, returns NULL. */
struct policy *policy_free(struct policy *p)
{
	if (!p)
		return NULL;
	for (size_t i = 0; i < p->n_rules; i++)
		rule_free(&p->rules[i]);
	free(p->rules);
	for (size_t i = 0; i < p->n_errors; i++) {
		free(p->errors[i].file);
		free(p->errors[i].message);
	}
	free(p->errors);
	strv_free(p->files);
	free(p);
	return NULL;
}

static int add_error(struct policy *p, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int add_error(struct policy *p, const char *file, int line, const char *fmt, ...)
{
	struct policy_diag *nv = realloc(p->errors, (p->n_errors + 1) * sizeof(*nv));
	va_list ap;
	int r;

	if (!nv)
		return -ENOMEM;
	p->errors = nv;
	nv[p->n_errors] = (struct policy_diag){ .file = strdup(file), .line = line, .rule = -1 };
	va_start(ap, fmt);
	r = vasprintf(&nv[p->n_errors].message, fmt, ap);
	va_end(ap);
	if (r < 0 || !nv[p->n_errors].file)
		return -ENOMEM;
	p->n_errors++;
	return 0;
}

/* An error that breaks rule R (an index in P): R is dropped, the rest stands. */
static int add_rule_error(struct policy *p, size_t rule, const char *file, int line,
			  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int add_rule_error(struct policy *p, size_t rule, const char *file, int line,
			  const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	r = add_error(p, file, line, "%s", msg);
	if (r < 0)
		return r;
	p->errors[p->n_errors - 1].rule = (long)rule;
	p->rules[rule].broken = true;
	return 0;
}

/* ---- values ------------------------------------------------------------- */

/* yes/no, true/false, 1/0, on/off. Returns 1, 0, or -1 for anything else. */
int policy_parse_bool(const char *v)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1") ||
	    !strcasecmp(v, "on"))
		return 1;
	if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0") ||
	    !strcasecmp(v, "off"))
		return 0;
	return -1;
}

/* Exactly LEN (1 to 4) hex digits, through addr.c's parser. */
static int parse_hex16(const char *s, size_t len, int *ret)
{
	const char *p = s;
	uint32_t v;

	if (len == 0 || len > 4 || addr_parse_hex(&p, len, len, &v) < 0)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

/* "8086:10d3" or "8086:10d3:1028:089e" (with subsystem); "*" for any field. */
static int parse_id(const char *text, struct policy_match *m)
{
	int *fields[4] = { &m->vendor, &m->device, &m->subvendor, &m->subdevice };
	const char *p = text;
	int n = 0;

	m->vendor = m->device = m->subvendor = m->subdevice = -1;
	while (n < 4) {
		size_t len = strcspn(p, ":");

		if (!(len == 1 && *p == '*') && parse_hex16(p, len, fields[n]) < 0)
			return -EINVAL;
		n++;
		p += len;
		if (!*p)
			break;
		p++;
	}
	return (n == 2 || n == 4) && !*p ? 0 : -EINVAL;
}

/* A class name (select.c's), or a hex code "0200"/"02" with an optional "/MASK". */
static int parse_class(const char *text, struct policy_match *m)
{
	struct selector sel;
	const char *why, *slash = strchr(text, '/');
	int code, mask;
	size_t len = slash ? (size_t)(slash - text) : strlen(text);

	if (!strncasecmp(text, "0x", 2)) {
		text += 2;
		len -= 2;
	}
	if (parse_hex16(text, len, &code) == 0 && (len == 2 || len == 4)) {
		mask = len == 2 ? 0xff00 : 0xffff;
		if (len == 2)
			code <<= 8;
		if (slash && parse_hex16(slash + 1, strlen(slash + 1), &mask) < 0)
			return -EINVAL;
		m->class16 = code;
		m->mask = mask;
		return 0;
	}
	if (slash || select_parse(text, &sel, &why) < 0 || sel.f.device_class < 0 ||
	    sel.f.bus >= 0 || sel.f.slot >= 0)
		return -EINVAL;
	m->class16 = sel.f.device_class;
	m->mask = sel.f.device_class_mask;
	return 0;
}

/* ---- parsing ------------------------------------------------------------ */

struct parse_state {
	struct policy *p;
	const char *file;
	const char *text;
	size_t pos;
	int line;		/* of the line the parser holds now */
	bool at_line_start;
	int section_line;	/* a "[...]" line read, not yet given a rule */
	struct policy_rule *rule;
	int r;			/* -ENOMEM */
};

/* inih's reader: one line at a time, so that we know the line number. */
static char *reader(char *str, int num, void *stream)
{
	struct parse_state *st = stream;
	size_t len, n;

	if (st->pos >= strlen(st->text) || num < 2)
		return NULL;
	if (st->at_line_start) {
		st->line++;
		st->at_line_start = false;
	}
	len = strcspn(st->text + st->pos, "\n");
	n = len + (st->text[st->pos + len] == '\n');
	if (n > (size_t)num - 1) {
		/* Too long for inih: an error of ours, and skip the rest of it. */
		add_error(st->p, st->file, st->line, "line longer than %d characters",
			  POLICY_LINE_MAX);
		st->pos += n;
		st->at_line_start = true;
		str[0] = '\n';
		str[1] = '\0';
		return str;
	}
	memcpy(str, st->text + st->pos, n);
	str[n] = '\0';
	st->pos += n;
	st->at_line_start = true;
	/* A section header as inih accepts it: after a UTF-8 BOM and any white
	 * space, '[' ... ']' (inih reports a broken one). */
	{
		const char *h = str;

		if (st->line == 1 && !strncmp(h, "\xEF\xBB\xBF", 3))
			h += 3;
		while (*h && isspace((unsigned char)*h))
			h++;
		if (*h == '[' && strchr(h, ']')) {
			const char *after = strchr(h, ']') + 1;

			st->section_line = st->line;
			/*
			 * inih ignores what follows the ']': "[protect usb] match-class
			 * = usb" would be a rule without its match. Only blanks or a
			 * comment may follow.
			 */
			after += strspn(after, " \t\r\n");
			if (*after && *after != ';' && *after != '#' &&
			    add_error(st->p, st->file, st->line,
				      "text after the section's ']' ('%.*s'): inih ignores it; put "
				      "each key = value on a line of its own",
				      (int)strcspn(after, "\r\n"), after) < 0)
				st->r = -ENOMEM;
		}
	}
	return str;
}

static struct policy_rule *new_rule(struct parse_state *st, const char *section)
{
	struct policy *p = st->p;
	struct policy_rule *nv = realloc(p->rules, (p->n_rules + 1) * sizeof(*nv));
	struct policy_rule *r;

	if (!nv)
		return NULL;
	p->rules = nv;
	r = &nv[p->n_rules];
	*r = (struct policy_rule){ .line = st->section_line, .v = builtin };
	r->file = strdup(st->file);
	r->name = strdup(section);
	if (!r->file || !r->name) {
		free(r->file);
		free(r->name);
		return NULL;
	}
	p->n_rules++;
	return r;
}

static int add_match(struct parse_state *st, struct policy_rule *r, enum match_kind kind,
		     const char *value)
{
	_cleanup_free_ char *copy = strdup(value);
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		struct policy_match m = { .kind = kind };
		struct policy_match *nv;
		const char *why = NULL;
		bool ok;

		item += strspn(item, " \t");
		for (size_t n = strlen(item); n && (item[n - 1] == ' ' || item[n - 1] == '\t');)
			item[--n] = '\0';
		switch (kind) {
		case MATCH_ADDRESS:
		case MATCH_PHYSFN:
			ok = select_parse(item, &m.sel, &why) == 0 && m.sel.f.device_class < 0;
			/*
			 * "01:00.0" names one function of domain 0000, as
			 * pcibind.conf(5) writes it: not every domain's 01:00.0.
			 */
			if (ok && m.sel.n_hops <= 1 && m.sel.f.domain < 0 && m.sel.f.bus >= 0 &&
			    m.sel.f.slot >= 0 && m.sel.f.func >= 0)
				m.sel.f.domain = 0;
			break;
		case MATCH_ID:
			ok = parse_id(item, &m) == 0;
			break;
		case MATCH_CLASS:
			ok = parse_class(item, &m) == 0;
			break;
		default:
			ok = sysfs_valid_name(item);
			break;
		}
		if (!ok) {
			r->bad_match[kind] = true;
			if (add_rule_error(st->p, (size_t)(r - st->p->rules), st->file, st->line,
					   "%s: '%s' is not valid%s%s", match_names[kind], item,
					   why ? ": " : "", why ? why : "") < 0)
				return -ENOMEM;
			continue;
		}
		m.text = strdup(item);
		nv = realloc(r->matches, (r->n_matches + 1) * sizeof(*nv));
		if (!m.text || !nv) {
			free(m.text);
			if (nv)
				r->matches = nv;
			return -ENOMEM;
		}
		m.sel.text = m.text;
		r->matches = nv;
		r->matches[r->n_matches++] = m;
		if (kind == MATCH_ADDRESS) {
			/* Exact: one address item in the whole rule, naming one function. */
			bool exact = m.sel.n_hops > 1 ||
				     (m.sel.f.domain >= 0 && m.sel.f.bus >= 0 && m.sel.f.slot >= 0 &&
				      m.sel.f.func >= 0);

			r->exact_address = ++r->n_addresses == 1 && exact;
		}
	}
	return 0;
}

static int set_key(struct parse_state *st, struct policy_rule *r, const char *name,
		   const char *value)
{
	struct policy_match m;
	int k, b;

	/* Qubes' spelling: no-strict-reset = yes is strict-reset = no. */
	if (!strcmp(name, "no-strict-reset")) {
		b = policy_parse_bool(value);
		if (b < 0)
			goto bad_value;
		r->v.strict_reset = !b;
		k = PK_STRICT_RESET;
		goto done;
	}
	for (k = 0; k < _PK_MAX; k++)
		if (!strcmp(name, key_names[k]))
			break;
	if (k == _PK_MAX) {
		if (!strncmp(name, "match", 5)) {
			/* a misspelt match key: the rule would match everything */
			for (int mk = 0; mk < _MATCH_KIND_MAX; mk++)
				r->bad_match[mk] = true;
			return add_rule_error(st->p, (size_t)(r - st->p->rules), st->file,
					      st->line,
					      "unknown match key '%s' (match-address, match-id, "
					      "match-class, match-driver or match-physfn): the rule is "
					      "dropped",
					      name);
		}
		return add_rule_error(st->p, (size_t)(r - st->p->rules), st->file, st->line,
				      "unknown key '%s' (see pcibind.conf(5) for the keys)", name);
	}
	switch (k) {
	case PK_DRIVER:
		/* any spelling the kernel command line takes; kept canonical */
		if (pcidev_stub_from_spelling(value) == PCIDEV_STUB_NONE)
			goto bad_value;
		snprintf(r->v.driver, sizeof(r->v.driver), "%s",
			 pcidev_stub_name(pcidev_stub_from_spelling(value)));
		break;
	case PK_RELEASE:
		if (!strcmp(value, "never"))
			r->v.release = RELEASE_NEVER;
		else if (!strcmp(value, "if-resettable"))
			r->v.release = RELEASE_IF_RESETTABLE;
		else if (!strcmp(value, "always"))
			r->v.release = RELEASE_ALWAYS;
		else
			goto bad_value;
		break;
	case PK_EXPECT_ID:
		if (parse_id(value, &m) < 0 || m.subvendor >= 0 || m.vendor < 0 || m.device < 0)
			goto bad_value;
		r->v.expect_vendor = m.vendor;
		r->v.expect_device = m.device;
		break;
	case PK_VFS: {
		char *end;
		long n;

		errno = 0;
		n = strtol(value, &end, 10);
		if (errno || end == value || *end || n < 0 || n > 65535)
			goto bad_value;
		r->v.vfs = (int)n;
		break;
	}
	default:
		b = policy_parse_bool(value);
		if (b < 0)
			goto bad_value;
		if (k == PK_BOOT)
			r->v.boot = b;
		else if (k == PK_HOTPLUG)
			r->v.hotplug = b;
		else if (k == PK_STRICT_RESET)
			r->v.strict_reset = b;
		else if (k == PK_PERMISSIVE)
			r->v.permissive = b;
		else if (k == PK_PROTECT)
			r->v.protect = b;
		else
			r->v.force = b;
		break;
	}
done:
	r->set[k] = true;
	r->key_line[k] = st->line;
	return 0;

bad_value:
	return add_rule_error(st->p, (size_t)(r - st->p->rules), st->file, st->line,
			      "%s: bad value '%s'%s", name, value,
		  !strcmp(name, "driver")	     ? " (pciback, vfio-pci or pci-stub)"
		  : !strcmp(name, "release")   ? " (never, if-resettable or always)"
		  : !strcmp(name, "expect-id") ? " (VENDOR:DEVICE, e.g. 8086:15bb)"
		  : !strcmp(name, "vfs")       ? " (a VF count, 0 to 65535)"
					       : " (yes or no)");
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *st = user;

	if (!section[0]) {
		add_error(st->p, st->file, st->line, "'%s' is outside a [section]", name);
		return 1;
	}
	/* A new rule at each section header; also if the reader missed one. */
	if (st->section_line || !st->rule || strcmp(st->rule->name, section)) {
		if (!st->section_line)
			st->section_line = st->line;
		st->rule = new_rule(st, section);
		st->section_line = 0;
		if (!st->rule) {
			st->r = -ENOMEM;
			return 0;
		}
	}
	for (int k = 0; k < _MATCH_KIND_MAX; k++)
		if (!strcmp(name, match_names[k])) {
			if (add_match(st, st->rule, k, value) < 0) {
				st->r = -ENOMEM;
				return 0;
			}
			return 1;
		}
	if (set_key(st, st->rule, name, value) < 0) {
		st->r = -ENOMEM;
		return 0;
	}
	return 1;
}

/* Checks that need the whole rule: force and expect-id need one exact address. */
static void check_rules(struct policy *p, size_t first)
{
	for (size_t i = first; i < p->n_rules; i++) {
		struct policy_rule *r = &p->rules[i];

		if (r->set[PK_FORCE] && r->v.force && !r->exact_address)
			add_rule_error(p, i, r->file, r->key_line[PK_FORCE],
				       "[%s]: force needs a match-address that names one function "
				       "(no wildcards, no class)",
				       r->name);
		if (r->set[PK_EXPECT_ID] && !r->exact_address)
			add_rule_error(p, i, r->file, r->key_line[PK_EXPECT_ID],
				       "[%s]: expect-id goes with a match-address that names one "
				       "function",
				       r->name);
	}
}

/*
 * Line ends are LF, or CRLF throughout. inih splits lines at LF only: with
 * CR-only line ends a whole file is one line, its rules silently gone; a
 * stray CR hides what follows it on a terminal; CRLF mixed with LF is a
 * file pasted together. Returns 0, 1 after adding an error (file and
 * line) for a file that must not be read, or -ENOMEM.
 */
static int check_line_ends(struct policy *p, const char *file, const char *text)
{
	int line = 1, crlf = 0, lf = 0;

	for (const char *c = text; *c; c++) {
		if (*c == '\r' && c[1] != '\n')
			return add_error(p, file, line,
					 "a carriage return that does not end a line (CR-only line "
					 "ends?): the file is not read; save it with LF line ends") ?: 1;
		if (*c != '\n')
			continue;
		if (c > text && c[-1] == '\r')
			crlf = crlf ? crlf : line;
		else
			lf = lf ? lf : line;
		if (crlf && lf)
			return add_error(p, file, line,
					 "mixed line ends (CRLF on line %d, LF on line %d): the file is "
					 "not read; save it with one kind (LF)",
					 crlf, lf) ?: 1;
		line++;
	}
	return 0;
}

/*
 * Parse TEXT as policy file FILE into P (tests, and the loader). Problems
 * are recorded in P's errors. Returns 0 or -ENOMEM.
 */
int policy_parse_string(struct policy *p, const char *file, const char *text)
{
	struct parse_state st = { .p = p, .file = file, .text = text, .at_line_start = true };
	size_t first = p->n_rules;
	int r;

	if (memchr(text, '\0', strlen(text)) != NULL)
		return 0;
	r = check_line_ends(p, file, text);
	if (r != 0)
		return r < 0 ? r : 0;
	r = ini_parse_stream(reader, &st, handler, &st);
	if (st.r < 0)
		return st.r;
	if (r > 0)
		add_error(p, file, r, "syntax error (expected '[rule name]', 'key = value' or a "
				      "comment)");
	check_rules(p, first);
	return 0;
}

static bool trusted_owner(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/*
 * Whether the directory PATH, and every directory and symlink on the way to
 * it (the current directory's too, for a relative path), are safe from
 * other users, as sudo checks its files: each owned by root or by us, and
 * no directory writable by group or others, except a sticky one (/tmp)
 * above the last, where others may not rename what is ours. Symlinks are
 * followed and their targets checked the same way. Returns 0, or -ENOENT,
 * -EPERM, -ENOTDIR, -ELOOP or -ENAMETOOLONG with the reason in WHY.
 */
int policy_check_path(const char *path, char *why, size_t size)
{
	char todo[2 * PATH_MAX + 2], done[PATH_MAX] = "", target[PATH_MAX];
	int links = 0;
	struct stat st;

	if (path[0] == '/') {
		if (strlen(path) >= sizeof(todo))
			goto too_long;
		strcpy(todo, path);
	} else {
		char cwd[PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd)))
			goto too_long;
		if ((size_t)snprintf(todo, sizeof(todo), "%s/%s", cwd, path) >= sizeof(todo))
			goto too_long;
	}
	/*
	 * "/" as any directory on the way: root's, and writable by others only
	 * if sticky (nobody can then rename what root put in it). An initramfs's
	 * "/" is tmpfs's 1777 unless its archive says otherwise.
	 */
	if (lstat("/", &st) < 0 || !trusted_owner(st.st_uid) ||
	    ((st.st_mode & 022) && !(st.st_mode & S_ISVTX))) {
		snprintf(why, size, "/ is not root's, or others may write it (and it is not sticky)");
		return -EPERM;
	}
	for (;;) {
		char *p = todo, *end, cand[PATH_MAX];
		char comp[NAME_MAX + 1];
		size_t n;
		bool last;

		while (*p == '/')
			p++;
		if (!*p)
			return 0;
		end = strchrnul(p, '/');
		n = (size_t)(end - p);
		if (n > NAME_MAX)
			goto too_long;
		memcpy(comp, p, n);
		comp[n] = '\0';
		while (*end == '/')
			end++;
		last = !*end;
		memmove(todo, end, strlen(end) + 1);
		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			char *slash = strrchr(done, '/');

			if (slash)
				*slash = '\0';
			continue;
		}
		if ((size_t)snprintf(cand, sizeof(cand), "%s/%s", done, comp) >= sizeof(cand))
			goto too_long;
		if (lstat(cand, &st) < 0) {
			int r = -errno;

			snprintf(why, size, "%s: %s", cand, strerror(errno));
			return r;
		}
		if (!trusted_owner(st.st_uid)) {
			snprintf(why, size, "%s is owned by uid %u, not by root%s", cand,
				 (unsigned int)st.st_uid, geteuid() ? " or you" : "");
			return -EPERM;
		}
		if (S_ISLNK(st.st_mode)) {
			ssize_t k = readlink(cand, target, sizeof(target) - 1);

			if (k < 0) {
				snprintf(why, size, "%s: %s", cand, strerror(errno));
				return -ENOENT;
			}
			target[k] = '\0';
			if (++links > 40) {
				snprintf(why, size, "%s: too many symbolic links", cand);
				return -ELOOP;
			}
			if ((size_t)k + 1 + strlen(todo) + 1 > sizeof(todo))
				goto too_long;
			/* the target, then what was left after the link */
			memmove(todo + k + 1, todo, strlen(todo) + 1);
			memcpy(todo, target, k);
			todo[k] = '/';
			if (target[0] == '/')
				done[0] = '\0';
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			snprintf(why, size, "%s is not a directory", cand);
			return -ENOTDIR;
		}
		if ((st.st_mode & 022) && (last || !(st.st_mode & S_ISVTX))) {
			snprintf(why, size, "%s is writable by group or others (mode %04o)", cand,
				 (unsigned int)(st.st_mode & 07777));
			return -EPERM;
		}
		strcpy(done, cand);
	}

too_long:
	snprintf(why, size, "%s: path too long", path);
	return -ENAMETOOLONG;
}

static int check_owner(const struct stat *st)
{
	/* Root's, or (for tests) the running user's; nobody else may write it. */
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return -EPERM;
	if (st->st_mode & 022)
		return -EACCES;
	return 0;
}

/* FNV-1a over the bytes: a digest of the policy, to tell two copies apart. */
static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *c = data;

	for (size_t i = 0; i < len; i++) {
		h ^= c[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Whether the file changed between two fstat()s of it: size, contents' or inode's time. */
static bool changed(const struct stat *a, const struct stat *b)
{
	return a->st_size != b->st_size || a->st_mtim.tv_sec != b->st_mtim.tv_sec ||
	       a->st_mtim.tv_nsec != b->st_mtim.tv_nsec || a->st_ctim.tv_sec != b->st_ctim.tv_sec ||
	       a->st_ctim.tv_nsec != b->st_ctim.tv_nsec;
}

static int load_file(struct policy *p, const char *dir, const char *name)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st, after;
	size_t n;
	int r;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return add_error(p, path, 0, "cannot open: %s%s", strerror(errno),
				 errno == ELOOP ? " (a symbolic link: not trusted)" : "");
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return add_error(p, path, 0, "not a regular file");
	r = check_owner(&st);
	if (r == -EPERM)
		return add_error(p, path, 0, "owned by uid %u, not root: not trusted",
				 (unsigned int)st.st_uid);
	if (r < 0)
		return add_error(p, path, 0, "writable by group or others (mode %04o): not trusted",
				 (unsigned int)(st.st_mode & 07777));
	if (st.st_size > POLICY_FILE_MAX)
		return add_error(p, path, 0, "larger than %d bytes", POLICY_FILE_MAX);
	/*
	 * All of it, to the end; then the same file must still be what was
	 * read: an editor that rewrites it in place is caught in the middle
	 * (empty, or half written) as often as not, and its rules would be lost.
	 */
	r = util_read_fd(fd, POLICY_FILE_MAX, &text, &n);
	if (r == -EFBIG)
		return add_error(p, path, 0, "larger than %d bytes", POLICY_FILE_MAX);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return add_error(p, path, 0, "cannot read: %s", strerror(-r));
	if (fstat(fd, &after) < 0)
		return add_error(p, path, 0, "cannot read: %s", strerror(errno));
	if (changed(&st, &after) || (off_t)n != after.st_size)
		return add_error(p, path, 0,
				 "it changed while it was read (size or modification time): "
				 "nothing in it is used; run the command again once it is written");
	if (memchr(text, '\0', n))
		return add_error(p, path, 0, "holds a NUL byte: not a text file");
	p->digest = fnv1a(p->digest, name, strlen(name) + 1);
	p->digest = fnv1a(p->digest, text, n);
	return policy_parse_string(p, path, text);
}

/* One of pcibind's own directories, which need not exist. */
static bool is_builtin_dir(const char *dir)
{
	for (size_t i = 0; policy_default_dirs[i]; i++)
		if (!strcmp(dir, policy_default_dirs[i]))
			return true;
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Load every *.conf of DIRS (later directories replace earlier files of the
 * same name), in lexical order of file name. The built-in directories may
 * be missing; a directory given otherwise that is missing, or that other
 * users could change (policy_check_path()), is an error.
 * Returns 0 (problems are in (*ret)->errors) or -ENOMEM.
 */
int policy_load(const char *const *dirs, size_t n_dirs, struct policy **ret)
{
	_cleanup_(policy_freep) struct policy *p = calloc(1, sizeof(*p));
	_cleanup_free_ const char **owner = NULL;
	char **names = NULL;
	size_t n = 0;
	int r = 0;

	if (!p)
		return -ENOMEM;
	p->digest = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n_dirs; i++) {
		struct stat st, checked;
		char why[PATH_MAX + 128];
		DIR *d;
		struct dirent *de;

		r = policy_check_path(dirs[i], why, sizeof(why));
		if (r == -ENOENT && is_builtin_dir(dirs[i]) && stat(dirs[i], &st) < 0 &&
		    errno == ENOENT) {
			/* the built-in directories may be absent */
			r = 0;
			continue;
		}
		if (r == -ENOENT) {
			r = 0;
			add_error(p, dirs[i], 0,
				  "the policy directory does not exist (%s): its rules cannot "
				  "apply; create it or name another",
				  why);
			continue;
		}
		if (r < 0) {
			r = 0;
			add_error(p, dirs[i], 0,
				  "directory not trusted: %s (every directory on the way must be "
				  "root's or yours, and not writable by group or others)",
				  why);
			continue;
		}
		if (stat(dirs[i], &checked) < 0) {
			add_error(p, dirs[i], 0, "cannot read directory: %s", strerror(errno));
			continue;
		}
		d = opendir(dirs[i]);
		if (!d) {
			add_error(p, dirs[i], 0, "cannot read directory: %s", strerror(errno));
			continue;
		}
		/* the directory opened is the one checked, not one swapped in since */
		if (fstat(dirfd(d), &st) < 0 || st.st_dev != checked.st_dev ||
		    st.st_ino != checked.st_ino || check_owner(&st) < 0) {
			add_error(p, dirs[i], 0,
				  "directory not owned by root or writable by group or others: not "
				  "trusted");
			closedir(d);
			continue;
		}
		while ((de = readdir(d))) {
			size_t len = strlen(de->d_name), k;

			if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".conf"))
				continue;
			for (k = 0; k < n && strcmp(names[k], de->d_name); k++)
				;
			if (k == n) {
				char **nv = realloc(names, (n + 2) * sizeof(*nv));
				const char **no = realloc(owner, (n + 2) * sizeof(*no));

				if (nv)
					names = nv;
				if (no)
					owner = no;
				if (!nv || !no || !(names[n] = strdup(de->d_name))) {
					r = -ENOMEM;
					break;
				}
				names[++n] = NULL;
			}
			owner[k] = dirs[i];
		}
		closedir(d);
		if (r < 0)
			break;
	}
	if (r < 0) {
		strv_free(names);
		return r;
	}
	/* Sort names and owners together: sort indices through a copy. */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && cmp_str(&names[j - 1], &names[j]) > 0; j--) {
			char *t = names[j];
			const char *o = owner[j];

			names[j] = names[j - 1];
			owner[j] = owner[j - 1];
			names[j - 1] = t;
			owner[j - 1] = o;
		}
	p->files = calloc(n + 1, sizeof(*p->files));
	if (!p->files) {
		strv_free(names);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n && r >= 0; i++) {
		if (asprintf(&p->files[i], "%s/%s", owner[i], names[i]) < 0) {
			r = -ENOMEM;
			break;
		}
		p->n_files++;
		r = load_file(p, owner[i], names[i]);
	}
	strv_free(names);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(p);
	return 0;
}

/* ---- evaluation --------------------------------------------------------- */

static bool match_one(const struct policy_match *m, const struct pcidev *d)
{
	switch (m->kind) {
	case MATCH_ADDRESS:
		return select_match(&m->sel, d);
	case MATCH_ID:
		return (m->vendor < 0 || m->vendor == d->vendor) &&
		       (m->device < 0 || m->device == d->device) &&
		       (m->subvendor < 0 || m->subvendor == d->subsys_vendor) &&
		       (m->subdevice < 0 || m->subdevice == d->subsys_device);
	case MATCH_CLASS:
		return (((d->class >> 8) ^ m->class16) & m->mask) == 0;
	case MATCH_DRIVER:
		return d->driver && !strcmp(d->driver, m->text);
	case MATCH_PHYSFN:
		return d->physfn && select_match(&m->sel, d->physfn);
	default:
		return false;
	}
}

/*
 * Whether every match kind of R has a value that matches D; with
 * SKIP_BAD, a kind whose value did not parse counts as matching anything
 * (what R could name, had it parsed).
 */
static bool match_kinds(const struct policy_rule *r, const struct pcidev *d, bool skip_bad)
{
	for (int k = 0; k < _MATCH_KIND_MAX; k++) {
		bool has = false, any = false;

		if (skip_bad && r->bad_match[k])
			continue;
		for (size_t i = 0; i < r->n_matches; i++) {
			if (r->matches[i].kind != (enum match_kind)k)
				continue;
			has = true;
			any = any || match_one(&r->matches[i], d);
		}
		if (has && !any)
			return false;
	}
	return true;
}

/*
 * Whether P's errors forbid changing D. An error that belongs to no rule (a
 * file that cannot be read or trusted, a missing or untrusted directory, a
 * syntax error) forbids every change: nobody can tell what it meant. A rule
 * with an error is dropped, and forbids changing the functions it could
 * name (match_kinds() without its bad kinds). *RET_WHY (may be NULL) is the error. Read commands
 * ignore this; seize, release, boot and udev ask it for every function.
 */
bool policy_blocks(const struct policy *p, const struct pcidev_list *l, const struct pcidev *d,
		   const struct policy_diag **ret_why)
{
	(void)l;
	/* an error outside any rule first: it holds up everything */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; p && i < p->n_errors; i++) {
			const struct policy_diag *e = &p->errors[i];
			bool global = e->rule < 0 || (size_t)e->rule >= p->n_rules;

			if (pass == 0 ? global : !global && match_kinds(&p->rules[e->rule], d, true)) {
				if (ret_why)
					*ret_why = e;
				return true;
			}
		}
	return false;
}

/* Whether every match-* kind of R has a value that matches D. */
bool policy_match_device(const struct policy_rule *r, const struct pcidev_list *l,
			 const struct pcidev *d)
{
	(void)l;
	return match_kinds(r, d, false);
}

/*
 * Evaluate P for D: start from the built-in defaults, then every matching
 * rule in order sets the keys it has. RET records which rule set each key
 * and every rule that matched. Returns 0 or -ENOMEM.
 */
int policy_eval(const struct policy *p, const struct pcidev_list *l, const struct pcidev *d,
		struct policy_eval *ret)
{
	struct policy_eval e = { .v = builtin };

	e.matched = calloc(p ? p->n_rules + 1 : 1, sizeof(*e.matched));
	if (!e.matched)
		return -ENOMEM;
	for (size_t i = 0; p && i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (r->broken || !policy_match_device(r, l, d))
			continue; /* a broken rule is dropped: policy_blocks() fails closed */
		e.matched[e.n_matched++] = r;
		for (int k = 0; k < _PK_MAX; k++) {
			if (!r->set[k])
				continue;
			e.source[k] = r;
			switch (k) {
			case PK_BOOT: e.v.boot = r->v.boot; break;
			case PK_HOTPLUG: e.v.hotplug = r->v.hotplug; break;
			case PK_DRIVER: memcpy(e.v.driver, r->v.driver, sizeof(e.v.driver)); break;
			case PK_STRICT_RESET: e.v.strict_reset = r->v.strict_reset; break;
			case PK_PERMISSIVE: e.v.permissive = r->v.permissive; break;
			case PK_RELEASE: e.v.release = r->v.release; break;
			case PK_PROTECT: e.v.protect = r->v.protect; break;
			case PK_FORCE: e.v.force = r->v.force; break;
			case PK_EXPECT_ID:
				e.v.expect_vendor = r->v.expect_vendor;
				e.v.expect_device = r->v.expect_device;
				break;
			case PK_VFS: e.v.vfs = r->v.vfs; break;
			}
		}
	}
	*ret = e;
	return 0;
}

void policy_eval_done(struct policy_eval *e)
{
	free(e->matched);
	e->matched = NULL;
}

/* The effective value of K, as a policy file would write it. Returns 0 or -ENOSPC. */
int policy_format_value(const struct policy_eval *e, enum policy_key k, char *buf, size_t size)
{
	static const char *const rel[] = { "never", "if-resettable", "always" };
	int n;

	switch (k) {
	case PK_DRIVER:
		n = snprintf(buf, size, "%s", e->v.driver[0] ? e->v.driver : "(default)");
		break;
	case PK_RELEASE:
		n = snprintf(buf, size, "%s", rel[e->v.release]);
		break;
	case PK_EXPECT_ID:
		if (e->v.expect_vendor < 0)
			n = snprintf(buf, size, "(any)");
		else
			n = snprintf(buf, size, "%04x:%04x", e->v.expect_vendor, e->v.expect_device);
		break;
	case PK_VFS:
		if (e->v.vfs < 0)
			n = snprintf(buf, size, "(unset)");
		else
			n = snprintf(buf, size, "%d", e->v.vfs);
		break;
	default: {
		int v = k == PK_BOOT ? e->v.boot : k == PK_HOTPLUG ? e->v.hotplug
			: k == PK_STRICT_RESET ? e->v.strict_reset
			: k == PK_PERMISSIVE ? e->v.permissive
			: k == PK_PROTECT ? e->v.protect : e->v.force;

		n = snprintf(buf, size, "%s", v ? "yes" : "no");
		break;
	}
	}
	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

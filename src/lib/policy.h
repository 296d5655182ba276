/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The policy engine: INI rules from policy.d, evaluated per function with provenance. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "select.h"

struct pcidev;
struct pcidev_list;

enum policy_key {
	PK_BOOT,		/* seize at boot */
	PK_HOTPLUG,		/* seize on hot-plug */
	PK_DRIVER,		/* the stub */
	PK_STRICT_RESET,	/* no: Qubes' no-strict-reset */
	PK_PERMISSIVE,
	PK_RELEASE,		/* never, if-resettable, always */
	PK_PROTECT,		/* never seize */
	PK_EXPECT_ID,		/* vendor:device an address rule expects there */
	PK_FORCE,		/* pass the safety guards (exact-address rules only) */
	PK_VFS,			/* an SR-IOV PF's VF count, set at boot and hot-plug */
	_PK_MAX,
};

enum policy_release {
	RELEASE_NEVER,
	RELEASE_IF_RESETTABLE,
	RELEASE_ALWAYS,
};

enum match_kind {
	MATCH_ADDRESS,
	MATCH_ID,
	MATCH_CLASS,
	MATCH_DRIVER,
	MATCH_PHYSFN,		/* an SR-IOV VF whose PF the selector names */
	_MATCH_KIND_MAX,
};

struct policy_match {
	enum match_kind kind;
	char *text;
	struct selector sel;		/* MATCH_ADDRESS, MATCH_PHYSFN */
	int vendor, device, subvendor, subdevice; /* MATCH_ID, -1 = any */
	unsigned int class16, mask;	/* MATCH_CLASS */
};

struct policy_values {
	int boot, hotplug, strict_reset, permissive, protect, force;
	enum policy_release release;
	char driver[16];		/* "" = pcibind's default */
	int expect_vendor, expect_device;
	int vfs;			/* -1: not set */
};

struct policy_rule {
	char *file;
	char *name;
	int line;
	struct policy_match *matches;
	size_t n_matches;
	bool exact_address;		/* its only match-address names one function */
	size_t n_addresses;		/* match-address items */
	bool set[_PK_MAX];
	int key_line[_PK_MAX];
	struct policy_values v;
	bool broken;			/* has an error: dropped, see policy_blocks() */
	bool bad_match[_MATCH_KIND_MAX];	/* a value of this match kind did not parse */
};

struct policy_diag {
	char *file;
	int line;
	char *message;
	long rule;			/* index of the rule it breaks; -1: the whole policy */
};

struct policy {
	struct policy_rule *rules;
	size_t n_rules;
	struct policy_diag *errors;
	size_t n_errors;
	char **files;			/* every file read, in order */
	size_t n_files;
	uint64_t digest;		/* of every file's name and content, in order */
};

/* A function's settings after every matching rule, with where each came from. */
struct policy_eval {
	struct policy_values v;
	const struct policy_rule *source[_PK_MAX];	/* NULL: built-in default */
	const char *cli_source[_PK_MAX];		/* set by a command-line -o */
	const struct policy_rule **matched;
	size_t n_matched;
};

extern const char *const policy_default_dirs[];
const char *policy_key_name(enum policy_key k);
int policy_parse_bool(const char *v);

int policy_load(const char *const *dirs, size_t n_dirs, struct policy **ret);
int policy_parse_string(struct policy *p, const char *file, const char *text);
struct policy *policy_free(struct policy *p);
static inline void policy_freep(struct policy **p)
{
	policy_free(*p);
}

bool policy_blocks(const struct policy *p, const struct pcidev_list *l, const struct pcidev *d,
		   const struct policy_diag **ret_why);
int policy_check_path(const char *path, char *why, size_t size);
int policy_eval(const struct policy *p, const struct pcidev_list *l, const struct pcidev *d,
		struct policy_eval *ret);
void policy_eval_done(struct policy_eval *e);
bool policy_match_device(const struct policy_rule *r, const struct pcidev_list *l,
			 const struct pcidev *d);
int policy_format_value(const struct policy_eval *e, enum policy_key k, char *buf, size_t size);

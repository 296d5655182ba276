/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for policy.c (trust): broken rules dropped but failing closed, addresses, trusted paths. */
#include "unit.h"

#include "macro.h"
#include "pcidev.h"
#include "policy.h"

static struct pcidev dev(uint32_t domain, uint8_t bus, uint8_t slot, uint8_t func, uint32_t class)
{
	struct pcidev d = { .addr = { domain, bus, slot, func }, .vendor = 0x8086,
			    .device = 0x15bb, .class = class, .iommu_group = -1,
			    .header_type = 0, .boot_vga = -1, .secondary_bus = -1 };

	addr_format_bdf(&d.addr, d.bdf);
	return d;
}

static struct policy *parse(const char *text)
{
	struct policy *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	assert_int_equal(policy_parse_string(p, "t.conf", text), 0);
	return p;
}

/* "01:00.0" with expect-id or force is one function of domain 0, as pcibind.conf(5) says. */
static void test_domainless_address(void **state)
{
	_cleanup_(policy_freep) struct policy *p =
		parse("[nic]\nmatch-address = 01:00.0\nexpect-id = 8086:15bb\nforce = yes\n");
	struct pcidev d0 = dev(0, 1, 0, 0, 0x020000), d1 = dev(1, 1, 0, 0, 0x020000);
	struct policy_eval e;

	(void)state;
	assert_int_equal(p->n_errors, 0);
	assert_true(p->rules[0].exact_address);
	assert_true(policy_match_device(&p->rules[0], NULL, &d0));
	assert_false(policy_match_device(&p->rules[0], NULL, &d1));
	assert_int_equal(policy_eval(p, NULL, &d0, &e), 0);
	assert_true(e.v.force);
	policy_eval_done(&e);
}

/* A broken rule is dropped; it blocks what it could name, and nothing else. */
static void test_broken_rule_scoped(void **state)
{
	_cleanup_(policy_freep) struct policy *p =
		parse("[usb]\nmatch-class = usb\nboot = perhaps\nprotect = yes\n"
		      "[nic]\nmatch-address = 00:1f.6\nboot = yes\n");
	struct pcidev usb = dev(0, 0, 0x14, 0, 0x0c0330), nic = dev(0, 0, 0x1f, 6, 0x020000);
	const struct policy_diag *why = NULL;
	struct policy_eval e;

	(void)state;
	assert_int_equal(p->n_errors, 1);
	assert_true(p->rules[0].broken);
	assert_int_equal(p->errors[0].rule, 0);
	assert_true(policy_blocks(p, NULL, &usb, &why));
	assert_ptr_equal(why, &p->errors[0]);
	assert_false(policy_blocks(p, NULL, &nic, NULL));
	/* dropped: its protect does not apply, even to what it matches */
	assert_int_equal(policy_eval(p, NULL, &usb, &e), 0);
	assert_false(e.v.protect);
	assert_int_equal(e.n_matched, 0);
	policy_eval_done(&e);
	assert_int_equal(policy_eval(p, NULL, &nic, &e), 0);
	assert_true(e.v.boot);
	policy_eval_done(&e);
}

/* A bad match value makes its kind "anything": the rule still blocks widely. */
static void test_bad_match_fails_closed(void **state)
{
	_cleanup_(policy_freep) struct policy *p =
		parse("[r]\nmatch-class = network\nmatch-id = 8086\nprotect = yes\n");
	struct pcidev nic = dev(0, 0, 0x1f, 6, 0x020000), usb = dev(0, 0, 0x14, 0, 0x0c0330);

	(void)state;
	assert_int_equal(p->n_errors, 1);
	assert_true(policy_blocks(p, NULL, &nic, NULL));
	assert_false(policy_blocks(p, NULL, &usb, NULL));
}

/* A misspelt match key does not make a match-everything rule: it is dropped, failing closed. */
static void test_misspelt_match_key(void **state)
{
	_cleanup_(policy_freep) struct policy *p =
		parse("[r]\nmatch-adress = 00:1f.6\nboot = yes\n");
	struct pcidev usb = dev(0, 0, 0x14, 0, 0x0c0330);
	struct policy_eval e;

	(void)state;
	assert_int_equal(p->n_errors, 1);
	assert_non_null(strstr(p->errors[0].message, "unknown match key 'match-adress'"));
	assert_int_equal(policy_eval(p, NULL, &usb, &e), 0);
	assert_false(e.v.boot);
	policy_eval_done(&e);
	assert_true(policy_blocks(p, NULL, &usb, NULL));
}

/* An error outside any rule blocks every function. */
static void test_global_error_blocks_all(void **state)
{
	_cleanup_(policy_freep) struct policy *p = parse("boot = yes\n");
	struct pcidev usb = dev(0, 0, 0x14, 0, 0x0c0330);

	(void)state;
	assert_int_equal(p->n_errors, 1);
	assert_int_equal(p->errors[0].rule, -1);
	assert_true(policy_blocks(p, NULL, &usb, NULL));
}

/*
 * Line ends and section lines that would make inih read other rules than
 * the file shows are errors outside a rule (file and line): they hold up
 * every change. CRLF throughout, and a comment after ']', are fine.
 */
static void test_lost_rules_fail_closed(void **state)
{
	static const char *const bad[] = {
		"[protect usb]\rmatch-class = usb\rprotect = yes\r",
		"# c\n[protect usb]\nmatch-class = usb\rprotect = yes\n",
		"[protect usb]\r\nmatch-class = usb\nprotect = yes\n",
		"[protect usb]\nmatch-class = usb\r\nprotect = yes\r\n",
		"[protect usb] match-class = usb\nprotect = yes\n",
		"[nic]\nmatch-address = 00:1f.6\n[protect usb]match-class=usb\nprotect = yes\n",
	};
	static const int line[] = { 1, 3, 2, 2, 1, 3 };
	struct pcidev usb = dev(0, 0, 0x14, 0, 0x0c0330), nic = dev(0, 0, 0x1f, 6, 0x020000);

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		_cleanup_(policy_freep) struct policy *p = parse(bad[i]);
		const struct policy_diag *why = NULL;

		if (p->n_errors != 1)
			fail_msg("case %zu: %zu errors", i, p->n_errors);
		assert_int_equal(p->errors[0].line, line[i]);
		assert_string_equal(p->errors[0].file, "t.conf");
		assert_int_equal(p->errors[0].rule, -1);
		assert_true(policy_blocks(p, NULL, &usb, &why));
		assert_ptr_equal(why, &p->errors[0]);
		assert_true(policy_blocks(p, NULL, &nic, NULL));
	}
	{
		_cleanup_(policy_freep) struct policy *p =
			parse("[protect usb]\r\nmatch-class = usb\r\nprotect = yes\r\n");
		_cleanup_(policy_freep) struct policy *q =
			parse("[protect usb]  ; the USB controllers\nmatch-class = usb\nprotect = yes");
		struct policy_eval e;

		assert_int_equal(p->n_errors, 0);
		assert_int_equal(q->n_errors, 0);
		assert_int_equal(p->n_rules, 1);
		assert_int_equal(q->n_rules, 1);
		assert_int_equal(policy_eval(p, NULL, &usb, &e), 0);
		assert_true(e.v.protect);
		policy_eval_done(&e);
		assert_int_equal(policy_eval(q, NULL, &nic, &e), 0);
		assert_false(e.v.protect);
		policy_eval_done(&e);
	}
}

static bool has_error(const struct policy *p, const char *text)
{
	for (size_t i = 0; i < p->n_errors; i++)
		if (strstr(p->errors[i].message, text))
			return true;
	return false;
}

/* A configured directory that is missing is an error; pcibind's own may be absent. */
static void test_missing_dir(void **state)
{
	struct unit_dir *d = *state;
	char path[PATH_MAX];
	const char *dirs[] = { unit_path(d->root, "nowhere", path), NULL };
	_cleanup_(policy_freep) struct policy *p = NULL;
	_cleanup_(policy_freep) struct policy *q = NULL;

	assert_int_equal(policy_load(dirs, 1, &p), 0);
	assert_true(has_error(p, "the policy directory does not exist"));
	assert_int_equal(policy_load(policy_default_dirs, 2, &q), 0);
	assert_false(has_error(q, "does not exist"));
}

static void mkdir_mode(const char *root, const char *rel, mode_t mode)
{
	char path[PATH_MAX];

	unit_mkdirs(root, rel);
	assert_int_equal(chmod(unit_path(root, rel, path), mode), 0);
}

/* Every directory and symlink on the way is checked, as sudo does. */
static void test_check_path(void **state)
{
	struct unit_dir *d = *state;
	char path[PATH_MAX], why[PATH_MAX + 128];

	assert_int_equal(chmod(d->root, 0755), 0);
	mkdir_mode(d->root, "ok/policy.d", 0755);
	assert_int_equal(policy_check_path(unit_path(d->root, "ok/policy.d", path), why,
					   sizeof(why)),
			 0);

	/* a parent anyone may write: the directory could be renamed and replaced */
	mkdir_mode(d->root, "open/policy.d", 0755);
	mkdir_mode(d->root, "open", 0777);
	assert_int_equal(policy_check_path(unit_path(d->root, "open/policy.d", path), why,
					   sizeof(why)),
			 -EPERM);
	assert_non_null(strstr(why, "/open is writable by group or others (mode 0777)"));

	/* a sticky one (as /tmp) is fine above the last: others cannot rename ours */
	mkdir_mode(d->root, "sticky/policy.d", 0755);
	mkdir_mode(d->root, "sticky", 01777);
	assert_int_equal(policy_check_path(unit_path(d->root, "sticky/policy.d", path), why,
					   sizeof(why)),
			 0);
	/* but not as the directory itself */
	assert_int_equal(policy_check_path(unit_path(d->root, "sticky", path), why, sizeof(why)),
			 -EPERM);

	/* a symlink's target is checked too */
	unit_symlink(d->root, "link", "open/policy.d");
	assert_int_equal(policy_check_path(unit_path(d->root, "link", path), why, sizeof(why)),
			 -EPERM);
	unit_symlink(d->root, "goodlink", "ok/policy.d");
	assert_int_equal(policy_check_path(unit_path(d->root, "goodlink", path), why, sizeof(why)),
			 0);

	/* missing */
	assert_int_equal(policy_check_path(unit_path(d->root, "ok/none", path), why, sizeof(why)),
			 -ENOENT);

	/* owned by another user (only root can make one) */
	if (geteuid() == 0) {
		assert_int_equal(lchown(unit_path(d->root, "goodlink", path), 65534, 65534), 0);
		assert_int_equal(policy_check_path(path, why, sizeof(why)), -EPERM);
		assert_non_null(strstr(why, "goodlink is owned by uid 65534"));
		assert_int_equal(chown(unit_path(d->root, "ok/policy.d", path), 65534, 65534), 0);
		assert_int_equal(policy_check_path(path, why, sizeof(why)), -EPERM);
	}
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, unit_setup_dir, unit_teardown_dir)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domainless_address),
		cmocka_unit_test(test_broken_rule_scoped),
		cmocka_unit_test(test_bad_match_fails_closed),
		cmocka_unit_test(test_misspelt_match_key),
		cmocka_unit_test(test_global_error_blocks_all),
		cmocka_unit_test(test_lost_rules_fail_closed),
		T(test_missing_dir),
		T(test_check_path),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for policy.c: a policy file that changes while it is read is
 * an error, not a file with fewer rules. Linked with
 * -Wl,--wrap=util_read_fd (Makefile): the read itself is real, and the
 * change happens, deterministically, between it and the check after it.
 */
#include "unit.h"

#include <sys/time.h>

#include "macro.h"
#include "pcidev.h"
#include "policy.h"

int __real_util_read_fd(int fd, size_t max, char **ret, size_t *ret_len);
int __wrap_util_read_fd(int fd, size_t max, char **ret, size_t *ret_len);

enum change {
	CHANGE_NONE,
	CHANGE_TRUNCATE,	/* an editor saving in place: emptied first */
	CHANGE_REWRITE,		/* the same size, other bytes, a later mtime */
	CHANGE_CHMOD,		/* only the inode changes (ctime) */
	CHANGE_SHORT_READ,	/* the read returned less than fstat said */
};

static enum change inject;
static char target[PATH_MAX];
static unsigned int reads;

int __wrap_util_read_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
	int r = __real_util_read_fd(fd, max, ret, ret_len);
	struct timespec later[2] = { { 0, UTIME_OMIT }, { 2000000000, 0 } };
	int wfd;

	reads++;
	if (r < 0 || inject == CHANGE_NONE)
		return r;
	switch (inject) {
	case CHANGE_TRUNCATE:
		assert_int_equal(truncate(target, 0), 0);
		break;
	case CHANGE_REWRITE:
		wfd = open(target, O_WRONLY);
		assert_true(wfd >= 0);
		assert_int_equal(pwrite(wfd, "#", 1, 0), 1);
		assert_int_equal(futimens(wfd, later), 0);
		close(wfd);
		break;
	case CHANGE_CHMOD:
		assert_int_equal(chmod(target, 0600), 0);
		break;
	case CHANGE_SHORT_READ:
		(*ret)[*ret_len / 2] = '\0';
		*ret_len /= 2;
		break;
	default:
		break;
	}
	return r;
}

static const char rule[] = "[protect usb]\nmatch-class = usb\nprotect = yes\n";

static struct policy *load(struct unit_dir *d, enum change what)
{
	char dir[PATH_MAX];
	const char *dirs[] = { unit_path(d->root, "policy.d", dir), NULL };
	struct policy *p = NULL;

	assert_int_equal(chmod(d->root, 0755), 0);
	unit_write_str(d->root, "policy.d/50-usb.conf", rule);
	assert_int_equal(chmod(dir, 0755), 0);
	unit_path(d->root, "policy.d/50-usb.conf", target);
	assert_int_equal(chmod(target, 0644), 0);
	inject = what;
	reads = 0;
	assert_int_equal(policy_load(dirs, 1, &p), 0);
	inject = CHANGE_NONE;
	assert_int_equal(reads, 1); /* the file was read through util_read_fd() */
	return p;
}

/* Read undisturbed: the rule is there, no error. */
static void test_read_whole(void **state)
{
	_cleanup_(policy_freep) struct policy *p = load(*state, CHANGE_NONE);
	struct pcidev usb = { .class = 0x0c0330 };
	struct policy_eval e;

	assert_int_equal(p->n_errors, 0);
	assert_int_equal(p->n_rules, 1);
	assert_int_equal(policy_eval(p, NULL, &usb, &e), 0);
	assert_true(e.v.protect);
	policy_eval_done(&e);
}

/* Changed between the read and the check: an error outside a rule, naming the file. */
static void test_changed_while_read(void **state)
{
	static const enum change changes[] = { CHANGE_TRUNCATE, CHANGE_REWRITE, CHANGE_CHMOD,
					       CHANGE_SHORT_READ };
	struct pcidev usb = { .class = 0x0c0330 }, nic = { .class = 0x020000 };

	for (size_t i = 0; i < ELEMENTSOF(changes); i++) {
		_cleanup_(policy_freep) struct policy *p = load(*state, changes[i]);
		const struct policy_diag *why = NULL;

		if (p->n_errors != 1)
			fail_msg("change %d: %zu errors", changes[i], p->n_errors);
		assert_non_null(strstr(p->errors[0].message, "changed while it was read"));
		assert_string_equal(p->errors[0].file, target);
		assert_int_equal(p->errors[0].rule, -1);
		assert_int_equal(p->n_rules, 0);
		assert_true(policy_blocks(p, NULL, &usb, &why));
		assert_ptr_equal(why, &p->errors[0]);
		assert_true(policy_blocks(p, NULL, &nic, NULL));
	}
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, unit_setup_dir, unit_teardown_dir)
	const struct CMUnitTest tests[] = {
		T(test_read_whole),
		T(test_changed_while_read),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}

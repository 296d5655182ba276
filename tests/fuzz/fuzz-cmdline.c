/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: the kernel command line parser (cmdline_parse), then the
 * request resolved against a small fixed snapshot (cmdline_resolve).
 * Invariants beyond "no crash, no leak":
 *  - every item has its text, its key and a selector pointing at the text;
 *  - lists stay within 256 written items (plus the implied Qubes classes);
 *  - every error names a key, an item and a reason;
 *  - no item of kind address matches every function;
 *  - a pick is named by a seize or a keep item, and that item matches it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "devices.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_items(const struct cmdline_item *v, size_t n, const struct pcidev_list *l)
{
	FZ_CHECK(n <= 256 + 2);
	for (size_t i = 0; i < n; i++) {
		size_t hits = 0;

		FZ_CHECK(v[i].text && v[i].key && v[i].sel.text == v[i].text);
		FZ_CHECK(v[i].kind < _CMDLINE_KIND_MAX);
		FZ_CHECK(v[i].kind != CMDLINE_PATH || v[i].sel.n_hops > 1);
		for (size_t k = 0; k < l->n; k++)
			hits += select_match(&v[i].sel, l->devs[k]);
		if (v[i].kind == CMDLINE_ADDRESS && hits == l->n)
			fprintf(stderr, "address item '%s' matches every function\n", v[i].text);
		FZ_CHECK(v[i].kind != CMDLINE_ADDRESS || hits < l->n);
	}
}

static void check_errors(const struct cmdline_error *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		FZ_CHECK(v[i].key && v[i].item && v[i].why && *v[i].why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct pcidev_list *l = fz_devices();
	char *s = fz_string(data, size);
	struct cmdline_request *r = NULL;
	struct cmdline_selection *sel = NULL;

	if (size > 4096) /* the kernel's COMMAND_LINE_SIZE on x86 is 2048 */
		goto out;
	FZ_CHECK(cmdline_parse(s, &r) == 0 && r);
	check_items(r->seize, r->n_seize, l);
	check_items(r->keep, r->n_keep, l);
	check_errors(r->errors, r->n_errors);
	(void)cmdline_wants_something(r);
	FZ_CHECK(cmdline_resolve(r, l, &sel) == 0 && sel);
	FZ_CHECK(sel->n <= l->n);
	for (size_t i = 0; i < sel->n; i++) {
		const struct cmdline_pick *p = &sel->picks[i];

		FZ_CHECK(p->dev && (p->seized_by || p->kept_by));
		FZ_CHECK(!p->seized_by || select_match(&p->seized_by->sel, p->dev));
		FZ_CHECK(!p->kept_by || select_match(&p->kept_by->sel, p->dev));
	}
	check_errors(sel->errors, sel->n_errors);
	for (size_t i = 0; i < r->n_seize; i++)
		(void)cmdline_kind_name(r->seize[i].kind);
out:
	cmdline_selection_free(sel);
	cmdline_request_free(r);
	free(s);
	return 0;
}

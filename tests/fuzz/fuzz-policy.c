/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: the policy loader. The input is up to three policy files
 * separated by NUL bytes (a file cannot hold one), each parsed with
 * policy_parse_string() into one policy, then evaluated for every function
 * of a small fixed snapshot. Invariants beyond "no crash, no leak":
 *  - every diagnostic has a file and a message, every rule a file and name;
 *  - policy_eval() records, for each key, a source among the matched rules;
 *  - every effective value formats;
 *  - fail closed: in a policy without errors, a rule that sets force = yes
 *    or expect-id matches at most one function (pcibind.conf(5): only in a
 *    rule whose match-address names exactly one function).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = { "10-vendor.conf", "50-local.conf", "90-last.conf" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct pcidev_list *l = fz_devices();
	struct policy *p = calloc(1, sizeof(*p));
	char *s = fz_string(data, size);
	const char *part = s;
	size_t nparts = 0;

	FZ_CHECK(p);
	if (size > 8192)
		goto out;
	while (nparts < 3) {
		size_t len = strlen(part);

		FZ_CHECK(policy_parse_string(p, names[nparts], part) == 0);
		nparts++;
		if (part + len >= s + size)
			break;
		part += len + 1;
	}
	for (size_t i = 0; i < p->n_errors; i++)
		FZ_CHECK(p->errors[i].file && p->errors[i].message);
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];

		FZ_CHECK(r->file && r->name);
		for (size_t k = 0; k < r->n_matches; k++)
			FZ_CHECK(r->matches[k].text);
	}

	for (size_t i = 0; i < l->n; i++) {
		struct policy_eval e;
		char buf[64];

		FZ_CHECK(policy_eval(p, l, l->devs[i], &e) == 0);
		FZ_CHECK(e.n_matched <= p->n_rules);
		for (int k = 0; k < _PK_MAX; k++) {
			FZ_CHECK(policy_format_value(&e, k, buf, sizeof(buf)) == 0);
			if (e.source[k]) {
				bool found = false;

				for (size_t m = 0; m < e.n_matched; m++)
					found = found || e.matched[m] == e.source[k];
				FZ_CHECK(found && e.source[k]->set[k]);
			}
		}
		policy_eval_done(&e);
	}

	if (p->n_errors == 0)
		for (size_t i = 0; i < p->n_rules; i++) {
			const struct policy_rule *r = &p->rules[i];
			size_t hits = 0;

			if (!(r->set[PK_FORCE] && r->v.force) && !r->set[PK_EXPECT_ID])
				continue;
			for (size_t k = 0; k < l->n; k++)
				hits += policy_match_device(r, l, l->devs[k]);
			if (hits > 1)
				fprintf(stderr, "rule [%s] (line %d) sets %s and matches %zu functions\n",
					r->name, r->line, r->set[PK_FORCE] ? "force" : "expect-id", hits);
			FZ_CHECK(hits <= 1);
		}
out:
	policy_free(p);
	free(s);
	return 0;
}

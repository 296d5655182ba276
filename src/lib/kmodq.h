/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libkmod adapter: modalias lookups with the blacklist applied. */
#pragma once

#include <stdbool.h>

struct kmodq;

int kmodq_new(const char *modules_dir, struct kmodq **ret);
struct kmodq *kmodq_free(struct kmodq *q);
static inline void kmodq_freep(struct kmodq **q)
{
	kmodq_free(*q);
}

int kmodq_lookup(struct kmodq *q, const char *modalias, char ***ret_modules,
		 char ***ret_blacklisted);
void kmodq_allow_load(struct kmodq *q, bool allow);
int kmodq_load(struct kmodq *q, const char *module);

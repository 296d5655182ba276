/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --persistent: rules that seize and release write into an admin policy file. */
#pragma once

int persist_update(const char *file, const char *section, const char *rule);

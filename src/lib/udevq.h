/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libudev adapter: the event's device from udev's environment, and settling the queue. */
#pragma once

#include <stddef.h>

int udevq_event(char *bdf, size_t bdf_size, char *action, size_t action_size);
int udevq_env_problem(char *why, size_t size);
int udevq_settle(int timeout_ms);

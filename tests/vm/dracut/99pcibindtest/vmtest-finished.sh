#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# initqueue/finished hook: the queue is finished only once the settled hook
# ran (which powers off), so a test boot cannot run past it.
if getargbool 0 rd.vmtest; then
	[ -e /run/vmtest/settled ]
else
	true
fi

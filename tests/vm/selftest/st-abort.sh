# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: selftest
# Deliberately broken: the scenario dies before its SUMMARY (set -e and a
# failing command). The harness must report the missing SUMMARY.
set -e
check before-abort true
false
check never-reached true

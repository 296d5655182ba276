# SPDX-License-Identifier: LGPL-2.1-or-later
# vm-kinds: selftest
# Deliberately broken: one check passes, one fails. The harness must report
# "FAIL ...st-fail/deliberate-fail" and fail the guest.
check deliberate-pass true
expect_eq deliberate-fail "expected" "something else"

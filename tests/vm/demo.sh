#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# make demo's real-kernel part: boot the Debian guest with the demo
# scenario and print its transcript. Never touches this machine's devices.
set -eu
cd "$(dirname "$0")/../.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if ! tests/vm/run-guest.sh --kind debian --scenario tests/vm/demo/demo-guest.sh --name demo \
	>"$out" 2>&1; then
	cat "$out"
	echo "demo: the guest run failed (see above)" >&2
	exit 1
fi
sed -n 's/^DEMO \{0,1\}//p' "${BUILD:-build}/vm/runs/demo/results.txt"
grep -E '^(PASS|FAIL) ' "$out" || true

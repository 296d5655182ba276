#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# mktree.sh N DIR: the benchmark machine with about N functions, the way
# tests/fixtures builds a fixture: DIR/machine.spec (bench/gen-spec.sh) ->
# DIR/fixture.tree + DIR/fixture.aliases (fixture-tool spec) -> DIR/modules
# (fixture-tool modinfo, then depmod -b). Records how long fixture-tool spec
# took in DIR/spec-seconds. Env: FIXTURE_TOOL, DEPMOD.
set -eu
N=$1
D=$2
FT=${FIXTURE_TOOL:-build/fixture-tool}
DEPMOD=${DEPMOD:-$(PATH="$PATH:/sbin:/usr/sbin" command -v depmod)}
KVER=0.0.0-fixture
now() { date +%s.%N; }

mkdir -p "$D"
rm -rf "$D/modroot" "$D/modules" "$D/.stamp"
sh "$(dirname "$0")/gen-spec.sh" "$N" > "$D/machine.spec"
t0=$(now)
"$FT" spec "$D/machine.spec" "$D/fixture.tree.tmp" "$D/fixture.aliases"
t1=$(now)
mv "$D/fixture.tree.tmp" "$D/fixture.tree"
echo "$t0 $t1" | awk '{printf "%.2f\n", $2 - $1}' > "$D/spec-seconds"
mkdir -p "$D/modroot/lib/modules/$KVER"
"$FT" modinfo "$D/fixture.aliases" "$D/modroot/lib/modules/$KVER/modules.builtin.modinfo"
: > "$D/modroot/lib/modules/$KVER/modules.order"
: > "$D/modroot/lib/modules/$KVER/modules.builtin"
"$DEPMOD" -b "$D/modroot" "$KVER"
ln -s "modroot/lib/modules/$KVER" "$D/modules"
touch "$D/.stamp"

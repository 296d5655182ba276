#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The lazy snapshot plans what the full one plans: build/lazy-plans on every
# fixture tree (the hand-written specs and the recorded machines under
# build/fixtures) and on a machine from bench/gen-spec.sh (SR-IOV, companion
# slots, pciback slots, IOMMU groups).
set -eu
. tests/engine/lib.sh
roots=
for d in "$BUILD"/fixtures/*/sys; do
	roots="$roots $d"
done
[ -n "$roots" ] || { echo "lazy.sh: no fixtures under $BUILD/fixtures (make fixtures)"; exit 1; }
sh bench/gen-spec.sh 128 > "$work/gen.spec"
"$BUILD/fixture-tool" spec "$work/gen.spec" "$work/gen.tree" "$work/gen.aliases" >/dev/null
"$BUILD/fixture-tool" materialize "$work/gen.tree" "$work/gen"
# shellcheck disable=SC2086
"$BUILD/lazy-plans" $roots "$work/gen"

# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash disable=SC2034 # sourced: the callers use the variables
# Shared by tests/pkg/*.sh: where things are, and a clean copy of the tree.
top=$(cd "$(dirname "$0")/../.." && pwd)
# BUILD may be absolute (the VM harness passes one) or relative to the top.
case ${BUILD:-build} in
/*) out=${BUILD}/pkg ;;
*) out=$top/${BUILD:-build}/pkg ;;
esac
version=$(sed -n 's/^VERSION := //p' "$top/Makefile")

# copy_tree DIR: the tracked and new files of the checkout (the tree without
# build/ and .git when it is not one) into DIR; builds never run in the tree.
copy_tree()
{
	mkdir -p "$1"
	if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$top" && git ls-files -z --cached --others --exclude-standard |
			tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -C "$1" -xf -
	else
		tar -C "$top" --exclude=./build --exclude=./.git -cf - . | tar -C "$1" -xf -
	fi
}

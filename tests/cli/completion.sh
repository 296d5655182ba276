#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# completion.sh: the bash completion offers every device in both forms,
# 0000:00:1d.0 and dom0:00_1d.0, with bash's own splitting at ':'.
set -u
BUILD=${BUILD:-build}
root=$BUILD/fixtures/laptop/sys
# shellcheck source=/dev/null
. completion/pcibind.bash
pass=0 fail=0

# complete LINE: COMP_* as bash sets them (words split at COMP_WORDBREAKS' ':')
complete_line() {
	COMP_LINE=$1 COMP_POINT=${#1}
	local s=$1 w=() tok=
	while [[ -n $s ]]; do
		case ${s:0:1} in
		' ') [[ -n $tok ]] && w+=("$tok"); tok= ;;
		:) [[ -n $tok ]] && w+=("$tok"); w+=(:); tok= ;;
		*) tok+=${s:0:1} ;;
		esac
		s=${s:1}
	done
	w+=("$tok")
	COMP_WORDS=("${w[@]}") COMP_CWORD=$((${#w[@]} - 1))
	COMPREPLY=()
	_pcibind
}

# expect NAME LINE WORD: WORD is among the replies
expect() {
	complete_line "$2"
	if printf '%s\n' "${COMPREPLY[@]}" | grep -qxF -- "$3"; then
		pass=$((pass + 1)); echo "ok completion $1"
	else
		fail=$((fail + 1)); echo "FAIL completion $1: '$3' not in: ${COMPREPLY[*]}"
	fi
}

COMP_WORDBREAKS=$' \t\n"'"'"'><=;|&(:'
expect bdf "pcibind --sysfs-root $root show 0000" 0000:00:1d.0
expect qubes "pcibind --sysfs-root $root show do" dom0:00_1d.0
expect qubes-after-colon "pcibind --sysfs-root $root seize dom0:00_1" 00_1d.0
expect bdf-after-colon "pcibind --sysfs-root $root release 0000:00:1" 1d.0
expect list-class "pcibind --sysfs-root $root list us" usb
echo "completion: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

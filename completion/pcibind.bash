# SPDX-License-Identifier: LGPL-2.1-or-later
# bash completion for pcibind(8): commands, options, devices and stub drivers.

_pcibind_devices()
{
	local root=/sys i
	for ((i = 1; i < COMP_CWORD; i++)); do
		[[ ${COMP_WORDS[i]} == --sysfs-root ]] && root=${COMP_WORDS[i + 1]}
	done
	local d b dom rest
	for d in "$root"/bus/pci/devices/*; do
		[[ -e $d ]] || continue
		b=${d##*/}
		printf '%s\n' "$b"
		# the Qubes form: dom0:BB_SS.F, with DDDD_ in front outside domain 0000
		dom=${b%%:*} rest=${b#*:}
		rest=${rest/:/_}
		if [[ $dom == 0000 ]]; then
			printf 'dom0:%s\n' "$rest"
		else
			printf 'dom0:%s_%s\n' "$dom" "$rest"
		fi
	done
}

# COMP_WORDBREAKS splits words at ':' (0000:00:1d.0, dom0:00_1d.0): offer only
# what follows the last ':' of the word being completed, as bash-completion's
# __ltrim_colon_completions does.
_pcibind_ltrim_colon()
{
	local cur=$1 i
	if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
		local prefix=${cur%"${cur##*:}"}
		for i in "${!COMPREPLY[@]}"; do
			COMPREPLY[i]=${COMPREPLY[i]#"$prefix"}
		done
	fi
}

_pcibind()
{
	local cur prev cmd i
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	# the whole word under the cursor, ':' included (COMP_WORDS split it there)
	local line=${COMP_LINE:0:COMP_POINT}
	local word=${line##*[[:space:]]}
	local commands="list show seize release reattach status recover explain policy vfs udev boot doctor"
	local global="--sysfs-root --modules-dir --pci-ids --state-dir --policy-dir --proc-root
		--probe-timeout --lock-timeout --json --verbose --quiet --help --version"

	case $prev in
	--sysfs-root | --modules-dir | --state-dir | --policy-dir | --proc-root)
		COMPREPLY=($(compgen -d -- "$cur")); return ;;
	--pci-ids | --cmdline)
		COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--driver)
		COMPREPLY=($(compgen -W "pciback vfio-pci pci-stub" -- "$cur")); return ;;
	-o | --option)
		COMPREPLY=($(compgen -W "permissive no-strict-reset permissive=true no-strict-reset=true" -- "$cur")); return ;;
	--probe-timeout | --lock-timeout)
		return ;;
	esac

	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--sysfs-root | --modules-dir | --pci-ids | --state-dir | --policy-dir | --proc-root | \
			--probe-timeout | --lock-timeout) ((i++)) ;;
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$global" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		fi
		return
	fi
	case $cmd in
	list)
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W "--id --used --json --help" -- "$cur")) ||
			{ COMPREPLY=($(compgen -W "$(_pcibind_devices) network usb storage display audio" -- "$word")); _pcibind_ltrim_colon "$word"; } ;;
	show)
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W "--json --help" -- "$cur")) ||
			{ COMPREPLY=($(compgen -W "$(_pcibind_devices)" -- "$word")); _pcibind_ltrim_colon "$word"; } ;;
	seize)
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W "--driver --option --all-functions --group --ignore-unreadable-holders --persistent --dry-run --json --help" -- "$cur")) ||
			{ COMPREPLY=($(compgen -W "$(_pcibind_devices)" -- "$word")); _pcibind_ltrim_colon "$word"; } ;;
	release | reattach)
		if [[ $prev == --to ]]; then
			COMPREPLY=($(compgen -W "native none" -- "$cur"))
			return
		fi
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W "--to --option --all-functions --group --ignore-unreadable-holders --persistent --dry-run --json --help" -- "$cur")) ||
			{ COMPREPLY=($(compgen -W "$(_pcibind_devices)" -- "$word")); _pcibind_ltrim_colon "$word"; } ;;
	explain)
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W "--option --help" -- "$cur")) ||
			{ COMPREPLY=($(compgen -W "$(_pcibind_devices) seize release" -- "$word")); _pcibind_ltrim_colon "$word"; } ;;
	policy)
		COMPREPLY=($(compgen -W "check" -- "$cur")) ;;
	vfs)
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W "--dry-run --explain --help" -- "$cur")) ||
			{ COMPREPLY=($(compgen -W "$(_pcibind_devices)" -- "$word")); _pcibind_ltrim_colon "$word"; } ;;
	status | doctor)
		COMPREPLY=($(compgen -W "--json --help" -- "$cur")) ;;
	udev)
		COMPREPLY=($(compgen -W "--dry-run --help" -- "$cur")) ;;
	boot)
		COMPREPLY=($(compgen -W "--cmdline --kmsg --dry-run --help" -- "$cur")) ;;
	esac
}
complete -F _pcibind pcibind

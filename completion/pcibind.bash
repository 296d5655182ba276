# SPDX-License-Identifier: LGPL-2.1-or-later
# bash completion for pcibind(8): commands, options, devices and stub drivers.

_pcibind_devices()
{
	local root=/sys i
	for ((i = 1; i < COMP_CWORD; i++)); do
		[[ ${COMP_WORDS[i]} == --sysfs-root ]] && root=${COMP_WORDS[i + 1]}
	done
	local d
	for d in "$root"/bus/pci/devices/*; do
		[[ -e $d ]] && printf '%s\n' "${d##*/}"
	done
}

_pcibind()
{
	local cur prev cmd i
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	local commands="list show seize release reattach status recover explain policy udev boot"
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
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W "--id --json --help" -- "$cur")) ||
			COMPREPLY=($(compgen -W "$(_pcibind_devices) network usb storage display audio" -- "$cur")) ;;
	show)
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W "--json --help" -- "$cur")) ||
			COMPREPLY=($(compgen -W "$(_pcibind_devices)" -- "$cur")) ;;
	seize)
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W "--driver --option --all-functions --persistent --dry-run --json --help" -- "$cur")) ||
			COMPREPLY=($(compgen -W "$(_pcibind_devices)" -- "$cur")) ;;
	release | reattach)
		if [[ $prev == --to ]]; then
			COMPREPLY=($(compgen -W "native none" -- "$cur"))
			return
		fi
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W "--to --option --all-functions --persistent --dry-run --json --help" -- "$cur")) ||
			COMPREPLY=($(compgen -W "$(_pcibind_devices)" -- "$cur")) ;;
	explain)
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W "--option --help" -- "$cur")) ||
			COMPREPLY=($(compgen -W "$(_pcibind_devices) seize release" -- "$cur")) ;;
	policy)
		COMPREPLY=($(compgen -W "check" -- "$cur")) ;;
	status)
		COMPREPLY=($(compgen -W "--json --help" -- "$cur")) ;;
	udev)
		COMPREPLY=($(compgen -W "--dry-run --help" -- "$cur")) ;;
	boot)
		COMPREPLY=($(compgen -W "--cmdline --kmsg --dry-run --help" -- "$cur")) ;;
	esac
}
complete -F _pcibind pcibind

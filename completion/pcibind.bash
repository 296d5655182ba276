# SPDX-License-Identifier: LGPL-2.1-or-later
# bash completion for pcibind(8): commands, options, devices and stub drivers.

# The sysfs root the command line names (--sysfs-root DIR or --sysfs-root=DIR,
# before or after the command; the last one wins, as pcibind reads it).
_pcibind_root()
{
	local root=/sys i w
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $w == --sysfs-root ]]; then
			# "--sysfs-root=DIR": bash splits it at '=' into three words
			if [[ ${COMP_WORDS[i + 1]} == = ]]; then
				root=${COMP_WORDS[i + 2]}
			else
				root=${COMP_WORDS[i + 1]}
			fi
		elif [[ $w == --sysfs-root=* ]]; then
			root=${w#--sysfs-root=}
		fi
	done
	printf '%s\n' "${root:-/sys}"
}

# Every function in each form pcibind takes: 0000:00:1d.0, 00:1d.0 (domain
# 0000), dom0:00_1d.0 and 00_1d.0. With "stub", only the functions on a
# stub (pciback, vfio-pci, pci-stub, a vfio variant) or with a
# driver_override: what release can return.
_pcibind_devices()
{
	local root d b dom rest drv ovr
	root=$(_pcibind_root)
	for d in "$root"/bus/pci/devices/*; do
		[[ -e $d ]] || continue
		b=${d##*/}
		if [[ ${1-} == stub ]]; then
			drv=$(readlink "$d/driver" 2>/dev/null) drv=${drv##*/}
			ovr=$(cat "$d/driver_override" 2>/dev/null)
			case $drv in
			pciback | vfio-pci | pci-stub | *[-_]vfio[-_]pci) ;;
			*) [[ -n $ovr && $ovr != "(null)" ]] || continue ;;
			esac
		fi
		dom=${b%%:*} rest=${b#*:}
		printf '%s\n' "$b"
		if [[ $dom == 0000 ]]; then
			printf '%s\n' "$rest"
			rest=${rest/:/_}
			printf 'dom0:%s\n%s\n' "$rest" "$rest"
		else
			rest=${rest/:/_}
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
	local cur prev cmd i w
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	# "--opt=VALUE": bash splits at '=', so prev is "=" and the option before it
	if [[ $prev == = && $COMP_CWORD -ge 2 ]]; then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	elif [[ $cur == = ]]; then
		prev=${COMP_WORDS[COMP_CWORD - 1]} cur=
	fi
	# the whole word under the cursor, ':' included (COMP_WORDS split it there)
	local line=${COMP_LINE:0:COMP_POINT}
	local word=${line##*[[:space:]]}
	local commands="list show seize release reattach status recover explain policy vfs udev boot doctor"
	# the global options, before the command or anywhere after it
	local global="--sysfs-root --modules-dir --pci-ids --state-dir --policy-dir --proc-root
		--driverctl-dir --probe-timeout --lock-timeout --json --verbose --quiet --help --version"
	# select_class_names(), as 'pcibind list --help' prints them
	local classes="storage sata nvme network ethernet display vga multimedia audio memory
		bridge communication system input docking processor serial-bus firewire usb
		smbus thunderbolt wireless crypto signal accelerator"

	case $prev in
	--sysfs-root | --modules-dir | --state-dir | --policy-dir | --proc-root | --driverctl-dir)
		COMPREPLY=($(compgen -d -- "$cur")); return ;;
	--pci-ids | --cmdline | --kmsg)
		COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--driver)
		COMPREPLY=($(compgen -W "pciback vfio-pci pci-stub" -- "$cur")); return ;;
	-o | --option)
		COMPREPLY=($(compgen -W "permissive no-strict-reset permissive=true no-strict-reset=true" -- "$cur")); return ;;
	--to)
		COMPREPLY=($(compgen -W "native none" -- "$cur")); return ;;
	--probe-timeout | --lock-timeout | -s | --slot | -d | --id)
		return ;;
	esac

	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--sysfs-root | --modules-dir | --pci-ids | --state-dir | --policy-dir | --proc-root | \
			--driverctl-dir | --probe-timeout | --lock-timeout)
			# skip the value, and the '=' bash split off
			[[ ${COMP_WORDS[i + 1]} == = ]] && ((i++))
			((i++)) ;;
		-* | =) ;;
		*) cmd=$w; break ;;
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
	local opts= devs=
	case $cmd in
	list)
		opts="--id --slot --kernel-address --stub --used --json --help -d -s -D -k -n -u"
		devs="$(_pcibind_devices) $classes" ;;
	show)
		opts="--json --help"
		devs=$(_pcibind_devices) ;;
	vfs)
		opts="--dry-run --explain --help"
		devs=$(_pcibind_devices) ;;
	seize)
		opts="--driver --option --all-functions --group --persistent --ignore-unreadable-holders --dry-run --json --help"
		devs=$(_pcibind_devices) ;;
	release | reattach)
		opts="--to --option --all-functions --group --persistent --ignore-unreadable-holders --dry-run --json --help"
		devs=$(_pcibind_devices stub) ;;
	explain)
		opts="--option --driver --all-functions --group --json --help"
		devs="$(_pcibind_devices) seize release" ;;
	policy)
		opts="--json --help"
		devs=check ;;
	status | doctor)
		opts="--json --help" ;;
	recover)
		opts="--help" ;;
	udev)
		opts="--dry-run --help" ;;
	boot)
		opts="--cmdline --kmsg --dry-run --help" ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts $global" -- "$cur"))
	elif [[ -n $devs ]]; then
		COMPREPLY=($(compgen -W "$devs" -- "$word"))
		_pcibind_ltrim_colon "$word"
	fi
}
complete -F _pcibind pcibind

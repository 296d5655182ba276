# SPDX-License-Identifier: LGPL-2.1-or-later
# make install / make uninstall, and the package checks (check-pkg).
# Included by the top-level Makefile, which sets the directories (from
# pkg-config where it can). One list, PKG_FILES, drives both install and
# uninstall, so uninstall removes exactly what install put there.

# Leave out a boot integration: make install INSTALL_INITRAMFS_TOOLS=no
INSTALL_DRACUT ?= yes
INSTALL_INITRAMFS_TOOLS ?= yes
INSTALL_SYSTEMD ?= yes

# MODE:SOURCE:DESTINATION. A mode ending in "s" has @SBINDIR@ replaced by
# $(SBINDIR); a mode ending in "c" is a configuration file that uninstall
# removes only if it is unchanged.
PKG_FILES := \
	0755:$(BUILD)/pcibind:$(SBINDIR)/pcibind \
	0644:docs/pcibind.8:$(MANDIR)/man8/pcibind.8 \
	0644:docs/pcibind.conf.5:$(MANDIR)/man5/pcibind.conf.5 \
	0644:docs/pcibind-dracut.7:$(MANDIR)/man7/pcibind-dracut.7 \
	0644:docs/pcibind-json.7:$(MANDIR)/man7/pcibind-json.7 \
	$(foreach f,$(wildcard policy.d/*.conf),0644:$(f):$(POLICYDIR)/$(notdir $(f))) \
	0644c:pkg/50-local.conf:$(SYSCONFDIR)/pcibind/policy.d/50-local.conf \
	0644:policy.d/50-qubes-net-usb.conf.example:$(DATADIR)/examples/50-qubes-net-usb.conf \
	0644:completion/pcibind.bash:$(BASHCOMPDIR)/pcibind \
	0644s:udev/70-pcibind.rules:$(UDEVDIR)/rules.d/70-pcibind.rules
ifeq ($(INSTALL_DRACUT),yes)
PKG_FILES += \
	0755:dracut/90pcibind/module-setup.sh:$(DRACUTMODDIR)/90pcibind/module-setup.sh \
	0755:dracut/90pcibind/pcibind-boot.sh:$(DRACUTMODDIR)/90pcibind/pcibind-boot.sh \
	0644:dracut/90pcibind/79-pcibind.rules:$(DRACUTMODDIR)/90pcibind/79-pcibind.rules
endif
ifeq ($(INSTALL_INITRAMFS_TOOLS),yes)
PKG_FILES += \
	0644:docs/pcibind-initramfs.7:$(MANDIR)/man7/pcibind-initramfs.7 \
	0755:initramfs-tools/hooks/pcibind:$(INITRAMFSDIR)/hooks/pcibind \
	0755:initramfs-tools/scripts/init-top/pcibind:$(INITRAMFSDIR)/scripts/init-top/pcibind
endif
ifeq ($(INSTALL_SYSTEMD),yes)
PKG_FILES += \
	0644s:systemd/pcibind-boot.service:$(SYSTEMDUNITDIR)/pcibind-boot.service \
	0644:docs/pcibind-boot.service.8:$(MANDIR)/man8/pcibind-boot.service.8
endif
DRACUTCONFDIR ?= $(call pc_var,dracut,dracutconfdir,/usr/lib/dracut/dracut.conf.d)
# The Qubes dom0 part (the pcibind-qubes RPM): network controllers to
# pciback at boot without a kernel option, in place of Qubes' 90qubes-pciback.
PKG_QUBES_FILES := \
	0644:pkg/qubes/50-qubes-dom0.conf:$(POLICYDIR)/50-qubes-dom0.conf \
	0644:pkg/qubes/50-pcibind-qubes.conf:$(DRACUTCONFDIR)/50-pcibind-qubes.conf
# Directories only pcibind uses: uninstall removes them once empty.
PKG_DIRS := $(DRACUTMODDIR)/90pcibind $(DATADIR)/examples $(DATADIR) $(POLICYDIR) \
	$(patsubst %/,%,$(dir $(POLICYDIR))) $(SYSCONFDIR)/pcibind/policy.d $(SYSCONFDIR)/pcibind

# pkg_install LIST / pkg_uninstall LIST (shell, one entry at a time).
define pkg_install
	@set -e; for e in $(1); do \
		mode=$${e%%:*}; rest=$${e#*:}; src=$${rest%%:*}; dst=$(DESTDIR)$${rest#*:}; \
		echo "install $$src $$dst"; \
		case $$mode in \
		*s) install -d "$$(dirname "$$dst")"; \
		    sed 's|@SBINDIR@|$(SBINDIR)|g' "$$src" >"$$dst.tmp"; \
		    chmod $${mode%s} "$$dst.tmp"; mv -f "$$dst.tmp" "$$dst" ;; \
		*) install -D -m $${mode%c} "$$src" "$$dst" ;; \
		esac; \
	done
endef
define pkg_uninstall
	@for e in $(1); do \
		mode=$${e%%:*}; rest=$${e#*:}; src=$${rest%%:*}; dst=$(DESTDIR)$${rest#*:}; \
		[ -e "$$dst" ] || [ -L "$$dst" ] || continue; \
		case $$mode in \
		*c) if ! cmp -s "$$src" "$$dst"; then \
			echo "keeping $$dst: it was changed after install"; continue; fi ;; \
		esac; \
		echo "rm $$dst"; rm -f "$$dst"; \
	done
	@for d in $(PKG_DIRS); do \
		[ -d "$(DESTDIR)$$d" ] && rmdir "$(DESTDIR)$$d" 2>/dev/null || true; \
	done
endef

.PHONY: install uninstall install-qubes uninstall-qubes

install: all
	$(call pkg_install,$(PKG_FILES))

uninstall:
	$(call pkg_uninstall,$(PKG_FILES))

install-qubes:
	$(call pkg_install,$(PKG_QUBES_FILES))

uninstall-qubes:
	$(call pkg_uninstall,$(PKG_QUBES_FILES))

# Print the installed file list (the packages' expected contents derive from it).
.PHONY: install-list
install-list:
	@for e in $(PKG_FILES); do echo "$${e##*:}"; done

# The .deb and the RPMs built from a scratch copy into $(BUILD)/pkg, their
# contents against tests/pkg/expected-*.txt, lintian, make install/uninstall,
# pcibind-qubes' policy on the fake kernel (tests/pkg/check-pkg.sh).
.PHONY: check-pkg deb rpm
check-pkg: all $(BUILD)/pcibind-fake fixtures
	@BUILD=$(BUILD) tests/pkg/check-pkg.sh

deb:
	@BUILD=$(BUILD) tests/pkg/build-deb.sh

rpm:
	@BUILD=$(BUILD) tests/pkg/build-rpm.sh

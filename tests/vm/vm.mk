# SPDX-License-Identifier: LGPL-2.1-or-later
# Real-kernel tests: QEMU guests (Debian kernel, Xen dom0, dracut initramfs).
# Included by the top-level Makefile; uses $(BUILD) and $(PCIBIND).
# See tests/vm/README.md.

VM_ENV = BUILD=$(BUILD) PCIBIND=$(PCIBIND) FIXTURE_TOOL=$(BUILD)/fixture-tool

.PHONY: check-vm check-vm-qubes check-vm-selftest record-fixtures

# Every guest kind with every scenario; ends with "N passed, M failed".
check-vm: $(PCIBIND)
	@$(VM_ENV) tests/vm/check-vm.sh

# Only issue 15's Qubes side-by-side boots (a model of Qubes' module vs
# pcibind-qubes; QUBES_PCIBACK_DIR=DIR boots the real module instead).
check-vm-qubes: $(PCIBIND)
	@$(VM_ENV) tests/vm/qubes-side-by-side.sh

# The harness itself: deliberately broken guests must be reported as failures.
check-vm-selftest:
	@$(VM_ENV) tests/vm/selftest.sh

# Re-record tests/fixtures/recorded/{qemu-q35,xen-dom0}.{tree,aliases}.
record-fixtures: $(PCIBIND) $(BUILD)/fixture-tool
	@$(VM_ENV) tests/vm/record-fixtures.sh

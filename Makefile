# SPDX-License-Identifier: LGPL-2.1-or-later
# pcibind: plain make, dependencies through pkg-config.

PREFIX ?= /usr
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=
BUILD ?= build
PCIBIND ?= $(BUILD)/pcibind
VERSION := 0.1.0

CC ?= cc
PKG_CONFIG ?= pkg-config
LIBS_PKG := libkmod libpci libudev inih json-c

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
	-Wno-format-nonliteral
# CI (CI=true in its environment) and WERROR=1 turn warnings into errors.
ifneq ($(CI)$(WERROR),)
WARN += -Werror
endif
CFLAGS ?= -O2 -g
PB_CFLAGS = -std=gnu11 -D_GNU_SOURCE -DPCIBIND_VERSION='"$(VERSION)"' $(WARN) \
	$(shell $(PKG_CONFIG) --cflags $(LIBS_PKG) 2>/dev/null)
PB_LIBS = $(shell $(PKG_CONFIG) --libs $(LIBS_PKG) 2>/dev/null)
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# src/lib is the engine (libpcibind.a: no printing, no argv); src/cli the commands.
LIB_SRCS := $(wildcard src/lib/*.c)
CLI_SRCS := $(wildcard src/cli/*.c)
SRCS := $(LIB_SRCS) $(CLI_SRCS)
LIB_OBJS := $(LIB_SRCS:src/lib/%.c=$(BUILD)/obj/%.o)
CLI_OBJS := $(CLI_SRCS:src/cli/%.c=$(BUILD)/obj/%.o)
OBJS := $(LIB_OBJS) $(CLI_OBJS)
ASAN_LIB_OBJS := $(LIB_SRCS:src/lib/%.c=$(BUILD)/asan/obj/%.o)
ASAN_CLI_OBJS := $(CLI_SRCS:src/cli/%.c=$(BUILD)/asan/obj/%.o)
ASAN_OBJS := $(ASAN_LIB_OBJS) $(ASAN_CLI_OBJS)
LIB_HDRS := $(wildcard src/lib/*.h)
HDRS := $(LIB_HDRS) $(wildcard src/cli/*.h)
# The library sees only its own headers; the commands see both.
LIB_INC := -Isrc/lib
CLI_INC := -Isrc/lib -Isrc/cli

.PHONY: all deps deps-demo deps-check demo demo-xen check check-fast check-unit check-headers check-gateway \
	check-engine check-layers check-policy install clean

all: $(BUILD)/pcibind

deps:
	@tools/deps.sh tools/packages-build.txt

# make demo: the build, and the Debian guest (no Xen, no dracut on the host).
DEMO_PACKAGES := tools/packages-build.txt tests/vm/packages.txt
deps-demo:
	@tools/deps.sh $(DEMO_PACKAGES)

deps-check: deps
	@tools/deps.sh tools/packages-check.txt tests/fixtures/packages.txt \
		tests/cli/packages.txt tests/vm/packages.txt tests/vm/packages-xen.txt \
		tests/vm/packages-dracut.txt tests/pkg/packages.txt

$(BUILD)/obj/%.o: src/lib/%.c $(LIB_HDRS) | $(BUILD)/obj
	$(CC) $(PB_CFLAGS) $(LIB_INC) $(CFLAGS) -c -o $@ $<

$(BUILD)/obj/%.o: src/cli/%.c $(HDRS) | $(BUILD)/obj
	$(CC) $(PB_CFLAGS) $(CLI_INC) $(CFLAGS) -c -o $@ $<

$(BUILD)/asan/obj/%.o: src/lib/%.c $(LIB_HDRS) | $(BUILD)/asan/obj
	$(CC) $(PB_CFLAGS) $(LIB_INC) -O1 -g $(SAN) -c -o $@ $<

$(BUILD)/asan/obj/%.o: src/cli/%.c $(HDRS) | $(BUILD)/asan/obj
	$(CC) $(PB_CFLAGS) $(CLI_INC) -O1 -g $(SAN) -c -o $@ $<

# The engine as a static, unversioned library (see docs/HACKING.md).
$(BUILD)/libpcibind.a: $(LIB_OBJS)
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/asan/libpcibind.a: $(ASAN_LIB_OBJS)
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/pcibind: $(CLI_OBJS) $(BUILD)/libpcibind.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJS) $(BUILD)/libpcibind.a $(PB_LIBS)

$(BUILD)/asan/pcibind: $(ASAN_CLI_OBJS) $(BUILD)/asan/libpcibind.a
	$(CC) $(SAN) -o $@ $(ASAN_CLI_OBJS) $(BUILD)/asan/libpcibind.a $(PB_LIBS)

$(BUILD)/obj $(BUILD)/asan/obj $(BUILD)/unit:
	mkdir -p $@

# ---- tests --------------------------------------------------------------

# Nothing the tests run may write to this machine's own /sys (src/sysfs.c).
export PCIBIND_FORBID_REAL_SYSFS = 1

UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(wildcard tests/unit/test-*.c))

# A unit test links the library (ASan+UBSan) and cmocka; only the tests of
# CLI modules (tests/unit/test-cli-*.c) link the CLI objects as well.
UNIT_CLI_OBJS := $(filter-out $(BUILD)/asan/obj/main.o,$(ASAN_CLI_OBJS))
$(BUILD)/unit/test-cli-%: tests/unit/test-cli-%.c tests/unit/unit.h $(UNIT_CLI_OBJS) \
		$(BUILD)/asan/libpcibind.a | $(BUILD)/unit
	$(CC) $(PB_CFLAGS) $(CLI_INC) -O1 -g $(SAN) -o $@ $< $(UNIT_CLI_OBJS) \
		$(BUILD)/asan/libpcibind.a $(PB_LIBS) $$($(PKG_CONFIG) --libs cmocka)

$(BUILD)/unit/test-%: tests/unit/test-%.c tests/unit/unit.h $(BUILD)/asan/libpcibind.a \
		| $(BUILD)/unit
	$(CC) $(PB_CFLAGS) $(LIB_INC) -O1 -g $(SAN) -o $@ $< $(UNIT_WRAP) \
		$(BUILD)/asan/libpcibind.a $(PB_LIBS) $$($(PKG_CONFIG) --libs cmocka)

# A test that wraps a library function (ld --wrap, as the fake kernel does).
$(BUILD)/unit/test-policy-read: UNIT_WRAP = -Wl,--wrap=util_read_fd

check-unit: $(UNIT_TESTS)
	@fail=0; for t in $(UNIT_TESTS); do \
		echo "== $$t"; $$t || fail=1; \
	done; exit $$fail

# Every header compiles on its own.
check-headers: | $(BUILD)/obj
	@for h in $(HDRS); do \
		echo "#include \"$$h\"" | $(CC) $(PB_CFLAGS) $(CLI_INC) -Werror -x c -fsyntax-only - \
			|| { echo "header $$h does not stand alone"; exit 1; }; \
	done; echo "headers: $(words $(HDRS)) stand alone"

# Only the sysfs gateway may name the real sysfs.
check-gateway:
	@if grep -rn '"/sys' src | grep -v '^src/lib/sysfs\.[ch]:'; then \
		echo "'/sys' named outside src/lib/sysfs.[ch]"; exit 1; \
	else echo "gateway: only src/lib/sysfs.c names /sys"; fi

-include tests/fixtures/fixtures.mk
-include tests/cli/cli.mk
-include tests/vm/vm.mk
# Campaigns (check-campaigns: fuzz briefly, valgrind, concurrency) and benchmarks (make bench).
-include tests/fuzz/fuzz.mk
-include tests/campaign/campaign.mk
-include bench/bench.mk

# The engine's fault and kill campaign on a fixture, with the fake kernel.
check-engine: $(BUILD)/pcibind-fake $(BUILD)/fixture-tool fixtures $(BUILD)/lazy-plans
	@BUILD=$(BUILD) sh tests/engine/lazy.sh
	@BUILD=$(BUILD) sh tests/engine/lazy-cli.sh
	@BUILD=$(BUILD) sh tests/engine/trace.sh
	@BUILD=$(BUILD) sh tests/engine/faults.sh laptop
	@BUILD=$(BUILD) sh tests/engine/udev.sh
	@BUILD=$(BUILD) sh tests/engine/boot.sh
	@BUILD=$(BUILD) sh tests/engine/release.sh
	@BUILD=$(BUILD) sh tests/engine/vfio.sh
	@BUILD=$(BUILD) sh tests/engine/gpu.sh
	@BUILD=$(BUILD) sh tests/engine/vfs.sh
	@BUILD=$(BUILD) sh tests/engine/holders.sh
	@BUILD=$(BUILD) sh tests/engine/agree.sh
	@BUILD=$(BUILD) sh tests/engine/xen.sh
	@BUILD=$(BUILD) sh tests/engine/gate.sh

# The layers: the library includes no CLI header, the commands include engine.h
# and never engine-private.h (what the engine's rooms share), and they call the
# engine, never the journal, rebind, libkmod, libudev or --persistent
# adapters behind it (undefined symbols of the CLI objects).
check-layers: $(OBJS)
	@if grep -ln '#include "\(commands\|log\|output\)\.h"' src/lib/*.[ch]; then \
		echo "layers: a library file includes a CLI header"; exit 1; fi
	@if grep -ln '#include "engine-private\.h"' src/cli/*.[ch] tests/unit/test-cli-*.c; then \
		echo "layers: a command includes the engine's private header (use engine.h)"; exit 1; fi
	@bad=$$(for o in $(CLI_OBJS); do nm -u $$o | awk -v o=$$o \
		'$$2 ~ /^(journal|rebind|kmodq|udevq|persist)_/ { print o ": " $$2 }'; done); \
	if [ -n "$$bad" ]; then echo "$$bad"; \
		echo "layers: a command reaches past the engine (use src/lib/engine.h)"; exit 1; \
	else echo "layers: src/lib includes no CLI header; src/cli calls only the engine's API"; fi

# The lazy snapshot plans as the full one (tests/engine/lazy.sh).
$(BUILD)/lazy-plans: tests/engine/lazy-plans.c $(BUILD)/asan/libpcibind.a | $(BUILD)/obj
	$(CC) $(PB_CFLAGS) $(LIB_INC) -O1 -g $(SAN) -o $@ $< $(BUILD)/asan/libpcibind.a $(PB_LIBS)

# Fail closed on untrusted policy files, and hostile names.
check-policy: all fixtures
	@BUILD=$(BUILD) sh tests/policy/hostile.sh

check-fast: all $(BUILD)/asan/pcibind check-headers check-gateway check-layers check-unit check-cli \
	check-cli-asan check-json check-engine check-policy

check: deps-check
	$(MAKE) check-fast
	$(MAKE) check-campaigns
	$(MAKE) check-pkg
	$(MAKE) check-vm
	$(MAKE) check-vm-selftest

# ---- demo ---------------------------------------------------------------

# The main job, on an embedded default: first this machine's devices,
# read-only (list, then show of the first function); then, in a QEMU guest
# on a real Debian kernel, list, a --dry-run plan, a seize, status, a
# refusal with its reasons, a release and explain (tests/vm/demo.sh).
# Nothing is written to this machine's /sys.
demo: deps-demo
	$(MAKE) all
	@echo "== pcibind list (this machine, read-only)"
	@$(PCIBIND) list
	@dev=$$($(PCIBIND) --json list | sed -n 's/.*"address": "\([^"]*\)".*/\1/p' | head -n 1); \
		echo "== pcibind show $$dev"; $(PCIBIND) show "$$dev"
	@echo "== the main job on a real kernel, in a QEMU guest (about 20-40 s)"
	@BUILD=$(BUILD) PCIBIND=$(PCIBIND) tests/vm/demo.sh

# Return after a VM, on Xen: in a QEMU guest, a Xen 4.17 dom0 with its
# toolstack gives the e1000e to a PV domU; pcibind release is refused while
# the domU runs (naming it), and after xl destroy it takes the NIC out of
# Xen's quarantine and returns it with working DMA (tests/vm/demo-xen.sh;
# several minutes under TCG). Nothing is written to this machine's /sys.
demo-xen: deps-demo
	@tools/deps.sh tests/vm/packages-xen.txt
	$(MAKE) all
	@BUILD=$(BUILD) PCIBIND=$(PCIBIND) tests/vm/demo-xen.sh

# ---- install ------------------------------------------------------------

# Directories from pkg-config (udev's udevdir, systemd's systemdsystemunitdir,
# dracut's dracutmodulesdir), the usual paths when a .pc file is missing. The
# file list and the install/uninstall rules are in pkg/pkg.mk.
pc_var = $(or $(shell $(PKG_CONFIG) --variable=$(2) $(1) 2>/dev/null),$(3))
SYSCONFDIR ?= /etc
POLICYDIR ?= $(PREFIX)/lib/pcibind/policy.d
UDEVDIR ?= $(call pc_var,udev,udevdir,/lib/udev)
SYSTEMDUNITDIR ?= $(call pc_var,systemd,systemdsystemunitdir,/lib/systemd/system)
# dracut looks only in its own directory, whatever PREFIX is.
DRACUTMODDIR ?= $(call pc_var,dracut,dracutmodulesdir,/usr/lib/dracut/modules.d)
INITRAMFSDIR ?= /usr/share/initramfs-tools
BASHCOMPDIR ?= $(call pc_var,bash-completion,completionsdir,$(PREFIX)/share/bash-completion/completions)
DATADIR ?= $(PREFIX)/share/pcibind

-include pkg/pkg.mk

clean:
	rm -rf $(BUILD)

# ---- the fake kernel ----------------------------------------------------

# pcibind with a fake kernel behind sysfs_write() and kmodq_load(), for the
# engine tests on fixture trees (ASan+UBSan objects: the fault campaigns
# run the engine's error paths under the sanitizers).
$(BUILD)/pcibind-fake: $(ASAN_OBJS) tests/fake/fake-kernel.c | $(BUILD)/obj
	$(CC) $(PB_CFLAGS) $(CLI_INC) -O1 -g $(SAN) -o $@ $(ASAN_OBJS) tests/fake/fake-kernel.c \
		-Wl,--wrap=sysfs_open -Wl,--wrap=sysfs_write -Wl,--wrap=kmodq_load \
		-Wl,--wrap=xen_open -Wl,--wrap=vfio_hot_reset $(PB_LIBS)

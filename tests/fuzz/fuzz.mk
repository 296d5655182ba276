# SPDX-License-Identifier: LGPL-2.1-or-later
# fuzz.mk: libFuzzer targets for pcibind's parsers (included by the top-level Makefile).
#
#   check-fuzz   replay the known crashers (tests/fuzz/repro/), then a short run
#                of every target (FUZZ_SHORT seconds each, default 6); fails on a crash
#   fuzz         the long run: FUZZ_TIME seconds per target (default 600), going on
#                past crashes to count them all; fails on any
#   fuzz-TARGET  one target for FUZZ_TIME seconds
#
# The targets link the src/lib/*.c they test, compiled with clang, ASan, UBSan and
# libFuzzer's coverage (not the gcc objects). The seed corpus is
# tests/fuzz/corpus/TARGET/ (read-only); what a run learns goes to
# $(BUILD)/fuzz/corpus/TARGET/, crashes to $(BUILD)/fuzz/crashes/TARGET/.

FUZZ_CC ?= clang
FUZZ_SHORT ?= 6
FUZZ_TIME ?= 600
FUZZ_SAN := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
# The modules the targets reach; cmdline.c only once it exists.
FUZZ_MODS := addr select pciname pcidev sysfs policy journal util trace \
	$(if $(wildcard src/lib/cmdline.c),cmdline)
FUZZ_OBJS := $(FUZZ_MODS:%=$(BUILD)/fuzz/obj/%.o)
FUZZ_TARGETS := select policy journal $(if $(wildcard src/lib/cmdline.h),cmdline)
FUZZ_BINS := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz-%)

.PHONY: check-fuzz fuzz fuzz-bins $(FUZZ_TARGETS:%=fuzz-%)

$(BUILD)/fuzz/obj:
	mkdir -p $@

# Warnings stay warnings here (the gcc build is the one with WERROR).
$(BUILD)/fuzz/obj/%.o: src/lib/%.c $(LIB_HDRS) | $(BUILD)/fuzz/obj
	$(FUZZ_CC) $(PB_CFLAGS) $(LIB_INC) -g -O1 $(FUZZ_SAN) -c -o $@ $<

$(BUILD)/fuzz/fuzz-%: tests/fuzz/fuzz-%.c tests/fuzz/devices.h $(FUZZ_OBJS)
	$(FUZZ_CC) $(PB_CFLAGS) $(LIB_INC) -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -fno-omit-frame-pointer -o $@ $< $(FUZZ_OBJS) $(PB_LIBS)

fuzz-bins: $(FUZZ_BINS)

check-fuzz: $(FUZZ_BINS)
	@BUILD=$(BUILD) sh tests/fuzz/run.sh --replay $(FUZZ_SHORT) $(FUZZ_TARGETS)

# The long runs go on past a crash (libFuzzer's fork mode) and count them all.
fuzz: $(FUZZ_BINS)
	@BUILD=$(BUILD) sh tests/fuzz/run.sh --fork $(FUZZ_TIME) $(FUZZ_TARGETS)

$(FUZZ_TARGETS:%=fuzz-%): fuzz-%: $(BUILD)/fuzz/fuzz-%
	@BUILD=$(BUILD) sh tests/fuzz/run.sh --fork $(FUZZ_TIME) $*

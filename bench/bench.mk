# SPDX-License-Identifier: LGPL-2.1-or-later
# bench.mk: make bench (issue 7), never part of make check. Included by the top-level Makefile.
#
#   make bench                      the whole table (about 2-4 minutes; see BENCH.md)
#   make bench BENCH_N=1024         a smaller machine
#   make bench BENCH_RUNS=11        more alternating runs per comparison (default 7)
#   make bench-tree                 only generate the big fixture (cached in $(BUILD)/bench/)
#
# The big machine's spec comes from bench/gen-spec.sh, and the fixture tool turns
# it into a tree and a depmod-made modules dir, exactly as tests/fixtures does.
# bench/run.sh materializes the tree on tmpfs (BENCH_TMP, default /dev/shm) and
# runs the comparisons there; it writes $(BUILD)/bench/results.md.

BENCH_N ?= 4096
BENCH_RUNS ?= 7
BENCH_TMP ?= /dev/shm
# Names for both tools: the system's full pci.ids when there is one.
BENCH_PCI_IDS ?= $(firstword $(wildcard /usr/share/misc/pci.ids /usr/share/hwdata/pci.ids) \
	tests/fixtures/pci.ids)
BENCH_DIR := $(BUILD)/bench
BENCH_TREE := $(BENCH_DIR)/tree-$(BENCH_N)

.PHONY: bench bench-tree bench-vm

$(BENCH_DIR)/abtime: bench/abtime.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -o $@ $<

# The floor: the least a tool reads to do what list and boot do (bench/floor.c).
$(BENCH_DIR)/floor: bench/floor.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -D_GNU_SOURCE -O2 -Wall -Wextra -o $@ $< -lpci

# A fake /proc of many processes for the holders row (bench/mkproc.c).
$(BENCH_DIR)/mkproc: bench/mkproc.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -o $@ $<

# spec -> fixture.tree + fixture.aliases -> modules dir (the fixture tool's path, as in fixtures.mk)
$(BENCH_TREE)/.stamp: bench/gen-spec.sh bench/mktree.sh $(FIXTURE_TOOL)
	FIXTURE_TOOL=$(FIXTURE_TOOL) DEPMOD=$(DEPMOD) sh bench/mktree.sh $(BENCH_N) $(@D)

bench-tree: $(BENCH_TREE)/.stamp

bench: all $(BENCH_DIR)/abtime $(BENCH_DIR)/floor $(BENCH_DIR)/mkproc $(FIXTURE_TOOL) \
		$(BENCH_TREE)/.stamp
	@BUILD=$(BUILD) PCIBIND=$(PCIBIND) FIXTURE_TOOL=$(FIXTURE_TOOL) \
		BENCH_TREE=$(BENCH_TREE) BENCH_N=$(BENCH_N) BENCH_RUNS=$(BENCH_RUNS) \
		BENCH_TMP=$(BENCH_TMP) BENCH_PCI_IDS=$(BENCH_PCI_IDS) \
		sh bench/run.sh
	@$(MAKE) --no-print-directory bench-vm

# The real-kernel row: pcibind seize+release of the e1000e in the Debian guest
# vs the bare sysfs writes (about 35 s); appended to the table.
bench-vm: all
	@mkdir -p $(BENCH_DIR)
	@BUILD=$(BUILD) PCIBIND=$(PCIBIND) bash bench/vm-rebind.sh | tee -a $(BENCH_DIR)/results.md

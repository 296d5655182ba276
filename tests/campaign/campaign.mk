# SPDX-License-Identifier: LGPL-2.1-or-later
# campaign.mk: the bounded campaigns of issue 7 (included by the top-level Makefile).
#
#   check-campaigns     check-fuzz's short run, valgrind over the CLI, the
#                       concurrency run; each prints its counts, then
#                       "N passed, M failed" (under ~3 minutes)
#   check-valgrind      tests/campaign/valgrind.sh
#   check-concurrency   tests/campaign/concurrency.sh (CONC_SECS, default 20)

CONC_SECS ?= 20
CAMPAIGN_FAKE_PLAIN := $(BUILD)/campaign/pcibind-fake-plain

.PHONY: check-campaigns check-valgrind check-concurrency

$(BUILD)/campaign:
	mkdir -p $@

# The fake kernel on the gcc objects, without sanitizers: for valgrind.
$(CAMPAIGN_FAKE_PLAIN): $(OBJS) tests/fake/fake-kernel.c | $(BUILD)/campaign
	$(CC) $(PB_CFLAGS) $(CLI_INC) $(CFLAGS) -o $@ $(OBJS) tests/fake/fake-kernel.c \
		-Wl,--wrap=sysfs_open -Wl,--wrap=sysfs_write -Wl,--wrap=kmodq_load \
		-Wl,--wrap=xen_open -Wl,--wrap=vfio_hot_reset $(PB_LIBS)

check-valgrind: $(BUILD)/pcibind $(CAMPAIGN_FAKE_PLAIN) fixtures guard-fixture
	@BUILD=$(BUILD) sh tests/campaign/valgrind.sh

check-concurrency: $(BUILD)/pcibind-fake fixtures
	@BUILD=$(BUILD) sh tests/campaign/concurrency.sh $(CONC_SECS)

# Every campaign runs even when one fails; the last line sums them up.
check-campaigns: $(FUZZ_BINS) $(BUILD)/pcibind $(CAMPAIGN_FAKE_PLAIN) $(BUILD)/pcibind-fake \
		fixtures guard-fixture
	@pass=0; fail=0; \
	for c in check-fuzz check-valgrind check-concurrency; do \
		echo "== $$c"; \
		if $(MAKE) -s --no-print-directory $$c; then pass=$$((pass + 1)); \
		else fail=$$((fail + 1)); echo "== $$c FAILED"; fi; \
	done; \
	echo "campaigns: $$pass passed, $$fail failed"; \
	[ $$fail -eq 0 ]

# SPDX-License-Identifier: LGPL-2.1-or-later
# cli.mk: golden-output CLI tests and the lspci oracle, run against every fixture.
#
# Included by the top-level Makefile (after tests/fixtures/fixtures.mk).
#   check-cli        run.sh and oracle.sh with $(PCIBIND)
#   check-cli-asan   the same with the ASan+UBSan build $(BUILD)/asan/pcibind
#   check-json       every command's --json against docs/pcibind.schema.json
#   update-cli       rewrite tests/cli/expected/ from $(PCIBIND) (review the diff!)

BUILD ?= build
PCIBIND ?= $(BUILD)/pcibind

.PHONY: check-cli check-cli-asan update-cli check-json

define cli_run
	@st=0; \
	PCIBIND=$(1) BUILD=$(BUILD) sh tests/cli/run.sh || st=1; \
	PCIBIND=$(1) sh tests/cli/oracle.sh $(FIXTURE_DIRS) || st=1; \
	BUILD=$(BUILD) bash tests/cli/completion.sh || st=1; \
	exit $$st
endef

check-cli: $(PCIBIND) fixtures
	$(call cli_run,$(PCIBIND))

check-cli-asan: $(BUILD)/asan/pcibind fixtures
	$(call cli_run,$(BUILD)/asan/pcibind)

# Every command's --json on every fixture against docs/pcibind.schema.json
# (python3-jsonschema); status with a journal through the fake kernel.
check-json: $(PCIBIND) $(BUILD)/pcibind-fake fixtures
	@BUILD=$(BUILD) PCIBIND=$(PCIBIND) python3 tests/cli/json-schema.py
	@python3 tools/schema-man.py --check

update-cli: $(PCIBIND) fixtures
	PCIBIND=$(PCIBIND) BUILD=$(BUILD) UPDATE=1 sh tests/cli/run.sh

# laptop-guards: the laptop fixture plus what trips every safety guard
# (tests/policy/mkguards.sh); its /proc is tests/fixtures/proc/laptop-guards.
.PHONY: guard-fixture
guard-fixture: fixtures
	@sh tests/policy/mkguards.sh $(BUILD)/fixtures/laptop $(BUILD)/fixtures/laptop-guards

check-cli check-cli-asan update-cli: guard-fixture

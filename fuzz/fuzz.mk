# libFuzzer targets for the parsers of untrusted input (fuzz/README.md).
# Included by the top-level Makefile; everything is built with clang under
# ASan+UBSan into build-fuzz/, apart from build/ and build-san/.
#
#   make fuzz                      build every fuzzer: build-fuzz/fuzz_NAME
#   make fuzz-run [FUZZ_SECONDS=20] run each for FUZZ_SECONDS over a temp copy
#                                   of fuzz/corpus/NAME; fails on any crash
#   make fuzz-run-NAME             one of them
#   make fuzz-clean
#
# A crash leaves its input in build-fuzz/crashes/ and the fuzzer's output in
# build-fuzz/logs/NAME.log; replay it with build-fuzz/fuzz_NAME FILE.

FUZZ_DIR := build-fuzz
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 20
# Extra libFuzzer options for fuzz-run (e.g. FUZZ_OPTS=-jobs=2).
FUZZ_OPTS ?=
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
FUZZ_CFLAGS := -O1 -g -std=gnu11 -Wall -Wextra -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-missing-field-initializers -D_GNU_SOURCE -pthread \
	-Iwriter -Icaptured -Icli -Iptp $(shell pkg-config --cflags $(PKGS) 2>/dev/null) \
	-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION $(FUZZ_SAN)
# Our harnesses must be warning-free; the project's own files are held to
# that by the gcc build, and a clang-only warning there should not stop
# fuzzing.
FUZZ_HARNESS_CFLAGS := -Werror -Ifuzz

# Optional parts, present or not depending on what is merged: the flow
# summary (writer/flowsum.c), frame pruning (cli/prune.c), and the
# reader's capfile_r_flowsum.
FUZZ_HAVE_FLOWSUM := $(if $(wildcard writer/flowsum.c),1)
FUZZ_HAVE_PRUNE := $(if $(FUZZ_HAVE_FLOWSUM),$(if $(wildcard cli/prune.c),1))
FUZZ_HAVE_R_FLOWSUM := $(shell grep -qs 'capfile_r_flowsum' writer/capfile.h && echo 1)
FUZZ_DEFS := $(if $(FUZZ_HAVE_FLOWSUM),-DHAVE_FLOWSUM) \
	$(if $(FUZZ_HAVE_R_FLOWSUM),-DHAVE_CAPFILE_R_FLOWSUM)

FUZZ_TARGETS := capfile pcapng config control pmc timearg storename status \
	$(if $(FUZZ_HAVE_FLOWSUM),flowsum) $(if $(FUZZ_HAVE_PRUNE),prune)
# Built, but not in fuzz-run: targets whose first finding is not fixed yet
# (storename and status were here until store.c and cmd_status.c were).
FUZZ_PENDING :=
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%) $(FUZZ_PENDING:%=$(FUZZ_DIR)/fuzz_%)

# The store library (writer/ ptp/, as LIB_SRC) as an archive: each fuzzer
# pulls in only what it uses.  The writing and clock side, which no
# fuzzer links, is left out to halve the build (should a parser come to
# need one of these, its link fails: take the file off the list).
# Program objects are named per fuzzer.
FUZZ_LIB_SKIP := writer/writer.c writer/feeder.c writer/batch.c writer/ring.c \
	writer/capfile_w.c writer/comp_%.c writer/clockprov.c ptp/phc.c ptp/pmc.c \
	ptp/clockq.c ptp/tscale.c
FUZZ_LIB_OBJ := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(filter-out $(FUZZ_LIB_SKIP),$(LIB_SRC)))
FUZZ_LIB := $(FUZZ_DIR)/libcapstore.a
FUZZ_O = $(FUZZ_DIR)/obj/$(1).o
fuzz_objs_control := $(call FUZZ_O,captured/control)
fuzz_objs_status := $(call FUZZ_O,cli/cmd_status)
fuzz_objs_config := $(call FUZZ_O,captured/config)
fuzz_objs_timearg := $(call FUZZ_O,cli/timearg)
fuzz_objs_prune := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(wildcard cli/prune*.c))

fuzz: $(FUZZ_BINS)

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_DIR)/obj/fuzz/%.o: fuzz/%.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_HARNESS_CFLAGS) $(FUZZ_DEFS) \
		-fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	@rm -f $@; ar rcs $@ $^

.SECONDEXPANSION:
$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/fuzz/fuzz_%.o $(FUZZ_DIR)/obj/fuzz/common.o \
		$$(fuzz_objs_$$*) $(FUZZ_LIB)
	@echo "  FUZZLD  $@"
	@$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

# Each run: a private copy of the corpus (the fuzzer adds to it), the
# dictionary when there is one, FUZZ_SECONDS of fuzzing; any crash, leak,
# timeout or out-of-memory fails.  One summary line per target.
fuzz-run: $(FUZZ_TARGETS:%=fuzz-run-%)

fuzz-run-%: $(FUZZ_DIR)/fuzz_%
	@mkdir -p $(FUZZ_DIR)/logs $(FUZZ_DIR)/crashes
	@tmp=$$(mktemp -d "$${TMPDIR:-/tmp}/fuzz-$*.XXXXXX") && \
	if [ -d fuzz/corpus/$* ]; then cp -R fuzz/corpus/$*/. "$$tmp/"; fi && \
	rc=0; \
	$(FUZZ_DIR)/fuzz_$* -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/crashes/$*- \
		$(if $(wildcard fuzz/$*.dict),-dict=fuzz/$*.dict) $(FUZZ_OPTS) \
		"$$tmp" >$(FUZZ_DIR)/logs/$*.log 2>&1 || rc=$$?; \
	rm -rf "$$tmp"; \
	runs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $(FUZZ_DIR)/logs/$*.log); \
	rate=$$(sed -n 's/^stat::average_exec_per_sec: *//p' $(FUZZ_DIR)/logs/$*.log); \
	if [ $$rc -ne 0 ]; then \
		echo "fuzz $*: FAILED (exit $$rc); log $(FUZZ_DIR)/logs/$*.log:"; \
		grep -m1 -A40 -E 'check failed|runtime error|^==[0-9]+==|^SUMMARY|libFuzzer: ' \
			$(FUZZ_DIR)/logs/$*.log | head -60; \
		ls -1 $(FUZZ_DIR)/crashes/$*-* 2>/dev/null | sed 's/^/  input: /'; \
		exit 1; \
	fi; \
	echo "fuzz $*: ok, $${runs:-?} runs in $(FUZZ_SECONDS) s ($${rate:-?}/s)"

fuzz-clean:
	rm -rf $(FUZZ_DIR)

clean: fuzz-clean

.SECONDARY: $(FUZZ_DIR)/obj/fuzz/common.o \
	$(foreach t,$(FUZZ_TARGETS) $(FUZZ_PENDING),$(FUZZ_DIR)/obj/fuzz/fuzz_$(t).o $(fuzz_objs_$(t)))
# (fuzz-run-NAME cannot be .PHONY: make skips pattern rules for those.)
.PHONY: fuzz fuzz-run fuzz-clean
-include $(shell find $(FUZZ_DIR) -name '*.d' 2>/dev/null)

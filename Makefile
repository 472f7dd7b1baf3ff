# SPDX-License-Identifier: GPL-2.0-only
# sluice: kernel-level egress enforcement for AI agents.
#
#   make              build the BPF object, its skeleton, sluiced and sluicectl
#   make demo         run the built-in example (root)
#   make test         unit + integration tests (root), ends "N passed, N failed"
#   make unit         unit tests only (ASan/UBSan), no root needed
#   make bench        benchmarks (root); BENCH_QUICK=1 for a smoke run
#   make fuzz         fuzz the DNS parser for FUZZ_SECONDS (default 60);
#                     FUZZ_MERGE=1 adds new coverage to tests/fuzz/corpus/dns
#   make V=1 ...      show the commands
OUTPUT ?= .output
V ?= 0
BENCH_QUICK ?= 0
ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
ARCH := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

WARN := -Wall -Wextra -Werror
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 $(WARN) -D_GNU_SOURCE -Iinclude -Iuser/lib -I$(OUTPUT)
LDLIBS := -lbpf -lelf -lz -lyaml -ljson-c
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) $(WARN) \
	-Wno-unused-function -Iinclude -I$(OUTPUT)
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

LIB_SRCS := $(sort $(wildcard user/lib/*.c))
LIB_OBJS := $(patsubst user/lib/%.c,$(OUTPUT)/lib/%.o,$(LIB_SRCS))
SAN_OBJS := $(patsubst user/lib/%.c,$(OUTPUT)/san/%.o,$(LIB_SRCS))
HDRS := $(wildcard include/sluice/*.h user/lib/*.h)
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/unit/%,$(UNIT_SRCS))
SKEL := $(OUTPUT)/sluice.skel.h $(OUTPUT)/sluice_lsm.skel.h $(OUTPUT)/sluice_iter.skel.h
BINS := $(OUTPUT)/sluiced $(OUTPUT)/sluicectl
TEST_BINS := $(OUTPUT)/netprobe
FUZZ_SECONDS ?= 60
FUZZ_MERGE ?= 0
FUZZ_CORPUS := tests/fuzz/corpus/dns
FUZZ_SRCS := tests/fuzz/fuzz_dns.c user/lib/dns.c
BENCH_BINS := $(OUTPUT)/bench/loadgen $(OUTPUT)/bench/dnsload $(OUTPUT)/bench/lpm_batch $(OUTPUT)/bench/empty.bpf.o

.PHONY: all deps demo test unit integration bench fuzz clean
.DELETE_ON_ERROR:
.SECONDARY:

all: $(BINS)

deps:
	$(Q)scripts/deps.sh

$(OUTPUT) $(OUTPUT)/lib $(OUTPUT)/san $(OUTPUT)/unit $(OUTPUT)/fuzz $(OUTPUT)/bench:
	$(Q)mkdir -p $@

$(OUTPUT)/vmlinux.h: | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)scripts/gen-vmlinux.sh $(BPFTOOL) $@

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) $(HDRS) $(OUTPUT)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp && rm -f $@.tmp

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

$(OUTPUT)/lib/%.o: user/lib/%.c $(HDRS) $(SKEL) | $(OUTPUT)/lib
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUTPUT)/san/%.o: user/lib/%.c $(HDRS) $(SKEL) | $(OUTPUT)/san
	$(call msg,CC-SAN,$@)
	$(Q)$(CC) $(CFLAGS) -O1 $(SAN) -c $< -o $@

$(OUTPUT)/libsluice.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(OUTPUT)/libsluice-san.a: $(SAN_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

CTL_SRCS := $(sort $(wildcard user/ctl/*.c))

$(OUTPUT)/sluicectl: user/sluicectl.c $(CTL_SRCS) user/ctl/ctl.h $(OUTPUT)/libsluice.a $(HDRS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser/ctl $< $(CTL_SRCS) $(OUTPUT)/libsluice.a $(LDLIBS) -o $@

$(OUTPUT)/%: user/%.c $(OUTPUT)/libsluice.a $(HDRS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $< $(OUTPUT)/libsluice.a $(LDLIBS) -o $@

$(OUTPUT)/unit/%: tests/unit/%.c $(OUTPUT)/libsluice-san.a $(HDRS) $(wildcard tests/unit/*.h) | $(OUTPUT)/unit
	$(call msg,UNIT,$@)
	$(Q)$(CC) $(CFLAGS) -O1 $(SAN) -Itests/unit $< $(OUTPUT)/libsluice-san.a \
		$(LDLIBS) -lcriterion -o $@

$(OUTPUT)/netprobe: tests/integration/helpers/netprobe.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -luring -o $@

# The DNS parser is pure C: no skeletons, no libraries.  The libFuzzer build
# needs clang; the replay build (make test) runs the corpus with any CC.
$(OUTPUT)/fuzz/fuzz_dns: $(FUZZ_SRCS) user/lib/dns.h | $(OUTPUT)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(CFLAGS) -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all $(FUZZ_SRCS) -o $@

$(OUTPUT)/fuzz/replay_dns: tests/fuzz/replay.c $(FUZZ_SRCS) user/lib/dns.h | $(OUTPUT)/fuzz
	$(call msg,REPLAY,$@)
	$(Q)$(CC) $(CFLAGS) -O1 $(SAN) tests/fuzz/replay.c $(FUZZ_SRCS) -o $@

# New inputs land in a scratch corpus under $(OUTPUT); crashes too.  The
# merge counts edges only (no hit counts), so the committed corpus stays small.
fuzz: $(OUTPUT)/fuzz/fuzz_dns
	$(Q)mkdir -p $(OUTPUT)/fuzz/corpus
	$(Q)$< -max_total_time=$(FUZZ_SECONDS) -dict=tests/fuzz/dns.dict \
		-artifact_prefix=$(OUTPUT)/fuzz/ -print_final_stats=1 \
		$(OUTPUT)/fuzz/corpus $(FUZZ_CORPUS)
ifeq ($(FUZZ_MERGE),1)
	$(Q)$< -merge=1 -use_counters=0 $(FUZZ_CORPUS) $(OUTPUT)/fuzz/corpus
endif

$(OUTPUT)/bench/%.bpf.o: bench/%.bpf.c $(OUTPUT)/vmlinux.h | $(OUTPUT)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp && rm -f $@.tmp

$(OUTPUT)/bench/loadgen: bench/loadgen.c bench/common.h | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

$(OUTPUT)/bench/dnsload: bench/dnsload.c bench/common.h | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -pthread -o $@

$(OUTPUT)/bench/lpm_batch: bench/lpm_batch.c $(HDRS) | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -lbpf -o $@

# The test runner sums every suite into one closing "N passed, N failed".
unit: $(UNIT_BINS)
	$(Q)scripts/run-tests.sh unit $(UNIT_BINS)

integration: $(BINS) $(TEST_BINS)
	$(Q)scripts/run-tests.sh integration

test: deps
	$(Q)$(MAKE) --no-print-directory all $(UNIT_BINS) $(TEST_BINS) $(OUTPUT)/fuzz/replay_dns $(BENCH_BINS)
	$(Q)scripts/run-tests.sh all $(UNIT_BINS)

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh $(OUTPUT)

# BENCH_QUICK=1: a few seconds, smallest sizes, report under $(OUTPUT)/bench.
bench: deps
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BINS)
	$(Q)BENCH_QUICK=$(BENCH_QUICK) bench/run.sh $(OUTPUT)

clean:
	$(call msg,CLEAN,$(OUTPUT))
	$(Q)rm -rf $(OUTPUT)

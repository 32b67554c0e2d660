# Makefile — builds kbpf into build/ (BPF objects, skeletons, binaries) and runs its tests.
# `make V=1` shows the commands.
.DELETE_ON_ERROR:
.SUFFIXES:
# Keep skeletons and objects: they are intermediates of pattern rules, not throwaways.
.SECONDARY:
.DEFAULT_GOAL := all

BUILD   := build
CLANG   ?= clang
CC      := gcc
BPFTOOL ?= bpftool
V       ?= 0
Q       := $(if $(filter 1,$(V)),,@)
msg      = $(if $(filter 1,$(V)),,@printf '  %-9s %s\n' '$(1)' '$(2)')

ARCH       := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
CFLAGS     ?= -O2 -g
CFLAGS     += -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -MMD -MP
INCLUDES   := -I$(BUILD)/include -Ibpf -Ilib -Iuserspace -Iapiserver-lite -Itests/bpf
LDLIBS     := -lbpf -lelf -lz -ljansson -lyaml
LDLIBS     += -lcurl -lpthread -lm -larchive -lcrypto
APISERVER_LDLIBS := -lmicrohttpd -lsqlite3 -lpthread
# -mcpu=v3 (ALU32, JMP32) is accepted by every kernel of the vmtest matrix (5.10+).
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Wextra -Werror

VMLINUX  := $(BUILD)/include/vmlinux.h
BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS    := $(patsubst bpf/%.bpf.c,$(BUILD)/include/%.skel.h,$(BPF_SRCS))

# Shared code every binary links: lib/ and the data-plane library in userspace/.
LIBKBPF_SRCS := $(wildcard lib/*.c) userspace/lb_model.c userspace/lb_dataplane.c \
		userspace/images.c userspace/pod_runtime.c userspace/cgroup.c userspace/podnet.c
LIBKBPF_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIBKBPF_SRCS))
LIBKBPF      := $(BUILD)/lib/libkbpf.a

# The apiserver: everything in apiserver-lite/ but its main links into the binary and
# its tests (the fuzzer and unit tests call the request path without a socket).
APISERVER_SRCS := $(filter-out apiserver-lite/main.c,$(wildcard apiserver-lite/*.c))
APISERVER_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(APISERVER_SRCS))
SCHED_SRCS := $(filter-out scheduler/main.c,$(wildcard scheduler/*.c))
SCHED_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(SCHED_SRCS))
CM_SRCS := $(filter-out controllers/main.c,$(wildcard controllers/*.c))
CM_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(CM_SRCS))

BINS := $(BUILD)/bin/kbpf-agent $(BUILD)/bin/kbpfctl $(BUILD)/bin/kbpf-apiserver \
	$(BUILD)/bin/kbpf-scheduler $(BUILD)/bin/kbpf-controller-manager

# Unit tests: tests/unit/test_NAME.c -> build/tests/test_NAME (cmocka).
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
TEST_BINS := $(UNIT_TESTS) $(BUILD)/tests/test_lb_bpf \
	     $(BUILD)/tests/kbpf-testsrv $(BUILD)/tests/kbpf-loadgen $(BUILD)/tests/kbpf-podrun \
	     $(BUILD)/fuzz/fuzz_api
BENCH_BINS := $(BUILD)/tests/bench_dataplane $(BUILD)/tests/bench_apiserver \
	      $(BUILD)/tests/bench_scheduler $(BUILD)/tests/bench_endpoints \
	      $(BUILD)/tests/bench_agent_sync

.PHONY: all deps test test-unit test-bpf test-integration bench-dataplane bench-apiserver \
	bench-scheduler bench-endpoints bench-agent-sync up down clean

all: $(BINS) $(BPF_OBJS)

deps:
	$(Q)scripts/deps.sh

# --- BPF ---
$(BUILD)/include $(BUILD)/bpf $(BUILD)/lib $(BUILD)/bin $(BUILD)/tests:
	$(Q)mkdir -p $@

# vmlinux.h from the running kernel's BTF; the checked-in copy where none is readable.
$(VMLINUX): | $(BUILD)/include
	$(call msg,VMLINUX,$@)
	$(Q)if [ -r /sys/kernel/btf/vmlinux ] && \
	    $(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp 2>/dev/null; \
	then mv $@.tmp $@; else rm -f $@.tmp; cp bpf/include/vmlinux.h $@; fi

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(VMLINUX) | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -I$(BUILD)/include -Ibpf -MMD -MP -c $< -o $@

$(BUILD)/include/%.skel.h: $(BUILD)/bpf/%.bpf.o | $(BUILD)/include
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# --- userspace ---
$(BUILD)/obj/%.o: %.c $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -c $< -o $@

$(LIBKBPF): $(LIBKBPF_OBJS) | $(BUILD)/lib
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# The agent: agent.c and its parts (agent_*.c).
AGENT_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard userspace/agent*.c))

$(BUILD)/bin/kbpf-agent: $(AGENT_OBJS) $(LIBKBPF) | $(BUILD)/bin
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -lmicrohttpd -o $@

$(BUILD)/bin/kbpfctl: $(BUILD)/obj/tools/kbpfctl.o $(LIBKBPF) | $(BUILD)/bin
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/bin/kbpf-apiserver: $(BUILD)/obj/apiserver-lite/main.o $(APISERVER_OBJS) $(LIBKBPF) \
			     | $(BUILD)/bin
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) $(APISERVER_LDLIBS) -o $@

$(BUILD)/bin/kbpf-scheduler: $(BUILD)/obj/scheduler/main.o $(SCHED_OBJS) $(LIBKBPF) | $(BUILD)/bin
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/bin/kbpf-controller-manager: $(BUILD)/obj/controllers/main.o $(CM_OBJS) $(LIBKBPF) \
				      | $(BUILD)/bin
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# --- tests and benchmarks ---
$(BUILD)/tests/test_%: $(BUILD)/obj/tests/unit/test_%.o $(APISERVER_OBJS) $(SCHED_OBJS) $(CM_OBJS) \
		       $(LIBKBPF) | $(BUILD)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) $(APISERVER_LDLIBS) -lcmocka -o $@

$(BUILD)/tests/test_lb_bpf: $(BUILD)/obj/tests/bpf/test_lb_bpf.o $(BUILD)/obj/tests/bpf/pkt.o \
			    $(LIBKBPF) | $(BUILD)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -lcmocka -o $@

$(BUILD)/tests/bench_dataplane: $(BUILD)/obj/tests/bench/bench_dataplane.o \
				$(BUILD)/obj/tests/bpf/pkt.o $(LIBKBPF) | $(BUILD)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/bench_apiserver: $(BUILD)/obj/tests/bench/bench_apiserver.o | $(BUILD)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -lcurl -lpthread -o $@

$(BUILD)/tests/bench_scheduler: $(BUILD)/obj/tests/bench/bench_scheduler.o $(LIBKBPF) | $(BUILD)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/bench_endpoints: $(BUILD)/obj/tests/bench/bench_endpoints.o $(LIBKBPF) | $(BUILD)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# The pod runtime's test driver links the runtime (it is also the shim it re-executes).
$(BUILD)/tests/kbpf-podrun: $(BUILD)/obj/tests/tools/podrun.o $(LIBKBPF) | $(BUILD)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/bench_agent_sync: $(BUILD)/obj/tests/bench/bench_agent_sync.o $(LIBKBPF) | $(BUILD)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/kbpf-%: $(BUILD)/obj/tests/tools/%.o | $(BUILD)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@

# The request-path fuzzer (libFuzzer, ASan, UBSan): everything the path touches, built
# with clang; the HTTP front end and the SQLite backend are not part of it.
FUZZ_SRCS := tests/fuzz/fuzz_api.c $(wildcard lib/*.c) \
	     $(filter-out apiserver-lite/main.c apiserver-lite/http.c apiserver-lite/store_sqlite.c,\
			  $(wildcard apiserver-lite/*.c))
FUZZ_SECONDS ?= 60

$(BUILD)/fuzz/fuzz_api: $(FUZZ_SRCS) $(SKELS)
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-std=gnu11 -D_GNU_SOURCE $(INCLUDES) $(FUZZ_SRCS) $(LDLIBS) -o $@

.PHONY: fuzz
fuzz: $(BUILD)/fuzz/fuzz_api
	$(Q)tests/fuzz/run.sh $(FUZZ_SECONDS)

test: deps
	$(Q)$(MAKE) --no-print-directory all $(TEST_BINS)
	$(Q)tests/run

bench-dataplane: deps
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/tests/bench_dataplane
	$(Q)$(BUILD)/tests/bench_dataplane

bench-apiserver: deps
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/tests/bench_apiserver
	$(Q)$(BUILD)/tests/bench_apiserver $(BUILD)/bin/kbpf-apiserver

bench-scheduler: deps
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/tests/bench_scheduler $(BUILD)/tests/test_sched
	$(Q)$(BUILD)/tests/test_sched --bench | grep -v '^\['
	$(Q)$(BUILD)/tests/bench_scheduler $(BUILD)/bin/kbpf-apiserver $(BUILD)/bin/kbpf-scheduler

bench-endpoints: deps
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/tests/bench_endpoints
	$(Q)$(BUILD)/tests/bench_endpoints $(BUILD)/bin/kbpf-apiserver \
		$(BUILD)/bin/kbpf-controller-manager

# busybox:latest from Debian's busybox-static, imported into the node's image store.
.PHONY: busybox-image
busybox-image: $(BUILD)/bin/kbpfctl
	$(Q)BUILD=$(BUILD) scripts/busybox-image.sh --kbpfctl $(BUILD)/bin/kbpfctl

bench-agent-sync: deps
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/tests/bench_agent_sync
	$(Q)$(BUILD)/tests/bench_agent_sync $(BUILD)/bin/kbpf-apiserver $(BUILD)/bin/kbpf-agent

# Until kbpfctl up brings a whole cluster: a one-node data-plane sandbox (scripts/sandbox.sh).
up: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/sandbox.sh up

down:
	$(Q)scripts/sandbox.sh down

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

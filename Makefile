# captured: hardware-timestamped packet capture daemon.
#   make            build build/captured and build/capctl
#   make test       unit + system tests (root, real kernel)
#   make SANITIZE=1 test   the same under ASan+UBSan, in build-san/
#   make deps       install Debian packages (root)
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
DOCDIR ?= $(PREFIX)/share/doc/captured

CC ?= cc
PKGS := libpcap libzstd zlib inih libbpf libxdp libevent libsystemd jansson
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-missing-field-initializers -D_GNU_SOURCE -pthread \
	-Iwriter -Icaptured -Icli -Iptp -I$(BUILD)/bpf $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS += $(shell pkg-config --libs $(PKGS) 2>/dev/null || \
	echo -lpcap -lzstd -lz -linih -lbpf -lxdp -levent -lsystemd -ljansson) -pthread

ifeq ($(SANITIZE),1)
BUILD ?= build-san
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else
BUILD ?= build
endif

LIB_SRC := $(wildcard writer/*.c ptp/*.c)
CAPTURED_SRC := $(wildcard captured/*.c)
CAPCTL_SRC := $(wildcard cli/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CAPTURED_OBJ := $(CAPTURED_SRC:%.c=$(BUILD)/obj/%.o)
CAPCTL_OBJ := $(CAPCTL_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

# Objects of the programs that unit tests may link (everything but main files).
CAPTURED_LIBOBJ := $(filter-out $(BUILD)/obj/captured/main.o,$(CAPTURED_OBJ))
CAPCTL_LIBOBJ := $(filter-out $(BUILD)/obj/cli/main.o,$(CAPCTL_OBJ))

all: $(BUILD)/captured $(BUILD)/capctl

# The XDP program of the AF_XDP path: compiled for the BPF target and
# embedded in captured through a bpftool skeleton.
BPF_CFLAGS := -O2 -g -target bpf -Wall -Werror -I/usr/include/$(shell $(CC) -dumpmachine)
$(BUILD)/bpf/%.bpf.o: captured/bpf/%.bpf.c
	@mkdir -p $(dir $@)
	@echo "  BPF     $<"
	@clang $(BPF_CFLAGS) -c -o $@ $<

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	@echo "  SKEL    $@"
	@bpftool gen skeleton $< > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/captured/src_afxdp.o: $(BUILD)/bpf/capture.skel.h
.SECONDARY: $(BUILD)/bpf/capture.bpf.o

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libcapstore.a: $(LIB_OBJ)
	@rm -f $@; ar rcs $@ $^

$(BUILD)/captured: $(CAPTURED_OBJ) $(BUILD)/libcapstore.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/capctl: $(CAPCTL_OBJ) $(BUILD)/libcapstore.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(CAPTURED_LIBOBJ) $(CAPCTL_LIBOBJ) $(BUILD)/libcapstore.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

units: $(UNIT_BIN)

test: all units
	BUILD=$(BUILD) tests/run.sh $(TESTS)

# The whole suite twice: optimized, then under ASan+UBSan (what CI runs).
check:
	$(MAKE) test
	$(MAKE) SANITIZE=1 test

# A live capture on a veth pair in two network namespaces made for it:
# captured -i, known traffic, capctl status, SIGTERM, check, list, slice.
demo: all
	BUILD=$(BUILD) scripts/demo.sh

# Regenerate the option list of captured.conf(5) from the option table.
man: $(BUILD)/captured
	scripts/man-options.sh $(BUILD)/captured man/captured.conf.5

deps:
	scripts/deps.sh

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(BUILD)/captured $(DESTDIR)$(SBINDIR)/captured
	install -m 0755 $(BUILD)/capctl $(DESTDIR)$(BINDIR)/capctl
	install -m 0644 man/capctl.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 man/captured-store.5 man/captured.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 man/captured.8 $(DESTDIR)$(MANDIR)/man8/
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) \
		$(DESTDIR)$(DOCDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/captured.service >$(DESTDIR)$(UNITDIR)/captured.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/captured.service
	install -m 0644 systemd/captured.sysusers $(DESTDIR)$(SYSUSERSDIR)/captured.conf
	install -m 0644 systemd/captured.tmpfiles $(DESTDIR)$(TMPFILESDIR)/captured.conf
	install -m 0644 systemd/captured.conf.example $(DESTDIR)$(DOCDIR)/captured.conf.example
	@echo "then: systemd-sysusers captured.conf; systemd-tmpfiles --create captured.conf;" \
		"systemctl daemon-reload; edit /etc/captured/captured.conf (see $(DOCDIR))"

# The systemd unit as make install writes it, checked by systemd-analyze.
unit-check: all
	sed 's|@SBINDIR@|$(abspath $(BUILD))|g' systemd/captured.service >$(BUILD)/captured.service
	systemd-analyze verify --man=no $(BUILD)/captured.service

clean:
	rm -rf build build-san

.PHONY: all units test check demo man deps install unit-check clean
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
-include fuzz/fuzz.mk

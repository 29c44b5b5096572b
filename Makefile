# rill: one plain GNU Makefile.
# Modes:  RELEASE=1 (optimised), SAN=address,undefined (sanitizers, own build dir),
#         WERROR=0 (for packagers), BUILD=dir (output folder).
# Layout: every src/<layer>/*.c except src/cli/main.c goes into build/librill.a;
#         build/rill = src/cli/main.c + the library; one test binary per
#         tests/unit/<layer>/test_<module>.c; one benchmark per bench/<name>.c;
#         one fuzz target per fuzz/fuzz_<name>.c (replayed by `make test`).

CC      ?= cc
SAN     ?=
RELEASE ?= 0
WERROR  ?= 1
ifeq ($(SAN),)
BUILD   ?= build
else
BUILD   ?= build/san
endif

PKGS    := zlib liblz4 libzstd snappy rdkafka libedit openssl \
           libmosquitto libcurl libpq libprotobuf-c
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wformat=2 -Wvla -Wcast-qual -Wwrite-strings
ifeq ($(WERROR),1)
WARN += -Werror
endif
ifeq ($(RELEASE),1)
OPT := -O3 -DNDEBUG
else
OPT := -O2 -g
endif
ifneq ($(SAN),)
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=$(SAN) -fno-sanitize-recover=all
LDSAN := -fsanitize=$(SAN)
endif

# -fPIC -fvisibility=hidden: every object also goes into librill.so, which
# exports only what include/rill.h marks RILL_API.
CFLAGS_ALL := -std=c11 -D_GNU_SOURCE -pthread $(OPT) $(WARN) -Isrc -I$(BUILD)/gen -Iinclude \
              -fPIC -fvisibility=hidden -MMD -MP \
              $(PKG_CFLAGS) $(CFLAGS)
LDLIBS_ALL := $(LDSAN) -pthread $(PKG_LIBS) -lm $(LDFLAGS) $(LDLIBS)

LAYERS   := base net log kafka broker row stream connect sql web lib cli
# One archive per layer, so a test of a low layer links (and builds) only the
# layers it may depend on: a half-written file in `sql` never breaks `log` tests.
RLAYERS  := cli lib web sql connect stream row broker kafka log net base
layer_src = $(filter-out src/cli/main.c,$(wildcard src/$(1)/*.c))
layer_lib = $(BUILD)/lib/lib$(1).a
ALL_LIBS := $(foreach l,$(RLAYERS),$(call layer_lib,$(l)))
TEST_SRC := $(wildcard tests/unit/*/test_*.c)
TEST_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRC))
BENCH_SRC:= $(wildcard bench/*.c)
BENCH_BIN:= $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
FUZZ_REPLAY := $(patsubst fuzz/%.c,$(BUILD)/fuzz/%_replay,$(FUZZ_SRC))
# Code protoc-c generates (libprotobuf-c), part of the row layer:
# $(BUILD)/gen/row/<name>.pb-c.[ch] from src/row/<name>.proto.
GEN_PB   := $(BUILD)/gen/row/sparkplug_b.pb-c
LIB_OBJ  := $(foreach l,$(LAYERS),$(patsubst %.c,$(BUILD)/%.o,$(call layer_src,$(l)))) \
            $(GEN_PB).o

.SECONDARY:

.PHONY: all test unit unit-san integration fuzz-replay fuzz fuzz-libs demo install \
        check-layers format format-check clean deps bench

all: $(BUILD)/rill $(TEST_BIN) $(BENCH_BIN) $(FUZZ_REPLAY) \
     $(BUILD)/librill.so $(BUILD)/librill.a $(BUILD)/examples/embed

# V=1 shows full command lines.
ifeq ($(V),1)
Q :=
else
Q := @
endif

# Objects depend on the Makefile: a change of flags (say -fPIC) rebuilds
# them instead of linking stale ones.
$(BUILD)/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC    $<")
	$(Q)$(CC) $(CFLAGS_ALL) -c $< -o $@

define layer_rule
$(call layer_lib,$(1)): $(patsubst %.c,$(BUILD)/%.o,$(call layer_src,$(1)))
	@mkdir -p $$(dir $$@)
	@rm -f $$@
	$(Q)ar rcs $$@ $$^
endef
$(foreach l,$(LAYERS),$(eval $(call layer_rule,$(l))))
$(GEN_PB).c: src/row/sparkplug_b.proto
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  PROTO $<")
	$(Q)protoc-c --c_out=$(dir $@) --proto_path=src/row $<
$(GEN_PB).h: $(GEN_PB).c
$(GEN_PB).o: $(GEN_PB).c Makefile
	@$(if $(Q),echo "  CC    $<")
	$(Q)$(CC) $(CFLAGS_ALL) -c $< -o $@
$(call layer_lib,row): $(GEN_PB).o
$(BUILD)/src/row/sparkplug.o: $(GEN_PB).h
$(ALL_LIBS): $(BUILD)/empty.o
$(BUILD)/empty.o:
	@mkdir -p $(dir $@)
	$(Q)echo 'extern int rill_empty_unit; int rill_empty_unit;' | $(CC) -x c -c - -o $@

$(BUILD)/rill: $(BUILD)/src/cli/main.o $(ALL_LIBS)
	$(Q)$(CC) -o $@ $< -Wl,--start-group $(ALL_LIBS) -Wl,--end-group $(LDLIBS_ALL)

# librill: the engine as a library (include/rill.h, docs/librill.md). The
# shared one exports only RILL_API symbols (scripts/check-symbols.sh, run
# by tests/integration/test_librill.sh).
LIBRILL_SONAME := librill.so.0
# A version script made from rill.h keeps everything else local (the web
# assets' linker-made symbols too).
$(BUILD)/librill.map: include/rill.h
	@mkdir -p $(dir $@)
	$(Q){ echo '{ global:'; grep -oE 'RILL_API [^(]*\b(rill_[a-z_]+)\(' $< | \
	    grep -oE 'rill_[a-z_]+\($$' | tr -d '(' | sed 's/$$/;/'; echo 'local: *; };'; } > $@
$(BUILD)/librill.so: $(LIB_OBJ) $(BUILD)/librill.map
	$(Q)$(CC) -shared -o $@ -Wl,-soname,$(LIBRILL_SONAME) \
	    -Wl,--version-script,$(BUILD)/librill.map $(LIB_OBJ) $(LDLIBS_ALL)
	@ln -sf librill.so $(BUILD)/$(LIBRILL_SONAME)
$(BUILD)/librill.a: $(LIB_OBJ)
	@rm -f $@
	$(Q)$(AR) rcs $@ $(LIB_OBJ)
# The embedding example, built against the shared library as a user would.
$(BUILD)/examples/embed: examples/embed/embed.c include/rill.h $(BUILD)/librill.so
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -Iinclude -o $@ $< \
	    -L$(BUILD) -lrill -Wl,-rpath,'$$ORIGIN/..' $(LDSAN)

# tests/unit/<layer>/test_x.c links the archives of <layer> and below.
define test_rule
$(BUILD)/tests/$(1)/%: $(BUILD)/tests/unit/$(1)/%.o $(foreach l,$(2),$(call layer_lib,$(l)))
	@mkdir -p $$(dir $$@)
	$(Q)$(CC) -o $$@ $$< -Wl,--start-group $(foreach l,$(2),$(call layer_lib,$(l))) -Wl,--end-group $(LDLIBS_ALL)
endef
$(foreach i,1 2 3 4 5 6 7 8 9 10 11 12,$(eval $(call test_rule,$(word $(i),$(LAYERS)),$(wordlist 1,$(i),$(LAYERS)))))

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(ALL_LIBS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -o $@ $< -Wl,--start-group $(ALL_LIBS) -Wl,--end-group $(LDLIBS_ALL)

# Fuzz targets: a plain replay driver (any compiler, used by `make test`) and,
# with clang, libFuzzer binaries for campaigns (`make fuzz`).
$(BUILD)/fuzz/%_replay: $(BUILD)/fuzz/%.o $(BUILD)/tests/fuzz/replay_main.o $(ALL_LIBS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -o $@ $(BUILD)/fuzz/$*.o $(BUILD)/tests/fuzz/replay_main.o -Wl,--start-group $(ALL_LIBS) -Wl,--end-group $(LDLIBS_ALL)

# libFuzzer binaries (clang) for long campaigns: build/fuzzer/fuzz_<name>.
# Run one with e.g. build/fuzzer/fuzz_sql -max_total_time=60 fuzz/corpus/sql
FUZZ_SAN := fuzzer-no-link,address,undefined
fuzz-libs:
	@$(MAKE) --no-print-directory CC=clang SAN=$(FUZZ_SAN) BUILD=build/fuzzer WERROR=0 \
	    $(foreach l,$(LAYERS),build/fuzzer/lib/lib$(l).a)

fuzz: fuzz-libs
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); echo "  FUZZ  $$n"; \
	  clang -std=c11 -D_GNU_SOURCE -g -O1 -Isrc $(PKG_CFLAGS) \
	    -fsanitize=fuzzer,address,undefined $$f -o build/fuzzer/$$n \
	    -Wl,--start-group $(foreach l,$(LAYERS),build/fuzzer/lib/lib$(l).a) \
	    -Wl,--end-group $(PKG_LIBS) -lm -pthread || exit 1; \
	done

deps:
	@bash scripts/deps.sh

# `make test` also builds the release binary and benchmarks (-O3 warns about
# things -O2 does not), so `make demo` and `make bench` cannot silently break.
test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory RELEASE=1 BUILD=build/release all
	@$(MAKE) --no-print-directory SAN=address,undefined all
	@bash tests/run.sh $(BUILD) build/san

unit: all
	@bash tests/run.sh --unit-only $(BUILD)

integration: all
	@bash tests/run.sh --integration-only $(BUILD)

bench: deps
	@$(MAKE) --no-print-directory RELEASE=1 BUILD=build/release all
	@bash bench/run.sh build/release

demo: deps
	@$(MAKE) --no-print-directory RELEASE=1 BUILD=build/release build/release/rill
	@bash scripts/demo.sh build/release/rill

PREFIX ?= /usr/local
install: $(BUILD)/rill $(BUILD)/librill.so $(BUILD)/librill.a
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	    $(DESTDIR)$(PREFIX)/include
	install -m 755 $(BUILD)/rill $(DESTDIR)$(PREFIX)/bin/rill
	install -m 644 include/rill.h $(DESTDIR)$(PREFIX)/include/rill.h
	install -m 755 $(BUILD)/librill.so $(DESTDIR)$(PREFIX)/lib/$(LIBRILL_SONAME)
	ln -sf $(LIBRILL_SONAME) $(DESTDIR)$(PREFIX)/lib/librill.so
	install -m 644 $(BUILD)/librill.a $(DESTDIR)$(PREFIX)/lib/librill.a
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|'$$(sed -n 's/^#define RILL_VERSION "\(.*\)"/\1/p' include/rill.h)'|' \
	    -e 's|@LIBS@|$(PKG_LIBS) -lm -pthread|' rill.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/rill.pc

check-layers:
	@bash scripts/check-layers.sh

format:
	@clang-format -i $$(find src tests bench fuzz include examples -name '*.[ch]')

format-check:
	@clang-format --dry-run -Werror $$(find src tests bench fuzz include examples -name '*.[ch]')

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# The dashboard's files are embedded with .incbin (src/web/web_assets.c).
$(BUILD)/src/web/web_assets.o: $(wildcard src/web/assets/*)

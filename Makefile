# weft — see README.md.  `make` builds build/libweft.so; `make test` runs every
# test; `make bench` the benchmarks; `make demo` the demo; `make deps` installs
# missing Debian packages (the other targets call it).

CXX      ?= g++
CC       ?= gcc
BUILD    := build
PREFIX   ?= /usr/local

DEPS_PKGS := g++ make libgtest-dev libbenchmark-dev libjemalloc-dev python3 pigz xz-utils zstd libgomp1 \
             pbzip2 lbzip2 git nodejs ruby memcached gdb
JEMALLOC_PIC := /usr/lib/x86_64-linux-gnu/libjemalloc_pic.a

WARN      := -Wall -Wextra -Wno-unused-parameter
LIBFLAGS  := -std=c++20 -O2 -g -fPIC -fvisibility=hidden -fno-exceptions -fno-rtti \
             -fno-stack-protector -fno-omit-frame-pointer -I. $(WARN)
LIB_SRCS  := $(wildcard core/*.cpp shim/*.cpp preload/*.cpp)
LIB_ASM   := $(wildcard core/*.S shim/*.S)
LIB_OBJS  := $(LIB_SRCS:%.cpp=$(BUILD)/obj/%.o) $(LIB_ASM:%.S=$(BUILD)/obj/%.o)

TEST_CFLAGS   := -O1 -g -fstack-protector-all -pthread -Wall -Wno-unused-result
UNIT_SRCS     := $(wildcard tests/unit/*.cpp)
COMPARE_SRCS  := $(wildcard tests/compare/*.c tests/compare/*.cpp)
COMPARE_BINS  := $(patsubst tests/compare/%,$(BUILD)/tests/compare/%,$(basename $(COMPARE_SRCS)))
TESTLIB_SRCS  := $(wildcard tests/compare/lib/*.c)
TESTLIB_SOS   := $(patsubst tests/compare/lib/%.c,$(BUILD)/tests/compare/lib/%.so,$(TESTLIB_SRCS))
OBS_SRCS      := $(wildcard tests/obs/*.c)
OBS_BINS      := $(patsubst tests/obs/%.c,$(BUILD)/tests/obs/%,$(OBS_SRCS))
BENCH_SRCS    := $(wildcard tests/bench/*.cpp)
BENCH_BINS    := $(patsubst tests/bench/%.cpp,$(BUILD)/bench/%,$(BENCH_SRCS))

.PHONY: all deps test unit compare apps obs bench demo install clean
all: deps $(BUILD)/libweft.so

deps:
	@missing=""; for p in $(DEPS_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >/dev/null || \
	  { echo "make deps: could not install$$missing" >&2; exit 1; }; fi

$(BUILD)/obj/%.o: %.cpp $(wildcard core/*.h shim/*.h preload/*.h)
	@mkdir -p $(dir $@)
	$(CXX) $(LIBFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.S
	@mkdir -p $(dir $@)
	$(CXX) -c $< -o $@

# jemalloc's malloc family renamed je_*: preload/malloc.cpp wraps it with a
# cache per P. Its pthread key goes to weft's internal keys instead, outside
# the program's PTHREAD_KEYS_MAX (shim/internal_keys.h).
$(BUILD)/jemalloc_weft.a: $(JEMALLOC_PIC) preload/jemalloc.syms
	@mkdir -p $(dir $@)
	objcopy --redefine-syms=preload/jemalloc.syms $< $@

$(BUILD)/libweft.so: $(LIB_OBJS) preload/libweft.map $(BUILD)/jemalloc_weft.a
	$(CXX) -shared -o $@ $(LIB_OBJS) -Wl,--version-script=preload/libweft.map \
	  -Wl,-z,initfirst -Wl,-z,now -Wl,--whole-archive $(BUILD)/jemalloc_weft.a -Wl,--no-whole-archive \
	  -ldl -lpthread

# ---- tests ---------------------------------------------------------------
$(BUILD)/tests/unit_tests: $(UNIT_SRCS)
	@mkdir -p $(dir $@)
	$(CXX) -std=c++20 $(TEST_CFLAGS) -o $@ $(UNIT_SRCS) -lgtest -lgtest_main -ldl

# Per-program flags: io_fortify* is built as Debian builds packages (and
# io_fortify must import the _FORTIFY_SOURCE entry points it tests);
# io_openmp* uses OpenMP.
compare_flags = $(if $(filter io_fortify%,$(notdir $1)),-O2 -D_FORTIFY_SOURCE=2) \
  $(if $(filter io_openmp%,$(notdir $1)),-fopenmp)
compare_imports = $(if $(filter io_fortify,$(notdir $1)),__read_chk __recv_chk __recvfrom_chk \
  __poll_chk __ppoll_chk)

$(BUILD)/tests/compare/%: tests/compare/%.c
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) $(call compare_flags,$@) -o $@ $< -ldl -lm
	@for s in $(call compare_imports,$@); do nm -D $@ | grep -qw "U $$s" || \
	  { echo "$@ does not import $$s" >&2; rm -f $@; exit 1; }; done

$(BUILD)/tests/compare/%: tests/compare/%.cpp
	@mkdir -p $(dir $@)
	$(CXX) -std=c++20 $(TEST_CFLAGS) $(call compare_flags,$@) -o $@ $< -ldl -lm

$(BUILD)/tests/compare/lib/%.so: tests/compare/lib/%.c
	@mkdir -p $(dir $@)
	$(CC) -O1 -g -shared -fPIC -o $@ $<

unit: all $(BUILD)/tests/unit_tests
	./$(BUILD)/tests/unit_tests --gtest_brief=1
	for p in 1 2; do WEFT_STRICT=1 WEFT_PROCS=$$p LD_PRELOAD=$(CURDIR)/$(BUILD)/libweft.so \
	  ./$(BUILD)/tests/unit_tests --gtest_brief=1 || exit 1; done

compare: all $(COMPARE_BINS) $(TESTLIB_SOS)
	tests/run_compare.sh $(COMPARE_BINS)

apps: all
	tests/apps/run_apps.sh

# WEFT_DEBUG, the launcher's tracing flags and the gdb extension.
$(BUILD)/tests/obs/%: tests/obs/%.c
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $<

obs: all $(OBS_BINS)
	tests/obs/run_obs.py $(BUILD)/tests/obs/obs_parked

test: unit compare apps obs

# ---- benchmarks and demo -------------------------------------------------
$(BUILD)/bench/%: tests/bench/%.cpp tests/bench/bench_common.h
	@mkdir -p $(dir $@)
	$(CXX) -std=c++20 -O2 -g -pthread -o $@ $< -lbenchmark -ldl

bench: all $(BENCH_BINS)
	scripts/bench.sh $(BENCH_BINS)

$(BUILD)/demo: scripts/demo.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -pthread -o $@ $<

demo: all $(BUILD)/demo
	scripts/demo.sh

install: all
	install -D -m 755 $(BUILD)/libweft.so $(DESTDIR)$(PREFIX)/lib/weft/libweft.so
	install -D -m 755 scripts/weft $(DESTDIR)$(PREFIX)/bin/weft
	install -D -m 644 scripts/weft-gdb.py $(DESTDIR)$(PREFIX)/share/weft/weft-gdb.py
	install -D -m 644 man/weft.1 $(DESTDIR)$(PREFIX)/share/man/man1/weft.1
	install -D -m 644 man/libweft.7 $(DESTDIR)$(PREFIX)/share/man/man7/libweft.7

clean:
	rm -rf $(BUILD)

# mk/fuzz.mk: libFuzzer harnesses (tests/fuzz/) for the MAC parser, the
# request-body validator, the JSON Schema validator, the router with the
# request path behind it, the firmware image reader, the Range grammar,
# and the Authorization header devices send.
#
#   make fuzz [FUZZ_SECONDS=60]   fuzz each harness for FUZZ_SECONDS, keeping
#                                 what it learns in build/fuzz/corpus/
#   make fuzz-merge               fold new inputs from build/fuzz/corpus/ into
#                                 the committed seed corpus (minimised)
#   make test-fuzz                (part of `make test`) replay the committed
#                                 corpus, then FUZZ_RUNS mutations per harness
#
# The harnesses are built with clang (Debian clang + libclang-rt-14-dev)
# against a "fuzz" variant of the library: the same sources with coverage
# instrumentation, ASan and UBSan. A crash leaves its input in
# build/fuzz/artifacts/; once fixed, it belongs in tests/fuzz/corpus/<harness>/.

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?= 20000
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
CFLAGS_fuzz := $(WARN) -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $(FUZZ_SAN)
LDFLAGS_fuzz := -fsanitize=fuzzer $(FUZZ_SAN)

# The fuzz variant's objects are compiled by clang whatever CC is.
build/fuzz/%: CC := $(FUZZ_CC)
$(eval $(call variant,fuzz))

FUZZ_HARNESSES := fuzz_mac fuzz_jsonbody fuzz_jsonschema fuzz_router fuzz_espimage fuzz_byterange fuzz_authheader
FUZZ_BINS := $(addprefix build/fuzz/,$(FUZZ_HARNESSES))
FUZZ_HDRS := $(wildcard tests/fuzz/*.h)
# The router harness replaces src/transport.c with an in-memory transport.
FUZZ_EXTRA_fuzz_router := tests/fuzz/fake_transport.c
# The service logs to stderr on every request: close the harnesses' stderr
# (libFuzzer keeps its own reports; failed properties print to stdout).
FUZZ_FLAGS := -close_fd_mask=2
# A harness may have a dictionary of tokens next to it (tests/fuzz/<harness>.dict).

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c build/fuzz/lib.a $(FUZZ_HDRS) tests/fuzz/fake_transport.c
	$(FUZZ_CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS_fuzz) -Isrc -Itests/fuzz $< \
		$(FUZZ_EXTRA_fuzz_$*) build/fuzz/lib.a -o $@ $(LDFLAGS_fuzz) $(PKG_LIBS)

.PHONY: fuzz fuzz-build fuzz-merge test-fuzz
fuzz-build: $(FUZZ_BINS)

# Each harness replays its seeds and regressions, then mutates; new inputs go
# to a scratch directory so the committed corpus only changes on purpose.
test-fuzz: $(FUZZ_BINS)
	@set -e; for h in $(FUZZ_HARNESSES); do \
		work=build/fuzz/smoke/$$h; rm -rf $$work; mkdir -p $$work build/fuzz/artifacts; \
		echo "fuzz smoke: $$h, corpus tests/fuzz/corpus/$$h + $(FUZZ_RUNS) runs"; \
		dict=; [ -f tests/fuzz/$$h.dict ] && dict=-dict=tests/fuzz/$$h.dict; \
		if ! build/fuzz/$$h -runs=$(FUZZ_RUNS) -print_final_stats=1 $$dict \
			-artifact_prefix=build/fuzz/artifacts/$$h- $(FUZZ_FLAGS) \
			$$work tests/fuzz/corpus/$$h >build/fuzz/smoke/$$h.log 2>&1; then \
			tail -n 60 build/fuzz/smoke/$$h.log; echo "FAIL: $$h"; exit 1; fi; \
		grep -E '^(stat::number_of_executed_units|Done)' build/fuzz/smoke/$$h.log || true; \
	done

fuzz: $(FUZZ_BINS)
	@set -e; for h in $(FUZZ_HARNESSES); do \
		mkdir -p build/fuzz/corpus/$$h build/fuzz/artifacts; \
		echo "fuzz: $$h for $(FUZZ_SECONDS) s"; \
		dict=; [ -f tests/fuzz/$$h.dict ] && dict=-dict=tests/fuzz/$$h.dict; \
		if ! build/fuzz/$$h -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $$dict \
			-artifact_prefix=build/fuzz/artifacts/$$h- $(FUZZ_FLAGS) \
			build/fuzz/corpus/$$h tests/fuzz/corpus/$$h >build/fuzz/$$h.log 2>&1; then \
			tail -n 60 build/fuzz/$$h.log; echo "FAIL: $$h (input in build/fuzz/artifacts/)"; exit 1; fi; \
		grep -E '^(stat::number_of_executed_units|stat::new_units_added|Done)' build/fuzz/$$h.log; \
	done

fuzz-merge: $(FUZZ_BINS)
	@set -e; for h in $(FUZZ_HARNESSES); do \
		build/fuzz/$$h -merge=1 $(FUZZ_FLAGS) tests/fuzz/corpus/$$h build/fuzz/corpus/$$h \
			2>&1 | grep -E '^MERGE-OUTER: [0-9]+ new files' || true; \
	done

TEST_SUITES += test-fuzz

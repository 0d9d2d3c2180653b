# mk/bench.mk: `make bench`, the benchmark against this machine's physical
# limit (bench/run.sh says what it measures). Not part of `make test`: it
# takes a few minutes and its figures depend on the machine and its load.
# It installs its own packages (wrk, gnuplot, and Ceph for the CephFS rows)
# first.

FLOOR_BIN := bench/out/floor
VISIBLE_BIN := bench/out/visible
REPLACE_BIN := bench/out/replace

.PHONY: bench
bench: deps-bench
	@$(MAKE) --no-print-directory $(BIN) $(FLOOR_BIN) $(VISIBLE_BIN) $(REPLACE_BIN)
	bash bench/run.sh

$(FLOOR_BIN): bench/floor.c | bench/out/.dir
	$(CC) $(WARN) -O2 $(shell pkg-config --cflags fcgi) $< -o $@ $(shell pkg-config --libs fcgi)

$(VISIBLE_BIN): bench/visible.c | bench/out/.dir
	$(CC) $(WARN) -O2 $< -o $@

$(REPLACE_BIN): bench/replace.c | bench/out/.dir
	$(CC) $(WARN) -O2 $< -o $@

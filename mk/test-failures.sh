#!/bin/sh
# mk/test-failures.sh DIR: after a red `make test`, what each failed suite
# said about its failures, so that the last lines of the run name them.
# DIR holds SUITE.log (the suite's whole output) and SUITE.failed for each
# suite that failed. For each: every "not ok" line of bats with the "# "
# lines that follow it (the failure's explanation, then perhaps the next
# test's own notes), and every FAIL line of the unit tests' runner; or,
# where a suite failed without either (a build or a server that did not
# start), its last 20 lines. At most 80 lines a suite.
dir=$1
for mark in "$dir"/*.failed; do
	[ -e "$mark" ] || continue
	suite=$(basename "$mark" .failed)
	log=$dir/$suite.log
	echo "make test: what $suite said of its failures (all of it in $log):"
	if grep -q -e '^not ok ' -e '^FAIL' "$log"; then
		awk '/^not ok |^FAIL/ { shown = 1; print; next }
		     shown && /^#/ { print; next }
		     { shown = 0 }' "$log" >"$log.failures"
	else
		tail -n 20 "$log" >"$log.failures"
	fi
	head -n 80 "$log.failures" | sed "s/^/  $suite: /"
	lines=$(wc -l <"$log.failures")
	[ "$lines" -le 80 ] || echo "  $suite: ... ($((lines - 80)) more lines)"
done

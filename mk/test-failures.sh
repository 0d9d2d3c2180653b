#!/bin/sh
# mk/test-failures.sh DIR: after a red `make test`, what each failed suite
# said about its failures, so that the last lines of the run name them.
# DIR holds SUITE.log (the suite's whole output) and SUITE.failed for each
# suite that failed. For each: every "not ok" line of bats with the "# "
# lines that explain it, or, where a suite failed without one (a build or
# a server that did not start), its last 20 lines.
dir=$1
for mark in "$dir"/*.failed; do
	[ -e "$mark" ] || continue
	suite=$(basename "$mark" .failed)
	log=$dir/$suite.log
	echo "make test: what $suite said of its failures ($log):"
	if grep -q '^not ok ' "$log"; then
		awk '/^not ok /{ shown = 1; print; next }
		     shown && /^#/ { print; next }
		     { shown = 0 }' "$log" | head -n 80
	else
		tail -n 20 "$log"
	fi | sed "s/^/  $suite: /"
done

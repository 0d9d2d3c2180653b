#!/bin/sh
# tests/unit/run.sh: run each unit test binary given, show its TAP output,
# and fail when any test binary fails or reports "not ok".
status=0
for t in "$@"; do
	echo "# $t"
	out="$("$t" 2>&1)"
	rc=$?
	printf '%s\n' "$out"
	if [ $rc -ne 0 ] || printf '%s\n' "$out" | grep -q '^not ok'; then
		echo "FAIL: $t (exit $rc)"
		status=1
	fi
done
[ $status -eq 0 ] && echo "unit tests: all passed"
exit $status

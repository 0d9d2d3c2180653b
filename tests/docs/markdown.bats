#!/usr/bin/env bats
# tests/docs/markdown.bats: README.md and docs/*.md hold together, without
# a server: every relative link names a file that exists and every
# #anchor a heading of that file (GitHub's heading ids); README links each
# document of docs/; every setting the responder reads (env_nonempty in
# src/*.c) and every `make run` setting (the Makefile's settings block) is
# a row of the configuration table in docs/deployment.md, and every row
# names one of them; the man page's ENVIRONMENT lists the responder's.

load ../e2e/helpers

# md_scan FILE: "H <id>" for each heading and "L <target>" for each link
# or image of FILE, outside fenced code blocks and inline code. Lines are
# joined first, so a link text may wrap. Heading ids as GitHub makes them:
# lower case, only letters, digits, "_", "-" and spaces kept, spaces as
# "-", a repeated id suffixed "-1", "-2", ...
md_scan() {
	awk '
		/^ *```/ { fence = !fence; next }
		fence { next }
		/^#+ / {
			h = $0
			sub(/^#+ +/, "", h); gsub(/`/, "", h)
			h = tolower(h); gsub(/[^a-z0-9 _-]/, "", h); gsub(/ /, "-", h)
			id = h; if (seen[h]++) id = h "-" (seen[h] - 1)
			print "H " id
		}
		{ text = text " " $0 }
		END {
			gsub(/`[^`]*`/, "", text)
			while (match(text, /\]\([^) ]+\)/)) {
				print "L " substr(text, RSTART + 2, RLENGTH - 3)
				text = substr(text, RSTART + RLENGTH)
			}
		}' "$1"
}

# check_links FILE...: every relative link of each FILE resolves; prints
# each one that does not and fails if any.
check_links() {
	local f target path anchor dest bad=0 n=0
	for f in "$@"; do
		while read -r target; do
			case "$target" in http://* | https://* | mailto:*) continue ;; esac
			n=$((n + 1))
			path="${target%%#*}"
			anchor=""
			[[ "$target" != *'#'* ]] || anchor="${target#*#}"
			if [ -z "$path" ]; then
				dest="$f"
			else
				dest="$(dirname "$f")/$path"
			fi
			if [ ! -e "$dest" ]; then
				echo "$f: link $target: no file $dest" >&2
				bad=$((bad + 1))
			elif [ -n "$anchor" ] && ! md_scan "$dest" | grep -qxF "H $anchor"; then
				echo "$f: link $target: no heading #$anchor in $dest" >&2
				bad=$((bad + 1))
			fi
		done < <(md_scan "$f" | sed -n 's/^L //p')
	done
	echo "$n links checked" >&2
	[ "$bad" -eq 0 ]
}

# settings_read: the names the responder reads and `make run` takes.
settings_read() {
	grep -ho 'env_nonempty("[A-Z0-9_]*")' "$IOT_ROOT"/src/*.c | cut -d'"' -f2
	awk '/^# --- settings for `make run`/ { on = 1; next }
		on && /^$/ { exit }
		on && /^[A-Z0-9_]+ \?=/ { print $1 }' "$IOT_ROOT/Makefile"
}

# settings_documented: the first column of docs/deployment.md's
# configuration table.
settings_documented() {
	awk '/^## Configuration$/ { on = 1; next }
		on && /^## / { exit }
		on && /^\| `[A-Z0-9_]+` \|/ { split($0, c, "`"); print c[2] }' "$IOT_ROOT/docs/deployment.md"
}

@test "every relative link and #anchor in README.md and docs/*.md resolves" {
	run check_links "$IOT_ROOT/README.md" "$IOT_ROOT"/docs/*.md
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ([0-9]+)\ links\ checked ]]
	[ "${BASH_REMATCH[1]}" -ge 40 ]
	# The check fails on a missing file, a missing heading, and a link
	# hidden in a code block or inline code is not one.
	local d="$BATS_TEST_TMPDIR/md"
	mkdir -p "$d"
	printf '# A `code` title\n\n## Twice\n\n## Twice\n\n[ok](#a-code-title) [ok](#twice-1)\n[ok](b.md#b) `[no](gone.md)`\n```\n[no](gone.md)\n```\n' >"$d/a.md"
	printf '# B\n' >"$d/b.md"
	run check_links "$d/a.md"
	echo "$output"
	[ "$status" -eq 0 ]
	printf '[bad](b.md#nowhere)\n' >"$d/c.md"
	run check_links "$d/c.md"
	[ "$status" -ne 0 ]
	[[ "$output" == *'no heading #nowhere'* ]]
	printf 'see [the\nother](gone.md)\n' >"$d/e.md"
	run check_links "$d/e.md"
	[ "$status" -ne 0 ]
	[[ "$output" == *'no file'*'gone.md'* ]]
}

@test "README.md links every document of docs/, and stays a front door" {
	local f
	for f in "$IOT_ROOT"/docs/*.md; do
		md_scan "$IOT_ROOT/README.md" | grep -qE "^L docs/$(basename "$f")(#|$)" ||
			{ echo "README.md does not link docs/$(basename "$f")" >&2; return 1; }
	done
	[ "$(ls "$IOT_ROOT"/docs/*.md | wc -l)" -ge 6 ]
	[ "$(wc -l <"$IOT_ROOT/README.md")" -le 400 ]
}

@test "every setting read is in docs/deployment.md's configuration table, and every row is one read" {
	local read documented name bad=0
	read="$(settings_read | sort -u)"
	documented="$(settings_documented | sort)"
	# Enough of each, so a changed pattern cannot pass on nothing.
	[ "$(wc -l <<<"$read")" -ge 20 ]
	[ "$(wc -l <<<"$documented")" -ge 20 ]
	grep -qx MQTT_URL <<<"$read"
	grep -qx AUTH_READS <<<"$read"
	for name in $read; do
		grep -qx "$name" <<<"$documented" ||
			{ echo "setting $name is not in the configuration table" >&2; bad=$((bad + 1)); }
	done
	for name in $documented; do
		grep -qF "env_nonempty(\"$name\")" "$IOT_ROOT"/src/*.c ||
			grep -qE "^$name \?=" "$IOT_ROOT/Makefile" ||
			{ echo "documented setting $name is read nowhere" >&2; bad=$((bad + 1)); }
	done
	# Each row once.
	[ -z "$(uniq -d <<<"$documented")" ] || { echo "rows twice: $(uniq -d <<<"$documented")" >&2; bad=$((bad + 1)); }
	[ "$bad" -eq 0 ]
}

@test "the man page's ENVIRONMENT lists every setting the responder reads, and no other" {
	local page="$IOT_ROOT/man/iotconfig.fcgi.8" listed name bad=0
	listed="$(sed -n '/^\.Sh ENVIRONMENT/,/^\.Sh /p' "$page" | sed -n 's/^\.It Ev //p' |
		tr -d ',' | tr ' ' '\n' | grep -E '^[A-Z0-9_]+$' | sort -u)"
	[ "$(wc -l <<<"$listed")" -ge 15 ]
	for name in $(grep -ho 'env_nonempty("[A-Z0-9_]*")' "$IOT_ROOT"/src/*.c | cut -d'"' -f2 | sort -u); do
		grep -qx "$name" <<<"$listed" || { echo "man page lacks $name" >&2; bad=$((bad + 1)); }
	done
	for name in $listed; do
		grep -qF "env_nonempty(\"$name\")" "$IOT_ROOT"/src/*.c ||
			{ echo "man page lists $name, which the responder does not read" >&2; bad=$((bad + 1)); }
	done
	[ "$bad" -eq 0 ]
}

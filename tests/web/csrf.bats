#!/usr/bin/env bats
# tests/web/csrf.bats: a page of another origin in the admin's browser
# (Debian's Chromium through playwright-core, csrf.mjs), over plain http
# where no Sec-Fetch-Site is sent, tries to restore an old version and to
# PUT and DELETE with the credentials the browser holds: the config on
# disk and its history stay as they were, while the service's own page
# restores. One service (conf/lighttpd.conf with write credentials) and
# one other-origin page server (python3 http.server) for the file.

load helpers

MAC=aa-bb-cc-00-23-01

setup_file() {
	web_need_npm || return 1
	local dir="$BATS_FILE_TMPDIR/csrf"
	mkdir -p "$dir/evil"
	htpasswd -cbB "$dir/htpasswd" alice 's3cret word' 2>/dev/null
	iot_start_file AUTH_USERS_FILE="$dir/htpasswd" ALLOWED_HOSTS=iot.test,127.0.0.1
	call PUT "/api/configs/$MAC.json" -u 'alice:s3cret word' -H 'Content-Type: application/json' --data-binary '{"v":"old"}'
	call PUT "/api/configs/$MAC.json" -u 'alice:s3cret word' -H 'Content-Type: application/json' --data-binary '{"v":"current"}'
	call GET "/api/configs/$MAC/history"
	local rev target
	rev="$(jq -r '.revisions[0].revision' <<<"$body")"
	target="http://iot.test:$IOT_PORT/api/configs/$MAC"
	# The other origin's pages: what any site can make a visitor's browser send.
	cat >"$dir/evil/form-empty.html" <<-HTML
		<form id=f method=POST action="$target/history/$rev/restore"></form>
		<script>document.getElementById('f').submit()</script>
	HTML
	cat >"$dir/evil/form-text.html" <<-HTML
		<form id=f method=POST enctype="text/plain" action="$target/history/$rev/restore">
		<input name='{"allow_overwrite":true,"x":"' value='"}'></form>
		<script>document.getElementById('f').submit()</script>
	HTML
	cat >"$dir/evil/fetch.html" <<-HTML
		<body><script>
		const out = [];
		async function t(name, url, init) {
		  try { const r = await fetch(url, { credentials: 'include', ...init }); out.push(name + ': ' + r.type + ' ' + r.status); }
		  catch (e) { out.push(name + ': ' + e.name); }
		}
		(async () => {
		  const json = { 'Content-Type': 'application/json' };
		  await t('no-cors POST', '$target/history/$rev/restore', { method: 'POST', mode: 'no-cors', headers: json, body: '{}' });
		  await t('no-cors PUT', '$target.json', { method: 'PUT', mode: 'no-cors', headers: json, body: '{"v":"evil"}' });
		  await t('no-cors DELETE', '$target.json', { method: 'DELETE', mode: 'no-cors' });
		  await t('cors PUT', '$target.json', { method: 'PUT', headers: json, body: '{"v":"evil"}' });
		  await t('cors DELETE', '$target.json', { method: 'DELETE' });
		  await t('cors JSON POST', '$target/history/$rev/restore', { method: 'POST', headers: json, body: '{}' });
		  document.body.textContent = out.join('\n');
		  document.title = 'done';
		})();
		</script></body>
	HTML
	local port attempt
	for attempt in 1 2 3 4 5; do
		port="$(free_port)"
		python3 -m http.server --bind 127.0.0.1 --directory "$dir/evil" "$port" >"$dir/evil.log" 2>&1 3>&- &
		proc_id $! >"$dir/evil.id"
		wait_for curl -sf -o /dev/null "http://127.0.0.1:$port/form-empty.html" && break
		proc_stop "$(cat "$dir/evil.id")" || true
	done
	web_drive 120 csrf "$IOT_PORT" "$port" "$CONFIG_DIR" "$MAC" "$rev" alice 's3cret word'
}

teardown_file() {
	local id
	id="$(cat "$BATS_FILE_TMPDIR/csrf/evil.id" 2>/dev/null)" || true
	if [ -n "$id" ]; then proc_stop "$id" || true; fi
	iot_stop_file
}

@test "an empty form POST from another origin does not restore" {
	flow 'an empty form POST from another origin does not restore'
}

@test "a text/plain form POST with a JSON-looking body does not restore" {
	flow 'a text/plain form POST with a JSON-looking body does not restore'
}

@test "fetch from another origin (no-cors POST; PUT, DELETE, JSON POST needing a preflight) changes nothing" {
	flow 'fetch from another origin (no-cors POST; PUT, DELETE, JSON POST needing a preflight) changes nothing'
}

@test "the same restore from the service's own page is made, with the credentials" {
	flow "the same restore from the service's own page is made, with the credentials"
	grep -qx 'all flows passed' "$WEB_OUT"
	[ "$(jq -c . "$CONFIG_DIR/$MAC.json")" = '{"v":"old"}' ]
}

#!/usr/bin/env bats
# tests/faults/hostile.bats: what a scanner or a broken client throws at
# the port. Two tables: requests curl can send (traversal in every
# encoding, absurd MACs, oversized, malformed and mistyped bodies, header
# injection attempts, wrong methods and media types), and raw bytes on a
# socket for framing curl will not produce (negative or repeated
# Content-Length, control bytes and CR/LF in headers, bodies shorter or
# longer than announced). Every case must get its documented status and a
# JSON error, from the service (correlationId = the echoed X-Request-ID) or
# from lighttpd itself (conf/errors/, correlationId null). Around the whole
# barrage: nothing outside the config directory is read, created or changed,
# the sentinel's content never shows, no responder dies, no log line is
# forged, and the service keeps answering.

load ../e2e/helpers
load helpers

SENTINEL_MARK=sentinel-c0ffee-91

setup_file() {
	iot_start_file
	B="$IOT_TMP/bodies"
	mkdir -p "$B"
	printf '{"content":%s1%s}' "$(printf '{"a":%.0s' $(seq 1 33))" "$(printf '}%.0s' $(seq 1 33))" >"$B/deep33"
	printf '{"content":%s}' "$(printf '[%.0s' $(seq 1 10000))$(printf ']%.0s' $(seq 1 10000))" >"$B/deep10k"
	head -c 100000 /dev/zero | sed 's/\x00/{"a":/g' >"$B/deep-open"
	{ printf '{"content":{"s":"'; head -c 10485760 /dev/zero | tr '\0' a; printf '"}}'; } >"$B/10m"
	{ printf '{"deviceName":"'; head -c 10485760 /dev/zero | tr '\0' a; printf '"}'; } >"$B/10m-raw"
	{ printf '{"content":{"s":"'; head -c 2097152 /dev/zero | tr '\0' a; printf '"}}'; } >"$B/2m"
	printf '{"content":{"s":"\xc3\x28"}}' >"$B/utf8-truncated"
	printf '{"content":{"s":"\xe0\x80\xaf"}}' >"$B/utf8-overlong"
	printf '{"content":{"s":"\xc0\xae\xc0\xae"}}' >"$B/utf8-overlong-dot"
	printf '{"content":{"s":"\xed\xa0\x80"}}' >"$B/utf8-surrogate"
	printf '{"content":{"s":"\xf4\x90\x80\x80"}}' >"$B/utf8-above-max"
	printf '{"content":{"s":"\xff\xfe"}}' >"$B/utf8-ff"
	printf '{"content":{"\xc3":1}}' >"$B/utf8-key"
	printf '{"s":"\xe2\x82"}' >"$B/utf8-raw"
	printf '\xef\xbb\xbf{"content":{}}' >"$B/bom"
	printf '{"content":{"a":"x\0y"}}' >"$B/nul"
	printf '{"content":{"a":"tab\there"}}' >"$B/raw-tab"

	# Sentinels next to the config directory, with old access times so a
	# read would show (relatime updates an atime older than the mtime).
	mkdir -p "$IOT_TMP/sentinel"
	printf '{"deviceName":"%s"}\n' "$SENTINEL_MARK" >"$IOT_TMP/secret.json"
	printf '{"deviceName":"%s"}\n' "$SENTINEL_MARK" >"$IOT_TMP/aa-bb-cc-dd-ee-ff.json"
	printf '{"deviceName":"%s"}\n' "$SENTINEL_MARK" >"$IOT_TMP/sentinel/aa-bb-cc-dd-ee-ff.json"
	touch -m "$IOT_TMP/secret.json" "$IOT_TMP/aa-bb-cc-dd-ee-ff.json" "$IOT_TMP/sentinel/aa-bb-cc-dd-ee-ff.json"
	touch -a -d '2 days ago' "$IOT_TMP/secret.json" "$IOT_TMP/aa-bb-cc-dd-ee-ff.json" "$IOT_TMP/sentinel/aa-bb-cc-dd-ee-ff.json"
	export B
}

teardown() {
	iot_cleanup_extra
}

teardown_file() {
	iot_stop_file
}

# What lies outside the config directory, minus the test's own files.
outside_state() {
	tree_state "$IOT_TMP" "$(dirname "$IOT_TMP")" -maxdepth 1 | grep -v -e "^$CONFIG_DIR" -e "^$IOT_TMP/run" \
		-e "^$IOT_TMP/last\." -e "^$IOT_TMP/raw\.out" -e "^$IOT_TMP/lighttpd\.log" -e "^$IOT_TMP/bodies" \
		-e "^$IOT_TMP/hostile\." -e "^$IOT_TMP " -e "^$(dirname "$IOT_TMP") " -e "/iot\.instances "
	tree_state "$IOT_TMP/sentinel" "$IOT_TMP/secret.json" "$IOT_TMP/aa-bb-cc-dd-ee-ff.json"
}

# Cases curl can send. Columns, separated by " | ":
#   name | method | path | headers | body | status code | answered by
# headers: ";;"-separated, "json" = Content-Type: application/json;
# body: "-" none, "@file" from $B, otherwise literal; by: svc or web.
CURL_CASES='
traversal dot-dot                 | GET    | /api/configs/..                             | -    | - | 400 INVALID_OPERATION | svc
traversal dot-dot raw route       | GET    | /api/configs/...json                        | -    | - | 400 INVALID_OPERATION | svc
traversal ../ unresolved          | GET    | /api/configs/../../secret.json              | -    | - | 404 NOT_FOUND | svc
traversal encoded slash           | GET    | /api/configs/..%2f..%2fsecret               | -    | - | 400 INVALID_OPERATION | svc
traversal encoded slash .json     | GET    | /api/configs/..%2fsecret.json               | -    | - | 400 INVALID_OPERATION | svc
traversal %2e%2e                  | GET    | /api/configs/%2e%2e                         | -    | - | 400 INVALID_OPERATION | svc
traversal %2E%2E%2F upper         | GET    | /api/configs/%2E%2E%2Faa-bb-cc-dd-ee-ff.json | -   | - | 400 INVALID_OPERATION | svc
traversal .%2e segment            | GET    | /api/configs/.%2e/secret.json               | -    | - | 404 NOT_FOUND | svc
traversal double-encoded          | GET    | /api/configs/..%252f..%252fsecret           | -    | - | 400 INVALID_OPERATION | svc
traversal absolute encoded        | GET    | /api/configs/%2fetc%2fpasswd                | -    | - | 400 INVALID_OPERATION | svc
traversal from the root           | GET    | /%2e%2e/%2e%2e/etc/passwd                   | -    | - | 404 NOT_FOUND | svc
traversal legacy path             | GET    | /esp32/config/..%2f..%2fsecret.json         | -    | - | 400 INVALID_OPERATION | svc
traversal %00 after a MAC         | GET    | /api/configs/aa-bb-cc-dd-ee-ff%00           | -    | - | 400 BAD_REQUEST | web
traversal %00 before .json        | GET    | /api/configs/aa-bb-cc-dd-ee-ff%00.json      | -    | - | 400 BAD_REQUEST | web
traversal %00 alone               | GET    | /api/configs/%00                            | -    | - | 400 BAD_REQUEST | web
traversal overlong %c0%ae         | GET    | /api/configs/%c0%ae%c0%ae%c0%afsecret       | -    | - | 400 INVALID_OPERATION | svc
traversal overlong %c0%2e         | GET    | /api/configs/%c0%2e%c0%2e                   | -    | - | 400 INVALID_OPERATION | svc
traversal overlong 3-byte         | GET    | /api/configs/%e0%80%ae%e0%80%ae             | -    | - | 400 INVALID_OPERATION | svc
traversal backslash encoded       | GET    | /api/configs/..%5c..%5csecret               | -    | - | 400 INVALID_OPERATION | svc
traversal backslash raw           | GET    | /api/configs/..\..\secret                   | -    | - | 400 INVALID_OPERATION | svc
traversal PUT wrapped             | PUT    | /api/configs/..%2fpwned                     | json | {"content":{"x":1}} | 400 INVALID_OPERATION | svc
traversal PUT raw                 | PUT    | /api/configs/..%2fpwned.json                | json | {"x":1} | 400 INVALID_OPERATION | svc
traversal PUT sentinel name       | PUT    | /api/configs/..%2faa-bb-cc-dd-ee-ff.json    | json | {"x":1} | 400 INVALID_OPERATION | svc
traversal DELETE                  | DELETE | /api/configs/..%2fsecret.json               | -    | - | 400 INVALID_OPERATION | svc
MAC five groups                   | GET    | /api/configs/aa:bb:cc:dd:ee                 | -    | - | 400 INVALID_OPERATION | svc
MAC seven groups                  | GET    | /api/configs/aa:bb:cc:dd:ee:ff:00           | -    | - | 400 INVALID_OPERATION | svc
MAC without separators            | GET    | /api/configs/aabbccddeeff                   | -    | - | 400 INVALID_OPERATION | svc
MAC mixed separators              | GET    | /api/configs/aa:bb-cc:dd:ee:ff              | -    | - | 400 INVALID_OPERATION | svc
MAC dot separators                | GET    | /api/configs/aa.bb.cc.dd.ee.ff              | -    | - | 400 INVALID_OPERATION | svc
MAC non-hex                       | GET    | /api/configs/zz-zz-zz-zz-zz-zz              | -    | - | 400 INVALID_OPERATION | svc
MAC leading space                 | GET    | /api/configs/%20aa:bb:cc:dd:ee:ff           | -    | - | 400 INVALID_OPERATION | svc
MAC trailing space                | GET    | /api/configs/aa:bb:cc:dd:ee:ff%20           | -    | - | 400 INVALID_OPERATION | svc
MAC upper-case .JSON              | GET    | /api/configs/aa:bb:cc:dd:ee:ff.JSON         | -    | - | 400 INVALID_OPERATION | svc
MAC .json.json                    | GET    | /api/configs/aa:bb:cc:dd:ee:ff.json.json    | -    | - | 400 INVALID_OPERATION | svc
MAC with UTF-8 letters            | GET    | /api/configs/%C3%84a:bb:cc:dd:ee:ff         | -    | - | 400 INVALID_OPERATION | svc
MAC bytes ff fe                   | GET    | /api/configs/%ff%fe                         | -    | - | 400 INVALID_OPERATION | svc
MAC negative number               | GET    | /api/configs/-1                             | -    | - | 400 INVALID_OPERATION | svc
MAC 120 characters                | GET    | /api/configs/LONG120                        | -    | - | 400 INVALID_OPERATION | svc
MAC 200 characters                | GET    | /api/configs/LONG200                        | -    | - | 400 INVALID_OPERATION | svc
MAC 5000 characters               | PUT    | /api/configs/LONG5000                       | json | {"content":{}} | 400 INVALID_OPERATION | svc
body 10 MB wrapped                | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | @10m | 413 PAYLOAD_TOO_LARGE | svc
body 10 MB raw                    | PUT    | /api/configs/aa-bb-cc-dd-ee-01.json         | json | @10m-raw | 413 PAYLOAD_TOO_LARGE | svc
body 2 MB                         | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | @2m | 413 PAYLOAD_TOO_LARGE | svc
body nesting 33 levels            | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | @deep33 | 400 VALIDATION_FAILED | svc
body nesting 10000 arrays         | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | @deep10k | 400 VALIDATION_FAILED | svc
body 100000 open objects          | PUT    | /api/configs/aa-bb-cc-dd-ee-01.json         | json | @deep-open | 400 VALIDATION_FAILED | svc
body invalid UTF-8 truncated      | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | @utf8-truncated | 400 VALIDATION_FAILED | svc
body invalid UTF-8 overlong       | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | @utf8-overlong | 400 VALIDATION_FAILED | svc
body invalid UTF-8 overlong dots  | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | @utf8-overlong-dot | 400 VALIDATION_FAILED | svc
body invalid UTF-8 surrogate      | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | @utf8-surrogate | 400 VALIDATION_FAILED | svc
body invalid UTF-8 above U+10FFFF | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | @utf8-above-max | 400 VALIDATION_FAILED | svc
body invalid UTF-8 ff fe          | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | @utf8-ff | 400 VALIDATION_FAILED | svc
body invalid UTF-8 in a key       | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | @utf8-key | 400 VALIDATION_FAILED | svc
body invalid UTF-8 raw PUT        | PUT    | /api/configs/aa-bb-cc-dd-ee-01.json         | json | @utf8-raw | 400 VALIDATION_FAILED | svc
body lone surrogate escape        | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | {"content":{"s":"\ud800"}} | 400 VALIDATION_FAILED | svc
body byte order mark              | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | @bom | 400 VALIDATION_FAILED | svc
body raw NUL byte                 | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | @nul | 400 VALIDATION_FAILED | svc
body raw tab in a string          | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | @raw-tab | 400 VALIDATION_FAILED | svc
body \u0000 in a key              | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | {"content":{"a\u0000b":1}} | 400 VALIDATION_FAILED | svc
body duplicate content            | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | {"content":{},"content":{"x":1}} | 400 VALIDATION_FAILED | svc
body duplicate nested keys        | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | {"content":{"a":{"k":1,"k":2}}} | 400 VALIDATION_FAILED | svc
body duplicate escaped keys       | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | {"content":{"a":1,"\u0061":2}} | 400 VALIDATION_FAILED | svc
body duplicate keys raw PUT       | PUT    | /api/configs/aa-bb-cc-dd-ee-01.json         | json | {"deviceName":"a","deviceName":"b"} | 400 VALIDATION_FAILED | svc
body integer beyond 64 bits       | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | {"content":{"n":99999999999999999999}} | 400 VALIDATION_FAILED | svc
body NaN                          | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | {"content":{"n":NaN}} | 400 VALIDATION_FAILED | svc
body Infinity                     | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | {"content":{"n":Infinity}} | 400 VALIDATION_FAILED | svc
body 1e999                        | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | {"content":{"n":1e999}} | 400 VALIDATION_FAILED | svc
body single quotes                | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | {'"'"'content'"'"':{}} | 400 VALIDATION_FAILED | svc
body trailing garbage             | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | {"content":{}} x | 400 VALIDATION_FAILED | svc
body empty                        | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | @/dev/null | 400 VALIDATION_FAILED | svc
type content string               | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | {"content":"x"} | 400 VALIDATION_FAILED | svc
type content number               | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | {"content":1} | 400 VALIDATION_FAILED | svc
type content array                | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | {"content":[{}]} | 400 VALIDATION_FAILED | svc
type content null                 | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | {"content":null} | 400 VALIDATION_FAILED | svc
type content boolean              | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | {"content":true} | 400 VALIDATION_FAILED | svc
type content missing              | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | {"allow_overwrite":true} | 400 VALIDATION_FAILED | svc
type allow_overwrite string       | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | {"content":{},"allow_overwrite":"false"} | 400 VALIDATION_FAILED | svc
type allow_overwrite number       | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | {"content":{},"allow_overwrite":0} | 400 VALIDATION_FAILED | svc
type allow_overwrite null         | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | {"content":{},"allow_overwrite":null} | 400 VALIDATION_FAILED | svc
type allow_overwrite object       | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | {"content":{},"allow_overwrite":{}} | 400 VALIDATION_FAILED | svc
type body array                   | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | [{"content":{}}] | 400 VALIDATION_FAILED | svc
type body string                  | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | "content" | 400 VALIDATION_FAILED | svc
type body null                    | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json | null | 400 VALIDATION_FAILED | svc
type raw body array               | PUT    | /api/configs/aa-bb-cc-dd-ee-01.json         | json | [1,2] | 400 VALIDATION_FAILED | svc
media type text/plain             | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | Content-Type: text/plain | {"content":{}} | 415 UNSUPPORTED_MEDIA_TYPE | svc
media type missing                | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | Content-Type: | {"content":{}} | 415 UNSUPPORTED_MEDIA_TYPE | svc
media type look-alike             | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | Content-Type: application/jsonx | {"content":{}} | 415 UNSUPPORTED_MEDIA_TYPE | svc
media type raw text/html          | PUT    | /api/configs/aa-bb-cc-dd-ee-01.json         | Content-Type: text/html | {"a":1} | 415 UNSUPPORTED_MEDIA_TYPE | svc
request id 300 characters         | GET    | /api/configs/bad                            | X-Request-ID: LONG300 | - | 400 INVALID_OPERATION | svc
request id with a tab             | GET    | /api/configs/bad                            | X-Request-ID: a	b | - | 400 INVALID_OPERATION | svc
request id with quotes            | GET    | /api/configs/bad                            | X-Request-ID: a"b\c | - | 400 INVALID_OPERATION | svc
request id with markup            | GET    | /api/configs/bad                            | X-Request-ID: <script>x</script> | - | 400 INVALID_OPERATION | svc
request id percent-encoded CRLF   | GET    | /api/configs/bad                            | X-Request-ID: a%0d%0aSet-Cookie:x=1 | - | 400 INVALID_OPERATION | svc
request id with spaces            | GET    | /api/configs/bad                            | X-Request-ID: INJECTED 2026-01-01T00:00:00Z ERROR forged | - | 400 INVALID_OPERATION | svc
method POST on a config           | POST   | /api/configs/aa-bb-cc-dd-ee-01              | json | {"content":{}} | 405 METHOD_NOT_ALLOWED | svc
method PATCH on the list          | PATCH  | /api/configs                                | Content-Type: application/merge-patch+json | {} | 405 METHOD_NOT_ALLOWED | svc
PATCH that is not a merge patch   | PATCH  | /api/configs/aa-bb-cc-dd-ee-01              | json | {"content":{}} | 415 UNSUPPORTED_MEDIA_TYPE | svc
method TRACE                      | TRACE  | /api/health                                 | -    | - | 405 METHOD_NOT_ALLOWED | svc
method unknown to lighttpd        | BREW   | /api/health                                 | -    | - | 501 NOT_IMPLEMENTED | web
Content-Length negative           | PUT    | /api/configs/aa-bb-cc-dd-ee-01              | json;;Content-Length: -1 | {} | 400 BAD_REQUEST | web
Transfer-Encoding unknown         | GET    | /api/health                                 | Transfer-Encoding: gzip | - | 501 NOT_IMPLEMENTED | web
'

# Raw requests. Columns: name | bytes (printf %b) | status code | by.
# (A body shorter than announced has a test of its own below.)
M=/api/configs/aa-bb-cc-dd-ee-01
RAW_CASES="
Content-Length negative            | PUT $M HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: -5\r\nConnection: close\r\n\r\n{} | 400 BAD_REQUEST | web
Content-Length beyond 64 bits      | PUT $M HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99999999999999999999999\r\nConnection: close\r\n\r\n{} | 400 BAD_REQUEST | web
Content-Length 100 MiB             | PUT $M HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\nConnection: close\r\n\r\n{} | 413 PAYLOAD_TOO_LARGE | web
Content-Length hexadecimal         | PUT $M HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 0x10\r\nConnection: close\r\n\r\n{} | 400 BAD_REQUEST | web
Content-Length with a plus sign    | PUT $M HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: +2\r\nConnection: close\r\n\r\n{} | 400 BAD_REQUEST | web
Content-Length twice, different    | PUT $M HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\nConnection: close\r\n\r\n{}x | 400 BAD_REQUEST | web
Content-Length and chunked         | PUT $M HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\nConnection: close\r\n\r\n0\r\n\r\n | 400 BAD_REQUEST | web
chunk size not hexadecimal         | PUT $M HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n | 400 BAD_REQUEST | web
body longer than announced         | PUT $M HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{\"content\":{}} | 400 VALIDATION_FAILED | svc
request id with a raw CR           | GET /api/health HTTP/1.1\r\nHost: x\r\nX-Request-ID: a\rSet-Cookie: x=1\r\nConnection: close\r\n\r\n | 400 BAD_REQUEST | web
request id with a raw LF           | GET /api/health HTTP/1.1\r\nHost: x\r\nX-Request-ID: a\nSet-Cookie: x=1\r\nConnection: close\r\n\r\n | 400 BAD_REQUEST | web
request id with a control byte     | GET /api/health HTTP/1.1\r\nHost: x\r\nX-Request-ID: a\001b\r\nConnection: close\r\n\r\n | 400 BAD_REQUEST | web
request id folded over two lines   | GET /api/configs/bad HTTP/1.1\r\nHost: x\r\nX-Request-ID: a\r\n Set-Cookie: x=1\r\nConnection: close\r\n\r\n | 400 INVALID_OPERATION | svc
request id with 8-bit bytes        | GET /api/configs/bad HTTP/1.1\r\nHost: x\r\nX-Request-ID: a\xff\xfeb\r\nConnection: close\r\n\r\n | 400 INVALID_OPERATION | svc
raw NUL in the path                | GET /api/configs/a\000/../../secret.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n | 400 BAD_REQUEST | web
raw control byte in the path       | GET /api/configs/a\001b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n | 400 BAD_REQUEST | web
header line without a colon        | GET /api/health HTTP/1.1\r\nHost: x\r\nnot a header\r\nConnection: close\r\n\r\n | 400 BAD_REQUEST | web
bare LF line ends                  | GET /api/health HTTP/1.1\nHost: x\nConnection: close\n\n | 400 BAD_REQUEST | web
HTTP/1.1 without Host              | GET /api/health HTTP/1.1\r\nConnection: close\r\n\r\n | 400 BAD_REQUEST | web
absolute URI for another host      | GET http://evil.example/api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n | 400 BAD_REQUEST | web
HTTP version 2.0 in HTTP/1 framing | GET /api/health HTTP/2.0\r\nHost: x\r\nConnection: close\r\n\r\n | 505 HTTP_VERSION_NOT_SUPPORTED | web
TLS handshake on the plain port    | \x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n | 400 BAD_REQUEST | web
70 KB request header               | GET /api/health HTTP/1.1\r\nHost: x\r\nX-Pad: PAD70K\r\nConnection: close\r\n\r\n | 431 HEADERS_TOO_LARGE | web
10 KB request target               | GET /api/configs/PAD10K HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n | 431 HEADERS_TOO_LARGE | web
"

long() { head -c "$1" /dev/zero | tr '\0' a; }
LONG120="$(long 120)" LONG200="$(long 200)" LONG300="$(long 300)" LONG5000="$(long 5000)"
PAD10K="$(long 10000)" PAD70K="$(long 70000)"

# expand TEXT: the placeholders for long strings.
expand() {
	local s="$1"
	s="${s//LONG5000/$LONG5000}"
	s="${s//LONG300/$LONG300}"
	s="${s//LONG200/$LONG200}"
	s="${s//LONG120/$LONG120}"
	s="${s//PAD70K/$PAD70K}"
	s="${s//PAD10K/$PAD10K}"
	printf '%s' "$s"
}

trim() { local s="$1"; s="${s#"${s%%[![:space:]]*}"}"; printf '%s' "${s%"${s##*[![:space:]]}"}"; }

# check_answer NAME STATUS CODE BY GOT_STATUS HEADERS BODY: one line per problem.
check_answer() {
	local name="$1" want_status="$2" want_code="$3" by="$4" got="$5" headers="$6" answer="$7"
	if [ "$got" != "$want_status" ]; then
		echo "$name: expected $want_status, got $got: $(head -c 300 <<<"$answer")"
		return
	fi
	grep -qi '^Content-Type: application/json' <<<"$headers" || { echo "$name: not JSON"; return; }
	jq -e --arg c "$want_code" '.code == $c and (.error|type=="string") and (.details.message|type=="string")' >/dev/null 2>&1 <<<"$answer" ||
		{ echo "$name: want code $want_code, got $(head -c 300 <<<"$answer")"; return; }
	local rid
	rid="$(grep -i '^X-Request-ID:' <<<"$headers" | head -1 | cut -d: -f2- | tr -d ' \r')"
	if [ "$by" = web ]; then
		[ "$(jq -c .correlationId <<<"$answer")" = null ] || echo "$name: lighttpd's answer should carry correlationId null"
	elif ! [[ "$rid" =~ ^[A-Za-z0-9._:/+=@-]{1,128}$ ]] || [ "$(jq -r .correlationId <<<"$answer")" != "$rid" ]; then
		echo "$name: unsafe or mismatched request id '$rid'"
	fi
	[[ "$answer" != *"$SENTINEL_MARK"* ]] || echo "$name: the sentinel's content was served"
	if grep -qi '^Set-Cookie' <<<"$headers"; then echo "$name: an injected header came back"; fi
}

@test "every hostile request gets its documented 4xx (or lighttpd's own) as a JSON error, and nothing outside the directory is touched" {
	local atime_before atime_after
	# Control: reading a sentinel here does change its atime, so the check below can fail.
	printf 'x' >"$IOT_TMP/atime-probe"
	touch -a -d '2 days ago' "$IOT_TMP/atime-probe"
	atime_before="$(stat -c %X "$IOT_TMP/atime-probe")"
	cat "$IOT_TMP/atime-probe" >/dev/null
	atime_after="$(stat -c %X "$IOT_TMP/atime-probe")"
	rm -f "$IOT_TMP/atime-probe"
	local atime_works=1
	[ "$atime_before" != "$atime_after" ] || atime_works=0

	put_json aa-bb-cc-dd-ee-ff '{"content":{"deviceName":"inside"}}'
	assert_code 200
	local pids_before outside_before configs_before
	pids_before="$(responder_pids | sort)"
	outside_before="$(outside_state)"
	configs_before="$(cd "$CONFIG_DIR" && ls -A && md5sum ./*.json)"

	local failures="$IOT_TMP/hostile.failures" n=0 line name method path headers body status_code by args h
	: >"$failures"
	while IFS= read -r line; do
		[ -n "$(trim "$line")" ] || continue
		IFS='|' read -r name method path headers body status_code by <<<"$line"
		name="$(trim "$name")" method="$(trim "$method")" path="$(expand "$(trim "$path")")"
		headers="$(trim "$headers")" body="$(trim "$body")" status_code="$(trim "$status_code")" by="$(trim "$by")"
		args=()
		if [ "$headers" != - ]; then
			while IFS= read -r h; do
				h="$(trim "$h")"
				[ "$h" = json ] && h='Content-Type: application/json'
				args+=(-H "$(expand "$h")")
			done <<<"${headers//;;/$'\n'}"
		fi
		case "$body" in
		-) ;;
		@/*) args+=(--data-binary "$body") ;;
		@*) args+=(--data-binary "@$B/${body#@}") ;;
		*) args+=(--data-binary "$body") ;;
		esac
		call "$method" "$path" --max-time 30 "${args[@]}"
		check_answer "$name" "${status_code%% *}" "${status_code#* }" "$by" "$code" "$(cat "$hdrs")" "$body" >>"$failures"
		n=$((n + 1))
	done <<<"$CURL_CASES"

	local raw
	while IFS= read -r line; do
		[ -n "$(trim "$line")" ] || continue
		IFS='|' read -r name raw status_code by <<<"$line"
		name="$(trim "$name")" raw="$(expand "$(trim "$raw")")" status_code="$(trim "$status_code")" by="$(trim "$by")"
		raw_http "$raw" 3
		check_answer "$name" "${status_code%% *}" "${status_code#* }" "$by" "$raw_status" "$raw_headers" "$raw_body" >>"$failures"
		n=$((n + 1))
	done <<<"$RAW_CASES"

	if [ -s "$failures" ]; then
		cat "$failures" >&2
		return 1
	fi
	[ "$n" -ge 60 ]

	# Nothing outside the directory was read, created or changed; inside,
	# only the one config written above, unchanged.
	local outside_after
	outside_after="$(outside_state)"
	if [ "$atime_works" = 0 ]; then
		outside_before="$(cut -d' ' -f1-4 <<<"$outside_before")"
		outside_after="$(cut -d' ' -f1-4 <<<"$outside_after")"
		echo "# atime is not updated on this file system: reads outside the directory cannot be seen" >&3
	fi
	diff <(echo "$outside_before") <(echo "$outside_after") >&2
	[ "$(cd "$CONFIG_DIR" && ls -A && md5sum ./*.json)" = "$configs_before" ]

	# No responder died, no log line was forged, and the service still answers.
	[ "$(responder_pids | sort)" = "$pids_before" ]
	if grep -e 'INJECTED' -e 'Set-Cookie' -e 'forged' "$LIGHTTPD_LOG" >&2; then return 1; fi
	if grep -v -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]' "$LIGHTTPD_LOG" >&2; then return 1; fi
	call GET /api/health
	assert_code 200
	call GET /api/configs/aa-bb-cc-dd-ee-ff
	assert_json .content.deviceName '"inside"'
	echo "# hostile input: $n cases" >&3
}

@test "bytes after a body are parsed as a new request, not smuggled into the first" {
	raw_http "PUT /api/configs/aa-bb-cc-dd-ee-02 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{\"content\":{}}GET /api/configs/aa-bb-cc-dd-ee-02.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" 5
	[ "$raw_status" = 200 ]
	[ "$(jq -c . "$CONFIG_DIR/aa-bb-cc-dd-ee-02.json")" = '{}' ]
	# The bytes after the announced length are a request of their own.
	[ "$(grep -ao 'HTTP/1.1 [0-9]*' "$IOT_TMP/raw.out" | tr '\n' ' ')" = "HTTP/1.1 200 HTTP/1.1 200 " ]
	raw_http "PUT /api/configs/aa-bb-cc-dd-ee-03 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{\"content\":{}}GARBAGE\r\n\r\n" 5
	[ "$raw_status" = 200 ]
	[ "$(grep -ao 'HTTP/1.[01] [0-9]*' "$IOT_TMP/raw.out" | tr '\n' ' ')" = "HTTP/1.1 200 HTTP/1.0 400 " ]
	[ "$(jq -c . "$CONFIG_DIR/aa-bb-cc-dd-ee-03.json")" = '{}' ]
}

@test "a body shorter than announced never reaches the service: lighttpd keeps waiting for the rest" {
	local before
	before="$(ls -A "$CONFIG_DIR")"
	raw_http "PUT /api/configs/aa-bb-cc-dd-ee-04 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"content\":{}}" 3
	[ "$raw_status" = none ]
	[ "$(ls -A "$CONFIG_DIR")" = "$before" ]
	call GET /api/health
	assert_code 200
}

@test "a raw NUL byte in the path is refused by lighttpd (it would end the path the service sees), and nothing is read" {
	# FastCGI parameters are C strings to the responder: a path cut at a
	# NUL could name another route than the one lighttpd's rules matched.
	put_json aa-bb-cc-dd-ee-05 '{"content":{"deviceName":"inside"}}'
	raw_http "GET /api/configs/aa-bb-cc-dd-ee-05\000/../../../secret.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" 3
	[ "$raw_status" = 400 ]
	[[ "$raw_body" == *'"code":"BAD_REQUEST"'* ]]
	[[ "$raw_body" != *inside* && "$raw_body" != *"$SENTINEL_MARK"* ]]
}

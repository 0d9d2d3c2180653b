#!/usr/bin/env bats
# tests/docs/names.bats: the names in conf/openapi.json that a client
# generated from the old service's document compiles against: its
# operationIds (the method, "_", then the path with every "/" and "." as
# "_" and "index" after a final "/"), each of which the old web UI's own
# generator must turn into a valid, unique TypeScript hook name, the
# path templates with their parameter {mac_address}, and its component
# schema keys, each with a title. The pinned openapi-typescript generates
# the client types and TypeScript checks client/ui.ts, the names the web UI
# uses, against them. The shapes behind the names are checked by
# contract.bats and responses.bats.

load ../e2e/helpers
load docs

setup_file() {
	require_tools
}

# op METHOD PATH: the operationId of one operation, or "null".
op() {
	jq -r --arg m "$1" --arg p "$2" '.paths[$p][$m].operationId' "$DOC"
}

# schema_ref JQ_PATH: the $ref at a path of the document.
schema_ref() {
	jq -r "$1" "$DOC"
}

@test "the old service's operations keep their operationIds" {
	[ "$(op get /api/configs)" = get__api_configs ]
	[ "$(op get '/api/configs/{mac_address}')" = 'get__api_configs_{mac_address}' ]
	[ "$(op put '/api/configs/{mac_address}')" = 'put__api_configs_{mac_address}' ]
	[ "$(op delete '/api/configs/{mac_address}')" = 'delete__api_configs_{mac_address}' ]
	[ "$(op get /api/health)" = get__api_health ]
	[ "$(op get /metrics)" = get__metrics ]
}

# The operations: "method<TAB>path<TAB>operationId", one a line.
operations() {
	jq -r '.paths | to_entries[] | .key as $p | .value | to_entries[]
		| select(.value | type == "object" and has("responses"))
		| [.key, $p, .value.operationId] | @tsv' "$1"
}

# hooks DOC: "operationId<TAB>hook<TAB>name" for every operation of DOC, as
# the old web UI's generator derives them: in the operationId every
# "{param}" becomes "_", "__api" goes, "-" becomes "_", runs of "_" become
# one, "_" at either end goes, and each "_" before a letter or digit is
# dropped with that character upper-cased (name); the hook is "use", the
# name with its first letter upper-cased, then "By" and the path's
# parameters in PascalCase joined by "And", when it has any.
hooks() {
	jq -r '
		def pascal: split("_") | map(select(length > 0) | (.[:1] | ascii_upcase) + .[1:]) | join("");
		def name: gsub("\\{[^}]*\\}"; "_") | gsub("__api"; "") | gsub("-"; "_") | gsub("_+"; "_")
			| sub("^_"; "") | sub("_$"; "") | gsub("_(?<c>[A-Za-z0-9])"; .c | ascii_upcase);
		.paths | to_entries[] | .key as $p | [$p | scan("\\{([^}]*)\\}")[0]] as $params
		| .value | to_entries[] | select(.value | type == "object" and has("responses"))
		| .value.operationId as $id | ($id | name) as $n
		| [$id, "use" + ($n[:1] | ascii_upcase) + $n[1:]
			+ (if ($params | length) > 0 then "By" + ($params | map(pascal) | join("And")) else "" end),
			$n] | @tsv' "$1"
}

# TypeScript's reserved words, which no generated name may be.
TS_RESERVED=" break case catch class const continue debugger default delete do else enum export
extends false finally for function if import in instanceof new null return super switch this throw
true try typeof var void while with implements interface let package private protected public
static yield "

@test "every operationId is the method, \"_\", then the path with each \"/\" and \".\" as \"_\" and \"index\" after a final \"/\"" {
	run operations "$DOC"
	[ "$status" -eq 0 ]
	local n=0 bad=0 method path id want
	while IFS=$'\t' read -r method path id; do
		n=$((n + 1))
		want="$path"
		[[ "$want" != */ ]] || want="${want}index"
		want="${method}_${want//[\/.]/_}"
		if [ "$id" != "$want" ]; then
			echo "$method $path: operationId $id, not $want" >&2
			bad=$((bad + 1))
		fi
	done <<<"$output"
	[ "$n" -ge 37 ]
	[ "$bad" -eq 0 ]
	[ "$(op get '/api/configs/{mac_address}.json')" = 'get__api_configs_{mac_address}_json' ]
	[ "$(op get '/esp32/config/{mac_address}.json')" = 'get__esp32_config_{mac_address}_json' ]
	[ "$(op get /api/docs/)" = get__api_docs_index ]
	[ "$(op get /)" = get__index ]
	# operationIds are unique.
	[ "$(jq '[.paths[][] | objects | .operationId // empty] | length' "$DOC")" = \
		"$(jq '[.paths[][] | objects | .operationId // empty] | unique | length' "$DOC")" ]
}

@test "the old web UI's generator makes a valid, unique TypeScript name of every operationId" {
	# The transform is the generator's: on the names this document used to
	# have it gives the hook its build failed on.
	jq -n '{paths: {"/api/configs/{mac_address}.json": {get: {operationId:
		"get__api_configs_{mac_address}.json", responses: {}}}}}' >"$BATS_TEST_TMPDIR/old.json"
	[ "$(hooks "$BATS_TEST_TMPDIR/old.json" | cut -f2)" = 'useGetConfigs_.jsonByMacAddress' ]
	# The old service's hooks keep their names.
	run hooks "$DOC"
	[ "$status" -eq 0 ]
	local hooks_out="$output"
	grep -qxF "$(printf 'get__api_configs\tuseGetConfigs\tgetConfigs')" <<<"$hooks_out"
	grep -qxF "$(printf 'put__api_configs_{mac_address}\tusePutConfigsByMacAddress\tputConfigs')" <<<"$hooks_out"
	# Every operation: its hook and its name are identifiers, not reserved
	# words; no two operations share a hook.
	local n=0 bad=0 id hook name w ident='^[A-Za-z_$][A-Za-z0-9_$]*$'
	while IFS=$'\t' read -r id hook name; do
		n=$((n + 1))
		for w in "$hook" "$name"; do
			if [[ ! "$w" =~ $ident ]] || [[ "$TS_RESERVED" == *[[:space:]]"$w"[[:space:]]* ]]; then
				echo "operationId $id: \"$w\" is not a TypeScript identifier" >&2
				bad=$((bad + 1))
			fi
		done
	done <<<"$hooks_out"
	[ "$n" -ge 37 ]
	[ "$bad" -eq 0 ]
	run bash -c 'cut -f2 | sort | uniq -d' <<<"$hooks_out"
	[ -z "$output" ] || { echo "hooks shared by two operations: $output" >&2; false; }
}

@test "every MAC route's template and parameter say {mac_address}, in the document and the router" {
	local p
	for p in '/api/configs/{mac_address}' '/api/configs/{mac_address}.json' \
		'/esp32/config/{mac_address}.json'; do
		# The path parameter is declared once per path, by that name.
		run jq -r --arg p "$p" '.paths[$p].parameters[] | ."$ref" // .name' "$DOC"
		[ "$status" -eq 0 ]
		[[ "$output" == *'#/components/parameters/mac_address'* ]]
		"$IOTCONFIG_BIN" --routes | jq -e --arg p "$p" 'map(.path) | index($p) != null' >/dev/null
	done
	[ "$(jq -r '.components.parameters.mac_address | [.name, .in, .required] | @tsv' "$DOC")" = \
		"$(printf 'mac_address\tpath\ttrue')" ]
	# No template, parameter or reference under the old short name is left.
	[ "$(jq '[.paths | keys[] | select(test("\\{mac\\}"))] | length' "$DOC")" = 0 ]
	[ "$(jq '.components.parameters | has("mac")' "$DOC")" = false ]
	[ "$(grep -cF '"#/components/parameters/mac"' "$DOC")" = 0 ]
	[ "$(grep -cF '{mac}' "$DOC")" = 0 ]
	[ "$("$IOTCONFIG_BIN" --routes | grep -cF '{mac}')" = 0 ]
}

@test "the old service's schema keys are the components, each titled, where its client looks" {
	local key title
	while read -r key title; do
		[ "$(jq -r --arg k "$key" '.components.schemas[$k].title' "$DOC")" = "$title" ] ||
			{ echo "schema $key: title is not $title" >&2; return 1; }
	done <<'EOF'
ConfigListResponseSchema.6be28b6 ConfigListResponseSchema
ConfigListResponseSchema.6be28b6.ConfigSummarySchema ConfigSummarySchema
ConfigResponseSchema.6be28b6 ConfigResponseSchema
ConfigSaveRequestSchema.6be28b6 ConfigSaveRequestSchema
ErrorResponseSchema.8c5cd6b ErrorResponseSchema
EOF
	# A title names one type: no two schemas share one.
	[ "$(jq '[.components.schemas[] | .title // empty] | length == (unique | length)' "$DOC")" = true ]
	local s='#/components/schemas/'
	[ "$(schema_ref '.paths["/api/configs"].get.responses["200"].content["application/json"].schema["$ref"]')" = \
		"${s}ConfigListResponseSchema.6be28b6" ]
	[ "$(schema_ref '.components.schemas["ConfigListResponseSchema.6be28b6"].properties.configs.items["$ref"]')" = \
		"${s}ConfigListResponseSchema.6be28b6.ConfigSummarySchema" ]
	[ "$(schema_ref '.paths["/api/configs/{mac_address}"].get.responses["200"].content["application/json"].schema["$ref"]')" = \
		"${s}ConfigResponseSchema.6be28b6" ]
	[ "$(schema_ref '.paths["/api/configs/{mac_address}"].put.responses["200"].content["application/json"].schema["$ref"]')" = \
		"${s}ConfigResponseSchema.6be28b6" ]
	[ "$(schema_ref '.paths["/api/configs/{mac_address}"].put.requestBody.content["application/json"].schema["$ref"]')" = \
		"${s}ConfigSaveRequestSchema.6be28b6" ]
	[ "$(schema_ref '.components.responses.RecordNotFound.content["application/json"].schema.allOf[0]["$ref"]')" = \
		"${s}ErrorResponseSchema.8c5cd6b" ]
	# The short names they replace are gone.
	[ "$(jq '.components.schemas | [has("Config", "ConfigList", "ConfigSummary", "ConfigWrite", "Error")] | any' "$DOC")" = false ]
}

# jsdoc_of FILE KEY: the doc comment openapi-typescript wrote above a schema key.
jsdoc_of() {
	awk -v key="\"$2\": {" '
		/^ *\/\*\*/ { block = ""; open = 1 }
		open { block = block $0 "\n"; if ($0 ~ /\*\//) open = 0; next }
		index($0, key) { printf "%s", block; exit }
		{ block = "" }' "$1"
}

@test "openapi-typescript generates the client the web UI's code type-checks against" {
	local dir="$BATS_TEST_TMPDIR/client"
	mkdir -p "$dir"
	cp "$IOT_ROOT/tests/docs/client/ui.ts" "$IOT_ROOT/tests/docs/client/tsconfig.json" "$dir/"
	ln -s "$TOOLS" "$dir/node_modules"
	gen() { "$TOOLS/.bin/openapi-typescript" "$1" -o "$dir/api.d.ts"; }
	run gen "$DOC"
	echo "$output"
	[ "$status" -eq 0 ]
	# Each titled schema is generated under its key, its title in the type's doc.
	local key title
	while read -r key title; do
		grep -qF "\"$key\": {" "$dir/api.d.ts" || { echo "no type for $key" >&2; return 1; }
		jsdoc_of "$dir/api.d.ts" "$key" | grep -qx " *\* $title" ||
			{ echo "type $key is not titled $title" >&2; return 1; }
	done < <(jq -r '.components.schemas | to_entries[] | select(.value.title) | "\(.key) \(.value.title)"' "$DOC")
	grep -qF '"get__api_configs_{mac_address}": {' "$dir/api.d.ts"
	grep -qF '"/api/configs/{mac_address}": {' "$dir/api.d.ts"
	run "$TOOLS/.bin/tsc" -p "$dir/tsconfig.json"
	echo "$output"
	[ "$status" -eq 0 ]
	# The same code does not compile against a document with other names.
	jq '.paths["/api/configs/{mac_address}"].get.operationId = "getConfig"' "$DOC" >"$BATS_TEST_TMPDIR/renamed.json"
	run gen "$BATS_TEST_TMPDIR/renamed.json"
	[ "$status" -eq 0 ]
	run "$TOOLS/.bin/tsc" -p "$dir/tsconfig.json"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Property 'get__api_configs_{mac_address}' does not exist on type 'operations'"* ]]
}

#!/usr/bin/env bats
# tests/docs/names.bats: the names in conf/openapi.json that a client
# generated from the old service's document compiles against: its
# operationIds (the method, "_", then the path with every "/" as "_"), the
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

@test "every operationId is the method, \"_\", then the path with each \"/\" as \"_\"" {
	run jq -r '.paths | to_entries[] | .key as $p | .value | to_entries[]
		| select(.value | type == "object" and has("responses"))
		| [.key, $p, .value.operationId] | @tsv' "$DOC"
	[ "$status" -eq 0 ]
	local n=0 bad=0 method path id
	while IFS=$'\t' read -r method path id; do
		n=$((n + 1))
		if [ "$id" != "${method}_${path//\//_}" ]; then
			echo "$method $path: operationId $id" >&2
			bad=$((bad + 1))
		fi
	done <<<"$output"
	[ "$n" -ge 37 ]
	[ "$bad" -eq 0 ]
	# New routes follow the same rule, dots and braces kept.
	[ "$(op get '/api/configs/{mac_address}.json')" = 'get__api_configs_{mac_address}.json' ]
	[ "$(op get '/esp32/config/{mac_address}.json')" = 'get__esp32_config_{mac_address}.json' ]
	[ "$(op get /api/docs/)" = get__api_docs_ ]
	# operationIds are unique.
	[ "$(jq '[.paths[][] | objects | .operationId // empty] | length' "$DOC")" = \
		"$(jq '[.paths[][] | objects | .operationId // empty] | unique | length' "$DOC")" ]
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

/*
 * web_blob.S: embeds the web page's files (web/) in the binary, the way
 * openapi_blob.S embeds the OpenAPI document. The page is then served
 * from the same bytes under every web server, in CGI, by `make run`, an
 * installed copy and the Docker image, with no setting and nothing to
 * install beside the binary; api_ui.c lists the same files. Paths are
 * relative to the source tree's root, where the Makefile assembles this;
 * build/web/codemirror.js is the editor library the Makefile bundles
 * first (tools/bundle.mjs).
 */
	.macro asset sym, file
	.section .rodata
	.global iotconfig_web_\sym\()_start
	.global iotconfig_web_\sym\()_end
	.type iotconfig_web_\sym\()_start, @object
iotconfig_web_\sym\()_start:
	.incbin "\file"
iotconfig_web_\sym\()_end:
	.byte 0
	.endm

	asset index_html, "web/index.html"
	asset app_css, "web/app.css"
	asset app_js, "web/app.js"
	asset api_js, "web/api.js"
	asset list_js, "web/list.js"
	asset editor_js, "web/editor.js"
	asset history_js, "web/history.js"
	asset diff_js, "web/diff.js"
	asset mac_js, "web/mac.js"
	asset dom_js, "web/dom.js"
	asset codemirror_js, "build/web/codemirror.js"
	asset jsontree_js, "web/jsontree.js"
	asset schema_js, "web/schema.js"
	asset device_js, "web/device.js"
	asset create_js, "web/create.js"
	asset fleet_js, "web/fleet.js"
	asset search_js, "web/search.js"
	asset transfer_js, "web/transfer.js"
	asset waiting_js, "web/waiting.js"
	asset firmware_js, "web/firmware.js"
	asset credential_js, "web/credential.js"

	.section .note.GNU-stack,"",@progbits

/*
 * openapi_blob.S: embeds the OpenAPI document (OPENAPI_JSON, set by the
 * Makefile to conf/openapi.json) in the binary, so the document served is
 * exactly the one in the repository under every web server and in CGI.
 */
	.section .rodata
	.global iotconfig_openapi_start
	.global iotconfig_openapi_end
	.type iotconfig_openapi_start, @object
iotconfig_openapi_start:
	.incbin OPENAPI_JSON
iotconfig_openapi_end:
	.byte 0
	.section .note.GNU-stack,"",@progbits

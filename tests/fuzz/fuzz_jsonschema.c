/*
 * fuzz_jsonschema.c: libFuzzer harness for the JSON Schema validator
 * (src/jsonschema.h). An input is a schema's text, a NUL byte, and an
 * instance's text (without the NUL, the schema is validated against
 * itself); each must pass jsonbody_validate, as every stored schema and
 * config does. Properties checked:
 *   - jsonschema_check and jsonschema_validate return, within the bounds
 *     (no crash, hang, leak or undefined behaviour under ASan and UBSan);
 *   - a verdict agrees with its errors: valid exactly when none was found,
 *     at most JSONSCHEMA_MAX_ERRORS kept, each with a JSON Pointer for its
 *     instance path and a keyword and message;
 *   - the verdict is a function of its inputs: a second set built from the
 *     same texts gives the same verdict and error count.
 */
#include <json-c/json.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "jsonbody.h"
#include "jsonschema.h"

#define SELF "iotconfig:/schemas/fuzz"

static json_object *
parse(const uint8_t *data, size_t size)
{
	size_t members;
	struct jsonbody_error e;
	if (size == 0 || jsonbody_validate((const char *)data, size, &members, &e) != 0)
		return NULL;
	json_tokener *tok = json_tokener_new_ex(JSONBODY_MAX_DEPTH + 2);
	FUZZ_CHECK(tok != NULL, "tokener");
	json_object *o = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	if (json_tokener_get_error(tok) == json_tokener_continue)
		o = json_tokener_parse_ex(tok, "", 1); /* a final number needs an end */
	json_tokener_free(tok);
	return o;
}

static int
verdict(json_object *schema, json_object *inst, size_t *total)
{
	struct jsonschema_set *set = jsonschema_set_new(JSONSCHEMA_2020_12);
	FUZZ_CHECK(set != NULL, "a set");
	FUZZ_CHECK(jsonschema_set_add(set, SELF, schema) == 0, "adding a schema");
	struct jsonschema_errors e;
	jsonschema_errors_init(&e);
	int c = jsonschema_check(set, SELF, &e);
	FUZZ_CHECK(c == 0 || c == 1, "check answers");
	FUZZ_CHECK((c == 1) == (e.total > 0), "check's verdict agrees with its problems");
	jsonschema_errors_clear(&e);
	int rc = jsonschema_validate(set, SELF, inst, &e);
	FUZZ_CHECK(rc == 0 || rc == 1, "validate answers");
	FUZZ_CHECK((rc == 0) == (e.total == 0), "valid exactly when no error was found");
	FUZZ_CHECK(e.n <= JSONSCHEMA_MAX_ERRORS && e.n <= e.total, "errors kept within bounds");
	for (size_t i = 0; i < e.n; i++) {
		const struct jsonschema_error *x = &e.v[i];
		FUZZ_CHECK(x->instance_path[0] == '\0' || x->instance_path[0] == '/',
		           "instance paths are JSON Pointers");
		FUZZ_CHECK(x->keyword[0] != '\0' && x->message[0] != '\0',
		           "an error names its keyword and says why");
	}
	json_object *arr = jsonschema_errors_json(&e);
	FUZZ_CHECK(arr != NULL && json_object_array_length(arr) == e.n, "errors as JSON");
	json_object_put(arr);
	*total = e.total;
	jsonschema_errors_clear(&e);
	jsonschema_set_free(set);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t slen = nul ? (size_t)(nul - data) : size;
	json_object *schema = parse(data, slen);
	if (schema == NULL)
		return 0;
	json_object *inst = nul ? parse(nul + 1, size - slen - 1) : json_object_get(schema);
	if (inst == NULL && nul != NULL && size - slen - 1 == 4 && memcmp(nul + 1, "null", 4) == 0)
		inst = NULL; /* JSON null is json-c's NULL */
	else if (inst == NULL && nul != NULL) {
		json_object_put(schema);
		return 0;
	}
	size_t t1, t2;
	int v1 = verdict(schema, inst, &t1);
	int v2 = verdict(schema, inst, &t2);
	FUZZ_CHECK(v1 == v2 && t1 == t2, "the same inputs give the same verdict");
	json_object_put(inst);
	json_object_put(schema);
	return 0;
}

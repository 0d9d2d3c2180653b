/*
 * fuzz_jsonbody.c: libFuzzer harness for the request-body validator and
 * parser (src/jsonbody.h). Properties checked on every input:
 *   - a refusal always says why: a status, an offset inside the text and a
 *     terminated message;
 *   - differential: whatever jsonbody_validate accepts, json-c (the parser
 *     that builds the stored tree) parses too, to the end of the text;
 *   - jsonbody_parse_object succeeds only on validated text, and refuses a
 *     validated object only for duplicate keys;
 *   - what is stored is stable: the pretty form re-parses to an equal tree
 *     and pretty-prints to the very same bytes.
 */
#include <json-c/json.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "fuzz_check.h"
#include "jsonbody.h"

static void
check_refusal(const struct jsonbody_error *e, size_t size)
{
	FUZZ_CHECK(e->status != JSONBODY_OK, "a refusal has a status");
	FUZZ_CHECK(e->offset <= size, "the offset is inside the text");
	FUZZ_CHECK(memchr(e->message, '\0', sizeof e->message) != NULL && e->message[0] != '\0',
	           "the message is a terminated, non-empty string");
}

/* json-c on the whole text; a NUL marks the end so a final number is complete. */
static void
check_jsonc_agrees(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	FUZZ_CHECK(text != NULL, "memory for the copy");
	memcpy(text, data, size);
	text[size] = '\0';
	struct json_tokener *tok = json_tokener_new_ex(JSONBODY_MAX_DEPTH + 2);
	FUZZ_CHECK(tok != NULL, "tokener");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	json_object *obj = json_tokener_parse_ex(tok, text, (int)size + 1);
	enum json_tokener_error err = json_tokener_get_error(tok);
	size_t used = json_tokener_get_parse_end(tok);
	if (err != json_tokener_success)
		printf("json-c: %s at %zu\n", json_tokener_error_desc(err), used);
	FUZZ_CHECK(err == json_tokener_success, "json-c parses what the validator accepts");
	json_object_put(obj);
	json_tokener_free(tok);
	free(text);
}

static void
check_pretty_stable(json_object *obj)
{
	struct buf first, second;
	buf_init(&first);
	buf_init(&second);
	FUZZ_CHECK(jsonbody_append_pretty(&first, obj) == 0, "pretty print");
	json_object *again = NULL;
	struct jsonbody_error e;
	int rc = jsonbody_parse_object(first.data, first.len, &again, &e);
	if (rc != 0)
		printf("re-parse: %s\n", e.message);
	FUZZ_CHECK(rc == 0, "the stored form parses");
	FUZZ_CHECK(json_object_equal(obj, again), "the stored form is the same tree");
	FUZZ_CHECK(jsonbody_append_pretty(&second, again) == 0, "pretty print again");
	FUZZ_CHECK(first.len == second.len && memcmp(first.data, second.data, first.len) == 0,
	           "pretty-printing the re-parsed tree gives the same bytes");
	json_object_put(again);
	buf_free(&first);
	buf_free(&second);
}

static bool
starts_with_object(const uint8_t *data, size_t size)
{
	size_t i = 0;
	while (i < size &&
	       (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r'))
		i++;
	return i < size && data[i] == '{';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	size_t members = 0;
	struct jsonbody_error ve;
	int valid = jsonbody_validate(text, size, &members, &ve);
	if (valid != 0)
		check_refusal(&ve, size);
	else
		check_jsonc_agrees(data, size);

	json_object *obj = NULL;
	struct jsonbody_error pe;
	if (jsonbody_parse_object(text, size, &obj, &pe) == 0) {
		FUZZ_CHECK(valid == 0, "only validated text is parsed");
		FUZZ_CHECK(json_object_is_type(obj, json_type_object), "the result is an object");
		check_pretty_stable(obj);
		json_object_put(obj);
		return 0;
	}
	FUZZ_CHECK(obj == NULL, "no tree on failure");
	check_refusal(&pe, size);
	if (valid == 0 && starts_with_object(data, size))
		FUZZ_CHECK(pe.status == JSONBODY_DUPLICATE,
		           "a validated object is refused only for duplicate keys");
	if (valid == 0 && !starts_with_object(data, size))
		FUZZ_CHECK(pe.status == JSONBODY_NOT_OBJECT,
		           "a validated non-object is NOT_OBJECT");
	return 0;
}

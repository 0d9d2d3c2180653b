/*
 * test_jsonschema.c: proves the validator on draft 2020-12, which the
 * packaged official suite does not carry. Keyword tests live in
 * tests/unit/jsonschema/draft2020-12.json, in the official suite's format
 * plus two fields: "others" (schemas of the service a "$ref" may name,
 * added as iotconfig:/schemas/<name>) and, per test, "errors": the exact
 * list expected, in order, each with its instancePath and keyword (and
 * schemaPath when given). The checks below cover what the file format
 * cannot: schema problems found by jsonschema_check, the bounds on errors,
 * work and regex backtracking, and the JSON shape of the error list.
 */
#include <stdlib.h>
#include <string.h>

#include "jsonschema.h"
#include "tap.h"

#define SELF "iotconfig:/schemas/test"

static json_object *
parse(const char *text)
{
	json_object *o = json_tokener_parse(text);
	if (o == NULL && strcmp(text, "null") != 0)
		printf("# cannot parse %s\n", text);
	return o;
}

static int
errors_match(const struct jsonschema_errors *got, json_object *want, char *why, size_t n)
{
	size_t w = json_object_array_length(want);
	if (got->total != w) {
		snprintf(why, n, "%zu errors, want %zu", got->total, w);
		return 0;
	}
	for (size_t i = 0; i < w; i++) {
		json_object *e = json_object_array_get_idx(want, i), *v;
		static const char *const fields[] = {"instancePath", "keyword", "schemaPath"};
		for (size_t f = 0; f < 3; f++) {
			if (!json_object_object_get_ex(e, fields[f], &v))
				continue;
			const char *g = f == 0   ? got->v[i].instance_path
			                : f == 1 ? got->v[i].keyword
			                         : got->v[i].schema_path;
			if (strcmp(g, json_object_get_string(v)) != 0) {
				snprintf(why, n, "error %zu: %s '%s', want '%s' (%s)", i, fields[f],
				         g, json_object_get_string(v), got->v[i].message);
				return 0;
			}
		}
	}
	return 1;
}

static void
run_file(const char *path)
{
	json_object *groups = json_object_from_file(path);
	TAP_CHECK(groups != NULL, "the 2020-12 keyword tests load");
	unsigned passed = 0, failed = 0;
	for (size_t g = 0; groups != NULL && g < json_object_array_length(groups); g++) {
		json_object *group = json_object_array_get_idx(groups, g), *schema, *tests, *d,
		            *others;
		json_object_object_get_ex(group, "schema", &schema);
		json_object_object_get_ex(group, "tests", &tests);
		json_object_object_get_ex(group, "description", &d);
		struct jsonschema_set *set = jsonschema_set_new(JSONSCHEMA_2020_12);
		int ok = set != NULL;
		if (ok && json_object_object_get_ex(group, "others", &others)) {
			json_object_object_foreach(others, name, doc)
			{
				char uri[128];
				snprintf(uri, sizeof uri, "iotconfig:/schemas/%s", name);
				ok = ok && jsonschema_set_add(set, uri, doc) == 0;
			}
		}
		ok = ok && jsonschema_set_add(set, SELF, schema) == 0;
		struct jsonschema_errors problems;
		jsonschema_errors_init(&problems);
		ok = ok && jsonschema_check(set, SELF, &problems) == 0;
		if (!ok)
			printf("# %s: schema refused: %s\n", json_object_get_string(d),
			       problems.n ? problems.v[0].message : "(set)");
		jsonschema_errors_clear(&problems);
		for (size_t t = 0; t < json_object_array_length(tests); t++) {
			json_object *test = json_object_array_get_idx(tests, t), *data, *valid, *td,
			            *want;
			json_object_object_get_ex(test, "data", &data);
			json_object_object_get_ex(test, "valid", &valid);
			json_object_object_get_ex(test, "description", &td);
			struct jsonschema_errors errs;
			jsonschema_errors_init(&errs);
			int rc = ok ? jsonschema_validate(set, SELF, data, &errs) : -1;
			char why[400] = "";
			int good = rc == (json_object_get_boolean(valid) ? 0 : 1) &&
			           (rc == 0) == (errs.total == 0);
			if (!good)
				snprintf(why, sizeof why, "verdict %d with %zu errors%s%s", rc,
				         errs.total, errs.n ? ": " : "",
				         errs.n ? errs.v[0].message : "");
			if (good && json_object_object_get_ex(test, "errors", &want))
				good = errors_match(&errs, want, why, sizeof why);
			char name[300];
			snprintf(name, sizeof name, "2020-12: %s / %s", json_object_get_string(d),
			         json_object_get_string(td));
			TAP_CHECK(good, name);
			if (!good)
				printf("#   %s\n", why);
			good ? passed++ : failed++;
			jsonschema_errors_clear(&errs);
		}
		jsonschema_set_free(set);
	}
	printf("# 2020-12 keyword tests: %u passed, %u failed\n", passed, failed);
	json_object_put(groups);
}

/* jsonschema_check on one schema text: the number of problems, and the first. */
static size_t
problems_of(const char *text, char *first, size_t n)
{
	struct jsonschema_set *set = jsonschema_set_new(JSONSCHEMA_2020_12);
	json_object *doc = parse(text);
	struct jsonschema_errors e;
	jsonschema_errors_init(&e);
	first[0] = '\0';
	if (set != NULL && jsonschema_set_add(set, SELF, doc) == 0 &&
	    jsonschema_check(set, SELF, &e) >= 0 && e.n > 0)
		snprintf(first, n, "%s %s: %s", e.v[0].instance_path, e.v[0].keyword,
		         e.v[0].message);
	size_t total = e.total;
	jsonschema_errors_clear(&e);
	json_object_put(doc);
	jsonschema_set_free(set);
	return total;
}

static void
test_check(void)
{
	char first[400];
	TAP_CHECK(problems_of("{\"type\": \"object\", \"properties\": {\"a\": {\"$ref\": "
	                      "\"#/$defs/a\"}}, \"$defs\": {\"a\": true}}",
	                      first, sizeof first) == 0,
	          "check: a well-formed schema has no problems");
	TAP_CHECK(problems_of("{\"type\": \"strng\"}", first, sizeof first) == 1 &&
	                  strstr(first, "/type type") == first,
	          "check: an unknown type name is a problem at /type");
	TAP_CHECK(problems_of("{\"pattern\": \"([a-z\"}", first, sizeof first) == 1 &&
	                  strstr(first, "not a valid regular expression") != NULL,
	          "check: a regex that does not compile");
	TAP_CHECK(problems_of("{\"properties\": {\"a\": {\"$ref\": \"missing#/x\"}}}", first,
	                      sizeof first) == 1 &&
	                  strstr(first, "/properties/a/$ref $ref") == first,
	          "check: a $ref that resolves nowhere, with its place");
	TAP_CHECK(problems_of("{\"$schema\": \"http://json-schema.org/draft-04/schema#\"}", first,
	                      sizeof first) == 1 &&
	                  strstr(first, "not a supported dialect") != NULL,
	          "check: draft-04 is refused by $schema");
	TAP_CHECK(problems_of("{\"$dynamicRef\": \"#x\"}", first, sizeof first) == 1 &&
	                  strstr(first, "not supported") != NULL,
	          "check: $dynamicRef is refused");
	TAP_CHECK(problems_of("{\"minLength\": -1, \"required\": [\"a\", \"a\"], \"items\": [{}], "
	                      "\"multipleOf\": 0}",
	                      first, sizeof first) == 4,
	          "check: every malformed keyword is listed (4)");
	TAP_CHECK(problems_of("[]", first, sizeof first) == 1, "check: an array is no schema");
	TAP_CHECK(problems_of("{\"$id\": \"https://x.invalid/a#frag\"}", first, sizeof first) == 1,
	          "check: a 2020-12 $id with a fragment");
	TAP_CHECK(problems_of("{\"$schema\": \"http://json-schema.org/draft-07/schema#\", "
	                      "\"$id\": \"#here\", \"items\": [{\"$ref\": \"#here\"}]}",
	                      first, sizeof first) == 0,
	          "check: draft-07 $id anchors resolve");
}

static int
validate_text(const char *schema, json_object *inst, struct jsonschema_errors *e)
{
	struct jsonschema_set *set = jsonschema_set_new(JSONSCHEMA_2020_12);
	json_object *doc = parse(schema);
	int rc = -1;
	if (set != NULL && jsonschema_set_add(set, SELF, doc) == 0)
		rc = jsonschema_validate(set, SELF, inst, e);
	json_object_put(doc);
	jsonschema_errors_clear(e);
	jsonschema_set_free(set);
	return rc;
}

static void
test_bounds(void)
{
	struct jsonschema_errors e;
	json_object *many = json_object_new_array();
	for (int i = 0; i < 2000; i++)
		json_object_array_add(many, json_object_new_int(i));
	jsonschema_errors_init(&e);
	struct jsonschema_set *set = jsonschema_set_new(JSONSCHEMA_2020_12);
	json_object *doc = parse("{\"items\": {\"type\": \"string\"}}");
	jsonschema_set_add(set, SELF, doc);
	int rc = jsonschema_validate(set, SELF, many, &e);
	TAP_CHECK(rc == 1 && e.n == JSONSCHEMA_MAX_ERRORS && e.total == 2000,
	          "errors: the first JSONSCHEMA_MAX_ERRORS are kept, all are counted");
	json_object *arr = jsonschema_errors_json(&e);
	json_object *first = json_object_array_get_idx(arr, 0), *v;
	TAP_CHECK(json_object_array_length(arr) == JSONSCHEMA_MAX_ERRORS &&
	                  json_object_object_get_ex(first, "instancePath", &v) &&
	                  strcmp(json_object_get_string(v), "/0") == 0 &&
	                  json_object_object_get_ex(first, "schemaPath", &v) &&
	                  strcmp(json_object_get_string(v), "/items/type") == 0 &&
	                  json_object_object_get_ex(first, "keyword", &v) &&
	                  json_object_object_get_ex(first, "message", &v),
	          "errors: JSON objects with instancePath, schemaPath, keyword, message");
	json_object_put(arr);
	jsonschema_errors_clear(&e);
	json_object_put(doc);
	jsonschema_set_free(set);

	/* uniqueItems over 3000 equal-looking objects: ~4.5 million comparisons. */
	json_object *big = json_object_new_array();
	for (int i = 0; i < 3000; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "i", json_object_new_int(i));
		json_object_array_add(big, o);
	}
	jsonschema_errors_init(&e);
	set = jsonschema_set_new(JSONSCHEMA_2020_12);
	doc = parse("{\"uniqueItems\": true}");
	jsonschema_set_add(set, SELF, doc);
	rc = jsonschema_validate(set, SELF, big, &e);
	TAP_CHECK(rc == 1 && e.n == 1 && strstr(e.v[0].message, "too much work") != NULL,
	          "work: a validation past JSONSCHEMA_MAX_STEPS stops with an error");
	jsonschema_errors_clear(&e);
	json_object_put(doc);
	jsonschema_set_free(set);

	json_object *s =
	        json_object_new_string("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab");
	jsonschema_errors_init(&e);
	rc = validate_text("{\"pattern\": \"^(a+)+$\"}", s, &e);
	TAP_CHECK(rc == 1, "regex: catastrophic backtracking gives up as an error, not a hang");
	json_object_put(s);

	jsonschema_errors_init(&e);
	s = json_object_new_int(1);
	rc = validate_text("{\"not\": {\"$ref\": \"#\"}}", s, &e);
	TAP_CHECK(rc == 1, "a loop inside not is an error, never a pass");
	json_object_put(s);
	json_object_put(many);
	json_object_put(big);
}

int
main(void)
{
	const char *path = getenv("JSONSCHEMA_TESTS");
	run_file(path && *path ? path : "tests/unit/jsonschema/draft2020-12.json");
	test_check();
	test_bounds();
	return tap_done();
}

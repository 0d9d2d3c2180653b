/*
 * test_jsonschema_suite.c: runs the official JSON-Schema-Test-Suite's
 * draft-07 tests (Debian's json-schema-test-suite package; the directory
 * can be moved with JSON_SCHEMA_SUITE_DIR) against jsonschema.h, every
 * file but those under optional/. Each test group gets a set of its own
 * holding its schema, the suite's "remotes" under the
 * http://localhost:1234/ names the tests use, and the draft-07
 * meta-schema (from python3-jsonschema, which the suite package depends
 * on): nothing is fetched. Prints one TAP line per file and the totals:
 * passed, failed, and excluded with the reason for each.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonschema.h"
#include "tap.h"

#define META_07 "/usr/lib/python3/dist-packages/jsonschema/schemas/draft7.json"

/* Tests left out, by file and group description, with why. None today. */
static const struct {
	const char *file, *group, *why;
} excluded[] = {
        {NULL, NULL, NULL},
};

static const char *
excluded_why(const char *file, const char *group)
{
	for (size_t i = 0; excluded[i].file != NULL; i++)
		if (strcmp(excluded[i].file, file) == 0 && strcmp(excluded[i].group, group) == 0)
			return excluded[i].why;
	return NULL;
}

static const char *suite_dir;
static unsigned passed, failed, skipped;

static int
add_file(struct jsonschema_set *set, const char *uri, const char *path)
{
	json_object *doc = json_object_from_file(path);
	if (doc == NULL) {
		printf("# cannot read %s\n", path);
		return -1;
	}
	int rc = jsonschema_set_add(set, uri, doc);
	json_object_put(doc);
	return rc;
}

static struct jsonschema_set *
new_set(void)
{
	struct jsonschema_set *set = jsonschema_set_new(JSONSCHEMA_DRAFT_07);
	static const char *const remotes[] = {"integer.json", "name.json", "subSchemas.json",
	                                      "folder/folderInteger.json"};
	char uri[256], path[512];
	for (size_t i = 0; set != NULL && i < sizeof remotes / sizeof *remotes; i++) {
		snprintf(uri, sizeof uri, "http://localhost:1234/%s", remotes[i]);
		snprintf(path, sizeof path, "%s/remotes/%s", suite_dir, remotes[i]);
		if (add_file(set, uri, path) != 0) {
			jsonschema_set_free(set);
			return NULL;
		}
	}
	if (set != NULL && add_file(set, "http://json-schema.org/draft-07/schema", META_07) != 0) {
		jsonschema_set_free(set);
		return NULL;
	}
	return set;
}

static void
run_file(const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/tests/draft7/%s", suite_dir, name);
	json_object *groups = json_object_from_file(path);
	unsigned p0 = passed, f0 = failed, s0 = skipped;
	char report[4096] = "";
	for (size_t g = 0; groups != NULL && g < json_object_array_length(groups); g++) {
		json_object *group = json_object_array_get_idx(groups, g), *schema, *tests, *v;
		json_object_object_get_ex(group, "schema", &schema);
		json_object_object_get_ex(group, "tests", &tests);
		json_object_object_get_ex(group, "description", &v);
		const char *gname = json_object_get_string(v);
		const char *why = excluded_why(name, gname);
		if (why != NULL) {
			skipped += (unsigned)json_object_array_length(tests);
			printf("# excluded: %s: %s: %s\n", name, gname, why);
			continue;
		}
		struct jsonschema_set *set = new_set();
		char uri[128];
		snprintf(uri, sizeof uri, "iotconfig:/suite/%zu", g);
		int added = set != NULL ? jsonschema_set_add(set, uri, schema) : -1;
		for (size_t t = 0; t < json_object_array_length(tests); t++) {
			json_object *test = json_object_array_get_idx(tests, t), *data, *valid, *d;
			json_object_object_get_ex(test, "data", &data);
			json_object_object_get_ex(test, "valid", &valid);
			json_object_object_get_ex(test, "description", &d);
			struct jsonschema_errors errs;
			jsonschema_errors_init(&errs);
			int rc = added == 0 ? jsonschema_validate(set, uri, data, &errs) : -1;
			int want = json_object_get_boolean(valid) ? 0 : 1;
			/* An invalid verdict must come with at least one error. */
			if (rc == want && (rc == 0 || errs.n > 0)) {
				passed++;
			} else {
				failed++;
				size_t used = strlen(report);
				snprintf(report + used, sizeof report - used,
				         "#   %s / %s: got %d, want %d%s%s\n", gname,
				         json_object_get_string(d), rc, want,
				         errs.n ? "; first error: " : "",
				         errs.n ? errs.v[0].message : "");
			}
			jsonschema_errors_clear(&errs);
		}
		jsonschema_set_free(set);
	}
	json_object_put(groups);
	char line[256];
	snprintf(line, sizeof line, "draft7/%s: %u passed, %u failed, %u excluded", name,
	         passed - p0, failed - f0, skipped - s0);
	TAP_CHECK(groups != NULL && failed == f0, line);
	if (report[0])
		fputs(report, stdout);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(void)
{
	suite_dir = getenv("JSON_SCHEMA_SUITE_DIR");
	if (suite_dir == NULL || !*suite_dir)
		suite_dir = "/usr/share/json-schema-test-suite";
	char dir[512];
	snprintf(dir, sizeof dir, "%s/tests/draft7", suite_dir);
	DIR *d = opendir(dir);
	TAP_CHECK(d != NULL, "the draft-07 suite is installed (json-schema-test-suite)");
	if (d == NULL)
		return tap_done();
	char *names[256];
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL && n < 256) {
		size_t len = strlen(de->d_name);
		if (len > 5 && strcmp(de->d_name + len - 5, ".json") == 0)
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, by_name);
	for (size_t i = 0; i < n; i++) {
		run_file(names[i]);
		free(names[i]);
	}
	TAP_CHECK(passed > 400, "the suite ran (more than 400 tests)");
	printf("# draft-07 suite (JSON-Schema-Test-Suite, optional/ left out): %u passed, %u "
	       "failed, %u excluded\n",
	       passed, failed, skipped);
	return tap_done();
}

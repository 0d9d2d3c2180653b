/*
 * jsonschema_doc.c: the validator's set of schema documents.
 *
 * Adding a document walks it once, keyword by keyword, the way the
 * document's dialect reads it: each schema object becomes a node (its
 * keywords checked for the kind of value they take, its regexes compiled,
 * its base URI worked out from the "$id"s around it), and every "$id" and
 * anchor becomes a name for its node. Nodes are found again by the json-c
 * object they were compiled from (a hash on the pointer), so evaluation
 * walks the json-c tree and looks each subschema up. A "$ref" is resolved
 * once, on first use, to a name or to a JSON Pointer inside a named
 * document (RFC 6901; its fragment is percent-decoded first); a pointer
 * into a place the walk did not know as a schema is compiled then.
 */
#include "jsonschema_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "uri.h"

struct js_doc {
	char *uri;
	json_object *doc;
	struct js_node *root;
	struct jsonschema_errors problems;
};

struct js_name {
	char *uri; /* absolute; "#anchor" on the end for an anchor */
	struct js_node *node;
};

struct jsonschema_set {
	enum jsonschema_dialect dialect;
	struct js_doc **docs;
	size_t ndocs, docs_cap;
	struct js_name *names;
	size_t nnames, names_cap;
	struct js_node **slots; /* open addressing on the schema's address */
	size_t nslots, nnodes;
	char **strings; /* base URIs the nodes point to */
	size_t nstrings, strings_cap;
	/* For matching; made with the set's first regex (PCRE2 is loaded then). */
	pcre2_match_data *md;
	pcre2_match_context *mctx;
};

/* What value a keyword takes. */
enum shape {
	SH_SCHEMA,
	SH_SCHEMA_ARRAY,
	SH_SCHEMA_MAP,
	SH_ITEMS, /* a schema; in draft-07 also an array of schemas */
	SH_DEPENDENCIES,
	SH_NUMBER,
	SH_POSITIVE,
	SH_COUNT,
	SH_BOOL,
	SH_STRING,
	SH_ANCHOR,
	SH_REGEX,
	SH_REGEX_MAP,
	SH_TYPE,
	SH_ARRAY,
	SH_ANY,
	SH_STRINGS,
	SH_STRINGS_MAP,
};

#define D7   JSONSCHEMA_DRAFT_07
#define D12  JSONSCHEMA_2020_12
#define BOTH (D7 | D12)

/* Sorted by name (strcmp) for bsearch. "$defs" and "definitions" are
 * walked in both dialects: they only hold schemas for "$ref". */
static const struct kwdef {
	const char *name;
	enum js_kw kw;
	unsigned dialects;
	enum shape shape;
} kwdefs[] = {
        {"$anchor", KW_ANCHOR, D12, SH_ANCHOR},
        {"$defs", KW_DEFS, BOTH, SH_SCHEMA_MAP},
        {"$dynamicAnchor", KW_DYNAMIC_ANCHOR, D12, SH_ANCHOR},
        {"$dynamicRef", KW_DYNAMIC_REF, D12, SH_STRING},
        {"$id", KW_ID, BOTH, SH_STRING},
        {"$ref", KW_REF, BOTH, SH_STRING},
        {"$schema", KW_SCHEMA, BOTH, SH_STRING},
        {"additionalItems", KW_ADDITIONAL_ITEMS, D7, SH_SCHEMA},
        {"additionalProperties", KW_ADDITIONAL_PROPERTIES, BOTH, SH_SCHEMA},
        {"allOf", KW_ALL_OF, BOTH, SH_SCHEMA_ARRAY},
        {"anyOf", KW_ANY_OF, BOTH, SH_SCHEMA_ARRAY},
        {"const", KW_CONST, BOTH, SH_ANY},
        {"contains", KW_CONTAINS, BOTH, SH_SCHEMA},
        {"definitions", KW_DEFINITIONS, BOTH, SH_SCHEMA_MAP},
        {"dependencies", KW_DEPENDENCIES, D7, SH_DEPENDENCIES},
        {"dependentRequired", KW_DEPENDENT_REQUIRED, D12, SH_STRINGS_MAP},
        {"dependentSchemas", KW_DEPENDENT_SCHEMAS, D12, SH_SCHEMA_MAP},
        {"else", KW_ELSE, BOTH, SH_SCHEMA},
        {"enum", KW_ENUM, BOTH, SH_ARRAY},
        {"exclusiveMaximum", KW_EXCLUSIVE_MAXIMUM, BOTH, SH_NUMBER},
        {"exclusiveMinimum", KW_EXCLUSIVE_MINIMUM, BOTH, SH_NUMBER},
        {"if", KW_IF, BOTH, SH_SCHEMA},
        {"items", KW_ITEMS, BOTH, SH_ITEMS},
        {"maxContains", KW_MAX_CONTAINS, D12, SH_COUNT},
        {"maxItems", KW_MAX_ITEMS, BOTH, SH_COUNT},
        {"maxLength", KW_MAX_LENGTH, BOTH, SH_COUNT},
        {"maxProperties", KW_MAX_PROPERTIES, BOTH, SH_COUNT},
        {"maximum", KW_MAXIMUM, BOTH, SH_NUMBER},
        {"minContains", KW_MIN_CONTAINS, D12, SH_COUNT},
        {"minItems", KW_MIN_ITEMS, BOTH, SH_COUNT},
        {"minLength", KW_MIN_LENGTH, BOTH, SH_COUNT},
        {"minProperties", KW_MIN_PROPERTIES, BOTH, SH_COUNT},
        {"minimum", KW_MINIMUM, BOTH, SH_NUMBER},
        {"multipleOf", KW_MULTIPLE_OF, BOTH, SH_POSITIVE},
        {"not", KW_NOT, BOTH, SH_SCHEMA},
        {"oneOf", KW_ONE_OF, BOTH, SH_SCHEMA_ARRAY},
        {"pattern", KW_PATTERN, BOTH, SH_REGEX},
        {"patternProperties", KW_PATTERN_PROPERTIES, BOTH, SH_REGEX_MAP},
        {"prefixItems", KW_PREFIX_ITEMS, D12, SH_SCHEMA_ARRAY},
        {"properties", KW_PROPERTIES, BOTH, SH_SCHEMA_MAP},
        {"propertyNames", KW_PROPERTY_NAMES, BOTH, SH_SCHEMA},
        {"required", KW_REQUIRED, BOTH, SH_STRINGS},
        {"then", KW_THEN, BOTH, SH_SCHEMA},
        {"type", KW_TYPE, BOTH, SH_TYPE},
        {"unevaluatedItems", KW_UNEVALUATED_ITEMS, D12, SH_SCHEMA},
        {"unevaluatedProperties", KW_UNEVALUATED_PROPERTIES, D12, SH_SCHEMA},
        {"uniqueItems", KW_UNIQUE_ITEMS, BOTH, SH_BOOL},
};

static int
kwdef_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct kwdef *)elem)->name);
}

static const struct kwdef *
kwdef_find(const char *name)
{
	return bsearch(name, kwdefs, sizeof kwdefs / sizeof *kwdefs, sizeof *kwdefs, kwdef_cmp);
}

/* --- errors ---------------------------------------------------------------- */

void
jsonschema_errors_init(struct jsonschema_errors *e)
{
	memset(e, 0, sizeof *e);
}

void
jsonschema_errors_clear(struct jsonschema_errors *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].instance_path);
		free(e->v[i].schema_path);
		free(e->v[i].keyword);
		free(e->v[i].message);
	}
	free(e->v);
	memset(e, 0, sizeof *e);
}

int
jsonschema_errors_add(struct jsonschema_errors *e, const char *instance_path,
                      const char *schema_path, const char *keyword, const char *message)
{
	e->total++;
	if (e->n >= JSONSCHEMA_MAX_ERRORS)
		return 0;
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 8;
		struct jsonschema_error *v = realloc(e->v, cap * sizeof *v);
		if (v == NULL)
			return -1;
		e->v = v;
		e->cap = cap;
	}
	struct jsonschema_error *x = &e->v[e->n];
	x->instance_path = strdup(instance_path);
	x->schema_path = strdup(schema_path);
	x->keyword = strdup(keyword);
	x->message = strdup(message);
	if (!x->instance_path || !x->schema_path || !x->keyword || !x->message) {
		free(x->instance_path);
		free(x->schema_path);
		free(x->keyword);
		free(x->message);
		return -1;
	}
	e->n++;
	return 0;
}

json_object *
jsonschema_errors_json(const struct jsonschema_errors *e)
{
	json_object *a = json_object_new_array_ext((int)e->n);
	if (a == NULL)
		return NULL;
	for (size_t i = 0; i < e->n; i++) {
		json_object *o = json_object_new_object();
		if (o == NULL || json_object_array_add(a, o) != 0) {
			json_object_put(o);
			json_object_put(a);
			return NULL;
		}
		json_object_object_add(o, "instancePath",
		                       json_object_new_string(e->v[i].instance_path));
		json_object_object_add(o, "schemaPath",
		                       json_object_new_string(e->v[i].schema_path));
		json_object_object_add(o, "keyword", json_object_new_string(e->v[i].keyword));
		json_object_object_add(o, "message", json_object_new_string(e->v[i].message));
	}
	return a;
}

int
js_pointer_push(char **path, size_t *len, size_t *cap, const char *s, size_t n)
{
	size_t need = *len + 1 + 2 * n + 1;
	if (need > *cap) {
		size_t c = *cap ? *cap : 64;
		while (c < need)
			c *= 2;
		char *p = realloc(*path, c);
		if (p == NULL)
			return -1;
		*path = p;
		*cap = c;
	}
	char *o = *path + *len;
	*o++ = '/';
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '~') {
			*o++ = '~';
			*o++ = '0';
		} else if (s[i] == '/') {
			*o++ = '~';
			*o++ = '1';
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	*len = (size_t)(o - *path);
	return 0;
}

/* A new string: base, then "/" and the escaped token. */
static char *
pointer_child(const char *base, const char *token)
{
	size_t len = strlen(base), cap = len + 1;
	char *p = malloc(cap);
	if (p == NULL)
		return NULL;
	memcpy(p, base, cap);
	if (js_pointer_push(&p, &len, &cap, token, strlen(token)) != 0) {
		free(p);
		return NULL;
	}
	return p;
}

static char *
pointer_index(const char *base, size_t i)
{
	char token[24];
	snprintf(token, sizeof token, "%zu", i);
	return pointer_child(base, token);
}

/* --- regexes --------------------------------------------------------------- */

/*
 * ECMA-262 regexes through PCRE2: UTF-8, "$" only at the very end (as in
 * JavaScript without the m flag), \uXXXX and \u{...} escapes, and never
 * \C. \d, \w and \b stay ASCII as in JavaScript; \s is ASCII here where
 * JavaScript also counts Unicode spaces.
 */
int
js_regex_compile(struct jsonschema_set *set, const char *pattern, size_t len, pcre2_code **re,
                 char *why, size_t why_len)
{
	*re = NULL;
	if (set->md == NULL) {
		set->md = pcre2_match_data_create(1, NULL);
		if (set->md == NULL)
			return -1;
	}
	if (set->mctx == NULL) {
		set->mctx = pcre2_match_context_create(NULL);
		if (set->mctx == NULL)
			return -1;
		/* Bounds on one match, so a pattern cannot take the process's time. */
		pcre2_set_match_limit(set->mctx, 1000000);
		pcre2_set_depth_limit(set->mctx, 10000);
		pcre2_set_heap_limit(set->mctx, 20000); /* KiB */
	}
	pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
	if (cc == NULL)
		return -1;
	pcre2_set_compile_extra_options(cc, PCRE2_EXTRA_ALT_BSUX);
	int err;
	PCRE2_SIZE off;
	*re = pcre2_compile((PCRE2_SPTR)pattern, len,
	                    PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY |
	                            PCRE2_ALT_BSUX | PCRE2_NEVER_BACKSLASH_C,
	                    &err, &off, cc);
	pcre2_compile_context_free(cc);
	if (*re != NULL)
		return 0;
	PCRE2_UCHAR msg[160];
	if (pcre2_get_error_message(err, msg, sizeof msg) < 0)
		snprintf((char *)msg, sizeof msg, "error %d", err);
	snprintf(why, why_len, "%s at offset %zu", (const char *)msg, (size_t)off);
	return 1;
}

int
js_regex_match(struct jsonschema_set *set, pcre2_code *re, const char *s, size_t len)
{
	int rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, set->md, set->mctx);
	if (rc >= 0)
		return 1;
	return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

/* --- the set -------------------------------------------------------------- */

struct jsonschema_set *
jsonschema_set_new(enum jsonschema_dialect dialect)
{
	struct jsonschema_set *set = calloc(1, sizeof *set);
	if (set == NULL)
		return NULL;
	set->dialect = dialect;
	return set;
}

static void
node_free(struct js_node *n)
{
	pcre2_code_free(n->pattern);
	for (size_t i = 0; i < n->npprops; i++)
		pcre2_code_free(n->pprops[i]);
	free(n->pprops);
	free(n->pointer);
	free(n);
}

void
jsonschema_set_free(struct jsonschema_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->nslots; i++)
		if (set->slots[i] != NULL)
			node_free(set->slots[i]);
	free(set->slots);
	for (size_t i = 0; i < set->ndocs; i++) {
		free(set->docs[i]->uri);
		json_object_put(set->docs[i]->doc);
		jsonschema_errors_clear(&set->docs[i]->problems);
		free(set->docs[i]);
	}
	free(set->docs);
	for (size_t i = 0; i < set->nnames; i++)
		free(set->names[i].uri);
	free(set->names);
	for (size_t i = 0; i < set->nstrings; i++)
		free(set->strings[i]);
	free(set->strings);
	pcre2_match_data_free(set->md);
	pcre2_match_context_free(set->mctx);
	free(set);
}

static size_t
slot_of(const struct jsonschema_set *set, const json_object *schema)
{
	uint64_t h = (uint64_t)(uintptr_t)schema;
	h ^= h >> 29;
	h *= 0x9e3779b97f4a7c15ULL;
	return (size_t)(h >> 20) & (set->nslots - 1);
}

static struct js_node *
hash_get(const struct jsonschema_set *set, const json_object *schema)
{
	if (set->nslots == 0)
		return NULL;
	for (size_t i = slot_of(set, schema);; i = (i + 1) & (set->nslots - 1)) {
		if (set->slots[i] == NULL)
			return NULL;
		if (set->slots[i]->schema == schema)
			return set->slots[i];
	}
}

static int
hash_put(struct jsonschema_set *set, struct js_node *n)
{
	if ((set->nnodes + 1) * 2 > set->nslots) {
		size_t ns = set->nslots ? set->nslots * 2 : 64;
		struct js_node **old = set->slots;
		size_t on = set->nslots;
		set->slots = calloc(ns, sizeof *set->slots);
		if (set->slots == NULL) {
			set->slots = old;
			return -1;
		}
		set->nslots = ns;
		for (size_t i = 0; i < on; i++) {
			if (old[i] == NULL)
				continue;
			size_t j = slot_of(set, old[i]->schema);
			while (set->slots[j] != NULL)
				j = (j + 1) & (ns - 1);
			set->slots[j] = old[i];
		}
		free(old);
	}
	size_t j = slot_of(set, n->schema);
	while (set->slots[j] != NULL)
		j = (j + 1) & (set->nslots - 1);
	set->slots[j] = n;
	set->nnodes++;
	return 0;
}

static const char *
intern(struct jsonschema_set *set, char *s)
{
	if (set->nstrings == set->strings_cap) {
		size_t cap = set->strings_cap ? set->strings_cap * 2 : 16;
		char **v = realloc(set->strings, cap * sizeof *v);
		if (v == NULL) {
			free(s);
			return NULL;
		}
		set->strings = v;
		set->strings_cap = cap;
	}
	set->strings[set->nstrings++] = s;
	return s;
}

static struct js_node *
name_get(const struct jsonschema_set *set, const char *uri)
{
	for (size_t i = 0; i < set->nnames; i++)
		if (strcmp(set->names[i].uri, uri) == 0)
			return set->names[i].node;
	return NULL;
}

/* A compile in progress: the document and where problems go. */
struct walk {
	struct jsonschema_set *set;
	struct js_doc *doc;
	int oom;
};

static void problem(struct walk *w, const char *where, const char *keyword, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static void
problem(struct walk *w, const char *where, const char *keyword, const char *fmt, ...)
{
	char message[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	if (jsonschema_errors_add(&w->doc->problems, where, "", keyword, message) != 0)
		w->oom = 1;
}

/* Gives node the name uri (a copy); a name already taken keeps its node. */
static void
name_put(struct walk *w, const char *uri, struct js_node *node, const char *where,
         const char *keyword)
{
	struct jsonschema_set *set = w->set;
	struct js_node *had = name_get(set, uri);
	if (had != NULL) {
		if (had != node)
			problem(w, where, keyword, "'%.200s' already names another schema", uri);
		return;
	}
	if (set->nnames == set->names_cap) {
		size_t cap = set->names_cap ? set->names_cap * 2 : 16;
		struct js_name *v = realloc(set->names, cap * sizeof *v);
		if (v == NULL) {
			w->oom = 1;
			return;
		}
		set->names = v;
		set->names_cap = cap;
	}
	char *copy = strdup(uri);
	if (copy == NULL) {
		w->oom = 1;
		return;
	}
	set->names[set->nnames++] = (struct js_name){copy, node};
}

static void
anchor_put(struct walk *w, const char *base, const char *anchor, struct js_node *node,
           const char *where, const char *keyword)
{
	size_t n = strlen(base) + 1 + strlen(anchor) + 1;
	char *uri = malloc(n);
	if (uri == NULL) {
		w->oom = 1;
		return;
	}
	snprintf(uri, n, "%s#%s", base, anchor);
	name_put(w, uri, node, where, keyword);
	free(uri);
}

static enum jsonschema_dialect
dialect_named(const char *s)
{
	static const char *const d7[] = {
	        "http://json-schema.org/draft-07/schema#",
	        "http://json-schema.org/draft-07/schema",
	        "https://json-schema.org/draft-07/schema#",
	        "https://json-schema.org/draft-07/schema",
	};
	static const char *const d12[] = {
	        "https://json-schema.org/draft/2020-12/schema",
	        "https://json-schema.org/draft/2020-12/schema#",
	        "http://json-schema.org/draft/2020-12/schema",
	        "http://json-schema.org/draft/2020-12/schema#",
	};
	for (size_t i = 0; i < 4; i++) {
		if (strcmp(s, d7[i]) == 0)
			return JSONSCHEMA_DRAFT_07;
		if (strcmp(s, d12[i]) == 0)
			return JSONSCHEMA_2020_12;
	}
	return 0;
}

static int
is_schema_value(json_object *v)
{
	json_type t = json_object_get_type(v);
	return t == json_type_object || t == json_type_boolean;
}

static int
is_number(json_object *v)
{
	json_type t = json_object_get_type(v);
	return t == json_type_int || t == json_type_double;
}

/* A non-negative integer (1.0 counts). */
static int
is_count(json_object *v)
{
	if (json_object_get_type(v) == json_type_int)
		return json_object_get_int64(v) >= 0;
	if (json_object_get_type(v) != json_type_double)
		return 0;
	double d = json_object_get_double(v);
	return d >= 0 && d == (double)(long long)d;
}

static int
strings_unique(json_object *a)
{
	size_t n = json_object_array_length(a);
	for (size_t i = 0; i < n; i++) {
		json_object *x = json_object_array_get_idx(a, i);
		if (json_object_get_type(x) != json_type_string)
			return 0;
		for (size_t j = 0; j < i; j++)
			if (strcmp(json_object_get_string(x),
			           json_object_get_string(json_object_array_get_idx(a, j))) == 0)
				return 0;
	}
	return 1;
}

static unsigned
type_bit(const char *s)
{
	static const struct {
		const char *name;
		unsigned bit;
	} t[] = {{"null", JT_NULL},      {"boolean", JT_BOOLEAN}, {"object", JT_OBJECT},
	         {"array", JT_ARRAY},    {"number", JT_NUMBER},   {"string", JT_STRING},
	         {"integer", JT_INTEGER}};
	for (size_t i = 0; i < sizeof t / sizeof *t; i++)
		if (strcmp(s, t[i].name) == 0)
			return t[i].bit;
	return 0;
}

static int
anchor_valid(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return 0;
	for (s++; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '.' || *s == '_'))
			return 0;
	return 1;
}

static struct js_node *compile(struct walk *w, json_object *s, const char *base,
                               enum jsonschema_dialect dialect, const char *ptr, int root,
                               unsigned depth);

/* Compiles the subschema v at ptr/token (index >= 0: ptr/token/index). */
static void
compile_child(struct walk *w, json_object *v, const struct js_node *parent, const char *token,
              long index, unsigned depth)
{
	char *p = pointer_child(parent->pointer, token);
	if (p != NULL && index >= 0) {
		char *q = pointer_index(p, (size_t)index);
		free(p);
		p = q;
	}
	if (p == NULL) {
		w->oom = 1;
		return;
	}
	compile(w, v, parent->base, parent->dialect, p, 0, depth + 1);
	free(p);
}

static void
compile_map(struct walk *w, json_object *v, const struct js_node *parent, const char *kw,
            unsigned depth)
{
	char *p = pointer_child(parent->pointer, kw);
	if (p == NULL) {
		w->oom = 1;
		return;
	}
	json_object_object_foreach(v, key, sub)
	{
		char *q = pointer_child(p, key);
		if (q == NULL) {
			w->oom = 1;
			break;
		}
		compile(w, sub, parent->base, parent->dialect, q, 0, depth + 1);
		free(q);
	}
	free(p);
}

/* Checks one keyword's value; compiles the schemas in it. 1: well formed. */
static int
keyword(struct walk *w, struct js_node *n, const struct kwdef *d, json_object *v, unsigned depth)
{
	char *where = pointer_child(n->pointer, d->name);
	if (where == NULL) {
		w->oom = 1;
		return 0;
	}
	int ok = 1;
	char why[200];
	switch (d->shape) {
	case SH_SCHEMA:
		if (!(ok = is_schema_value(v)))
			problem(w, where, d->name, "must be a schema (an object or a boolean)");
		else
			compile_child(w, v, n, d->name, -1, depth);
		break;
	case SH_ITEMS:
		if (json_object_get_type(v) == json_type_array && n->dialect == JSONSCHEMA_DRAFT_07)
			goto schema_array;
		if (!(ok = is_schema_value(v)))
			problem(w, where, d->name, "%s",
			        n->dialect == JSONSCHEMA_DRAFT_07
			                ? "must be a schema or an array of schemas"
			                : "must be a schema (in draft 2020-12 a tuple is "
			                  "prefixItems)");
		else
			compile_child(w, v, n, d->name, -1, depth);
		break;
	case SH_SCHEMA_ARRAY:
	schema_array:
		ok = json_object_get_type(v) == json_type_array &&
		     (json_object_array_length(v) > 0 || d->kw == KW_ITEMS ||
		      d->kw == KW_PREFIX_ITEMS);
		for (size_t i = 0; ok && i < json_object_array_length(v); i++)
			ok = is_schema_value(json_object_array_get_idx(v, i));
		if (!ok)
			problem(w, where, d->name, "must be a non-empty array of schemas");
		else
			for (size_t i = 0; i < json_object_array_length(v); i++)
				compile_child(w, json_object_array_get_idx(v, i), n, d->name,
				              (long)i, depth);
		break;
	case SH_SCHEMA_MAP:
	case SH_REGEX_MAP:
		ok = json_object_get_type(v) == json_type_object;
		if (ok) {
			json_object_object_foreach(v, key, sub)
			{
				(void)key;
				if (!is_schema_value(sub))
					ok = 0;
			}
		}
		if (!ok) {
			problem(w, where, d->name, "must be an object whose values are schemas");
			break;
		}
		if (d->shape == SH_REGEX_MAP) {
			size_t count = (size_t)json_object_object_length(v);
			n->pprops = calloc(count ? count : 1, sizeof *n->pprops);
			if (n->pprops == NULL) {
				w->oom = 1;
				ok = 0;
				break;
			}
			n->npprops = count;
			size_t i = 0;
			json_object_object_foreach(v, key, sub)
			{
				(void)sub;
				int rc = js_regex_compile(w->set, key, strlen(key), &n->pprops[i],
				                          why, sizeof why);
				if (rc < 0) {
					w->oom = 1;
					ok = 0;
					break;
				}
				if (rc > 0) {
					char *at = pointer_child(where, key);
					problem(w, at ? at : where, d->name,
					        "'%.100s' is not a valid regular expression: %s",
					        key, why);
					free(at);
				}
				i++;
			}
		}
		compile_map(w, v, n, d->name, depth);
		break;
	case SH_DEPENDENCIES:
		ok = json_object_get_type(v) == json_type_object;
		if (ok) {
			json_object_object_foreach(v, key, sub)
			{
				(void)key;
				if (!is_schema_value(sub) &&
				    !(json_object_get_type(sub) == json_type_array &&
				      strings_unique(sub)))
					ok = 0;
			}
		}
		if (!ok) {
			problem(w, where, d->name,
			        "must be an object whose values are schemas or arrays of unique "
			        "strings");
			break;
		}
		{
			json_object_object_foreach(v, key, sub)
			{
				if (!is_schema_value(sub))
					continue;
				char *q = pointer_child(where, key);
				if (q == NULL) {
					w->oom = 1;
					break;
				}
				compile(w, sub, n->base, n->dialect, q, 0, depth + 1);
				free(q);
			}
		}
		break;
	case SH_NUMBER:
		if (!(ok = is_number(v)))
			problem(w, where, d->name, "must be a number");
		break;
	case SH_POSITIVE:
		ok = is_number(v) && json_object_get_double(v) > 0;
		if (!ok)
			problem(w, where, d->name, "must be a number greater than 0");
		break;
	case SH_COUNT:
		if (!(ok = is_count(v)))
			problem(w, where, d->name, "must be a non-negative integer");
		break;
	case SH_BOOL:
		if (!(ok = json_object_get_type(v) == json_type_boolean))
			problem(w, where, d->name, "must be true or false");
		break;
	case SH_STRING:
		if (!(ok = json_object_get_type(v) == json_type_string))
			problem(w, where, d->name, "must be a string");
		break;
	case SH_ANCHOR:
		ok = json_object_get_type(v) == json_type_string &&
		     anchor_valid(json_object_get_string(v));
		if (!ok)
			problem(w, where, d->name,
			        "must be a name: a letter or '_', then letters, digits, '-', '.', "
			        "'_'");
		break;
	case SH_REGEX:
		if (!(ok = json_object_get_type(v) == json_type_string)) {
			problem(w, where, d->name, "must be a string");
			break;
		}
		int rc = js_regex_compile(w->set, json_object_get_string(v),
		                          (size_t)json_object_get_string_len(v), &n->pattern, why,
		                          sizeof why);
		if (rc < 0)
			w->oom = 1;
		else if (rc > 0)
			problem(w, where, d->name, "is not a valid regular expression: %s", why);
		ok = rc == 0;
		break;
	case SH_TYPE:
		if (json_object_get_type(v) == json_type_string) {
			n->types = type_bit(json_object_get_string(v));
			ok = n->types != 0;
		} else if (json_object_get_type(v) == json_type_array && strings_unique(v)) {
			for (size_t i = 0; ok && i < json_object_array_length(v); i++) {
				unsigned b = type_bit(
				        json_object_get_string(json_object_array_get_idx(v, i)));
				ok = b != 0;
				n->types |= b;
			}
		} else {
			ok = 0;
		}
		if (!ok)
			problem(w, where, d->name,
			        "must be a type name (null, boolean, object, array, number, "
			        "string, "
			        "integer) or an array of unique ones");
		break;
	case SH_ARRAY:
		if (!(ok = json_object_get_type(v) == json_type_array))
			problem(w, where, d->name, "must be an array");
		break;
	case SH_ANY:
		break;
	case SH_STRINGS:
		ok = json_object_get_type(v) == json_type_array && strings_unique(v);
		if (!ok)
			problem(w, where, d->name, "must be an array of unique strings");
		break;
	case SH_STRINGS_MAP:
		ok = json_object_get_type(v) == json_type_object;
		if (ok) {
			json_object_object_foreach(v, key, sub)
			{
				(void)key;
				if (json_object_get_type(sub) != json_type_array ||
				    !strings_unique(sub))
					ok = 0;
			}
		}
		if (!ok)
			problem(w, where, d->name,
			        "must be an object whose values are arrays of unique strings");
		break;
	}
	free(where);
	return ok;
}

/* Works out the node's dialect and base from "$schema" and "$id", naming it. */
static const char *
resource(struct walk *w, json_object *s, const char *base, enum jsonschema_dialect *dialect,
         const char *ptr, int root, struct js_node *n)
{
	json_object *v;
	int has_id = json_object_object_get_ex(s, "$id", &v) &&
	             json_object_get_type(v) == json_type_string;
	if ((root || has_id) && json_object_object_get_ex(s, "$schema", &v) &&
	    json_object_get_type(v) == json_type_string) {
		enum jsonschema_dialect d = dialect_named(json_object_get_string(v));
		if (d != 0)
			*dialect = d;
		else
			problem(w, ptr, "$schema",
			        "'%.200s' is not a supported dialect (draft 2020-12: "
			        "https://json-schema.org/draft/2020-12/schema; draft-07: "
			        "http://json-schema.org/draft-07/schema#)",
			        json_object_get_string(v));
	}
	/* In draft-07 "$ref" makes every other keyword, "$id" included, ignored. */
	if (!has_id ||
	    (*dialect == JSONSCHEMA_DRAFT_07 && json_object_object_get_ex(s, "$ref", NULL)))
		return base;
	json_object_object_get_ex(s, "$id", &v);
	const char *id = json_object_get_string(v);
	if (*dialect == JSONSCHEMA_DRAFT_07 && id[0] == '#') {
		if (id[1] != '\0')
			anchor_put(w, base, id + 1, n, ptr, "$id");
		return base;
	}
	char *abs = uri_resolve(base, id);
	if (abs == NULL) {
		w->oom = 1;
		return base;
	}
	char *hash = strchr(abs, '#');
	char *frag = NULL;
	if (hash != NULL) {
		*hash = '\0';
		frag = hash + 1;
	}
	char *nb = strdup(abs);
	const char *interned = nb ? intern(w->set, nb) : NULL;
	if (interned == NULL) {
		free(abs);
		w->oom = 1;
		return base;
	}
	name_put(w, interned, n, ptr, "$id");
	if (frag != NULL && *frag != '\0') {
		if (*dialect == JSONSCHEMA_DRAFT_07)
			anchor_put(w, interned, frag, n, ptr, "$id");
		else
			problem(w, ptr, "$id", "must not have a fragment (use $anchor)");
	}
	free(abs);
	return interned;
}

static struct js_node *
compile(struct walk *w, json_object *s, const char *base, enum jsonschema_dialect dialect,
        const char *ptr, int root, unsigned depth)
{
	if (!is_schema_value(s))
		return NULL;
	struct js_node *n = hash_get(w->set, s);
	if (n != NULL)
		return n;
	if (depth > JSONSCHEMA_MAX_DEPTH) {
		problem(w, ptr, "", "the schema is nested too deeply");
		return NULL;
	}
	n = calloc(1, sizeof *n);
	if (n == NULL || (n->pointer = strdup(ptr)) == NULL) {
		free(n);
		w->oom = 1;
		return NULL;
	}
	n->schema = s;
	n->doc = w->doc;
	n->boolean = -1;
	if (json_object_get_type(s) == json_type_boolean)
		n->boolean = json_object_get_boolean(s) ? 1 : 0;
	else
		base = resource(w, s, base, &dialect, ptr, root, n);
	n->base = base;
	n->dialect = dialect;
	if (hash_put(w->set, n) != 0) {
		node_free(n);
		w->oom = 1;
		return NULL;
	}
	if (n->boolean >= 0)
		return n;
	json_object_object_foreach(s, key, v)
	{
		const struct kwdef *d = kwdef_find(key);
		if (d == NULL || !(d->dialects & dialect))
			continue; /* an annotation, or another dialect's keyword */
		if (keyword(w, n, d, v, depth)) {
			n->has |= 1ULL << d->kw;
			n->kw[d->kw] = v;
		}
		if (w->oom)
			break;
	}
	if (dialect == JSONSCHEMA_2020_12) {
		if (js_has(n, KW_ANCHOR))
			anchor_put(w, base, json_object_get_string(n->kw[KW_ANCHOR]), n, ptr,
			           "$anchor");
		if (js_has(n, KW_DYNAMIC_ANCHOR))
			anchor_put(w, base, json_object_get_string(n->kw[KW_DYNAMIC_ANCHOR]), n,
			           ptr, "$dynamicAnchor");
	}
	return n;
}

int
jsonschema_set_add(struct jsonschema_set *set, const char *uri, json_object *doc)
{
	if (strchr(uri, '#') != NULL || name_get(set, uri) != NULL)
		return -1;
	if (set->ndocs == set->docs_cap) {
		size_t cap = set->docs_cap ? set->docs_cap * 2 : 8;
		struct js_doc **v = realloc(set->docs, cap * sizeof *v);
		if (v == NULL)
			return -1;
		set->docs = v;
		set->docs_cap = cap;
	}
	struct js_doc *d = calloc(1, sizeof *d);
	char *base = strdup(uri);
	const char *interned = base ? intern(set, base) : NULL;
	if (d == NULL || interned == NULL || (d->uri = strdup(uri)) == NULL) {
		free(d);
		return -1;
	}
	d->doc = json_object_get(doc);
	set->docs[set->ndocs++] = d;
	struct walk w = {set, d, 0};
	d->root = compile(&w, doc, interned, set->dialect, "", 1, 0);
	if (d->root == NULL && !w.oom)
		problem(&w, "", "", "a schema must be an object or a boolean");
	if (d->root != NULL)
		name_put(&w, uri, d->root, "", "$id");
	return w.oom ? -1 : 0;
}

static struct js_doc *
doc_find(struct jsonschema_set *set, const char *uri)
{
	for (size_t i = 0; i < set->ndocs; i++)
		if (strcmp(set->docs[i]->uri, uri) == 0)
			return set->docs[i];
	return NULL;
}

enum jsonschema_dialect
jsonschema_dialect_of(struct jsonschema_set *set, const char *uri)
{
	struct js_doc *d = doc_find(set, uri);
	return d && d->root ? d->root->dialect : 0;
}

struct js_node *
js_node_of(struct jsonschema_set *set, json_object *schema, const struct js_node *like)
{
	struct js_node *n = hash_get(set, schema);
	if (n != NULL || like == NULL)
		return n;
	struct walk w = {set, like->doc, 0};
	return compile(&w, schema, like->base, like->dialect, like->pointer, 0, 0);
}

/* Percent-decodes s in place; -1 for a bad or NUL escape. */
static int
percent_decode(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		if (*p != '%') {
			*o++ = *p;
			continue;
		}
		int hi = hex_value((unsigned char)p[1]),
		    lo = hi >= 0 ? hex_value((unsigned char)p[2]) : -1;
		if (lo < 0 || (hi | lo) == 0)
			return -1;
		*o++ = (char)(hi * 16 + lo);
		p += 2;
	}
	*o = '\0';
	return 0;
}

/* Follows a decoded JSON Pointer (RFC 6901) from v; NULL when it leads nowhere. */
static json_object *
pointer_walk(json_object *v, char *ptr, int *found)
{
	*found = 1;
	while (*ptr == '/') {
		char *tok = ptr + 1;
		char *end = strchr(tok, '/');
		char saved = end ? *end : '\0';
		if (end)
			*end = '\0';
		/* unescape ~1 then ~0 */
		char *o = tok;
		for (char *p = tok; *p; p++) {
			if (*p == '~' && p[1] == '1') {
				*o++ = '/';
				p++;
			} else if (*p == '~' && p[1] == '0') {
				*o++ = '~';
				p++;
			} else {
				*o++ = *p;
			}
		}
		*o = '\0';
		json_object *next = NULL;
		if (json_object_get_type(v) == json_type_object) {
			if (!json_object_object_get_ex(v, tok, &next))
				*found = 0;
		} else if (json_object_get_type(v) == json_type_array) {
			char *e;
			unsigned long long i = strtoull(tok, &e, 10);
			if (*tok < '0' || *tok > '9' || *e != '\0' || (tok[0] == '0' && tok[1]) ||
			    i >= json_object_array_length(v))
				*found = 0;
			else
				next = json_object_array_get_idx(v, (size_t)i);
		} else {
			*found = 0;
		}
		if (!*found)
			return NULL;
		v = next;
		if (end == NULL)
			return v;
		*end = saved;
		ptr = end;
	}
	if (*ptr != '\0')
		*found = 0;
	return v;
}

struct js_node *
js_lookup(struct jsonschema_set *set, const char *uri)
{
	const char *hash = strchr(uri, '#');
	if (hash == NULL || hash[1] == '\0') {
		if (hash == NULL)
			return name_get(set, uri);
		char *res = strndup(uri, (size_t)(hash - uri));
		struct js_node *n = res ? name_get(set, res) : NULL;
		free(res);
		return n;
	}
	if (hash[1] != '/')
		return name_get(set, uri); /* an anchor */
	char *res = strndup(uri, (size_t)(hash - uri));
	char *frag = strdup(hash + 1);
	struct js_node *root = res ? name_get(set, res) : NULL;
	struct js_node *n = NULL;
	if (root != NULL && frag != NULL && percent_decode(frag) == 0) {
		char *where = malloc(strlen(root->pointer) + strlen(frag) + 1);
		if (where != NULL) {
			strcpy(where, root->pointer);
			strcat(where, frag);
		}
		int found;
		json_object *target = pointer_walk(root->schema, frag, &found);
		if (found && where != NULL && is_schema_value(target)) {
			n = hash_get(set, target);
			if (n == NULL) {
				struct walk w = {set, root->doc, 0};
				n = compile(&w, target, root->base, root->dialect, where, 0, 0);
			}
		}
		free(where);
	}
	free(res);
	free(frag);
	return n;
}

struct js_node *
js_ref_target(struct jsonschema_set *set, struct js_node *n)
{
	if (n->ref_state != 0)
		return n->ref;
	json_object *v = js_has(n, KW_REF) ? n->kw[KW_REF] : n->kw[KW_DYNAMIC_REF];
	char *abs = uri_resolve(n->base, json_object_get_string(v));
	if (abs == NULL)
		return NULL; /* out of memory: tried again next time */
	n->ref = js_lookup(set, abs);
	n->ref_state = n->ref ? 1 : 2;
	free(abs);
	return n->ref;
}

static int
by_instance_path(const void *a, const void *b)
{
	const struct jsonschema_error *x = a, *y = b;
	return strcmp(x->instance_path, y->instance_path);
}

int
jsonschema_check(struct jsonschema_set *set, const char *uri, struct jsonschema_errors *out)
{
	struct js_doc *d = doc_find(set, uri);
	if (d == NULL)
		return -1;
	size_t before = out->total;
	for (size_t i = 0; i < d->problems.n; i++) {
		const struct jsonschema_error *e = &d->problems.v[i];
		if (jsonschema_errors_add(out, e->instance_path, e->schema_path, e->keyword,
		                          e->message))
			return -1;
	}
	/* Resolving may compile more nodes (and grow the hash): list first. */
	struct js_node **mine = malloc((set->nnodes + 1) * sizeof *mine);
	if (mine == NULL)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < set->nslots; i++)
		if (set->slots[i] != NULL && set->slots[i]->doc == d)
			mine[k++] = set->slots[i];
	struct jsonschema_errors refs;
	jsonschema_errors_init(&refs);
	int rc = 0;
	for (size_t i = 0; i < k && rc == 0; i++) {
		struct js_node *n = mine[i];
		char *where = NULL;
		char message[300];
		const char *kw = NULL;
		if (js_has(n, KW_DYNAMIC_REF)) {
			kw = "$dynamicRef";
			snprintf(message, sizeof message, "$dynamicRef is not supported; use $ref");
		} else if (js_has(n, KW_REF) && js_ref_target(set, n) == NULL) {
			kw = "$ref";
			snprintf(message, sizeof message,
			         "'%.200s' does not resolve to a schema of this service",
			         json_object_get_string(n->kw[KW_REF]));
		}
		if (kw == NULL)
			continue;
		where = pointer_child(n->pointer, kw);
		if (where == NULL || jsonschema_errors_add(&refs, where, "", kw, message) != 0)
			rc = -1;
		free(where);
	}
	free(mine);
	if (refs.n > 1)
		qsort(refs.v, refs.n, sizeof *refs.v, by_instance_path);
	for (size_t i = 0; i < refs.n && rc == 0; i++)
		if (jsonschema_errors_add(out, refs.v[i].instance_path, "", refs.v[i].keyword,
		                          refs.v[i].message) != 0)
			rc = -1;
	jsonschema_errors_clear(&refs);
	if (rc != 0)
		return -1;
	return out->total > before ? 1 : 0;
}

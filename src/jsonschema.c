/*
 * jsonschema.c: evaluation of an instance against compiled schema nodes
 * (jsonschema_doc.c builds them).
 *
 * One recursive walk, schema and instance side by side, with the path
 * into each kept as it goes (JSON Pointers), so every error says where it
 * is and which keyword found it. Keywords that only ask whether a
 * subschema matches (anyOf, oneOf, not, if, contains, propertyNames) mute
 * the errors below them and report one of their own. For
 * unevaluatedProperties/unevaluatedItems, an evaluation can be handed a
 * set of marks, one per member or item of the instance, and marks those
 * its keywords evaluated; a subschema applied in place gets marks of its
 * own, added to its parent's only when it matched, which is how the
 * specification lets annotations of failed subschemas fall away.
 */
#include "jsonschema_impl.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"

/* One flag per member (in json-c's order) or item of an instance. */
struct marks {
	unsigned char *v;
	size_t n;
};

struct ev {
	struct jsonschema_set *set;
	struct jsonschema_errors *out;
	char *ip; /* instance path */
	size_t iplen, ipcap;
	char *sp; /* schema path */
	size_t splen, spcap;
	unsigned depth;
	unsigned long steps;
	int mute;
	int stop; /* 1: a bound was reached; 2: out of memory (or GMP not loadable) */
};

static void
oom(struct ev *E)
{
	E->stop = 2;
}

/* Copies at most max bytes of s, cut on a UTF-8 character boundary. */
static const char *
clip(const char *s, size_t len, char *out, size_t cap)
{
	if (len + 1 <= cap) {
		memcpy(out, s, len);
		out[len] = '\0';
		return out;
	}
	size_t n = cap - 4;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	memcpy(out, s, n);
	memcpy(out + n, "...", 4);
	return out;
}

/* A value as compact JSON, clipped for a message. */
static const char *
show(json_object *v, char *out, size_t cap)
{
	size_t n = 0;
	const char *s = json_object_to_json_string_length(
	        v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	if (s == NULL)
		return "(value)";
	return clip(s, n, out, cap);
}

static void
vreport(struct ev *E, const char *kw, const char *fmt, va_list ap)
{
	char message[400];
	vsnprintf(message, sizeof message, fmt, ap);
	size_t keep = E->splen;
	if (*kw && js_pointer_push(&E->sp, &E->splen, &E->spcap, kw, strlen(kw)) != 0) {
		oom(E);
		return;
	}
	if (jsonschema_errors_add(E->out, E->ip, E->sp, *kw ? kw : "false", message) != 0)
		oom(E);
	E->splen = keep;
	E->sp[keep] = '\0';
}

/* An error at the current places, keyword kw appended to the schema path. */
static void report(struct ev *E, const char *kw, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void
report(struct ev *E, const char *kw, const char *fmt, ...)
{
	if (E->mute > 0 || E->stop)
		return;
	va_list ap;
	va_start(ap, fmt);
	vreport(E, kw, fmt, ap);
	va_end(ap);
}

/* Stops the validation with an error saying why, muted or not. */
static void
halt(struct ev *E, const char *why)
{
	if (E->stop)
		return;
	int mute = E->mute;
	E->mute = 0;
	report(E, "", "%s", why);
	E->mute = mute;
	if (!E->stop)
		E->stop = 1;
}

static size_t
ip_push(struct ev *E, const char *key, size_t n)
{
	size_t keep = E->iplen;
	if (js_pointer_push(&E->ip, &E->iplen, &E->ipcap, key, n) != 0)
		oom(E);
	return keep;
}

static size_t
ip_push_index(struct ev *E, size_t i)
{
	char t[24];
	int n = snprintf(t, sizeof t, "%zu", i);
	return ip_push(E, t, (size_t)n);
}

static void
ip_pop(struct ev *E, size_t keep)
{
	E->iplen = keep;
	E->ip[keep] = '\0';
}

static size_t
sp_push(struct ev *E, const char *token)
{
	size_t keep = E->splen;
	if (js_pointer_push(&E->sp, &E->splen, &E->spcap, token, strlen(token)) != 0)
		oom(E);
	return keep;
}

static size_t
sp_push2(struct ev *E, const char *token, const char *second)
{
	size_t keep = sp_push(E, token);
	if (js_pointer_push(&E->sp, &E->splen, &E->spcap, second, strlen(second)) != 0)
		oom(E);
	return keep;
}

static size_t
sp_push_index(struct ev *E, const char *token, size_t i)
{
	char t[24];
	snprintf(t, sizeof t, "%zu", i);
	return sp_push2(E, token, t);
}

static void
sp_pop(struct ev *E, size_t keep)
{
	E->splen = keep;
	E->sp[keep] = '\0';
}

/* A count keyword's value (a non-negative integer, checked at compile). */
static size_t
count_of(json_object *v)
{
	if (json_object_get_type(v) == json_type_int) {
		int64_t i = json_object_get_int64(v);
		return i < 0 ? 0 : (uint64_t)i > SIZE_MAX ? SIZE_MAX : (size_t)i;
	}
	double d = json_object_get_double(v);
	return d >= 1e18 ? SIZE_MAX : d <= 0 ? 0 : (size_t)d;
}

/* --- values ----------------------------------------------------------------- */

static int
is_num(json_object *v)
{
	json_type t = json_object_get_type(v);
	return t == json_type_int || t == json_type_double;
}

/* Kept out of line: a struct decimal is large, and eval() recurses. */
static __attribute__((noinline)) int
numbers_equal(json_object *a, json_object *b)
{
	if (json_object_get_type(a) == json_type_int && json_object_get_type(b) == json_type_int) {
		int64_t x = json_object_get_int64(a), y = json_object_get_int64(b);
		if (x != INT64_MAX && y != INT64_MAX)
			return x == y;
	}
	struct decimal x, y;
	if (decimal_from_json(a, &x) != 0 || decimal_from_json(b, &y) != 0)
		return json_object_get_double(a) == json_object_get_double(b);
	return decimal_cmp(&x, &y) == 0;
}

/* JSON equality: numbers by value, objects regardless of member order. */
static int
equal(json_object *a, json_object *b)
{
	if (is_num(a) && is_num(b))
		return numbers_equal(a, b);
	json_type t = json_object_get_type(a);
	if (t != json_object_get_type(b))
		return 0;
	switch (t) {
	case json_type_null:
		return 1;
	case json_type_boolean:
		return json_object_get_boolean(a) == json_object_get_boolean(b);
	case json_type_string:
		return json_object_get_string_len(a) == json_object_get_string_len(b) &&
		       memcmp(json_object_get_string(a), json_object_get_string(b),
		              (size_t)json_object_get_string_len(a)) == 0;
	case json_type_array: {
		size_t n = json_object_array_length(a);
		if (n != json_object_array_length(b))
			return 0;
		for (size_t i = 0; i < n; i++)
			if (!equal(json_object_array_get_idx(a, i),
			           json_object_array_get_idx(b, i)))
				return 0;
		return 1;
	}
	case json_type_object: {
		if (json_object_object_length(a) != json_object_object_length(b))
			return 0;
		json_object_object_foreach(a, key, va)
		{
			json_object *vb;
			if (!json_object_object_get_ex(b, key, &vb) || !equal(va, vb))
				return 0;
		}
		return 1;
	}
	default:
		return 0;
	}
}

static __attribute__((noinline)) unsigned
types_of(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return JT_NULL;
	case json_type_boolean:
		return JT_BOOLEAN;
	case json_type_object:
		return JT_OBJECT;
	case json_type_array:
		return JT_ARRAY;
	case json_type_string:
		return JT_STRING;
	case json_type_int:
		return JT_NUMBER | JT_INTEGER;
	case json_type_double: {
		struct decimal d;
		if (decimal_from_json(v, &d) == 0 && decimal_is_integer(&d))
			return JT_NUMBER | JT_INTEGER;
		return JT_NUMBER;
	}
	}
	return 0;
}

static void
type_names(unsigned bits, char *out, size_t cap)
{
	static const char *const names[] = {"null",   "boolean", "object", "array",
	                                    "number", "string",  "integer"};
	size_t o = 0;
	out[0] = '\0';
	for (unsigned i = 0; i < 7; i++) {
		if (!(bits & (1u << i)))
			continue;
		int n = snprintf(out + o, cap - o, "%s%s", o ? ", " : "", names[i]);
		if (n < 0 || (size_t)n >= cap - o)
			break;
		o += (size_t)n;
	}
}

/* --- evaluation -------------------------------------------------------------- */

static bool eval(struct ev *E, struct js_node *n, json_object *inst, struct marks *mk);

static struct js_node *
sub(struct ev *E, json_object *schema, const struct js_node *parent)
{
	struct js_node *s = js_node_of(E->set, schema, parent);
	if (s == NULL)
		oom(E);
	return s;
}

/* A subschema applied to the same instance: its marks count only when it matches. */
static bool
in_place(struct ev *E, struct js_node *s, json_object *inst, struct marks *mk)
{
	if (s == NULL)
		return false;
	if (mk == NULL)
		return eval(E, s, inst, NULL);
	struct marks own = {calloc(mk->n ? mk->n : 1, 1), mk->n};
	if (own.v == NULL) {
		oom(E);
		return false;
	}
	bool ok = eval(E, s, inst, &own);
	if (ok)
		for (size_t i = 0; i < mk->n; i++)
			mk->v[i] |= own.v[i];
	free(own.v);
	return ok;
}

static void
mark(struct marks *mk, size_t i)
{
	if (mk != NULL && i < mk->n)
		mk->v[i] = 1;
}

/* A member's or item's value against a subschema, at ip/key and sp/<pushed>. */
static bool
child(struct ev *E, json_object *schema, const struct js_node *parent, json_object *value)
{
	struct js_node *s = sub(E, schema, parent);
	return s != NULL && eval(E, s, value, NULL);
}

static bool
apply_ref(struct ev *E, struct js_node *n, json_object *inst, struct marks *mk)
{
	const char *kw = js_has(n, KW_REF) ? "$ref" : "$dynamicRef";
	struct js_node *t = js_ref_target(E->set, n);
	if (t == NULL) {
		char ref[200];
		json_object *v = n->kw[js_has(n, KW_REF) ? KW_REF : KW_DYNAMIC_REF];
		report(E, kw, "cannot resolve '%s' to a schema",
		       clip(json_object_get_string(v), (size_t)json_object_get_string_len(v), ref,
		            sizeof ref));
		return false;
	}
	size_t keep = sp_push(E, kw);
	bool ok = in_place(E, t, inst, mk);
	sp_pop(E, keep);
	return ok;
}

static __attribute__((noinline)) bool
check_number(struct ev *E, struct js_node *n, json_object *inst)
{
	static const struct {
		enum js_kw kw;
		const char *name;
		int fails_when; /* cmp(value, bound) result(s) that fail: -1 below, 1 above */
		bool or_equal;  /* equality fails too */
		const char *words;
	} bounds[] = {
	        {KW_MINIMUM, "minimum", -1, false, "greater than or equal to"},
	        {KW_EXCLUSIVE_MINIMUM, "exclusiveMinimum", -1, true, "greater than"},
	        {KW_MAXIMUM, "maximum", 1, false, "less than or equal to"},
	        {KW_EXCLUSIVE_MAXIMUM, "exclusiveMaximum", 1, true, "less than"},
	};
	struct decimal x, b;
	if (decimal_from_json(inst, &x) != 0)
		return true; /* not a number as JSON writes them: nothing to compare */
	bool ok = true;
	char shown[80];
	for (size_t i = 0; i < sizeof bounds / sizeof *bounds; i++) {
		if (!js_has(n, bounds[i].kw) || decimal_from_json(n->kw[bounds[i].kw], &b) != 0)
			continue;
		int c = decimal_cmp(&x, &b);
		if (c == bounds[i].fails_when || (c == 0 && bounds[i].or_equal)) {
			ok = false;
			report(E, bounds[i].name, "must be %s %s", bounds[i].words,
			       show(n->kw[bounds[i].kw], shown, sizeof shown));
		}
	}
	if (js_has(n, KW_MULTIPLE_OF) && decimal_from_json(n->kw[KW_MULTIPLE_OF], &b) == 0) {
		int m = decimal_is_multiple(&x, &b);
		if (m == -2) {
			/* GMP cannot be loaded: no answer, as when out of memory. */
			oom(E);
			return false;
		}
		if (m < 0) {
			/* Magnitudes too far apart to scale: the quotient in doubles. */
			double q = json_object_get_double(inst) /
			           json_object_get_double(n->kw[KW_MULTIPLE_OF]);
			m = isfinite(q) && q == floor(q);
		}
		if (!m) {
			ok = false;
			report(E, "multipleOf", "must be a multiple of %s",
			       show(n->kw[KW_MULTIPLE_OF], shown, sizeof shown));
		}
	}
	return ok;
}

static bool
check_string(struct ev *E, struct js_node *n, json_object *inst)
{
	bool ok = true;
	const char *s = json_object_get_string(inst);
	size_t len = (size_t)json_object_get_string_len(inst);
	if (js_has(n, KW_MIN_LENGTH) || js_has(n, KW_MAX_LENGTH)) {
		size_t chars = 0;
		for (size_t i = 0; i < len; i++)
			chars += ((unsigned char)s[i] & 0xC0) != 0x80;
		if (js_has(n, KW_MIN_LENGTH) && chars < count_of(n->kw[KW_MIN_LENGTH])) {
			ok = false;
			report(E, "minLength", "must be at least %zu character%s long (it has %zu)",
			       count_of(n->kw[KW_MIN_LENGTH]),
			       count_of(n->kw[KW_MIN_LENGTH]) == 1 ? "" : "s", chars);
		}
		if (js_has(n, KW_MAX_LENGTH) && chars > count_of(n->kw[KW_MAX_LENGTH])) {
			ok = false;
			report(E, "maxLength", "must be at most %zu character%s long (it has %zu)",
			       count_of(n->kw[KW_MAX_LENGTH]),
			       count_of(n->kw[KW_MAX_LENGTH]) == 1 ? "" : "s", chars);
		}
	}
	if (js_has(n, KW_PATTERN) && n->pattern != NULL) {
		int m = js_regex_match(E->set, n->pattern, s, len);
		char shown[120];
		json_object *p = n->kw[KW_PATTERN];
		clip(json_object_get_string(p), (size_t)json_object_get_string_len(p), shown,
		     sizeof shown);
		if (m == 0) {
			ok = false;
			report(E, "pattern", "must match the pattern %s", shown);
		} else if (m < 0) {
			ok = false;
			report(E, "pattern", "matching the pattern %s gave up (too much work)",
			       shown);
		}
	}
	return ok;
}

/* Items from `from` on against schema s (keyword kw). */
static bool
items_from(struct ev *E, struct js_node *n, json_object *inst, size_t from, enum js_kw k,
           const char *kw, struct marks *mk)
{
	size_t len = json_object_array_length(inst);
	if (from >= len)
		return true;
	struct js_node *s = sub(E, n->kw[k], n);
	if (s == NULL)
		return false;
	bool ok = true;
	if (s->boolean == 0) {
		for (size_t i = from; i < len; i++) {
			size_t ik = ip_push_index(E, i);
			report(E, kw, "no item is allowed here: at most %zu items", from);
			ip_pop(E, ik);
		}
		return false;
	}
	size_t sk = sp_push(E, kw);
	for (size_t i = from; i < len && !E->stop; i++) {
		size_t ik = ip_push_index(E, i);
		if (!eval(E, s, json_object_array_get_idx(inst, i), NULL))
			ok = false;
		ip_pop(E, ik);
		mark(mk, i);
	}
	sp_pop(E, sk);
	return ok;
}

/* Items 0.. against the array of schemas of keyword k; returns how many there are. */
static bool
items_tuple(struct ev *E, struct js_node *n, json_object *inst, enum js_kw k, const char *kw,
            size_t *count, struct marks *mk)
{
	json_object *schemas = n->kw[k];
	size_t m = json_object_array_length(schemas), len = json_object_array_length(inst);
	*count = m;
	bool ok = true;
	for (size_t i = 0; i < m && i < len && !E->stop; i++) {
		size_t sk = sp_push_index(E, kw, i), ik = ip_push_index(E, i);
		if (!child(E, json_object_array_get_idx(schemas, i), n,
		           json_object_array_get_idx(inst, i)))
			ok = false;
		ip_pop(E, ik);
		sp_pop(E, sk);
		mark(mk, i);
	}
	return ok;
}

static bool
check_array(struct ev *E, struct js_node *n, json_object *inst, struct marks *mk)
{
	bool ok = true;
	size_t len = json_object_array_length(inst);
	if (js_has(n, KW_MIN_ITEMS) && len < count_of(n->kw[KW_MIN_ITEMS])) {
		ok = false;
		report(E, "minItems", "must have at least %zu items (it has %zu)",
		       count_of(n->kw[KW_MIN_ITEMS]), len);
	}
	if (js_has(n, KW_MAX_ITEMS) && len > count_of(n->kw[KW_MAX_ITEMS])) {
		ok = false;
		report(E, "maxItems", "must have at most %zu items (it has %zu)",
		       count_of(n->kw[KW_MAX_ITEMS]), len);
	}
	if (js_has(n, KW_UNIQUE_ITEMS) && json_object_get_boolean(n->kw[KW_UNIQUE_ITEMS])) {
		for (size_t j = 1; j < len && !E->stop; j++) {
			E->steps += j;
			if (E->steps > JSONSCHEMA_MAX_STEPS) {
				halt(E, "validation stopped: it would take too much work");
				return false;
			}
			for (size_t i = 0; i < j; i++) {
				if (!equal(json_object_array_get_idx(inst, i),
				           json_object_array_get_idx(inst, j)))
					continue;
				ok = false;
				size_t ik = ip_push_index(E, j);
				report(E, "uniqueItems",
				       "must not repeat item %zu (items must be unique)", i);
				ip_pop(E, ik);
				break;
			}
		}
	}
	size_t from = 0;
	if (n->dialect == JSONSCHEMA_DRAFT_07) {
		if (js_has(n, KW_ITEMS)) {
			if (json_object_get_type(n->kw[KW_ITEMS]) == json_type_array) {
				ok &= items_tuple(E, n, inst, KW_ITEMS, "items", &from, mk);
				if (js_has(n, KW_ADDITIONAL_ITEMS))
					ok &= items_from(E, n, inst, from, KW_ADDITIONAL_ITEMS,
					                 "additionalItems", mk);
			} else {
				ok &= items_from(E, n, inst, 0, KW_ITEMS, "items", mk);
			}
		}
	} else {
		if (js_has(n, KW_PREFIX_ITEMS))
			ok &= items_tuple(E, n, inst, KW_PREFIX_ITEMS, "prefixItems", &from, mk);
		if (js_has(n, KW_ITEMS))
			ok &= items_from(E, n, inst, from, KW_ITEMS, "items", mk);
	}
	if (js_has(n, KW_CONTAINS)) {
		struct js_node *s = sub(E, n->kw[KW_CONTAINS], n);
		if (s == NULL)
			return false;
		size_t matched = 0;
		E->mute++;
		for (size_t i = 0; i < len && !E->stop; i++) {
			if (eval(E, s, json_object_array_get_idx(inst, i), NULL)) {
				matched++;
				if (n->dialect == JSONSCHEMA_2020_12)
					mark(mk, i);
			}
		}
		E->mute--;
		bool d12 = n->dialect == JSONSCHEMA_2020_12;
		size_t min =
		        d12 && js_has(n, KW_MIN_CONTAINS) ? count_of(n->kw[KW_MIN_CONTAINS]) : 1;
		if (matched < min) {
			ok = false;
			if (min == 1)
				report(E, "contains",
				       "must contain an item that matches the schema in contains");
			else
				report(E, "minContains",
				       "must contain at least %zu items that match the schema in "
				       "contains (it has %zu)",
				       min, matched);
		}
		if (d12 && js_has(n, KW_MAX_CONTAINS) &&
		    matched > count_of(n->kw[KW_MAX_CONTAINS])) {
			ok = false;
			report(E, "maxContains",
			       "must contain at most %zu items that match the schema in contains "
			       "(it has %zu)",
			       count_of(n->kw[KW_MAX_CONTAINS]), matched);
		}
	}
	return ok;
}

static bool
check_required(struct ev *E, json_object *inst, json_object *names, const char *kw,
               const char *because)
{
	bool ok = true;
	char a[120], b[120];
	for (size_t i = 0; i < json_object_array_length(names); i++) {
		json_object *r = json_object_array_get_idx(names, i);
		if (json_object_object_get_ex(inst, json_object_get_string(r), NULL))
			continue;
		ok = false;
		clip(json_object_get_string(r), (size_t)json_object_get_string_len(r), a, sizeof a);
		if (because == NULL)
			report(E, kw, "must have the property '%s'", a);
		else
			report(E, kw, "must have the property '%s' since it has '%s'", a,
			       clip(because, strlen(because), b, sizeof b));
	}
	return ok;
}

/* properties, patternProperties and additionalProperties, member by member. */
static bool
check_members(struct ev *E, struct js_node *n, json_object *inst, struct marks *mk)
{
	json_object *props = js_has(n, KW_PROPERTIES) ? n->kw[KW_PROPERTIES] : NULL;
	json_object *pp = js_has(n, KW_PATTERN_PROPERTIES) ? n->kw[KW_PATTERN_PROPERTIES] : NULL;
	struct js_node *addl = js_has(n, KW_ADDITIONAL_PROPERTIES)
	                               ? sub(E, n->kw[KW_ADDITIONAL_PROPERTIES], n)
	                               : NULL;
	if (props == NULL && pp == NULL && addl == NULL)
		return true;
	bool ok = true;
	size_t idx = 0;
	json_object_object_foreach(inst, key, val)
	{
		if (E->stop)
			return false;
		size_t klen = strlen(key);
		bool matched = false;
		json_object *s;
		size_t ik = ip_push(E, key, klen);
		if (props != NULL && json_object_object_get_ex(props, key, &s)) {
			matched = true;
			size_t sk = sp_push2(E, "properties", key);
			ok &= child(E, s, n, val);
			sp_pop(E, sk);
		}
		if (pp != NULL) {
			size_t j = 0;
			json_object_object_foreach(pp, pkey, psub)
			{
				if (j < n->npprops && n->pprops[j] != NULL) {
					int m = js_regex_match(E->set, n->pprops[j], key, klen);
					if (m != 0) {
						matched = true;
						size_t sk = sp_push2(E, "patternProperties", pkey);
						if (m < 0) {
							ok = false;
							report(E, "",
							       "matching the pattern gave up (too "
							       "much work)");
						} else {
							ok &= child(E, psub, n, val);
						}
						sp_pop(E, sk);
					}
				}
				j++;
			}
		}
		if (!matched && addl != NULL) {
			matched = true;
			if (addl->boolean == 0) {
				char shown[120];
				ok = false;
				report(E, "additionalProperties", "property '%s' is not allowed",
				       clip(key, klen, shown, sizeof shown));
			} else {
				size_t sk = sp_push(E, "additionalProperties");
				ok &= eval(E, addl, val, NULL);
				sp_pop(E, sk);
			}
		}
		ip_pop(E, ik);
		if (matched)
			mark(mk, idx);
		idx++;
	}
	return ok;
}

/* dependentSchemas (2020-12) or the schema members of dependencies (draft-07). */
static bool
check_dependents(struct ev *E, struct js_node *n, json_object *inst, enum js_kw k, const char *kw,
                 struct marks *mk)
{
	bool ok = true;
	json_object_object_foreach(n->kw[k], prop, dep)
	{
		if (!json_object_object_get_ex(inst, prop, NULL))
			continue;
		if (json_object_get_type(dep) == json_type_array) {
			ok &= check_required(E, inst, dep, kw, prop);
			continue;
		}
		size_t sk = sp_push2(E, kw, prop);
		ok &= in_place(E, sub(E, dep, n), inst, mk);
		sp_pop(E, sk);
	}
	return ok;
}

static bool
check_object(struct ev *E, struct js_node *n, json_object *inst, struct marks *mk)
{
	bool ok = true;
	size_t count = (size_t)json_object_object_length(inst);
	if (js_has(n, KW_MIN_PROPERTIES) && count < count_of(n->kw[KW_MIN_PROPERTIES])) {
		ok = false;
		report(E, "minProperties", "must have at least %zu properties (it has %zu)",
		       count_of(n->kw[KW_MIN_PROPERTIES]), count);
	}
	if (js_has(n, KW_MAX_PROPERTIES) && count > count_of(n->kw[KW_MAX_PROPERTIES])) {
		ok = false;
		report(E, "maxProperties", "must have at most %zu properties (it has %zu)",
		       count_of(n->kw[KW_MAX_PROPERTIES]), count);
	}
	if (js_has(n, KW_REQUIRED))
		ok &= check_required(E, inst, n->kw[KW_REQUIRED], "required", NULL);
	ok &= check_members(E, n, inst, mk);
	if (js_has(n, KW_PROPERTY_NAMES)) {
		struct js_node *s = sub(E, n->kw[KW_PROPERTY_NAMES], n);
		json_object_object_foreach(inst, key, val)
		{
			(void)val;
			if (s == NULL || E->stop)
				break;
			json_object *name = json_object_new_string(key);
			if (name == NULL) {
				oom(E);
				break;
			}
			E->mute++;
			bool good = eval(E, s, name, NULL);
			E->mute--;
			json_object_put(name);
			if (!good && !E->stop) {
				char shown[120];
				ok = false;
				report(E, "propertyNames",
				       "property name '%s' does not match the schema in "
				       "propertyNames",
				       clip(key, strlen(key), shown, sizeof shown));
			}
		}
	}
	if (js_has(n, KW_DEPENDENT_REQUIRED)) {
		json_object_object_foreach(n->kw[KW_DEPENDENT_REQUIRED], prop, names)
		{
			if (json_object_object_get_ex(inst, prop, NULL))
				ok &= check_required(E, inst, names, "dependentRequired", prop);
		}
	}
	if (js_has(n, KW_DEPENDENT_SCHEMAS))
		ok &= check_dependents(E, n, inst, KW_DEPENDENT_SCHEMAS, "dependentSchemas", mk);
	if (js_has(n, KW_DEPENDENCIES))
		ok &= check_dependents(E, n, inst, KW_DEPENDENCIES, "dependencies", mk);
	return ok;
}

static bool
check_combinators(struct ev *E, struct js_node *n, json_object *inst, struct marks *mk)
{
	bool ok = true;
	if (js_has(n, KW_ALL_OF)) {
		json_object *a = n->kw[KW_ALL_OF];
		for (size_t i = 0; i < json_object_array_length(a) && !E->stop; i++) {
			size_t sk = sp_push_index(E, "allOf", i);
			ok &= in_place(E, sub(E, json_object_array_get_idx(a, i), n), inst, mk);
			sp_pop(E, sk);
		}
	}
	if (js_has(n, KW_ANY_OF)) {
		json_object *a = n->kw[KW_ANY_OF];
		size_t m = json_object_array_length(a), matched = 0;
		E->mute++;
		for (size_t i = 0; i < m && !E->stop; i++) {
			if (in_place(E, sub(E, json_object_array_get_idx(a, i), n), inst, mk)) {
				matched++;
				if (mk == NULL)
					break; /* nobody needs the others' annotations */
			}
		}
		E->mute--;
		if (matched == 0) {
			ok = false;
			report(E, "anyOf", "must match at least one of the %zu schemas in anyOf",
			       m);
		}
	}
	if (js_has(n, KW_ONE_OF)) {
		json_object *a = n->kw[KW_ONE_OF];
		size_t m = json_object_array_length(a);
		long first = -1, second = -1;
		E->mute++;
		for (size_t i = 0; i < m && !E->stop; i++) {
			if (!in_place(E, sub(E, json_object_array_get_idx(a, i), n), inst, mk))
				continue;
			if (first < 0) {
				first = (long)i;
			} else {
				second = (long)i;
				break;
			}
		}
		E->mute--;
		if (first < 0) {
			ok = false;
			report(E, "oneOf",
			       "must match exactly one of the %zu schemas in oneOf (it matches "
			       "none)",
			       m);
		} else if (second >= 0) {
			ok = false;
			report(E, "oneOf",
			       "must match exactly one of the %zu schemas in oneOf (it matches %ld "
			       "and %ld)",
			       m, first, second);
		}
	}
	if (js_has(n, KW_NOT)) {
		E->mute++;
		bool matched = eval(E, sub(E, n->kw[KW_NOT], n), inst, NULL);
		E->mute--;
		if (matched && !E->stop) {
			ok = false;
			report(E, "not", "must not match the schema in not");
		}
	}
	if (js_has(n, KW_IF)) {
		E->mute++;
		bool cond = in_place(E, sub(E, n->kw[KW_IF], n), inst, mk);
		E->mute--;
		enum js_kw branch = cond ? KW_THEN : KW_ELSE;
		if (js_has(n, branch) && !E->stop) {
			size_t sk = sp_push(E, cond ? "then" : "else");
			ok &= in_place(E, sub(E, n->kw[branch], n), inst, mk);
			sp_pop(E, sk);
		}
	}
	return ok;
}

static bool
check_unevaluated(struct ev *E, struct js_node *n, json_object *inst, struct marks *mk)
{
	bool ok = true;
	json_type t = json_object_get_type(inst);
	if (t == json_type_object && js_has(n, KW_UNEVALUATED_PROPERTIES)) {
		struct js_node *s = sub(E, n->kw[KW_UNEVALUATED_PROPERTIES], n);
		size_t idx = 0;
		json_object_object_foreach(inst, key, val)
		{
			if (s == NULL || E->stop)
				return false;
			if (!mk->v[idx]) {
				size_t klen = strlen(key), ik = ip_push(E, key, klen);
				if (s->boolean == 0) {
					char shown[120];
					ok = false;
					report(E, "unevaluatedProperties",
					       "property '%s' is not allowed (no other keyword of "
					       "the "
					       "schema covers it)",
					       clip(key, klen, shown, sizeof shown));
				} else {
					size_t sk = sp_push(E, "unevaluatedProperties");
					ok &= eval(E, s, val, NULL);
					sp_pop(E, sk);
				}
				ip_pop(E, ik);
				mk->v[idx] = 1;
			}
			idx++;
		}
	}
	if (t == json_type_array && js_has(n, KW_UNEVALUATED_ITEMS)) {
		struct js_node *s = sub(E, n->kw[KW_UNEVALUATED_ITEMS], n);
		size_t len = json_object_array_length(inst);
		for (size_t i = 0; i < len && s != NULL && !E->stop; i++) {
			if (mk->v[i])
				continue;
			size_t ik = ip_push_index(E, i);
			if (s->boolean == 0) {
				ok = false;
				report(E, "unevaluatedItems",
				       "item %zu is not allowed (no other keyword of the schema "
				       "covers it)",
				       i);
			} else {
				size_t sk = sp_push(E, "unevaluatedItems");
				ok &= eval(E, s, json_object_array_get_idx(inst, i), NULL);
				sp_pop(E, sk);
			}
			ip_pop(E, ik);
			mk->v[i] = 1;
		}
	}
	return ok;
}

static bool
eval_keywords(struct ev *E, struct js_node *n, json_object *inst, struct marks *mk)
{
	/* In draft-07 "$ref" stands alone: its siblings are ignored. */
	if (n->dialect == JSONSCHEMA_DRAFT_07 && js_has(n, KW_REF))
		return apply_ref(E, n, inst, mk);
	bool ok = true;
	/* Muted, with no annotations wanted, the first failure decides. */
#define DECIDED (!ok && E->mute > 0 && mk == NULL) || E->stop
	if (js_has(n, KW_REF) || js_has(n, KW_DYNAMIC_REF))
		ok &= apply_ref(E, n, inst, mk);
	if (DECIDED)
		return false;
	if (js_has(n, KW_TYPE) && !(n->types & types_of(inst))) {
		char want[80], got[40];
		type_names(n->types, want, sizeof want);
		unsigned have = types_of(inst);
		type_names(have & JT_INTEGER ? JT_INTEGER : have, got, sizeof got);
		ok = false;
		report(E, "type", "must be of type %s (it is %s)", want, got);
	}
	if (js_has(n, KW_ENUM)) {
		json_object *a = n->kw[KW_ENUM];
		bool found = false;
		for (size_t i = 0; i < json_object_array_length(a) && !found; i++)
			found = equal(inst, json_object_array_get_idx(a, i));
		if (!found) {
			char shown[200];
			ok = false;
			report(E, "enum", "must be one of %s", show(a, shown, sizeof shown));
		}
	}
	if (js_has(n, KW_CONST) && !equal(inst, n->kw[KW_CONST])) {
		char shown[200];
		ok = false;
		report(E, "const", "must be %s", show(n->kw[KW_CONST], shown, sizeof shown));
	}
	if (DECIDED)
		return false;
	switch (json_object_get_type(inst)) {
	case json_type_int:
	case json_type_double:
		ok &= check_number(E, n, inst);
		break;
	case json_type_string:
		ok &= check_string(E, n, inst);
		break;
	case json_type_array:
		ok &= check_array(E, n, inst, mk);
		break;
	case json_type_object:
		ok &= check_object(E, n, inst, mk);
		break;
	default:
		break;
	}
	if (DECIDED)
		return false;
	ok &= check_combinators(E, n, inst, mk);
	if (n->dialect == JSONSCHEMA_2020_12 && mk != NULL && !E->stop)
		ok &= check_unevaluated(E, n, inst, mk);
#undef DECIDED
	return ok && !E->stop;
}

static size_t
members(json_object *inst)
{
	switch (json_object_get_type(inst)) {
	case json_type_object:
		return (size_t)json_object_object_length(inst);
	case json_type_array:
		return json_object_array_length(inst);
	default:
		return 0;
	}
}

static bool
eval(struct ev *E, struct js_node *n, json_object *inst, struct marks *mk)
{
	if (E->stop || n == NULL)
		return false;
	if (++E->steps > JSONSCHEMA_MAX_STEPS) {
		halt(E, "validation stopped: it would take too much work");
		return false;
	}
	if (n->boolean == 1)
		return true;
	if (n->boolean == 0) {
		report(E, "", "no value is allowed here (the schema is false)");
		return false;
	}
	if (E->depth >= JSONSCHEMA_MAX_DEPTH) {
		halt(E, "validation stopped: schemas nested too deeply (a $ref loop?)");
		return false;
	}
	/* unevaluated* need the marks of this very schema object. */
	struct marks own = {NULL, 0};
	json_type t = json_object_get_type(inst);
	if (mk == NULL && n->dialect == JSONSCHEMA_2020_12 &&
	    ((t == json_type_object && js_has(n, KW_UNEVALUATED_PROPERTIES)) ||
	     (t == json_type_array && js_has(n, KW_UNEVALUATED_ITEMS)))) {
		own.n = members(inst);
		own.v = calloc(own.n ? own.n : 1, 1);
		if (own.v == NULL) {
			oom(E);
			return false;
		}
		mk = &own;
	}
	/* Marks only describe objects and arrays. */
	if (t != json_type_object && t != json_type_array)
		mk = NULL;
	E->depth++;
	bool ok = eval_keywords(E, n, inst, mk);
	E->depth--;
	free(own.v);
	return ok;
}

int
jsonschema_validate(struct jsonschema_set *set, const char *uri, json_object *instance,
                    struct jsonschema_errors *out)
{
	struct ev E = {.set = set, .out = out};
	E.ip = calloc(1, 64);
	E.sp = calloc(1, 64);
	E.ipcap = E.spcap = 64;
	if (E.ip == NULL || E.sp == NULL) {
		free(E.ip);
		free(E.sp);
		return -1;
	}
	struct js_node *root = js_lookup(set, uri);
	bool ok;
	if (root == NULL) {
		char shown[200];
		report(&E, "$ref", "no schema is known as '%s'",
		       clip(uri, strlen(uri), shown, sizeof shown));
		ok = false;
	} else {
		ok = eval(&E, root, instance, NULL);
	}
	free(E.ip);
	free(E.sp);
	if (E.stop == 2)
		return -1;
	return ok ? 0 : 1;
}

/*
 * mergepatch.c: RFC 7396 section 2's MergePatch, as text edits.
 *
 * The config's text is read as spans (where each member's key and value
 * begin and end); the patch, a json-c tree, is walked as the RFC's
 * pseudo-code walks it, and each step that changes something becomes an
 * edit of the text: a span replaced, removed, or text inserted at a
 * point. Edits never overlap, so once sorted they are applied in one pass
 * that copies every byte between them unchanged. Written here because no
 * JSON library we could use edits text in place: json-c (like the others)
 * writes a whole tree out again in its own layout.
 *
 * The text has passed jsonbody_validate, so the span scanner below trusts
 * its structure (strings close, brackets match, nesting is bounded) and
 * only keeps within its end.
 */
#include "mergepatch.h"

#include <stdlib.h>
#include <string.h>

#include "jsonbody.h"

/* One member of an object in the text: [key_start, key_end) includes the quotes. */
struct member {
	size_t key_start, key_end, value_start, value_end;
};

struct edit {
	size_t start, end; /* replaced span; start == end: an insertion */
	char *text;
	size_t len;
};

/* How the file is laid out, from its top-level object. */
struct style {
	bool multiline; /* members on lines of their own */
	char step[16];  /* one indentation step ("  ", "\t", ...) */
	char colon[16]; /* between a key and its value (": ", ":") */
	char comma[16]; /* between members on one line (", ", ",") */
};

struct patcher {
	const char *text;
	size_t len;
	struct style style;
	struct edit *edits;
	size_t n_edits, cap_edits;
	json_object *diff;
	struct buf path; /* the JSON Pointer of the object being patched */
	bool failed;     /* out of memory */
};

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t
skip_blank(const struct patcher *pt, size_t i)
{
	while (i < pt->len && is_blank(pt->text[i]))
		i++;
	return i;
}

static size_t
skip_string(const struct patcher *pt, size_t i)
{
	for (i++; i < pt->len && pt->text[i] != '"'; i++)
		if (pt->text[i] == '\\')
			i++;
	return i + 1;
}

/* The end of the value starting at i. */
static size_t
skip_value(const struct patcher *pt, size_t i)
{
	char c = pt->text[i];
	if (c == '"')
		return skip_string(pt, i);
	if (c == '{' || c == '[') {
		int depth = 0;
		for (; i < pt->len; i++) {
			char d = pt->text[i];
			if (d == '"') {
				i = skip_string(pt, i) - 1;
			} else if (d == '{' || d == '[') {
				depth++;
			} else if (d == '}' || d == ']') {
				if (--depth == 0)
					return i + 1;
			}
		}
		return pt->len;
	}
	while (i < pt->len && !is_blank(pt->text[i]) && pt->text[i] != ',' && pt->text[i] != '}' &&
	       pt->text[i] != ']')
		i++;
	return i;
}

/*
 * The members of the object whose '{' is at open, in a malloc'ed array
 * (*out, NULL when empty); *close is the offset of its '}'.
 */
static int
scan_object(const struct patcher *pt, size_t open, struct member **out, size_t *n, size_t *close)
{
	*out = NULL;
	*n = 0;
	size_t cap = 0;
	size_t i = skip_blank(pt, open + 1);
	while (i < pt->len && pt->text[i] != '}') {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			struct member *m = realloc(*out, cap * sizeof *m);
			if (m == NULL) {
				free(*out);
				*out = NULL;
				return -1;
			}
			*out = m;
		}
		struct member *m = &(*out)[(*n)++];
		m->key_start = i;
		m->key_end = skip_string(pt, i);
		m->value_start = skip_blank(pt, skip_blank(pt, m->key_end) + 1);
		m->value_end = skip_value(pt, m->value_start);
		i = skip_blank(pt, m->value_end);
		if (i < pt->len && pt->text[i] == ',')
			i = skip_blank(pt, i + 1);
	}
	*close = i;
	return 0;
}

/* Copies text[a..b) into dst (of size cap), cut to fit. */
static void
copy_span(char *dst, size_t cap, const char *text, size_t a, size_t b)
{
	size_t n = b - a < cap - 1 ? b - a : cap - 1;
	memcpy(dst, text + a, n);
	dst[n] = '\0';
}

/* The whitespace that starts the line holding offset i. */
static void
line_indent(const struct patcher *pt, size_t i, struct buf *out)
{
	size_t start = i;
	while (start > 0 && pt->text[start - 1] != '\n')
		start--;
	size_t end = start;
	while (end < i && (pt->text[end] == ' ' || pt->text[end] == '\t'))
		end++;
	buf_append(out, pt->text + start, end - start);
}

static void
read_style(struct patcher *pt, size_t open)
{
	struct style *st = &pt->style;
	struct member *m;
	size_t n, close;
	st->multiline = true;
	strcpy(st->step, "  ");
	strcpy(st->colon, ": ");
	strcpy(st->comma, ", ");
	if (scan_object(pt, open, &m, &n, &close) != 0) {
		pt->failed = true;
		return;
	}
	if (n > 0) {
		const char *lead = pt->text + open + 1;
		size_t lead_len = m[0].key_start - open - 1;
		const char *nl = memrchr(lead, '\n', lead_len);
		st->multiline = nl != NULL;
		if (nl != NULL) {
			size_t step = (size_t)(lead + lead_len - nl - 1);
			if (step > 0 && step < sizeof st->step)
				copy_span(st->step, sizeof st->step, pt->text,
				          m[0].key_start - step, m[0].key_start);
		}
		char colon[16];
		copy_span(colon, sizeof colon, pt->text, m[0].key_end, m[0].value_start);
		if (m[0].value_start - m[0].key_end < sizeof colon)
			strcpy(st->colon, colon);
		if (n > 1 && !st->multiline && m[1].key_start - m[0].value_end < sizeof st->comma)
			copy_span(st->comma, sizeof st->comma, pt->text, m[0].value_end,
			          m[1].key_start);
		else if (!st->multiline)
			strcpy(st->comma, strchr(colon, ' ') ? ", " : ",");
	}
	free(m);
}

static int
add_edit(struct patcher *pt, size_t start, size_t end, struct buf *text)
{
	if (pt->n_edits == pt->cap_edits) {
		size_t cap = pt->cap_edits ? pt->cap_edits * 2 : 16;
		struct edit *e = realloc(pt->edits, cap * sizeof *e);
		if (e == NULL) {
			buf_free(text);
			pt->failed = true;
			return -1;
		}
		pt->edits = e;
		pt->cap_edits = cap;
	}
	struct edit *e = &pt->edits[pt->n_edits++];
	e->start = start;
	e->end = end;
	e->len = text ? text->len : 0;
	e->text = text ? text->data : NULL;
	if (text)
		buf_init(text); /* handed over */
	return 0;
}

/* A key or string as JSON text, escaped as json-c escapes. */
static int
append_string(struct buf *out, const char *s, size_t len)
{
	json_object *o = json_object_new_string_len(s, (int)len);
	if (o == NULL)
		return -1;
	size_t n;
	const char *t = json_object_to_json_string_length(
	        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	int rc = t ? buf_append(out, t, n) : -1;
	json_object_put(o);
	return rc;
}

/* A value in the file's style; indent: the whitespace of the line it starts on. */
static int
render(const struct patcher *pt, struct buf *out, json_object *v, const char *indent)
{
	const struct style *st = &pt->style;
	enum json_type t = json_object_get_type(v);
	if (t != json_type_object && t != json_type_array) {
		size_t n;
		const char *s = json_object_to_json_string_length(
		        v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
		return s ? buf_append(out, s, n) : -1;
	}
	bool object = t == json_type_object;
	size_t count = object ? (size_t)json_object_object_length(v) : json_object_array_length(v);
	if (count == 0)
		return buf_puts(out, object ? "{}" : "[]");
	struct buf inner;
	buf_init(&inner);
	int rc = buf_printf(&inner, "%s%s", indent, st->step);
	rc |= buf_puts(out, object ? "{" : "[");
	size_t i = 0;
	if (object) {
		json_object_object_foreach(v, key, child)
		{
			if (i++ > 0)
				rc |= buf_puts(out, st->multiline ? "," : st->comma);
			if (st->multiline)
				rc |= buf_printf(out, "\n%s", inner.data ? inner.data : "");
			rc |= append_string(out, key, strlen(key));
			rc |= buf_puts(out, st->colon);
			rc |= render(pt, out, child, inner.data ? inner.data : "");
		}
	} else {
		for (; i < count; i++) {
			if (i > 0)
				rc |= buf_puts(out, st->multiline ? "," : st->comma);
			if (st->multiline)
				rc |= buf_printf(out, "\n%s", inner.data ? inner.data : "");
			rc |= render(pt, out, json_object_array_get_idx(v, i),
			             inner.data ? inner.data : "");
		}
	}
	if (st->multiline)
		rc |= buf_printf(out, "\n%s", indent);
	rc |= buf_puts(out, object ? "}" : "]");
	buf_free(&inner);
	return rc == 0 ? 0 : -1;
}

/*
 * MergePatch({}, v): v without its null members, at every depth of
 * objects (arrays are values and are kept whole). A new reference.
 */
static json_object *
without_nulls(json_object *v)
{
	if (!json_object_is_type(v, json_type_object))
		return json_object_get(v);
	json_object *o = json_object_new_object();
	if (o == NULL)
		return NULL;
	json_object_object_foreach(v, key, child)
	{
		if (child == NULL)
			continue;
		json_object *c = without_nulls(child);
		if (c == NULL || json_object_object_add(o, key, c) != 0) {
			json_object_put(c);
			json_object_put(o);
			return NULL;
		}
	}
	return o;
}

/* Equal values: numbers by their text, strings by their characters. */
static bool
same_value(json_object *a, json_object *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	enum json_type t = json_object_get_type(a);
	if (t != json_object_get_type(b))
		return false;
	switch (t) {
	case json_type_string:
		return json_object_get_string_len(a) == json_object_get_string_len(b) &&
		       memcmp(json_object_get_string(a), json_object_get_string(b),
		              (size_t)json_object_get_string_len(a)) == 0;
	case json_type_object: {
		if (json_object_object_length(a) != json_object_object_length(b))
			return false;
		json_object_object_foreach(a, key, child)
		{
			json_object *other;
			if (!json_object_object_get_ex(b, key, &other) || !same_value(child, other))
				return false;
		}
		return true;
	}
	case json_type_array: {
		size_t n = json_object_array_length(a);
		if (n != json_object_array_length(b))
			return false;
		for (size_t i = 0; i < n; i++)
			if (!same_value(json_object_array_get_idx(a, i),
			                json_object_array_get_idx(b, i)))
				return false;
		return true;
	}
	default:
		return strcmp(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN),
		              json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN)) == 0;
	}
}

/* The value text[a..b) as a tree (NULL for null, or when it cannot be parsed). */
static json_object *
span_value(const struct patcher *pt, size_t a, size_t b, bool *ok)
{
	json_object *v = NULL;
	struct jsonbody_error e;
	*ok = jsonbody_parse_value(pt->text + a, b - a, &v, &e) == 0;
	return v;
}

/* Does the key span of m hold key? */
static bool
key_is(const struct patcher *pt, const struct member *m, const char *key, size_t key_len)
{
	const char *raw = pt->text + m->key_start + 1;
	size_t raw_len = m->key_end - m->key_start - 2;
	if (memchr(raw, '\\', raw_len) == NULL)
		return raw_len == key_len && memcmp(raw, key, key_len) == 0;
	bool ok;
	json_object *k = span_value(pt, m->key_start, m->key_end, &ok);
	bool same = ok && json_object_get_string_len(k) == (int)key_len &&
	            memcmp(json_object_get_string(k), key, key_len) == 0;
	json_object_put(k);
	return same;
}

int
mergepatch_pointer_append(struct buf *out, const char *s, size_t len)
{
	int rc = buf_append(out, "/", 1);
	for (size_t i = 0; i < len && rc == 0; i++) {
		if (s[i] == '~')
			rc = buf_append(out, "~0", 2);
		else if (s[i] == '/')
			rc = buf_append(out, "~1", 2);
		else
			rc = buf_append(out, s + i, 1);
	}
	return rc;
}

/* Appends {"op":op,"path":<path>/key,...} to the diff. old and value are taken over. */
static void
note_change(struct patcher *pt, const char *op, const char *key, json_object *old,
            json_object *value, bool has_old, bool has_value)
{
	if (pt->diff == NULL) {
		json_object_put(old);
		json_object_put(value);
		return;
	}
	size_t mark = pt->path.len;
	json_object *o = json_object_new_object();
	if (o == NULL || mergepatch_pointer_append(&pt->path, key, strlen(key)) != 0) {
		pt->failed = true;
		json_object_put(o);
		json_object_put(old);
		json_object_put(value);
		pt->path.len = mark;
		return;
	}
	json_object_object_add(o, "op", json_object_new_string(op));
	json_object_object_add(o, "path",
	                       json_object_new_string_len(pt->path.data, (int)pt->path.len));
	if (has_old)
		json_object_object_add(o, "old", old);
	if (has_value)
		json_object_object_add(o, "value", value);
	pt->path.len = mark;
	pt->path.data[mark] = '\0';
	json_object_array_add(pt->diff, o);
}

/* Renders "key<colon>value" for a new member whose line starts with indent. */
static int
render_member(const struct patcher *pt, struct buf *out, const char *key, json_object *v,
              const char *colon, const char *indent)
{
	if (append_string(out, key, strlen(key)) != 0 || buf_puts(out, colon) != 0)
		return -1;
	return render(pt, out, v, indent);
}

static void patch_object(struct patcher *pt, size_t open, json_object *patch);

/*
 * The separator before a new member of an object, and the indentation of
 * its line: like the one before the last member; for an empty object, a
 * step deeper than the object's line (or the file's own, on one line).
 */
static int
member_layout(const struct patcher *pt, size_t open, const struct member *m, size_t n,
              struct buf *sep, struct buf *indent, struct buf *lead, struct buf *tail)
{
	int rc = 0;
	if (n > 1) {
		rc |= buf_append(sep, pt->text + m[n - 2].value_end,
		                 m[n - 1].key_start - m[n - 2].value_end);
	} else if (n == 1) {
		rc |= buf_append(sep, ",", 1);
		rc |= buf_append(sep, pt->text + open + 1, m[0].key_start - open - 1);
	}
	if (n > 0) {
		const char *nl = memrchr(sep->data, '\n', sep->len);
		if (nl != NULL)
			rc |= buf_append(indent, nl + 1, (size_t)(sep->data + sep->len - nl - 1));
		return rc == 0 ? 0 : -1;
	}
	/* An empty object: the file's style, from the line the object is on. */
	struct buf own;
	buf_init(&own);
	line_indent(pt, open, &own);
	if (pt->style.multiline) {
		rc |= buf_printf(indent, "%s%s", own.data ? own.data : "", pt->style.step);
		rc |= buf_printf(sep, ",\n%s", indent->data);
		rc |= buf_printf(lead, "\n%s", indent->data);
		rc |= buf_printf(tail, "\n%s", own.data ? own.data : "");
	} else {
		rc |= buf_puts(sep, pt->style.comma);
	}
	buf_free(&own);
	return rc == 0 ? 0 : -1;
}

/* The colon of an object: the one after its last key, else the file's. */
static void
object_colon(const struct patcher *pt, const struct member *m, size_t n, char out[16])
{
	if (n > 0 && m[n - 1].value_start - m[n - 1].key_end < 16)
		copy_span(out, 16, pt->text, m[n - 1].key_end, m[n - 1].value_start);
	else
		strcpy(out, pt->style.colon);
}

/* Adds the path of key to pt->path while patching inside its value. */
static bool
path_push(struct patcher *pt, const char *key, size_t *mark)
{
	*mark = pt->path.len;
	if (mergepatch_pointer_append(&pt->path, key, strlen(key)) != 0) {
		pt->failed = true;
		return false;
	}
	return true;
}

static void
path_pop(struct patcher *pt, size_t mark)
{
	pt->path.len = mark;
	if (pt->path.data)
		pt->path.data[mark] = '\0';
}

static void
patch_object(struct patcher *pt, size_t open, json_object *patch)
{
	struct member *m;
	size_t n, close;
	if (scan_object(pt, open, &m, &n, &close) != 0) {
		pt->failed = true;
		return;
	}
	bool *removed = n ? calloc(n, sizeof *removed) : NULL;
	struct buf added, sep, indent, lead, tail;
	buf_init(&added);
	buf_init(&sep);
	buf_init(&indent);
	buf_init(&lead);
	buf_init(&tail);
	char colon[16];
	object_colon(pt, m, n, colon);
	if ((n && removed == NULL) ||
	    member_layout(pt, open, m, n, &sep, &indent, &lead, &tail) != 0) {
		pt->failed = true;
		goto out;
	}
	size_t n_added = 0;
	json_object_object_foreach(patch, key, value)
	{
		size_t key_len = strlen(key);
		size_t i = 0;
		while (i < n && !key_is(pt, &m[i], key, key_len))
			i++;
		bool found = i < n;
		if (value == NULL) { /* null: remove the member */
			if (!found)
				continue;
			bool ok;
			json_object *old = span_value(pt, m[i].value_start, m[i].value_end, &ok);
			removed[i] = true;
			note_change(pt, "remove", key, old, NULL, true, false);
			continue;
		}
		if (found && json_object_is_type(value, json_type_object) &&
		    pt->text[m[i].value_start] == '{') {
			size_t mark;
			if (path_push(pt, key, &mark)) {
				patch_object(pt, m[i].value_start, value);
				path_pop(pt, mark);
			}
			continue;
		}
		json_object *nv = without_nulls(value);
		if (nv == NULL && value != NULL) {
			pt->failed = true;
			continue;
		}
		if (found) {
			bool ok;
			json_object *old = span_value(pt, m[i].value_start, m[i].value_end, &ok);
			if (ok && same_value(old, nv)) {
				json_object_put(old);
				json_object_put(nv);
				continue;
			}
			struct buf text, own;
			buf_init(&text);
			buf_init(&own);
			line_indent(pt, m[i].key_start, &own);
			if (render(pt, &text, nv, own.data ? own.data : "") != 0)
				pt->failed = true;
			buf_free(&own);
			add_edit(pt, m[i].value_start, m[i].value_end, &text);
			note_change(pt, "replace", key, old, nv, true, true);
			continue;
		}
		int rc = 0;
		if (n_added++ > 0 || n > 0)
			rc |= buf_append(&added, sep.data, sep.len);
		rc |= render_member(pt, &added, key, nv, colon, indent.data ? indent.data : "");
		if (rc != 0)
			pt->failed = true;
		note_change(pt, "add", key, NULL, json_object_get(nv), false, true);
		json_object_put(nv);
	}
	/* Removals: see mergepatch.h for which separator goes with each. */
	size_t first_kept = 0;
	while (first_kept < n && removed[first_kept])
		first_kept++;
	if (first_kept == n && n > 0) {
		/* Every member goes: the new ones (if any) take their place. */
		struct buf text;
		buf_init(&text);
		if (n_added > 0) {
			/* added starts with a separator: the first new member needs none. */
			size_t skip = sep.len <= added.len ? sep.len : 0;
			buf_append(&text, added.data + skip, added.len - skip);
			add_edit(pt, m[0].key_start, m[n - 1].value_end, &text);
		} else {
			add_edit(pt, open + 1, close, NULL);
		}
		goto out;
	}
	if (first_kept > 0)
		add_edit(pt, m[0].key_start, m[first_kept].key_start, NULL);
	for (size_t i = first_kept + 1; i < n; i++)
		if (removed[i])
			add_edit(pt, m[i - 1].value_end, m[i].value_end, NULL);
	if (n_added > 0) {
		if (n > 0) {
			add_edit(pt, m[n - 1].value_end, m[n - 1].value_end, &added);
		} else {
			struct buf text;
			buf_init(&text);
			/* An empty object: its inside becomes lead, members, tail. */
			size_t skip = 0; /* added has no separator before its first member */
			buf_append(&text, lead.data ? lead.data : "", lead.len);
			buf_append(&text, added.data + skip, added.len - skip);
			buf_append(&text, tail.data ? tail.data : "", tail.len);
			add_edit(pt, open + 1, close, &text);
		}
	}
out:
	buf_free(&added);
	buf_free(&sep);
	buf_free(&indent);
	buf_free(&lead);
	buf_free(&tail);
	free(removed);
	free(m);
}

static int
by_start(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

enum mergepatch_status
mergepatch_apply(const char *text, size_t len, json_object *patch, struct buf *out,
                 json_object *diff, bool *changed)
{
	*changed = false;
	if (!json_object_is_type(patch, json_type_object))
		return MERGEPATCH_NOT_OBJECT;
	struct patcher pt = {.text = text, .len = len, .diff = diff};
	buf_init(&pt.path);
	size_t open = skip_blank(&pt, 0);
	read_style(&pt, open);
	if (!pt.failed)
		patch_object(&pt, open, patch);
	enum mergepatch_status st = MERGEPATCH_OK;
	if (pt.failed) {
		st = MERGEPATCH_NOMEM;
	} else {
		if (pt.n_edits > 1)
			qsort(pt.edits, pt.n_edits, sizeof *pt.edits, by_start);
		size_t at = 0;
		int rc = 0;
		for (size_t i = 0; i < pt.n_edits && rc == 0; i++) {
			const struct edit *e = &pt.edits[i];
			rc |= buf_append(out, text + at, e->start - at);
			if (e->len > 0)
				rc |= buf_append(out, e->text, e->len);
			at = e->end;
		}
		rc |= buf_append(out, text + at, len - at);
		if (rc != 0)
			st = MERGEPATCH_NOMEM;
		*changed = pt.n_edits > 0;
	}
	for (size_t i = 0; i < pt.n_edits; i++)
		free(pt.edits[i].text);
	free(pt.edits);
	buf_free(&pt.path);
	return st;
}

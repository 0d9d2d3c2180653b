/*
 * search.c: terms and how a config matches them (search.h). Pointers are
 * resolved by json-c's own RFC 6901 implementation (json_pointer_get);
 * the case-insensitive substring search is ours, as the C library has
 * none for counted strings.
 */
#include "search.h"

#include <json-c/json_pointer.h>
#include <stdio.h>
#include <string.h>

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* Does hay[0..n) contain needle (lowercase, m bytes), ASCII case ignored? */
static bool
contains(const char *hay, size_t n, const char *needle, size_t m)
{
	if (m == 0)
		return true;
	if (m > n)
		return false;
	const unsigned char *h = (const unsigned char *)hay;
	const unsigned char *w = (const unsigned char *)needle;
	for (size_t i = 0; i + m <= n; i++) {
		if (lower(h[i]) != w[0])
			continue;
		size_t j = 1;
		while (j < m && lower(h[i + j]) == w[j])
			j++;
		if (j == m)
			return true;
	}
	return false;
}

void
search_init(struct search *s)
{
	s->n = 0;
}

int
search_add(struct search *s, const char *term, size_t len, char *why, size_t why_len)
{
	if (s->n >= SEARCH_TERMS_MAX) {
		snprintf(why, why_len, "at most %d search terms", SEARCH_TERMS_MAX);
		return -1;
	}
	if (len == 0) {
		snprintf(why, why_len, "a search term is empty");
		return -1;
	}
	if (len > SEARCH_TERM_MAX) {
		snprintf(why, why_len, "a search term is longer than %d bytes", SEARCH_TERM_MAX);
		return -1;
	}
	if (memchr(term, '\0', len) != NULL) {
		snprintf(why, why_len, "a search term holds a NUL byte");
		return -1;
	}
	struct search_term *t = &s->terms[s->n];
	memset(t, 0, sizeof *t);
	if (term[0] == '/') {
		const char *eq = memchr(term, '=', len);
		size_t plen = eq ? (size_t)(eq - term) : len;
		t->pointer = true;
		memcpy(t->text, term, plen);
		t->text_len = plen;
		if (eq != NULL) {
			t->has_value = true;
			t->value_len = len - plen - 1;
			memcpy(t->value, eq + 1, t->value_len);
		}
	} else {
		for (size_t i = 0; i < len; i++)
			t->text[i] = (char)lower((unsigned char)term[i]);
		t->text_len = len;
	}
	s->n++;
	return 0;
}

/* A scalar's text: strings by their characters, the rest as written. */
static const char *
scalar_text(json_object *v, size_t *len)
{
	if (v == NULL) {
		*len = 4;
		return "null";
	}
	if (json_object_is_type(v, json_type_string)) {
		*len = (size_t)json_object_get_string_len(v);
		return json_object_get_string(v);
	}
	return json_object_to_json_string_length(v, JSON_C_TO_STRING_PLAIN, len);
}

/* Does some key or scalar value inside v contain the (lowercase) text? */
static bool
text_inside(json_object *v, const char *text, size_t len)
{
	enum json_type t = json_object_get_type(v);
	if (t == json_type_object) {
		json_object_object_foreach(v, key, child)
		{
			if (contains(key, strlen(key), text, len) || text_inside(child, text, len))
				return true;
		}
		return false;
	}
	if (t == json_type_array) {
		size_t n = json_object_array_length(v);
		for (size_t i = 0; i < n; i++)
			if (text_inside(json_object_array_get_idx(v, i), text, len))
				return true;
		return false;
	}
	size_t n;
	const char *s = scalar_text(v, &n);
	return s != NULL && contains(s, n, text, len);
}

static bool
term_matches(const struct search_term *t, json_object *config)
{
	if (!t->pointer)
		return text_inside(config, t->text, t->text_len);
	json_object *v = NULL;
	if (json_pointer_get(config, t->text, &v) != 0)
		return false;
	if (!t->has_value)
		return true;
	if (json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array))
		return false;
	size_t n;
	const char *s = scalar_text(v, &n);
	return s != NULL && n == t->value_len && memcmp(s, t->value, n) == 0;
}

bool
search_matches(const struct search *s, json_object *config)
{
	for (size_t i = 0; i < s->n; i++)
		if (!term_matches(&s->terms[i], config))
			return false;
	return true;
}

bool
search_may_match(const struct search *s, const char *text, size_t len)
{
	/* An escape may spell any character another way: then only a parse can tell. */
	if (memchr(text, '\\', len) != NULL)
		return true;
	for (size_t i = 0; i < s->n; i++) {
		const struct search_term *t = &s->terms[i];
		if (!t->pointer && !contains(text, len, t->text, t->text_len))
			return false;
		if (t->pointer && t->has_value && t->value_len > 0 &&
		    memmem(text, len, t->value, t->value_len) == NULL)
			return false;
	}
	return true;
}

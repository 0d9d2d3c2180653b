/*
 * test_uri.c: proves uri_resolve on every example of RFC 3986 section
 * 5.4 (normal and abnormal), and on the forms the schemas use: a name
 * relative to iotconfig:/schemas/, and a folder "$id".
 */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "uri.h"

int
main(void)
{
	static const char *const cases[][2] = {
	        {"g:h", "g:h"},
	        {"g", "http://a/b/c/g"},
	        {"./g", "http://a/b/c/g"},
	        {"g/", "http://a/b/c/g/"},
	        {"/g", "http://a/g"},
	        {"//g", "http://g"},
	        {"?y", "http://a/b/c/d;p?y"},
	        {"g?y", "http://a/b/c/g?y"},
	        {"#s", "http://a/b/c/d;p?q#s"},
	        {"g#s", "http://a/b/c/g#s"},
	        {"g?y#s", "http://a/b/c/g?y#s"},
	        {";x", "http://a/b/c/;x"},
	        {"g;x", "http://a/b/c/g;x"},
	        {"", "http://a/b/c/d;p?q"},
	        {".", "http://a/b/c/"},
	        {"./", "http://a/b/c/"},
	        {"..", "http://a/b/"},
	        {"../", "http://a/b/"},
	        {"../g", "http://a/b/g"},
	        {"../..", "http://a/"},
	        {"../../", "http://a/"},
	        {"../../g", "http://a/g"},
	        {"../../../g", "http://a/g"},
	        {"../../../../g", "http://a/g"},
	        {"/./g", "http://a/g"},
	        {"/../g", "http://a/g"},
	        {"g.", "http://a/b/c/g."},
	        {".g", "http://a/b/c/.g"},
	        {"g..", "http://a/b/c/g.."},
	        {"..g", "http://a/b/c/..g"},
	        {"./../g", "http://a/b/g"},
	        {"./g/.", "http://a/b/c/g/"},
	        {"g/./h", "http://a/b/c/g/h"},
	        {"g/../h", "http://a/b/c/h"},
	        {"g;x=1/./y", "http://a/b/c/g;x=1/y"},
	        {"g;x=1/../y", "http://a/b/c/y"},
	        {"g?y/./x", "http://a/b/c/g?y/./x"},
	        {"g#s/../x", "http://a/b/c/g#s/../x"},
	};
	int bad = 0;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *got = uri_resolve("http://a/b/c/d;p?q", cases[i][0]);
		if (got == NULL || strcmp(got, cases[i][1]) != 0) {
			printf("#   '%s': got %s, want %s\n", cases[i][0], got ? got : "(null)",
			       cases[i][1]);
			bad++;
		}
		free(got);
	}
	TAP_CHECK(bad == 0, "uri: every example of RFC 3986 section 5.4");
	char *s = uri_resolve("iotconfig:/schemas/esp32-cam", "common#/$defs/wifi");
	TAP_STREQ(s, "iotconfig:/schemas/common#/$defs/wifi", "uri: a schema name beside another");
	free(s);
	s = uri_resolve("http://localhost:1234/", "folder/");
	TAP_STREQ(s, "http://localhost:1234/folder/", "uri: a folder $id");
	free(s);
	s = uri_resolve("iotconfig:/schemas/a", "#/$defs/x");
	TAP_STREQ(s, "iotconfig:/schemas/a#/$defs/x", "uri: a fragment alone keeps the document");
	free(s);
	return tap_done();
}

/*
 * mergepatch.h: JSON Merge Patch (RFC 7396) applied to the text of a
 * config rather than to a tree written out again, so that everything the
 * patch does not name stays byte for byte: member order, indentation,
 * spacing, string escapes and the text of every number (64-bit integers,
 * 0.1, -0.0, 1.50 and 1e2 alike).
 *
 * What the patch names is written in the file's own style:
 *   - a replaced value takes the place of the old one;
 *   - a new member goes at the end of its object, after a separator like
 *     the one before the object's last member (in an empty object: one
 *     indentation step deeper than the object's line, the step being the
 *     one the file's top level uses, two spaces when it shows none);
 *   - a removed member goes with the separator before it (the one after
 *     it, when it is the first);
 *   - a new object or array is written one member per line, indented by
 *     that step, in a file laid out over several lines; on one line, with
 *     the file's own separators, in a file that is.
 * A value the patch sets to what it already is (numbers compared by their
 * text, strings by their characters, objects regardless of member order)
 * is left as it is written, and so is not a change.
 */
#ifndef IOTCONFIG_MERGEPATCH_H
#define IOTCONFIG_MERGEPATCH_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

enum mergepatch_status {
	MERGEPATCH_OK = 0,
	MERGEPATCH_NOT_OBJECT, /* the patch is not an object: it would replace the whole config */
	MERGEPATCH_NOMEM,
};

/*
 * Applies patch (a json-c tree from jsonbody_parse_value) to text[0..len),
 * a JSON object that passed jsonbody_validate, and appends the result to
 * out (replacing nothing there). When diff is not NULL (a json-c array),
 * appends one object per change, in the order of the patch:
 *   {"op":"add","path":"/a/b","value":…}
 *   {"op":"replace","path":"/a/b","old":…,"value":…}
 *   {"op":"remove","path":"/a/b","old":…}
 * paths as JSON Pointers (RFC 6901). *changed tells whether the result
 * differs from text.
 */
enum mergepatch_status mergepatch_apply(const char *text, size_t len, json_object *patch,
                                        struct buf *out, json_object *diff, bool *changed);

/*
 * Appends s as a JSON Pointer reference token (RFC 6901 section 3: "~"
 * as "~0", "/" as "~1") after a "/".
 */
int mergepatch_pointer_append(struct buf *out, const char *s, size_t len);

#endif

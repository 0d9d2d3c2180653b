/*
 * fwstatus.h: the fleet's update states, put together at each request
 * from what the directory holds now: every config whose "deviceModel"
 * names a model with firmware (firmware.h), that model's target for the
 * device (the canary's when it is one of them), and the device's note
 * (fwnote.h). Nothing is cached: a change made by any process or node
 * shows at the next request. The walk reads each config that mentions
 * "deviceModel" once, like the fleet's fetch view reads each noted one.
 */
#ifndef IOTCONFIG_FWSTATUS_H
#define IOTCONFIG_FWSTATUS_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "fwnote.h"
#include "store.h"

struct fwstatus_device {
	char mac[MAC_CANONICAL_LEN + 1];
	char model[FIRMWARE_MODEL_MAX + 1];
	char target[FIRMWARE_VERSION_MAX + 1]; /* "" when the model has none */
	bool canary;                           /* the target is the canary's */
	bool has_note;
	struct fwnote note;                     /* when has_note */
	char running[FIRMWARE_VERSION_MAX + 1]; /* "" unknown (fwnote_running) */
	bool has_state;                         /* a target exists */
	enum fwnote_state state;
};

/*
 * Calls each() for every device of a firmware model (of only_model when
 * not NULL), in MAC order. scratch holds config bytes. 0, or -1 with r
 * set (the directory cannot be listed), or each()'s non-zero return.
 */
int fwstatus_each(int dirfd, const char *only_model, int64_t now, unsigned fail_after,
                  struct buf *scratch, int (*each)(const struct fwstatus_device *d, void *arg),
                  void *arg, struct store_result *r);

/*
 * One device's: 1 when its config names a firmware model, 0 when it does
 * not (out has the MAC only), -1 with r set (STORE_NOT_FOUND: no config).
 */
int fwstatus_one(int dirfd, const char *mac, int64_t now, unsigned fail_after, struct buf *scratch,
                 struct fwstatus_device *out, struct store_result *r);

#endif

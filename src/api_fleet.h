/*
 * api_fleet.h: what the handlers of fleet changes share (api_changes.c
 * for merge patches and undo, api_transfer.c for imports): the answer and
 * record of a change, one object per device with its result, and the
 * write of one device through the one write path (api.h), tagged with the
 * change's id so that its history entry names it.
 *
 * A change is N ordinary conditional writes, each made only if the device
 * still has the version the change was computed from; no cross-file
 * transaction is pretended. Its record (changeset.h) is written before the
 * first device ("state": "applying") and again after the last ("done"),
 * so a change the service did not finish is still listed, as such. A dry
 * run writes nothing and records nothing.
 */
#ifndef IOTCONFIG_API_FLEET_H
#define IOTCONFIG_API_FLEET_H

#include <json-c/json.h>
#include <stdbool.h>

#include "api.h"
#include "changeset.h"

#define FLEET_MAX_DEVICES 20000 /* devices of one change, configs of one import */

/* What happened to one device (or, in a dry run, would). */
enum fleet_result {
	FLEET_CHANGED,   /* its config was replaced */
	FLEET_CREATED,   /* it had none; now it has one */
	FLEET_DELETED,   /* its config was removed */
	FLEET_RESTORED,  /* an undo put its previous version back */
	FLEET_UNCHANGED, /* it already was what the change asks for */
	FLEET_SKIPPED,   /* left alone by choice (an import's existing config) */
	FLEET_CONFLICT,  /* it changed since the version the change was computed from */
	FLEET_MISSING,   /* no config, or no longer the version an undo needs */
	FLEET_INVALID,   /* the result would not be a valid config (why in "message") */
	FLEET_FAILED,    /* the write failed (why in "message") */
	FLEET_RESULT_COUNT
};

const char *fleet_result_name(enum fleet_result r);

struct fleet {
	struct api_ctx *ctx;
	int dirfd;
	bool dry_run;
	char id[CHANGESET_ID_LEN + 1]; /* "" in a dry run */
	json_object *record;           /* the answer; also the record */
	json_object *devices;          /* its "devices" array */
	size_t counts[FLEET_RESULT_COUNT];
	struct buf current, next; /* a device's bytes now, and after the change */
};

/*
 * Starts a change of kind ("patch", "import", "undo"): opens the
 * directory, makes the id (unless dry_run) and the record's fields
 * (id, kind, dry_run, created_at, user). 0, or -1 with ctx->err set.
 */
int fleet_begin(struct fleet *f, struct api_ctx *ctx, const char *kind, bool dry_run);

/* Adds a device's object {"mac_address": mac} to the record; NULL when out of memory. */
json_object *fleet_device(struct fleet *f, const char *mac);

/* Sets a device's result (and "message" when not NULL). */
void fleet_result(struct fleet *f, json_object *dev, enum fleet_result result, const char *message);

/*
 * The per-device context of a write: ctx with the device's MAC and the
 * change's id, and no error yet.
 */
void fleet_device_ctx(const struct fleet *f, const char *mac, struct api_ctx *dctx);

/* Releases what a device's context holds (its error's details). */
void fleet_device_done(struct api_ctx *dctx);

/*
 * Writes bytes (NULL: removes the config) for device dev through the one
 * write path, made only if the config is still the version of etag (NULL:
 * only if it has none), and records the outcome: success as result
 * (with "new_etag" and "revision", the history entry of the version it
 * replaced), a changed config as FLEET_CONFLICT, a refused one (its
 * schema, its size) as FLEET_INVALID, anything else as FLEET_FAILED. A
 * dry run writes nothing: it checks the bytes against their schema as the
 * write would, then sets "new_etag" and result. Returns the result
 * recorded.
 */
enum fleet_result fleet_write(struct fleet *f, struct api_ctx *dctx, json_object *dev,
                              const char *etag, const char *bytes, size_t len,
                              enum fleet_result result);

/*
 * Writes the record as it is now with "state": "applying" (before the
 * first device); not in a dry run. 0, or -1 with ctx->err set.
 */
int fleet_start(struct fleet *f);

/*
 * Adds "count" and "summary", writes the record ("state": "done") unless
 * a dry run, prunes old records, and sets the answer (200 and the
 * record). 0, or -1 with ctx->err set.
 */
int fleet_finish(struct fleet *f);

/* Frees what the change holds (after fleet_begin, in every case). */
void fleet_end(struct fleet *f);

#endif

/*
 * firmware.h: firmware images per device model, kept in the config
 * directory so that every node sharing it serves the same ones:
 *   .firmware/<model>/<sha256>.bin     an image as uploaded, named by the
 *                                      SHA-256 of its bytes
 *   .firmware/<model>/<version>.meta   what was read from the image at
 *                                      upload (JSON): version, chip, app
 *                                      descriptor, digests, size, who, when
 *   .firmware/<model>/.target          the version devices of the model are
 *                                      to run, and a canary (JSON)
 *   .firmware/.<model>.lock            held (flock) by whoever changes the
 *                                      model: uploads, deletes, targets
 *   .firmware/.devices/<mac>           what each device runs (fwnote.h)
 * Every file is written whole (store_write_file: temp, fsync, rename,
 * directory fsync), so readers take no lock: a reader sees a .meta either
 * old or new and an image name always means the same bytes, which also
 * keeps any cache in front of the files (the web server's, a network file
 * system's) from ever serving other bytes under a name.
 *
 * A model name follows the schema-name grammar (schemas.h), so a model's
 * schema and its firmware go by one name: the config's "deviceModel". A
 * version is what the image's app descriptor says, 1 to 32 characters of
 * [A-Za-z0-9._+-] starting with a letter or digit (it names files and
 * URLs); an image whose version is anything else is refused.
 *
 * A model's chip is that of its kept images: the first upload fixes it,
 * an image for another chip is refused, and only once no image is kept
 * can an image for another chip come. At most `keep` versions are kept
 * per model: an upload beyond removes the oldest uploads that are neither
 * the target nor the canary's; the target and the canary's version are
 * never removed, by an upload or a delete.
 *
 * Knows nothing about HTTP. Results are store_status values (store.h);
 * a refusal for a reason of the firmware's own is STORE_PRECONDITION with
 * the reason in a firmware_refusal.
 */
#ifndef IOTCONFIG_FIRMWARE_H
#define IOTCONFIG_FIRMWARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "espimage.h"
#include "mac.h"
#include "store.h"

#define FIRMWARE_DIR         ".firmware"
#define FIRMWARE_DEVICES_DIR ".devices"
#define FIRMWARE_MODEL_MAX   32  /* SCHEMA_NAME_MAX */
#define FIRMWARE_VERSION_MAX 32  /* the app descriptor's version field */
#define FIRMWARE_CANARY_MAX  256 /* devices in a canary */
#define FIRMWARE_USER_MAX    64
#define FIRMWARE_KEEP_MAX    100
#define FIRMWARE_HEX256      64

bool firmware_model_valid(const char *model);
bool firmware_version_valid(const char *version);

/* One kept version, as recorded at upload. */
struct firmware_meta {
	char version[FIRMWARE_VERSION_MAX + 1];
	char project_name[33];
	char idf_version[33];
	char build_date[17];
	char build_time[17];
	unsigned chip_id;
	char chip[ESPIMAGE_CHIP_NAME_MAX + 1];
	uint32_t secure_version;
	char elf_sha256[FIRMWARE_HEX256 + 1];
	char sha256[FIRMWARE_HEX256 + 1];       /* of the whole file: its name and ETag */
	char md5[33];                           /* of the whole file */
	char image_sha256[FIRMWARE_HEX256 + 1]; /* the appended hash; "" when none */
	uint64_t size;
	int64_t uploaded_at; /* seconds since the epoch */
	char uploaded_by[FIRMWARE_USER_MAX + 1];
	uint64_t seq; /* order of uploads within the model (1, 2, ...), which pruning follows */
};

/* Which version the devices of a model are to run. */
struct firmware_target {
	char version[FIRMWARE_VERSION_MAX + 1];        /* every device's; "" none */
	char canary_version[FIRMWARE_VERSION_MAX + 1]; /* the canary devices'; "" none */
	size_t canary_count;
	char canary[FIRMWARE_CANARY_MAX][MAC_CANONICAL_LEN + 1]; /* canonical, sorted */
	int64_t changed_at;                                      /* 0: never set */
	char changed_by[FIRMWARE_USER_MAX + 1];
};

/* The version the device mac is to run: the canary's when it is one of them; "" none. */
const char *firmware_target_for(const struct firmware_target *t, const char *mac);

/*
 * The model named by a config's top-level string "deviceModel", when it is
 * a valid model name; false otherwise (no such member, not a string, not
 * the grammar, not a JSON object). Pure.
 */
bool firmware_config_model(const char *bytes, size_t len, char model[FIRMWARE_MODEL_MAX + 1]);

/* The record of an image just read (espimage_parse) from data[0..len). */
void firmware_meta_from_image(const struct espimage_info *info, const uint8_t *data, size_t len,
                              int64_t now, const char *user, struct firmware_meta *out);

/* The image's file name, "<sha256>.bin". */
void firmware_image_name(const struct firmware_meta *m, char out[FIRMWARE_HEX256 + 5]);

/*
 * Opens .firmware (fwfd) or .firmware/<model> (mfd) in the config
 * directory: STORE_NOT_FOUND when missing. create makes .firmware.
 */
int firmware_open_root(int dirfd, bool create, int *fwfd, struct store_result *r);
int firmware_open_model(int dirfd, const char *model, int *mfd, struct store_result *r);

/* Reads <version>.meta: STORE_NOT_FOUND when the model keeps no such version. */
int firmware_read_meta(int mfd, const char *version, struct firmware_meta *out,
                       struct store_result *r);

/* Reads .target; a model without one has an empty target (0). */
int firmware_read_target(int mfd, struct firmware_target *out, struct store_result *r);

/*
 * Every kept version into *out (malloc'ed, *n entries, newest upload
 * first). A .meta that cannot be parsed is skipped and logged.
 */
int firmware_list_versions(int mfd, struct firmware_meta **out, size_t *n, struct store_result *r);

/* Every model name (a directory of .firmware with a valid name), sorted; malloc'ed. */
int firmware_list_models(int dirfd, char (**out)[FIRMWARE_MODEL_MAX + 1], size_t *n,
                         struct store_result *r);

/* Why a change was refused (with STORE_PRECONDITION). */
enum firmware_refusal {
	FIRMWARE_OK = 0,
	FIRMWARE_WRONG_CHIP,    /* the model keeps images for another chip */
	FIRMWARE_VERSION_TAKEN, /* the version is kept with other bytes */
	FIRMWARE_NO_ROOM,       /* keeping it would pass `keep`, and every kept version is in use */
	FIRMWARE_IN_USE,        /* the version is the target or the canary's */
	FIRMWARE_UNKNOWN_VERSION /* a target names a version the model does not keep */
};

/* An upload: in, then out. */
struct firmware_upload {
	const uint8_t *data;
	size_t len;
	struct firmware_meta meta; /* in: firmware_meta_from_image's; out: as kept */
	unsigned keep;             /* versions kept per model (FIRMWARE_KEEP) */
	/* out */
	bool created; /* false: these bytes were kept under this version already */
	enum firmware_refusal refused;
	char other[ESPIMAGE_CHIP_NAME_MAX + 1]; /* WRONG_CHIP: the model's chip */
	size_t pruned;                          /* versions removed to stay within keep */
	char pruned_versions[8][FIRMWARE_VERSION_MAX + 1]; /* the first 8 of them */
};

/*
 * Keeps an image under its model, within keep versions (see above), under
 * the model's lock. Writes the image, then its .meta, then removes what
 * pruning takes; temp files a writer that died left in the model's
 * directory are removed first (the lock proves nobody writes them).
 */
int firmware_install(int dirfd, const char *model, struct firmware_upload *u,
                     struct store_result *r);

/*
 * Removes a kept version (its .meta, then its image), unless it is the
 * target or the canary's (FIRMWARE_IN_USE), under the model's lock.
 * STORE_NOT_FOUND when the model keeps no such version.
 */
int firmware_remove(int dirfd, const char *model, const char *version,
                    enum firmware_refusal *refused, struct store_result *r);

/*
 * Replaces the model's target with *t under the model's lock, once every
 * version it names is kept (else FIRMWARE_UNKNOWN_VERSION, naming it in
 * bad). *previous gets the target it replaced.
 */
int firmware_set_target(int dirfd, const char *model, const struct firmware_target *t,
                        struct firmware_target *previous, enum firmware_refusal *refused,
                        char bad[FIRMWARE_VERSION_MAX + 1], struct store_result *r);

#endif

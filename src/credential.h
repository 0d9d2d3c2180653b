/*
 * credential.h: the devices' secrets, kept next to the configs.
 *
 * A device may have a secret: 24 random bytes (192 bits, from getrandom)
 * written as 32 characters of base64url, handed out once when it is made
 * and never stored. What is stored is a keyed hash of it (credential.c
 * says why a fast one is right here), in .credentials/<mac> in the config
 * directory, so every process and every node sharing the directory checks
 * the same secrets, and a backup of the directory keeps them. The
 * directory is 0700 and each file 0600 whatever FILE_MODE says: a hash
 * gives nothing away, but nobody else has any business reading it. Only
 * names of the form <mac>.json are configs, so these files are never in
 * the list, the count, the history or a change notice.
 *
 * A file holds the current secret and, after a rotation, the previous one,
 * which keeps working until the device first presents the current one or
 * its overlap (DEVICE_SECRET_OVERLAP) ends; and which of the two the
 * device used last, when and from where. Every change is made under the
 * MAC's lock (.credentials/.<mac>.lock, flock) by reading the file,
 * changing it and replacing it whole by rename, so concurrent writers
 * (an admin rotating, devices noting their use) never undo each other.
 * An admin's change (create, rotate, revoke) is fsync'ed before it is
 * answered; a note of use is not (a lost one is written again at the next
 * fetch).
 */
#ifndef IOTCONFIG_CREDENTIAL_H
#define IOTCONFIG_CREDENTIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mac.h"
#include "store.h"

#define CREDENTIAL_DIR        ".credentials"
#define CREDENTIAL_SECRET_LEN 32  /* base64url characters of a secret */
#define CREDENTIAL_SALT_SIZE  16  /* bytes */
#define CREDENTIAL_HASH_SIZE  32  /* bytes of an HMAC-SHA256 */
#define CREDENTIAL_ADDR_MAX   64  /* bytes of the client address kept */
#define CREDENTIAL_FILE_MAX   512 /* bytes of a credential file */
#define CREDENTIAL_USE_EVERY  60  /* seconds between notes of the same use */

/* Which secret a device presented (or used last). */
enum credential_which {
	CREDENTIAL_NONE = 0,
	CREDENTIAL_CURRENT,
	CREDENTIAL_PREVIOUS,
};

/* One secret, as stored: when it was made, its salt and its hash. */
struct credential_key {
	int64_t created_at;
	uint8_t salt[CREDENTIAL_SALT_SIZE];
	uint8_t hash[CREDENTIAL_HASH_SIZE];
};

/* A device's credential file. */
struct credential {
	char mac[MAC_CANONICAL_LEN + 1];
	struct credential_key current;
	bool has_previous;
	struct credential_key previous;
	int64_t previous_until;     /* the previous secret works while now < this */
	enum credential_which used; /* the one presented last, NONE: never used */
	int64_t used_at;
	char used_from[CREDENTIAL_ADDR_MAX + 1];
};

/* The file's bytes; returns their length (< CREDENTIAL_FILE_MAX). Pure. */
size_t credential_format(const struct credential *c, char out[CREDENTIAL_FILE_MAX]);

/* Parses a file's bytes for mac; false for anything but a complete file. Pure. */
bool credential_parse(const char *mac, const char *data, size_t len, struct credential *out);

/*
 * Which secret `secret` (len bytes, as presented) is: CURRENT,
 * PREVIOUS (only while now < previous_until) or NONE. c NULL (no
 * credential) is NONE. The work done and the time taken do not depend on
 * whether c is NULL, has a previous secret, or which one matches: two
 * HMACs and two constant-time comparisons every time.
 */
enum credential_which credential_verify(const struct credential *c, const char *secret, size_t len,
                                        int64_t now);

/*
 * Is a note of this use worth writing: a secret other than the one noted
 * last, another address, the current one while a previous is still kept
 * (the note drops it), or CREDENTIAL_USE_EVERY seconds since the last
 * note (by the times in the file; a note from the future waits). Pure.
 */
bool credential_use_due(const struct credential *c, enum credential_which which, const char *addr,
                        int64_t now);

/* Reads mac's credential: 1 found, 0 none, -1 with r set. */
int credential_read(int dirfd, const char *mac, struct credential *out, struct store_result *r);
/*
 * The same, from the config directory's path, without opening it first:
 * what a device fetch does, one open, read and close. A directory that
 * does not exist reads as no credential.
 */
int credential_read_path(const char *configs_dir, const char *mac, struct credential *out,
                         struct store_result *r);

/*
 * Makes a new secret for mac (secret_out gets its text and a NUL). With
 * one already there, that one becomes the previous secret, working for
 * overlap_s seconds more (a previous one from an earlier rotation is
 * dropped); *rotated tells. *out is the file as written. 0, or -1 with r
 * set (nothing is changed then).
 */
int credential_create(int dirfd, const char *mac, int64_t now, unsigned overlap_s,
                      char secret_out[CREDENTIAL_SECRET_LEN + 1], struct credential *out,
                      bool *rotated, struct store_result *r);

/* Removes mac's secrets: 1 removed, 0 there were none, -1 with r set. */
int credential_revoke(int dirfd, const char *mac, struct store_result *r);

/*
 * Notes that the device presented the secret whose hash is `hash` from
 * addr at now: when it is the current one, the previous one is dropped.
 * Re-reads the file under the lock first, so a secret replaced or revoked
 * meanwhile is left alone. 0, or -1 with r set.
 */
int credential_note_use(int dirfd, const char *mac, const uint8_t hash[CREDENTIAL_HASH_SIZE],
                        const char *addr, int64_t now, struct store_result *r);

/* Does mac have a credential file? (The fleet view; errors count as no.) */
bool credential_exists(int dirfd, const char *mac);

/*
 * The MACs (mac_value) that have a credential file, sorted, in *macs (free
 * it; NULL when none) and *count: one listing of .credentials, for walks
 * over many devices. 0, or -1 with r set.
 */
int credential_macs(int dirfd, uint64_t **macs, size_t *count, struct store_result *r);

/* Is mac (mac_value) among the sorted macs of credential_macs? */
bool credential_in(const uint64_t *macs, size_t count, uint64_t mac);

/*
 * Calls each(c, arg) for every credential, in MAC order. each returns 0
 * to go on; anything else stops the walk and is returned. No directory:
 * no call. 0, or -1 with r set.
 */
int credential_each(int dirfd, int (*each)(const struct credential *c, void *arg), void *arg,
                    struct store_result *r);

/* Is the previous secret still accepted at now? */
bool credential_previous_valid(const struct credential *c, int64_t now);

#endif

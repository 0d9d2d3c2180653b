/*
 * change.c: the steps of one change, in their order (change.h).
 *
 *   1. Without the lock, on a local file system: a change that needs a
 *      config, of a MAC that has neither config nor lock file, is
 *      answered at once (so requests for random MACs leave nothing).
 *   2. Take the MAC's lock (store_lock), which serialises writers of that
 *      MAC in every process and on every node.
 *   3. Read the current bytes, let the precondition decide, and compare
 *      them with a write's new bytes: equal bytes end the change here.
 *   4. Keep the current version in the history (history_keep_current).
 *   5. Write the new version to a temp file and fsync it, make the history
 *      entry durable, then rename over the config and fsync the directory
 *      (or, for a delete, make the entry durable and remove the config).
 *   6. Prune the history when the change was made, or drop the entry made
 *      for a change that was not; release the lock.
 * The history entry is durable before the change is made, so a crash in
 * between leaves at worst an extra copy of a version that is still
 * current, never a missing one.
 */
#include "change.h"

#include <errno.h>
#include <string.h>

/*
 * With the lock held: evaluates the precondition on the current bytes,
 * and for a write compares them with the new ones (cur).
 */
static int
look_at_current(int dirfd, const char *mac, const void *data, size_t len,
                const struct change_precond *pre, struct store_compare *cur, struct store_result *r)
{
	cur->exists = false;
	cur->same = false;
	cur->mode = -1;
	if (pre == NULL || pre->check == NULL) {
		if (data != NULL)
			store_compare(dirfd, mac, data, len, cur);
		return store_result_set(r, STORE_OK, 0, NULL);
	}
	struct store_result rr;
	const struct buf *current = pre->scratch;
	struct store_file_info info;
	if (store_read(dirfd, mac, pre->scratch, &info, &rr) != 0) {
		if (rr.status != STORE_NOT_FOUND) {
			*r = rr;
			return -1;
		}
		current = NULL;
	} else {
		cur->mode = (int)info.mode;
		if (pre->info != NULL)
			*pre->info = info;
	}
	cur->exists = current != NULL;
	cur->same = current != NULL && data != NULL && current->len == len &&
	            (len == 0 || memcmp(current->data, data, len) == 0);
	if (pre->check(current, pre->arg) != 0)
		return store_result_set(r, STORE_PRECONDITION, 0, "precondition");
	return store_result_set(r, STORE_OK, 0, NULL);
}

/*
 * Step 5 of a write. replaced_mode: the current config's permission bits
 * as step 3 found them under the lock (-1: none), which the new file keeps.
 */
static int
write_config(int dirfd, const char *mac, const void *data, size_t len, int replaced_mode,
             struct history_change *hc, struct store_result *r)
{
	struct store_temp t;
	if (store_temp_write(dirfd, mac, data, len, replaced_mode, &t, r) != 0)
		return -1;
	if (history_commit(hc, r) != 0) {
		store_temp_discard(dirfd, &t);
		return -1;
	}
	return store_temp_install(dirfd, mac, &t, r);
}

/* Step 5 of a delete. */
static int
remove_config(int dirfd, const char *mac, struct history_change *hc, struct store_result *r)
{
	if (history_commit(hc, r) != 0)
		return -1;
	return store_remove(dirfd, mac, r);
}

int
change_apply(int dirfd, const char *mac, const void *data, size_t len,
             const struct change_precond *pre, struct history_note *note,
             struct change_outcome *out, struct store_result *r)
{
	out->created = false;
	out->unchanged = false;
	if (note != NULL)
		note->revision[0] = '\0';
	bool deleting = data == NULL;
	if (store_known_absent(dirfd, mac)) {
		if (pre != NULL && pre->check != NULL && pre->check(NULL, pre->arg) != 0)
			return store_result_set(r, STORE_PRECONDITION, 0, "precondition");
		if (deleting)
			return store_result_set(r, STORE_NOT_FOUND, ENOENT, "remove config");
	}
	struct store_lock lk;
	if (store_lock(dirfd, mac, &lk, r) != 0)
		return -1;
	struct store_compare cur;
	if (look_at_current(dirfd, mac, data, len, pre, &cur, r) != 0) {
		store_unlock(&lk);
		return -1;
	}
	if (!deleting && cur.same) {
		store_unlock(&lk);
		out->unchanged = true;
		return store_result_set(r, STORE_OK, 0, NULL);
	}
	struct history_change hc = {.hfd = -1};
	if (note != NULL && note->keep > 0 &&
	    history_keep_current(dirfd, mac, &lk, note, &hc, r) != 0) {
		store_unlock(&lk);
		return -1;
	}
	int rc = deleting ? remove_config(dirfd, mac, &hc, r)
	                  : write_config(dirfd, mac, data, len, cur.mode, &hc, r);
	/* STORE_NOT_DURABLE: the change is made (and visible), so its history stays. */
	bool made = rc == 0 || r->status == STORE_NOT_DURABLE;
	history_end(&hc, made, note != NULL ? note->keep : 0);
	if (!made && note != NULL)
		note->revision[0] = '\0';
	store_unlock(&lk);
	if (made && !deleting)
		out->created = !cur.exists;
	if (rc != 0)
		return -1;
	return store_result_set(r, STORE_OK, 0, NULL);
}

/*
 * fwstatus.c: the walk of fwstatus.h. The models and their targets are
 * read once per walk (a handful of small files); configs are listed by
 * the store, sorted by MAC, and read one at a time, so memory stays at 8
 * bytes per config besides the one being read.
 */
#include "fwstatus.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mac.h"

struct model_target {
	char name[FIRMWARE_MODEL_MAX + 1];
	struct firmware_target *t;
};

struct models {
	struct model_target *v;
	size_t n;
};

static void
models_free(struct models *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].t);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

/* Every firmware model with its target (only_model alone when given). */
static int
models_load(int dirfd, const char *only_model, struct models *out, struct store_result *r)
{
	out->v = NULL;
	out->n = 0;
	char(*names)[FIRMWARE_MODEL_MAX + 1];
	size_t n;
	if (firmware_list_models(dirfd, &names, &n, r) != 0)
		return -1;
	out->v = calloc(n ? n : 1, sizeof *out->v);
	if (out->v == NULL) {
		free(names);
		return store_result_set(r, STORE_IO, ENOMEM, "list firmware models");
	}
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (only_model != NULL && strcmp(names[i], only_model) != 0)
			continue;
		struct model_target *m = &out->v[out->n];
		snprintf(m->name, sizeof m->name, "%s", names[i]);
		m->t = malloc(sizeof *m->t);
		if (m->t == NULL) {
			rc = store_result_set(r, STORE_IO, ENOMEM, "read firmware target");
			break;
		}
		out->n++;
		int mfd;
		if (firmware_open_model(dirfd, m->name, &mfd, r) != 0) {
			/* removed meanwhile: no target */
			memset(m->t, 0, sizeof *m->t);
			continue;
		}
		if (firmware_read_target(mfd, m->t, r) != 0)
			memset(m->t, 0, sizeof *m->t);
		close(mfd);
	}
	free(names);
	if (rc != 0)
		models_free(out);
	return rc;
}

static const struct firmware_target *
models_find(const struct models *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->v[i].name, name) == 0)
			return m->v[i].t;
	return NULL;
}

/* Fills d for mac from its config bytes: false when it is no device of a firmware model. */
static bool
describe(int dirfd, const char *mac, const struct buf *config, const struct models *models,
         int64_t now, unsigned fail_after, struct fwstatus_device *d)
{
	memset(d, 0, sizeof *d);
	snprintf(d->mac, sizeof d->mac, "%s", mac);
	if (!firmware_config_model(config->data, config->len, d->model))
		return false;
	const struct firmware_target *t = models_find(models, d->model);
	if (t == NULL)
		return false;
	const char *target = firmware_target_for(t, mac);
	d->canary = target != t->version;
	snprintf(d->target, sizeof d->target, "%s", target);
	struct store_result r;
	d->has_note = fwnote_read(dirfd, mac, &d->note, &r) == 1;
	d->has_state = d->target[0] != '\0';
	if (d->has_note)
		snprintf(d->running, sizeof d->running, "%s", fwnote_running(&d->note));
	if (d->has_state)
		d->state = fwnote_state(d->has_note ? &d->note : NULL, d->target, now, fail_after);
	return true;
}

struct collect {
	uint64_t *v;
	size_t n, cap;
};

static int
collect_one(const char *name, const struct store_file_info *info, void *arg)
{
	(void)info;
	struct collect *c = arg;
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 256;
		uint64_t *grown = realloc(c->v, ncap * sizeof *grown);
		if (grown == NULL)
			return -1;
		c->v = grown;
		c->cap = ncap;
	}
	c->v[c->n++] = mac_value(name);
	return 0;
}

static int
by_value(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int
fwstatus_each(int dirfd, const char *only_model, int64_t now, unsigned fail_after,
              struct buf *scratch, int (*each)(const struct fwstatus_device *d, void *arg),
              void *arg, struct store_result *r)
{
	struct models models;
	if (models_load(dirfd, only_model, &models, r) != 0)
		return -1;
	if (models.n == 0) {
		models_free(&models);
		return store_result_set(r, STORE_OK, 0, NULL);
	}
	struct collect c = {0};
	if (store_list(dirfd, collect_one, &c, r) != 0) {
		if (r->op != NULL && strcmp(r->op, "list callback") == 0)
			store_result_set(r, STORE_IO, ENOMEM, "list configs");
		free(c.v);
		models_free(&models);
		return -1;
	}
	if (c.n > 1)
		qsort(c.v, c.n, sizeof *c.v, by_value);
	int rc = 0;
	struct fwstatus_device *d = malloc(sizeof *d);
	if (d == NULL)
		rc = store_result_set(r, STORE_IO, ENOMEM, "list configs");
	for (size_t i = 0; i < c.n && rc == 0; i++) {
		char mac[MAC_CANONICAL_LEN + 1];
		mac_from_value(c.v[i], mac);
		struct store_result rr;
		if (store_read(dirfd, mac, scratch, NULL, &rr) != 0)
			continue; /* removed meanwhile, or unreadable: not a device of a model now
			           */
		if (describe(dirfd, mac, scratch, &models, now, fail_after, d))
			rc = each(d, arg);
	}
	free(d);
	free(c.v);
	models_free(&models);
	if (rc == 0)
		store_result_set(r, STORE_OK, 0, NULL);
	return rc;
}

int
fwstatus_one(int dirfd, const char *mac, int64_t now, unsigned fail_after, struct buf *scratch,
             struct fwstatus_device *out, struct store_result *r)
{
	memset(out, 0, sizeof *out);
	snprintf(out->mac, sizeof out->mac, "%s", mac);
	if (store_read(dirfd, mac, scratch, NULL, r) != 0)
		return -1;
	char model[FIRMWARE_MODEL_MAX + 1];
	if (!firmware_config_model(scratch->data, scratch->len, model))
		return 0;
	struct models models;
	if (models_load(dirfd, model, &models, r) != 0)
		return -1;
	int found = describe(dirfd, mac, scratch, &models, now, fail_after, out) ? 1 : 0;
	models_free(&models);
	if (found == 0)
		snprintf(out->model, sizeof out->model, "%s", model);
	store_result_set(r, STORE_OK, 0, NULL);
	return found;
}

/*
 * test_firmware.c: the firmware files of firmware.c, in throw-away
 * directories under /tmp. The grammars (model names as schema names,
 * versions that can name files and URLs); a config's model; an upload
 * kept as <sha256>.bin and <version>.meta, read back field by field; the
 * same bytes again change nothing; other bytes under a kept version, or an
 * image for another chip, are refused and leave the files as they were;
 * the bound on versions prunes the oldest upload that is neither the
 * target nor the canary's, and an upload with no room is refused; a target
 * naming a version not kept is refused; a version in use cannot be
 * removed, another can (its image goes with it); temp files a dead writer
 * left are swept by the next writer; the models are listed sorted.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "espbuild.h"
#include "firmware.h"
#include "tap.h"
#include "testfs.h"

static char dir[] = "/tmp/iotconfig-test-firmware.XXXXXX";

static bool
exists(const char *rel)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	struct stat st;
	return stat(path, &st) == 0;
}

/* Uploads an image of version with payload (bytes vary with it) for chip. */
static int
upload(int dirfd, const char *model, const char *version, unsigned chip, size_t payload,
       unsigned keep, struct firmware_upload *u, struct store_result *r)
{
	struct image im = build(version, chip, true, payload);
	struct espimage_info info;
	memset(u, 0, sizeof *u);
	if (espimage_parse(im.data, im.len, &info, NULL, 0) != ESPIMAGE_OK) {
		free(im.data);
		return -2;
	}
	u->data = im.data;
	u->len = im.len;
	u->keep = keep;
	firmware_meta_from_image(&info, im.data, im.len, 1700000000, "alice", &u->meta);
	int rc = firmware_install(dirfd, model, u, r);
	free(im.data);
	u->data = NULL;
	return rc;
}

static size_t
count_versions(int dirfd, const char *model)
{
	int mfd;
	struct store_result r;
	if (firmware_open_model(dirfd, model, &mfd, &r) != 0)
		return 0;
	struct firmware_meta *v;
	size_t n = 0;
	if (firmware_list_versions(mfd, &v, &n, &r) == 0)
		free(v);
	close(mfd);
	return n;
}

static int
set_target(int dirfd, const char *model, const char *version, const char *canary,
           const char *canary_mac, enum firmware_refusal *refused, char *bad)
{
	struct firmware_target *t = calloc(2, sizeof *t);
	snprintf(t->version, sizeof t->version, "%s", version);
	if (canary != NULL) {
		snprintf(t->canary_version, sizeof t->canary_version, "%s", canary);
		snprintf(t->canary[0], sizeof t->canary[0], "%s", canary_mac);
		t->canary_count = 1;
	}
	struct store_result r;
	int rc = firmware_set_target(dirfd, model, t, t + 1, refused, bad, &r);
	free(t);
	return rc;
}

int
main(void)
{
	/* --- grammars ------------------------------------------------------- */
	TAP_CHECK(firmware_model_valid("esp32-cam") && !firmware_model_valid("ESP32-cam") &&
	                  !firmware_model_valid(".devices") && !firmware_model_valid(""),
	          "firmware: model names follow the schema-name grammar");
	TAP_CHECK(firmware_version_valid("1.2.3") && firmware_version_valid("v2.0.0-rc1+g1a2b") &&
	                  !firmware_version_valid("../x") && !firmware_version_valid(".hidden") &&
	                  !firmware_version_valid("1.0 beta") && !firmware_version_valid("a/b") &&
	                  !firmware_version_valid(""),
	          "firmware: versions that can name a file and a URL segment");
	char model[FIRMWARE_MODEL_MAX + 1];
	const char *cfg = "{\"deviceName\":\"x\",\"deviceModel\":\"esp32-cam\"}";
	TAP_CHECK(firmware_config_model(cfg, strlen(cfg), model) && strcmp(model, "esp32-cam") == 0,
	          "firmware: a config's model is its deviceModel");
	const char *none[] = {"{\"deviceName\":\"x\"}", "{\"deviceModel\":7}",
	                      "{\"deviceModel\":\"Big Cam\"}", "[\"deviceModel\"]",
	                      "{\"deviceModel\":\"cam\""};
	bool all = true;
	for (size_t i = 0; i < sizeof none / sizeof *none; i++)
		all &= !firmware_config_model(none[i], strlen(none[i]), model);
	TAP_CHECK(all, "firmware: no model without a deviceModel string in the grammar");

	TAP_CHECK(mkdtemp(dir) != NULL, "firmware: temp dir");
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	struct store_result r;
	struct firmware_upload u;

	/* --- upload --------------------------------------------------------- */
	TAP_CHECK(upload(dirfd, "cam", "1.0.0", 0, 100, 3, &u, &r) == 0 && u.created,
	          "firmware: a first upload is kept");
	char image[160];
	snprintf(image, sizeof image, ".firmware/cam/%s.bin", u.meta.sha256);
	TAP_CHECK(exists(image) && exists(".firmware/cam/1.0.0.meta"),
	          "firmware: kept as <sha256>.bin and <version>.meta");
	int mfd;
	struct firmware_meta m;
	TAP_CHECK(firmware_open_model(dirfd, "cam", &mfd, &r) == 0 &&
	                  firmware_read_meta(mfd, "1.0.0", &m, &r) == 0 &&
	                  strcmp(m.sha256, u.meta.sha256) == 0 && strcmp(m.md5, u.meta.md5) == 0 &&
	                  strcmp(m.chip, "ESP32") == 0 && strcmp(m.project_name, "blinky") == 0 &&
	                  strcmp(m.uploaded_by, "alice") == 0 && m.seq == 1 && m.size == u.len &&
	                  m.image_sha256[0] != '\0',
	          "firmware: the record reads back field by field");
	close(mfd);
	TAP_CHECK(upload(dirfd, "cam", "1.0.0", 0, 100, 3, &u, &r) == 0 && !u.created,
	          "firmware: the same bytes again change nothing");
	TAP_CHECK(upload(dirfd, "cam", "1.0.0", 0, 104, 3, &u, &r) != 0 &&
	                  r.status == STORE_PRECONDITION && u.refused == FIRMWARE_VERSION_TAKEN &&
	                  count_versions(dirfd, "cam") == 1,
	          "firmware: other bytes under a kept version are refused");
	TAP_CHECK(upload(dirfd, "cam", "1.1.0", 9, 100, 3, &u, &r) != 0 &&
	                  u.refused == FIRMWARE_WRONG_CHIP && strcmp(u.other, "ESP32") == 0 &&
	                  !exists(".firmware/cam/1.1.0.meta"),
	          "firmware: an image for another chip is refused");

	/* --- the bound ------------------------------------------------------ */
	upload(dirfd, "cam", "1.1.0", 0, 108, 3, &u, &r);
	upload(dirfd, "cam", "1.2.0", 0, 112, 3, &u, &r);
	enum firmware_refusal refused;
	char bad[FIRMWARE_VERSION_MAX + 1];
	TAP_CHECK(set_target(dirfd, "cam", "1.0.0", "1.1.0", "aa-bb-cc-dd-ee-01", &refused, bad) ==
	                  0,
	          "firmware: a target of kept versions is set");
	char first_image[160];
	snprintf(first_image, sizeof first_image, "%s", image);
	TAP_CHECK(upload(dirfd, "cam", "1.3.0", 0, 116, 3, &u, &r) == 0 && u.pruned == 1 &&
	                  strcmp(u.pruned_versions[0], "1.2.0") == 0 &&
	                  !exists(".firmware/cam/1.2.0.meta") &&
	                  exists(".firmware/cam/1.0.0.meta") && exists(first_image) &&
	                  count_versions(dirfd, "cam") == 3,
	          "firmware: past the bound the oldest upload in no use goes, the target and the "
	          "canary's stay");
	TAP_CHECK(set_target(dirfd, "cam", "1.0.0", "1.3.0", "aa-bb-cc-dd-ee-01", &refused, bad) ==
	                  0,
	          "firmware: the canary moves on");
	TAP_CHECK(upload(dirfd, "cam", "1.4.0", 0, 120, 2, &u, &r) != 0 &&
	                  u.refused == FIRMWARE_NO_ROOM && !exists(".firmware/cam/1.4.0.meta"),
	          "firmware: with every kept version in use there is no room");

	/* --- targets and removal --------------------------------------------- */
	TAP_CHECK(set_target(dirfd, "cam", "9.9.9", NULL, NULL, &refused, bad) != 0 &&
	                  refused == FIRMWARE_UNKNOWN_VERSION && strcmp(bad, "9.9.9") == 0,
	          "firmware: a target naming a version not kept is refused");
	struct firmware_target *t = calloc(1, sizeof *t);
	TAP_CHECK(firmware_open_model(dirfd, "cam", &mfd, &r) == 0 &&
	                  firmware_read_target(mfd, t, &r) == 0 &&
	                  strcmp(t->version, "1.0.0") == 0 &&
	                  strcmp(t->canary_version, "1.3.0") == 0 && t->canary_count == 1 &&
	                  strcmp(firmware_target_for(t, "aa-bb-cc-dd-ee-01"), "1.3.0") == 0 &&
	                  strcmp(firmware_target_for(t, "aa-bb-cc-dd-ee-02"), "1.0.0") == 0,
	          "firmware: the target holds, the canary device gets the canary's version");
	close(mfd);
	free(t);
	TAP_CHECK(firmware_remove(dirfd, "cam", "1.0.0", &refused, &r) != 0 &&
	                  refused == FIRMWARE_IN_USE && exists(".firmware/cam/1.0.0.meta"),
	          "firmware: the target cannot be removed");
	TAP_CHECK(firmware_remove(dirfd, "cam", "1.3.0", &refused, &r) != 0 &&
	                  refused == FIRMWARE_IN_USE,
	          "firmware: nor the canary's version");
	char image11[160];
	TAP_CHECK(firmware_open_model(dirfd, "cam", &mfd, &r) == 0 &&
	                  firmware_read_meta(mfd, "1.1.0", &m, &r) == 0,
	          "firmware: 1.1.0 is kept");
	close(mfd);
	snprintf(image11, sizeof image11, ".firmware/cam/%s.bin", m.sha256);
	TAP_CHECK(firmware_remove(dirfd, "cam", "1.1.0", &refused, &r) == 0 &&
	                  !exists(".firmware/cam/1.1.0.meta") && !exists(image11),
	          "firmware: another version is removed, its image with it");
	TAP_CHECK(firmware_remove(dirfd, "cam", "1.1.0", &refused, &r) != 0 &&
	                  r.status == STORE_NOT_FOUND,
	          "firmware: a version not kept is not found");
	TAP_CHECK(firmware_remove(dirfd, "nocam", "1.1.0", &refused, &r) != 0 &&
	                  r.status == STORE_NOT_FOUND,
	          "firmware: a model never uploaded is not found");

	/* --- temps and models ------------------------------------------------ */
	char tmp[512];
	snprintf(tmp, sizeof tmp, "%s/.firmware/cam/.1.5.0.meta.99999.1.0000abcd.tmp", dir);
	FILE *f = fopen(tmp, "w");
	if (f != NULL)
		fclose(f);
	upload(dirfd, "cam", "1.0.0", 0, 100, 3, &u, &r);
	TAP_CHECK(!exists(".firmware/cam/.1.5.0.meta.99999.1.0000abcd.tmp"),
	          "firmware: a dead writer's temp file goes with the next write");
	upload(dirfd, "bulb", "0.1", 5, 100, 3, &u, &r);
	char(*names)[FIRMWARE_MODEL_MAX + 1];
	size_t n;
	TAP_CHECK(firmware_list_models(dirfd, &names, &n, &r) == 0 && n == 2 &&
	                  strcmp(names[0], "bulb") == 0 && strcmp(names[1], "cam") == 0,
	          "firmware: the models are listed sorted, .devices and locks left out");
	free(names);
	close(dirfd);
	rm_tree(dir);
	return tap_done();
}

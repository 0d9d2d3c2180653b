/*
 * api_firmware.h: the 404s of a missing model or version, said alike by
 * the firmware API (api_firmware.c) and the update clients' routes
 * (api_ota.c).
 */
#ifndef IOTCONFIG_API_FIRMWARE_H
#define IOTCONFIG_API_FIRMWARE_H

#include "api.h"

/* 404 RECORD_NOT_FOUND: no image of model was uploaded. -1. */
int api_firmware_model_missing(struct api_ctx *ctx, const char *model);

/* 404 RECORD_NOT_FOUND: model keeps no version. -1. */
int api_firmware_version_missing(struct api_ctx *ctx, const char *model, const char *version);

#endif

/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_cfg - reading libconfig files strictly: every error names the file
    and line, unknown keys are errors, numbers are range-checked. */
#ifndef ZTASK_CFG_H_INCLUDED
#define ZTASK_CFG_H_INCLUDED

#include "ztask_log.h"

#include <libconfig.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    config_t cfg;
    char file[512];   /* path as given, for messages    */
    char error[1536]; /* "file:line: what is wrong"     */
} ztask_cfg_t;

/* Reads file. Returns 0, or -1 with self->error set. Call ztask_cfg_free
   either way. */
int ztask_cfg_load (ztask_cfg_t *self, const char *file);
/* Same, from text (for tests); name stands in for the file name. */
int ztask_cfg_load_string (ztask_cfg_t *self, const char *text, const char *name);
void ztask_cfg_free (ztask_cfg_t *self);

/* Sets self->error to "file:line: message" for setting at (or the file
   alone when at is NULL) and returns -1. */
int ztask_cfg_fail (ztask_cfg_t *self, const config_setting_t *at, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Fails on the first key of group not in allowed (NULL-terminated). */
int ztask_cfg_keys (ztask_cfg_t *self, const config_setting_t *group, const char *const *allowed);

/* Optional values: when key is absent, *value is left as it is. Return 0,
   or -1 when present with the wrong type or out of range. */
int ztask_cfg_string (ztask_cfg_t *self, const config_setting_t *group, const char *key,
                      const char **value);
int ztask_cfg_int (ztask_cfg_t *self, const config_setting_t *group, const char *key,
                   long long min, long long max, long long *value);
int ztask_cfg_bool (ztask_cfg_t *self, const config_setting_t *group, const char *key, bool *value);

/* Priority levels: "all", or a list of names ("low", "normal", "high"),
   numbers 0-9 and "N-M" ranges. Sets bit n of *mask for each level. */
int ztask_cfg_priorities (ztask_cfg_t *self, const config_setting_t *group, const char *key,
                          uint16_t *mask);

/* log_format ("text" or "json") and log_level ("error", "warning",
   "notice", "info", "debug"), both optional, as ztaskd and ztask-worker
   read them (src/common/ztask_log.h). */
int ztask_cfg_log (ztask_cfg_t *self, const config_setting_t *group, ztask_log_format_t *format,
                   ztask_log_level_t *level);

#endif

/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_cfg - strict libconfig reading. */
#include "ztask_cfg.h"
#include "ztask/client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* libconfig (1.5) reads an @include'd file with a flex scanner that
   ends the process when a read fails (exit 2, "input in flex scanner
   failed"): an @include of a directory would stop ztaskd without a word.
   So every @include is looked at first, in the included files too: what
   is there must be a regular file (one that is not there is libconfig's
   to report). A line inside a comment block is looked at as well. */
#define INCLUDE_DEPTH_MAX 10 /* libconfig's own limit */
#define INCLUDE_TEXT_MAX (16 * 1024 * 1024) /* larger files are not looked into */

static int s_check_includes (ztask_cfg_t *self, const char *text, const char *dir, const char *name, int depth);

/* The regular file at path, whole and NUL-terminated, or NULL. */
static char *
s_read_text (const char *path)
{
    struct stat info;
    if (stat (path, &info) != 0 || !S_ISREG (info.st_mode) || info.st_size > INCLUDE_TEXT_MAX)
        return NULL;
    FILE *file = fopen (path, "rb");
    char *text = file ? (char *) malloc ((size_t) info.st_size + 1) : NULL;
    size_t size = text ? fread (text, 1, (size_t) info.st_size, file) : 0;
    if (text)
        text[size] = 0;
    if (file)
        fclose (file);
    return text;
}

/* The @include at the start of the line at at, if any: its file's name
   into path. Returns 1, or 0 (none, or one libconfig is to refuse). */
static int
s_include_path (const char *at, char *path, size_t size)
{
    at += strspn (at, " \t");
    if (strncmp (at, "@include", 8) != 0)
        return 0;
    at += 8;
    at += strspn (at, " \t");
    if (*at++ != '"')
        return 0;
    size_t length = 0;
    while (*at && *at != '"' && *at != '\n') {
        if (*at == '\\' && at[1] && at[1] != '\n')
            at++;
        if (length + 1 < size)
            path[length++] = *at;
        at++;
    }
    path[length] = 0;
    return *at == '"';
}

/* An @include of path on line of name, taken from dir (NULL: as it is). */
static int
s_check_include (ztask_cfg_t *self, const char *path, const char *dir, const char *name, int line, int depth)
{
    char full[4096];
    if (path[0] == '/' || !dir)
        snprintf (full, sizeof full, "%s", path);
    else
        snprintf (full, sizeof full, "%s/%s", dir, path);
    struct stat info;
    if (stat (full, &info) != 0)
        return 0;
    if (!S_ISREG (info.st_mode)) {
        snprintf (self->error, sizeof self->error, "%s:%d: @include \"%.300s\": not a regular file", name, line,
                  path);
        return -1;
    }
    char *text = depth + 1 < INCLUDE_DEPTH_MAX ? s_read_text (full) : NULL;
    if (!text)
        return 0;
    int rc = s_check_includes (self, text, dir, full, depth + 1); /* libconfig: from the same directory */
    free (text);
    return rc;
}

static int
s_check_includes (ztask_cfg_t *self, const char *text, const char *dir, const char *name, int depth)
{
    int line = 1;
    for (const char *at = text; at && *at; line++) {
        char path[1024];
        if (s_include_path (at, path, sizeof path) && s_check_include (self, path, dir, name, line, depth) != 0)
            return -1;
        at = strchr (at, '\n');
        if (at)
            at++;
    }
    return 0;
}

static int
s_loaded (ztask_cfg_t *self, int ok)
{
    if (ok == CONFIG_TRUE)
        return 0;
    if (config_error_type (&self->cfg) == CONFIG_ERR_FILE_IO)
        snprintf (self->error, sizeof self->error, "%s: cannot read the file", self->file);
    else if (config_error_text (&self->cfg) && strcmp (config_error_text (&self->cfg), "duplicate setting name") == 0)
        snprintf (self->error, sizeof self->error, "%s:%d: this key is set twice in its group (duplicate setting name)",
                  self->file, config_error_line (&self->cfg));
    else
        snprintf (self->error, sizeof self->error, "%s:%d: %s", self->file,
                  config_error_line (&self->cfg), config_error_text (&self->cfg));
    return -1;
}

int
ztask_cfg_load (ztask_cfg_t *self, const char *file)
{
    config_init (&self->cfg);
    /* @include "x.cfg" is taken from the including file's directory. */
    char dir[sizeof self->file];
    snprintf (dir, sizeof dir, "%s", file);
    char *slash = strrchr (dir, '/');
    if (slash) {
        *slash = 0;
        config_set_include_dir (&self->cfg, dir[0] ? dir : "/");
    }
    snprintf (self->file, sizeof self->file, "%s", file);
    self->error[0] = 0;
    char *text = s_read_text (file);
    int checked = text ? s_check_includes (self, text, config_get_include_dir (&self->cfg), file, 0) : 0;
    free (text);
    if (checked != 0)
        return -1;
    return s_loaded (self, config_read_file (&self->cfg, file));
}

int
ztask_cfg_load_string (ztask_cfg_t *self, const char *text, const char *name)
{
    config_init (&self->cfg);
    snprintf (self->file, sizeof self->file, "%s", name);
    self->error[0] = 0;
    if (s_check_includes (self, text, NULL, name, 0) != 0)
        return -1;
    return s_loaded (self, config_read_string (&self->cfg, text));
}

void
ztask_cfg_free (ztask_cfg_t *self)
{
    config_destroy (&self->cfg);
}

int
ztask_cfg_fail (ztask_cfg_t *self, const config_setting_t *at, const char *format, ...)
{
    char message[900];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    unsigned line = at ? config_setting_source_line (at) : 0;
    if (line)
        snprintf (self->error, sizeof self->error, "%s:%u: %s", self->file, line, message);
    else
        snprintf (self->error, sizeof self->error, "%s: %s", self->file, message);
    return -1;
}

int
ztask_cfg_keys (ztask_cfg_t *self, const config_setting_t *group, const char *const *allowed)
{
    int count = config_setting_length (group);
    for (int i = 0; i < count; i++) {
        config_setting_t *item = config_setting_get_elem (group, (unsigned) i);
        const char *name = config_setting_name (item);
        bool known = false;
        for (const char *const *a = allowed; *a && !known; a++)
            known = name && strcmp (name, *a) == 0;
        if (!known) {
            char list[512] = "";
            for (const char *const *a = allowed; *a; a++)
                snprintf (list + strlen (list), sizeof list - strlen (list), "%s%s",
                          a == allowed ? "" : ", ", *a);
            return ztask_cfg_fail (self, item, "unknown setting '%s' (known here: %s)",
                                   name ? name : "?", list);
        }
    }
    return 0;
}

int
ztask_cfg_string (ztask_cfg_t *self, const config_setting_t *group, const char *key,
                  const char **value)
{
    config_setting_t *item = config_setting_get_member (group, key);
    if (!item)
        return 0;
    if (config_setting_type (item) != CONFIG_TYPE_STRING)
        return ztask_cfg_fail (self, item, "'%s' must be a string in double quotes", key);
    const char *text = config_setting_get_string (item);
    if (!*text)
        return ztask_cfg_fail (self, item, "'%s' must not be empty", key);
    *value = text;
    return 0;
}

int
ztask_cfg_int (ztask_cfg_t *self, const config_setting_t *group, const char *key, long long min,
               long long max, long long *value)
{
    config_setting_t *item = config_setting_get_member (group, key);
    if (!item)
        return 0;
    int type = config_setting_type (item);
    if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
        return ztask_cfg_fail (self, item, "'%s' must be a whole number from %lld to %lld", key,
                               min, max);
    long long v = config_setting_get_int64 (item);
    if (v < min || v > max)
        return ztask_cfg_fail (self, item, "'%s' is %lld; it must be from %lld to %lld", key, v,
                               min, max);
    *value = v;
    return 0;
}

int
ztask_cfg_bool (ztask_cfg_t *self, const config_setting_t *group, const char *key, bool *value)
{
    config_setting_t *item = config_setting_get_member (group, key);
    if (!item)
        return 0;
    if (config_setting_type (item) != CONFIG_TYPE_BOOL)
        return ztask_cfg_fail (self, item, "'%s' must be true or false", key);
    *value = config_setting_get_bool (item);
    return 0;
}

/* Reads "N-M", N and M plain decimal numbers (digits only); true if text
   is one. Values are capped so an absurd one cannot overflow. */
static bool
s_parse_range (const char *text, int *lo, int *hi)
{
    int *value = lo;
    int digits = 0;
    *lo = *hi = 0;
    for (const char *c = text; *c; c++) {
        if (*c == '-' && value == lo && digits > 0) {
            value = hi;
            digits = 0;
        }
        else if (*c >= '0' && *c <= '9' && digits < 6) {
            *value = *value * 10 + (*c - '0');
            digits++;
        }
        else
            return false;
    }
    return value == hi && digits > 0;
}

/* One list entry: a name, a number or an "N-M" range. */
static int
s_priority_entry (ztask_cfg_t *self, const config_setting_t *item, uint16_t *mask)
{
    int lo, hi;
    if (config_setting_type (item) == CONFIG_TYPE_INT) {
        lo = hi = config_setting_get_int (item);
        if (lo < ZTASK_PRIORITY_MIN || lo > ZTASK_PRIORITY_MAX)
            return ztask_cfg_fail (self, item, "priority %d is out of range %d-%d", lo,
                                   ZTASK_PRIORITY_MIN, ZTASK_PRIORITY_MAX);
    }
    else if (config_setting_type (item) == CONFIG_TYPE_STRING) {
        const char *text = config_setting_get_string (item);
        if (s_parse_range (text, &lo, &hi)) {
            if (lo < ZTASK_PRIORITY_MIN || hi > ZTASK_PRIORITY_MAX || lo > hi)
                return ztask_cfg_fail (self, item, "priority range '%s' must be within %d-%d", text,
                                       ZTASK_PRIORITY_MIN, ZTASK_PRIORITY_MAX);
        }
        else if ((lo = hi = ztask_priority_parse (text)) < 0)
            return ztask_cfg_fail (self, item,
                                   "unknown priority '%s' (use low, normal, high, 0-9 or a range like \"3-7\")",
                                   text);
    }
    else
        return ztask_cfg_fail (self, item, "a priority is a name, a number or a \"N-M\" range");
    for (int p = lo; p <= hi; p++)
        *mask |= (uint16_t) (1u << p);
    return 0;
}

int
ztask_cfg_priorities (ztask_cfg_t *self, const config_setting_t *group, const char *key,
                      uint16_t *mask)
{
    config_setting_t *item = config_setting_get_member (group, key);
    if (!item)
        return 0;
    if (config_setting_type (item) == CONFIG_TYPE_STRING
        && strcmp (config_setting_get_string (item), "all") == 0) {
        *mask = (uint16_t) ((1u << (ZTASK_PRIORITY_MAX + 1)) - 1);
        return 0;
    }
    uint16_t result = 0;
    if (config_setting_is_array (item) || config_setting_is_list (item)) {
        int count = config_setting_length (item);
        for (int i = 0; i < count; i++)
            if (s_priority_entry (self, config_setting_get_elem (item, (unsigned) i), &result))
                return -1;
    }
    else if (s_priority_entry (self, item, &result))
        return -1;
    if (!result)
        return ztask_cfg_fail (self, item, "'%s' names no priority level", key);
    *mask = result;
    return 0;
}

int
ztask_cfg_log (ztask_cfg_t *self, const config_setting_t *group, ztask_log_format_t *format,
               ztask_log_level_t *level)
{
    const char *format_name = NULL, *level_name = NULL;
    if (ztask_cfg_string (self, group, "log_format", &format_name)
        || ztask_cfg_string (self, group, "log_level", &level_name))
        return -1;
    if (format_name && ztask_log_parse_format (format_name, format) != 0)
        return ztask_cfg_fail (self, config_setting_get_member (group, "log_format"),
                               "'log_format' must be \"text\" or \"json\", not \"%s\"", format_name);
    if (level_name && ztask_log_parse_level (level_name, level) != 0)
        return ztask_cfg_fail (self, config_setting_get_member (group, "log_level"),
                               "'log_level' must be \"error\", \"warning\", \"notice\", \"info\" or "
                               "\"debug\", not \"%s\"",
                               level_name);
    return 0;
}

/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  type_defaults - a task's needs completed by its type's. See type_defaults.h. */
#include "type_defaults.h"
#include "common/ztask_retry.h"

static bool
s_empty (const char *text)
{
    return !text || !*text;
}

void
type_defaults_apply (const broker_type_defaults_t *defaults, const sched_needs_t *given, sched_needs_t *out,
                     const char **require)
{
    static const sched_needs_t none = { NULL, 0, NULL, NULL, NULL };
    if (!given)
        given = &none;
    *out = *given;
    if (!defaults)
        return;
    size_t count = 0; /* each at most ZTASK_REQUIRE_MAX: both fit */
    for (size_t i = 0; i < defaults->require_count && count < TYPE_DEFAULTS_REQUIRE_MAX; i++)
        require[count++] = defaults->require[i];
    for (size_t i = 0; i < given->require_count && count < TYPE_DEFAULTS_REQUIRE_MAX; i++)
        require[count++] = given->require[i];
    out->require = require;
    out->require_count = count;
    if (s_empty (given->needs))
        out->needs = defaults->needs;
    if (s_empty (given->limit))
        out->limit = defaults->limit;
}

void
type_defaults_retry (const broker_type_defaults_t *defaults, uint32_t retry_min_ms, uint32_t retry_max_ms,
                     uint32_t max_attempts, uint32_t default_attempts, type_retry_t *out)
{
    out->retry_min_ms = ZTASK_RETRY_DEFAULT_MIN_MS;
    out->retry_max_ms = ZTASK_RETRY_DEFAULT_MAX_MS;
    out->max_attempts = default_attempts;
    if (retry_min_ms || retry_max_ms) {
        out->retry_min_ms = retry_min_ms;
        out->retry_max_ms = retry_max_ms;
    }
    else if (defaults && defaults->retry_min_ms) {
        out->retry_min_ms = defaults->retry_min_ms;
        out->retry_max_ms = defaults->retry_max_ms;
    }
    if (max_attempts)
        out->max_attempts = max_attempts;
    else if (defaults && defaults->attempts)
        out->max_attempts = defaults->attempts;
}

/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  type_defaults - what a task asks, completed with its type's defaults
    from the broker's config (`types`, docs/routing.md): the type's
    requirements are added to the task's own; its resources and its limit
    apply when the task names none. Applied once, at submit: what is
    stored is the result, so a change of the config does not change a task
    already accepted. */
#ifndef ZTASK_TYPE_DEFAULTS_H_INCLUDED
#define ZTASK_TYPE_DEFAULTS_H_INCLUDED

#include "broker_config.h"
#include "scheduler.h"

/* A task's retry policy and attempts: what it asked (0: nothing), else
   its type's defaults (NULL: none), else the default policy
   (ZTASK_RETRY_DEFAULT_MIN_MS..MAX) and default_attempts (the broker's
   max_attempts). */
typedef struct {
    uint32_t retry_min_ms, retry_max_ms;
    uint32_t max_attempts;
} type_retry_t;

void type_defaults_retry (const broker_type_defaults_t *defaults, uint32_t retry_min_ms, uint32_t retry_max_ms,
                          uint32_t max_attempts, uint32_t default_attempts, type_retry_t *out);

/* Room type_defaults_apply needs for the requirement pointers. */
#define TYPE_DEFAULTS_REQUIRE_MAX (2 * ZTASK_REQUIRE_MAX)

/* Fills out with given (NULL: nothing asked) completed by defaults (NULL:
   none); out->require points into require (TYPE_DEFAULTS_REQUIRE_MAX
   entries) and every text stays the caller's or the config's. More than
   ZTASK_REQUIRE_MAX distinct requirements together are refused later, by
   scheduler_sig. */
void type_defaults_apply (const broker_type_defaults_t *defaults, const sched_needs_t *given, sched_needs_t *out,
                          const char **require);

#endif

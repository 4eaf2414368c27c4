/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  echo - returns its payload as the result.

    The smallest useful plugin: a template to copy. It keeps no state, so
    run is safe to call from several worker slots at once.
*/
#include <ztask/plugin.h>

static int
s_run (ztask_ctx_t *ctx, void *state)
{
    (void) state;
    size_t size;
    const void *data = ztask_payload (ctx, &size);
    /* Fails only when the payload exceeds the worker's max_result; the
       worker then fails the task with that reason. */
    if (ztask_set_result (ctx, data, size) != 0)
        return ZTASK_FAILED;
    return ZTASK_OK;
}

ZTASK_PLUGIN ("echo", "1.0.0", "returns its payload as the result", NULL, s_run, NULL);

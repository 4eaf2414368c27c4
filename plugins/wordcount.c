/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  wordcount - counts the lines, words and bytes of its payload, like wc.

    Result: {"lines": 3, "words": 12, "bytes": 80}
    A line is a newline character; a word is a run of bytes other than
    space, tab, newline, carriage return, vertical tab and form feed (wc in
    the C locale). Large payloads report progress every MiB.
*/
#include <ztask/plugin.h>

#include <stdio.h>

#define CHUNK (1024 * 1024) /* bytes counted between progress reports */

static int
s_run (ztask_ctx_t *ctx, void *state)
{
    (void) state;
    size_t size;
    const unsigned char *data = (const unsigned char *) ztask_payload (ctx, &size);
    unsigned long long lines = 0, words = 0;
    int in_word = 0;
    for (size_t at = 0; at < size;) {
        size_t end = size - at > CHUNK ? at + CHUNK : size;
        for (; at < end; at++) {
            unsigned char c = data[at];
            if (c == '\n')
                lines++;
            if (c == ' ' || (c >= '\t' && c <= '\r'))
                in_word = 0;
            else if (!in_word) {
                in_word = 1;
                words++;
            }
        }
        if (size > CHUNK) {
            ztask_progress (ctx, at, size, "counting");
            if (ztask_cancelled (ctx)) {
                ztask_set_error (ctx, 0, "cancelled after %zu of %zu bytes", at, size);
                return ZTASK_FAILED;
            }
        }
    }
    char result[128];
    int length = snprintf (result, sizeof result,
                           "{\"lines\": %llu, \"words\": %llu, \"bytes\": %zu}", lines, words,
                           size);
    if (ztask_set_result (ctx, result, (size_t) length) != 0)
        return ZTASK_FAILED;
    return ZTASK_OK;
}

ZTASK_PLUGIN ("wordcount", "1.0.0", "counts the lines, words and bytes of its payload, like wc",
              NULL, s_run, NULL);

/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_utf8 - the one UTF-8 validator of ztask: the codec checks every
    string it receives with it, the names rule (ztask_names.h) builds on it,
    and the CLI's sanitiser walks text with it. */
#ifndef ZTASK_UTF8_H_INCLUDED
#define ZTASK_UTF8_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length (1 to 4) of the well-formed UTF-8 sequence that starts data
   (size bytes available), with its code point in *cp; 0 when there is
   none: size 0, a stray continuation byte, a sequence cut short, an
   overlong form, a surrogate, or a code point past U+10FFFF. A NUL byte
   is a sequence of 1 (code point 0). */
size_t ztask_utf8_next (const void *data, size_t size, uint32_t *cp);

/* True if data[0..size) is well-formed UTF-8 without a NUL byte. */
bool ztask_utf8_valid (const void *data, size_t size);

/* The 1-based column of byte at in text, for error messages: the
   characters (UTF-8 lead bytes) before it, plus 1; stops at a NUL. */
size_t ztask_utf8_column (const char *text, size_t at);

/* True if cp is a control character: C0 (U+0000-U+001F), DEL (U+007F)
   or C1 (U+0080-U+009F). */
bool ztask_utf8_is_control (uint32_t cp);

#endif

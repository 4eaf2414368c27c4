/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_utf8 - well-formed UTF-8 (RFC 3629). See ztask_utf8.h. */
#include "ztask_utf8.h"

size_t
ztask_utf8_next (const void *data, size_t size, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *) data;
    if (size == 0)
        return 0;
    unsigned char c = s[0];
    size_t extra;
    uint32_t value, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if ((c & 0xE0) == 0xC0) {
        extra = 1;
        value = c & 0x1F;
        min = 0x80;
    }
    else if ((c & 0xF0) == 0xE0) {
        extra = 2;
        value = c & 0x0F;
        min = 0x800;
    }
    else if ((c & 0xF8) == 0xF0) {
        extra = 3;
        value = c & 0x07;
        min = 0x10000;
    }
    else
        return 0; /* a continuation byte, or 0xF8-0xFF */
    if (extra >= size)
        return 0;
    for (size_t k = 1; k <= extra; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        value = (value << 6) | (s[k] & 0x3F);
    }
    if (value < min || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
        return 0;
    *cp = value;
    return extra + 1;
}

bool
ztask_utf8_valid (const void *data, size_t size)
{
    const unsigned char *s = (const unsigned char *) data;
    size_t i = 0;
    while (i < size) {
        if (s[i] < 0x80) { /* the common case, without a call */
            if (s[i] == 0)
                return false;
            i++;
            continue;
        }
        uint32_t cp;
        size_t length = ztask_utf8_next (s + i, size - i, &cp);
        if (length == 0)
            return false;
        i += length;
    }
    return true;
}

bool
ztask_utf8_is_control (uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

size_t
ztask_utf8_column (const char *text, size_t at)
{
    size_t column = 1;
    for (size_t i = 0; i < at && text[i]; i++)
        if (((unsigned char) text[i] & 0xC0) != 0x80)
            column++;
    return column;
}

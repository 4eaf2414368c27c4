/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_cert - CURVE support shared by client, worker and broker: reading
    a CURVE certificate file as zcert_save writes it,
    with an error that says what is wrong (zcert_load alone cannot say why,
    and it silently prefers FILE_secret). */
#ifndef ZTASK_CERT_H_INCLUDED
#define ZTASK_CERT_H_INCLUDED

#include <czmq.h>

#define Z85_KEY_SIZE 40 /* a CURVE key as text */

/* secret: the file must hold a secret key (NAME.key_secret); else it must
   hold only a public key (NAME.key: another peer's secret has no business
   here). Returns the certificate, or NULL with why in error. */
zcert_t *ztask_cert_load (const char *file, bool secret, char *error, size_t error_size);

#endif

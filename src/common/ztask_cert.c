/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */

/*  ztask_cert - reading a CURVE certificate file. See ztask_cert.h. */
#include "ztask_cert.h"

zcert_t *
ztask_cert_load (const char *file, bool secret, char *error, size_t error_size)
{
    FILE *probe = fopen (file, "r");
    if (!probe) {
        snprintf (error, error_size, "cannot read %s: %s", file, strerror (errno));
        return NULL;
    }
    fclose (probe);
    zconfig_t *root = zconfig_load (file);
    const char *public_txt = root ? zconfig_get (root, "/curve/public-key", NULL) : NULL;
    const char *secret_txt = root ? zconfig_get (root, "/curve/secret-key", NULL) : NULL;
    static const char no_key[Z85_KEY_SIZE + 1] = "0000000000000000000000000000000000000000";
    bool has_secret = secret_txt && !streq (secret_txt, no_key);
    byte public_key[32], secret_key[32] = { 0 };
    zcert_t *cert = NULL;
    if (!public_txt || strlen (public_txt) != Z85_KEY_SIZE || !zmq_z85_decode (public_key, public_txt))
        snprintf (error, error_size, "%s is not a CURVE certificate (make one with: ztask keygen NAME)",
                  file);
    else if (secret && !has_secret)
        snprintf (error, error_size, "%s holds no secret key: give NAME.key_secret, not the public NAME.key",
                  file);
    else if (secret && (strlen (secret_txt) != Z85_KEY_SIZE || !zmq_z85_decode (secret_key, secret_txt)))
        snprintf (error, error_size, "%s is not a CURVE certificate: its secret-key is damaged", file);
    else if (!secret && has_secret)
        snprintf (error, error_size,
                  "%s is a secret certificate: give the public one (NAME.key); the secret stays with "
                  "its owner",
                  file);
    else {
        cert = zcert_new_from (public_key, secret_key);
        if (!cert)
            snprintf (error, error_size, "%s: out of memory", file);
    }
    zconfig_destroy (&root);
    return cert;
}

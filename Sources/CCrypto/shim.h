#ifndef CCRYPTO_SHIM_H
#define CCRYPTO_SHIM_H

// The one thing Foreshock takes from OpenSSL's libcrypto: HMAC-SHA256, for signing webhooks
// (Linux has no CryptoKit and no package may be added). Prefixed `ccrypto_`, like `ccurl_`.

#include <openssl/evp.h>
#include <openssl/hmac.h>

/// HMAC-SHA256 of `data` under `key` into `out` (32 bytes). Returns 1 on success, 0 on failure.
static inline int ccrypto_hmac_sha256(const unsigned char *key, size_t key_length,
                                      const unsigned char *data, size_t data_length,
                                      unsigned char *out) {
    unsigned int length = 0;
    // HMAC() takes an int key length; a larger key is refused rather than truncated.
    if (key_length > 0x7fffffff) return 0;
    return HMAC(EVP_sha256(), key, (int)key_length, data, data_length, out, &length) != NULL && length == 32;
}

#endif

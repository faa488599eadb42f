#ifndef CCRYPTO_SHIM_H
#define CCRYPTO_SHIM_H

// What Foreshock takes from OpenSSL's libcrypto: HMAC-SHA256, for signing webhooks, SHA-256,
// for the web page's script hash, and a constant-time comparison, for the web API's token
// (Linux has no CryptoKit and no package may be added). Prefixed `ccrypto_`, like `ccurl_`.

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

/// HMAC-SHA256 of `data` under `key` into `out` (32 bytes). Returns 1 on success, 0 on failure.
static inline int ccrypto_hmac_sha256(const unsigned char *key, size_t key_length,
                                      const unsigned char *data, size_t data_length,
                                      unsigned char *out) {
    unsigned int length = 0;
    // HMAC() takes an int key length; a larger key is refused rather than truncated.
    if (key_length > 0x7fffffff) return 0;
    return HMAC(EVP_sha256(), key, (int)key_length, data, data_length, out, &length) != NULL && length == 32;
}

/// SHA-256 of `data` into `out` (32 bytes).
static inline void ccrypto_sha256(const unsigned char *data, size_t length, unsigned char *out) {
    SHA256(data, length, out);
}

/// Whether two buffers of `length` bytes are equal, in time that does not depend on where
/// they differ. Returns 1 when equal.
static inline int ccrypto_equal(const void *a, const void *b, size_t length) {
    return CRYPTO_memcmp(a, b, length) == 0;
}

#endif

#ifndef AUTHLEDGER_CCRYPTO_SHIM_H
#define AUTHLEDGER_CCRYPTO_SHIM_H
/* SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP, but remain
   supported; HMAC below needs their copyable state (see authledger_hmac_sha256). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/bn.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/pem.h>
#include <openssl/obj_mac.h>
#include <string.h>

/* HMAC-SHA-256 (RFC 2104) from a key schedule: the SHA-256 states after hashing the key
   XOR ipad and XOR opad. A MAC is then two struct copies and two short hashes, where
   re-initialising an EVP_MAC context copies digest contexts through the provider layer
   (several times slower, on every refresh token minted or checked). */
static inline void authledger_hmac_sha256_schedule(const unsigned char *key, size_t length,
                                                   SHA256_CTX *inner, SHA256_CTX *outer) {
    unsigned char k[64] = {0}, pad[64];
    SHA256_CTX c;
    if (length > 64) {
        /* Keys longer than a block are hashed first (RFC 2104). SHA256_Init/Update/Final
           cannot fail, unlike the one-shot SHA256(), which fetches through the provider
           layer and would leave an all-zero key behind if that failed. */
        SHA256_Init(&c);
        SHA256_Update(&c, key, length);
        SHA256_Final(k, &c);
        OPENSSL_cleanse(&c, sizeof c);
    } else if (length > 0) {
        memcpy(k, key, length);
    }
    for (int i = 0; i < 64; i++) pad[i] = k[i] ^ 0x36;
    SHA256_Init(inner);
    SHA256_Update(inner, pad, 64);
    for (int i = 0; i < 64; i++) pad[i] = k[i] ^ 0x5c;
    SHA256_Init(outer);
    SHA256_Update(outer, pad, 64);
    OPENSSL_cleanse(k, sizeof k);
    OPENSSL_cleanse(pad, sizeof pad);
}

static inline void authledger_hmac_sha256(const SHA256_CTX *inner, const SHA256_CTX *outer,
                                          const unsigned char *message, size_t length, unsigned char tag[32]) {
    SHA256_CTX c = *inner;
    unsigned char h[32];
    SHA256_Update(&c, message, length);
    SHA256_Final(h, &c);
    c = *outer;
    SHA256_Update(&c, h, 32);
    SHA256_Final(tag, &c);
    OPENSSL_cleanse(&c, sizeof c);
}
#endif

/*
 * See raw_crypto.h. Like AuthLedger, this uses the best-practice OpenSSL 3 options:
 * SHA-256 fetched once (EVP_MD_fetch); for ECDSA, signing and verification contexts
 * initialised once (EVP_PKEY_sign_init / EVP_PKEY_verify_init with the digest set) and
 * reused with a digest computed by EVP_Digest, which skips the provider lookups that
 * EVP_DigestSign/VerifyInit repeat on every call (what AuthLedger's P256 keys do); for
 * Ed25519, which has no such interface, a fresh EVP_MD_CTX with EVP_MD_CTX_FLAG_FINALISE
 * and EVP_DigestSign/VerifyInit per operation.
 */
#include "raw_crypto.h"
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

struct raw_crypto {
    int ed;
    EVP_PKEY *key;
    EVP_MD *sha256;
    EVP_PKEY_CTX *sign_ctx, *verify_ctx; /* ECDSA only */
    unsigned char *msg;
    size_t len;
    unsigned char sig[80];
    size_t siglen;
};

static EVP_PKEY *keygen(int ed) {
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, ed ? "ED25519" : "EC", NULL);
    EVP_PKEY *key = NULL;
    if (ctx && EVP_PKEY_keygen_init(ctx) == 1 && (ed || EVP_PKEY_CTX_set_group_name(ctx, "P-256") == 1))
        EVP_PKEY_generate(ctx, &key);
    EVP_PKEY_CTX_free(ctx);
    return key;
}

static int sign_once(raw_crypto *r, unsigned char *sig, size_t *siglen) {
    *siglen = 80;
    if (!r->ed) {
        unsigned char digest[32];
        unsigned int dlen;
        return EVP_Digest(r->msg, r->len, digest, &dlen, r->sha256, NULL) == 1
            && EVP_PKEY_sign(r->sign_ctx, sig, siglen, digest, dlen) == 1;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx) return 0;
    EVP_MD_CTX_set_flags(ctx, EVP_MD_CTX_FLAG_FINALISE);
    int ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, r->key) == 1
        && EVP_DigestSign(ctx, sig, siglen, r->msg, r->len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

static int verify_once(raw_crypto *r) {
    if (!r->ed) {
        unsigned char digest[32];
        unsigned int dlen;
        return EVP_Digest(r->msg, r->len, digest, &dlen, r->sha256, NULL) == 1
            && EVP_PKEY_verify(r->verify_ctx, r->sig, r->siglen, digest, dlen) == 1;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx) return 0;
    EVP_MD_CTX_set_flags(ctx, EVP_MD_CTX_FLAG_FINALISE);
    int ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, r->key) == 1
        && EVP_DigestVerify(ctx, r->sig, r->siglen, r->msg, r->len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

raw_crypto *raw_crypto_new(int ed, const unsigned char *msg, size_t len) {
    raw_crypto *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->ed = ed;
    r->key = keygen(ed);
    r->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    r->msg = malloc(len ? len : 1);
    r->len = len;
    if (!r->key || !r->sha256 || !r->msg) { raw_crypto_free(r); return NULL; }
    memcpy(r->msg, msg, len);
    if (!ed) {
        r->sign_ctx = EVP_PKEY_CTX_new_from_pkey(NULL, r->key, NULL);
        r->verify_ctx = EVP_PKEY_CTX_new_from_pkey(NULL, r->key, NULL);
        if (!r->sign_ctx || EVP_PKEY_sign_init(r->sign_ctx) != 1
            || EVP_PKEY_CTX_set_signature_md(r->sign_ctx, r->sha256) != 1
            || !r->verify_ctx || EVP_PKEY_verify_init(r->verify_ctx) != 1
            || EVP_PKEY_CTX_set_signature_md(r->verify_ctx, r->sha256) != 1) { raw_crypto_free(r); return NULL; }
    }
    if (!sign_once(r, r->sig, &r->siglen)) { raw_crypto_free(r); return NULL; }
    return r;
}

int raw_crypto_run(raw_crypto *r, int verify, long ops) {
    unsigned char sig[80];
    size_t siglen;
    for (long i = 0; i < ops; i++)
        if (!(verify ? verify_once(r) : sign_once(r, sig, &siglen))) return 0;
    return 1;
}

void raw_crypto_free(raw_crypto *r) {
    if (!r) return;
    EVP_PKEY_CTX_free(r->sign_ctx);
    EVP_PKEY_CTX_free(r->verify_ctx);
    EVP_MD_free(r->sha256);
    EVP_PKEY_free(r->key);
    free(r->msg);
    free(r);
}

/*
 * Raw libcrypto baseline for AuthLedger's token benchmark: sign and verify the same
 * bytes with the idiomatic OpenSSL 3 EVP calls (a fresh EVP_MD_CTX and
 * EVP_DigestSign/VerifyInit per operation, as any server signing tokens concurrently
 * must), and nothing else: no JSON, no base64, no DER <-> JOSE conversion. Like
 * AuthLedger it uses the best-practice options: SHA-256 fetched once (EVP_MD_fetch),
 * EVP_MD_CTX_FLAG_FINALISE (no key-context copy at the final call), and for ECDSA
 * verification a verify context initialised once and reused with a digest computed by
 * EVP_Digest (what AuthLedger's P256.PublicKey does).
 *
 *   crypto-raw-bench sign|verify es256|ed25519 FILE SECONDS [THREADS]
 *
 * FILE holds the signing input (a typical token's "header.payload"). Prints one JSON line.
 */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static EVP_PKEY *keygen(int ed) {
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, ed ? "ED25519" : "EC", NULL);
    EVP_PKEY *key = NULL;
    if (!ctx || EVP_PKEY_keygen_init(ctx) != 1) exit(1);
    if (!ed && EVP_PKEY_CTX_set_group_name(ctx, "P-256") != 1) exit(1);
    if (EVP_PKEY_generate(ctx, &key) != 1) exit(1);
    EVP_PKEY_CTX_free(ctx);
    return key;
}

static EVP_MD *sha256;

static EVP_MD_CTX *context(void) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_MD_CTX_set_flags(ctx, EVP_MD_CTX_FLAG_FINALISE);
    return ctx;
}

static size_t sign_once(EVP_PKEY *key, int ed, const unsigned char *msg, size_t len, unsigned char *sig) {
    EVP_MD_CTX *ctx = context();
    size_t siglen = 80;
    if (EVP_DigestSignInit(ctx, NULL, ed ? NULL : sha256, NULL, key) != 1) exit(1);
    if (EVP_DigestSign(ctx, sig, &siglen, msg, len) != 1) exit(1);
    EVP_MD_CTX_free(ctx);
    return siglen;
}

static int verify_once(EVP_PKEY *key, int ed, const unsigned char *msg, size_t len, const unsigned char *sig, size_t siglen) {
    if (!ed) {
        /* One reusable verify context per thread. */
        static __thread EVP_PKEY_CTX *pctx;
        if (!pctx) {
            pctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
            if (!pctx || EVP_PKEY_verify_init(pctx) != 1 || EVP_PKEY_CTX_set_signature_md(pctx, sha256) != 1) exit(1);
        }
        unsigned char digest[32];
        unsigned int dlen;
        if (EVP_Digest(msg, len, digest, &dlen, sha256, NULL) != 1) exit(1);
        return EVP_PKEY_verify(pctx, sig, siglen, digest, dlen);
    }
    EVP_MD_CTX *ctx = context();
    if (EVP_DigestVerifyInit(ctx, NULL, ed ? NULL : sha256, NULL, key) != 1) exit(1);
    int ok = EVP_DigestVerify(ctx, sig, siglen, msg, len);
    EVP_MD_CTX_free(ctx);
    return ok;
}

struct job {
    EVP_PKEY *key;
    int ed, verify;
    const unsigned char *msg;
    size_t len;
    unsigned char sig[80];
    size_t siglen;
    double seconds;
    long ops;
};

static void *run(void *arg) {
    struct job *j = arg;
    unsigned char sig[80];
    double end = now() + j->seconds;
    long ops = 0;
    while (now() < end) {
        for (int i = 0; i < 64; i++) {
            if (j->verify) {
                if (verify_once(j->key, j->ed, j->msg, j->len, j->sig, j->siglen) != 1) exit(3);
            } else {
                sign_once(j->key, j->ed, j->msg, j->len, sig);
            }
        }
        ops += 64;
    }
    j->ops = ops;
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: see the comment at the top of crypto-raw-bench.c\n"); return 2; }
    int verify = !strcmp(argv[1], "verify"), ed = !strcmp(argv[2], "ed25519");
    FILE *f = fopen(argv[3], "rb");
    if (!f) { perror(argv[3]); return 1; }
    static unsigned char msg[16384];
    size_t len = fread(msg, 1, sizeof msg, f);
    fclose(f);
    double seconds = atof(argv[4]);
    int threads = argc > 5 ? atoi(argv[5]) : 1;
    sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    EVP_PKEY *key = keygen(ed);
    struct job jobs[64];
    pthread_t tids[64];
    for (int t = 0; t < threads; t++) {
        jobs[t] = (struct job){ .key = key, .ed = ed, .verify = verify, .msg = msg, .len = len, .seconds = seconds };
        jobs[t].siglen = sign_once(key, ed, msg, len, jobs[t].sig);
    }
    double start = now();
    for (int t = 0; t < threads; t++) pthread_create(&tids[t], NULL, run, &jobs[t]);
    long ops = 0;
    for (int t = 0; t < threads; t++) { pthread_join(tids[t], NULL); ops += jobs[t].ops; }
    double secs = now() - start;
    printf("{\"bench\":\"raw-%s\",\"alg\":\"%s\",\"threads\":%d,\"ops\":%ld,\"seconds\":%.6f,\"per_second\":%.1f}\n",
           argv[1], ed ? "EdDSA" : "ES256", threads, ops, secs, ops / secs);
    return 0;
}

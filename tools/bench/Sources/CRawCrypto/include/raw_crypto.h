/*
 * The raw libcrypto baseline for AuthLedger's token benchmarks: signs or verifies fixed
 * bytes with the idiomatic OpenSSL 3 EVP calls and nothing else (no JSON, no base64, no
 * DER <-> JOSE conversion). Linked into the benchmark package so that a burst of
 * AuthLedger operations and a burst of raw ones can alternate in one process, and by
 * tools/crypto-raw-bench.c for the multi-threaded signing limit.
 */
#ifndef AUTHLEDGER_RAW_CRYPTO_H
#define AUTHLEDGER_RAW_CRYPTO_H
#include <stddef.h>

typedef struct raw_crypto raw_crypto;

/* A fresh key (Ed25519 when `ed`, else P-256) over a copy of `msg`, signed once so that
 * verification has a signature. NULL on failure. */
raw_crypto *raw_crypto_new(int ed, const unsigned char *msg, size_t len);

/* Runs `ops` signatures (or verifications when `verify`); returns 1, or 0 if any failed. */
int raw_crypto_run(raw_crypto *r, int verify, long ops);

void raw_crypto_free(raw_crypto *r);

#endif

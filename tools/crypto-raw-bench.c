/*
 * Raw libcrypto baseline, multi-threaded: the physical limit of ES256 signing on every
 * core, which bounds AuthLedger's refreshes (each signs an access token). The operations
 * themselves are tools/bench/Sources/CRawCrypto/raw_crypto.c, the same code the benchmark
 * package alternates with AuthLedger's in one process for the single-thread ratios.
 *
 *   crypto-raw-bench sign|verify es256|ed25519 FILE SECONDS [THREADS]
 *
 * FILE holds the signing input (a typical token's "header.payload"). Each thread has its
 * own key and contexts. Prints one JSON line.
 */
#include "bench/Sources/CRawCrypto/raw_crypto.c"
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct job {
    raw_crypto *raw;
    int verify;
    double seconds;
    long ops;
};

static void *run(void *arg) {
    struct job *j = arg;
    double end = now() + j->seconds;
    long ops = 0;
    while (now() < end) {
        if (!raw_crypto_run(j->raw, j->verify, 64)) exit(3);
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
    if (threads < 1 || threads > 64) { fprintf(stderr, "THREADS must be 1...64\n"); return 2; }
    struct job jobs[64];
    pthread_t tids[64];
    for (int t = 0; t < threads; t++) {
        jobs[t] = (struct job){ .raw = raw_crypto_new(ed, msg, len), .verify = verify, .seconds = seconds };
        if (!jobs[t].raw) { fprintf(stderr, "libcrypto setup failed\n"); return 1; }
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

/*
 * Raw liblmdb baseline for AuthLedger's log benchmark: the same LMDB work the Swift log
 * does (an MDB_APPEND put into an integer-keyed `log` database plus an MDB_APPENDDUP
 * put into the dupsort `users` index, committed in batches), with none of AuthLedger's
 * encoding, hashing or concurrency. Also: a full cursor scan of a log, and the machine's
 * rate of small write + fdatasync pairs.
 *
 *   lmdb-raw-bench append DIR EVENTS BATCH durable|nosync VALUE_BYTES USERS
 *   lmdb-raw-bench scan DIR          (scans the `log` database of an existing environment)
 *   lmdb-raw-bench fsync FILE COUNT
 *
 * Each prints one JSON line.
 */
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHECK(call) do { int rc_ = (call); if (rc_) { fprintf(stderr, "%s: %s\n", #call, mdb_strerror(rc_)); exit(1); } } while (0)

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static MDB_env *open_env(const char *dir, unsigned flags) {
    MDB_env *env;
    mkdir(dir, 0700);
    CHECK(mdb_env_create(&env));
    CHECK(mdb_env_set_maxdbs(env, 4));
    CHECK(mdb_env_set_mapsize(env, (size_t)8 << 30));
    CHECK(mdb_env_open(env, dir, MDB_NOTLS | MDB_NORDAHEAD | flags, 0600));
    return env;
}

static int append(const char *dir, long events, long batch, int durable, size_t value_bytes, long users) {
    MDB_env *env = open_env(dir, durable ? 0 : MDB_NOSYNC);
    MDB_txn *txn;
    MDB_dbi log, idx;
    CHECK(mdb_txn_begin(env, NULL, 0, &txn));
    CHECK(mdb_dbi_open(txn, "log", MDB_INTEGERKEY | MDB_CREATE, &log));
    CHECK(mdb_dbi_open(txn, "users", MDB_DUPSORT | MDB_DUPFIXED | MDB_INTEGERDUP | MDB_CREATE, &idx));
    CHECK(mdb_txn_commit(txn));
    char *value = calloc(1, value_bytes);
    char user[32];
    double start = now();
    uint64_t pos = 0;
    long commits = 0;
    for (long done = 0; done < events; ) {
        CHECK(mdb_txn_begin(env, NULL, 0, &txn));
        for (long i = 0; i < batch && done < events; i++, done++) {
            pos++;
            memcpy(value, &pos, sizeof pos);
            MDB_val k = { sizeof pos, &pos }, v = { value_bytes, value };
            CHECK(mdb_put(txn, log, &k, &v, MDB_APPEND));
            /* Spread events over users as concurrent callers would (same hash as the Swift benchmark). */
            int n = snprintf(user, sizeof user, "user-%06ld", (long)((pos * 2654435761u) % (uint64_t)users));
            MDB_val uk = { (size_t)n, user }, uv = { sizeof pos, &pos };
            CHECK(mdb_put(txn, idx, &uk, &uv, MDB_APPENDDUP));
        }
        CHECK(mdb_txn_commit(txn));
        commits++;
    }
    double secs = now() - start;
    printf("{\"bench\":\"raw-append\",\"durable\":%s,\"batch\":%ld,\"events\":%ld,\"commits\":%ld,\"seconds\":%.6f,\"per_second\":%.1f}\n",
           durable ? "true" : "false", batch, events, commits, secs, events / secs);
    mdb_env_close(env);
    free(value);
    return 0;
}

static int scan(const char *dir) {
    MDB_env *env = open_env(dir, MDB_RDONLY);
    MDB_txn *txn;
    MDB_dbi log;
    MDB_cursor *cur;
    MDB_val k, v;
    CHECK(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn));
    CHECK(mdb_dbi_open(txn, "log", MDB_INTEGERKEY, &log));
    CHECK(mdb_cursor_open(txn, log, &cur));
    double start = now();
    long n = 0;
    uint64_t sum = 0;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (rc == 0) {
        /* Touch each record so the scan cannot be optimised away. */
        sum += v.mv_size + ((const unsigned char *)v.mv_data)[1];
        n++;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    double secs = now() - start;
    printf("{\"bench\":\"raw-scan\",\"events\":%ld,\"seconds\":%.6f,\"per_second\":%.1f,\"checksum\":%lu}\n", n, secs, n / secs, (unsigned long)sum);
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return 0;
}

static int fsync_rate(const char *path, long count) {
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) { perror("open"); return 1; }
    char buf[128] = {0};
    double start = now();
    for (long i = 0; i < count; i++) {
        if (pwrite(fd, buf, sizeof buf, (off_t)(i % 64) * 4096) != sizeof buf) { perror("pwrite"); return 1; }
        if (fdatasync(fd) != 0) { perror("fdatasync"); return 1; }
    }
    double secs = now() - start;
    printf("{\"bench\":\"fdatasync\",\"count\":%ld,\"seconds\":%.6f,\"per_second\":%.1f}\n", count, secs, count / secs);
    close(fd);
    unlink(path);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 8 && !strcmp(argv[1], "append"))
        return append(argv[2], atol(argv[3]), atol(argv[4]), !strcmp(argv[5], "durable"), (size_t)atol(argv[6]), atol(argv[7]));
    if (argc == 3 && !strcmp(argv[1], "scan")) return scan(argv[2]);
    if (argc == 4 && !strcmp(argv[1], "fsync")) return fsync_rate(argv[2], atol(argv[3]));
    fprintf(stderr, "usage: see the comment at the top of lmdb-raw-bench.c\n");
    return 2;
}

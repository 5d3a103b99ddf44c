// Revocation propagation and fan-out over `GET /v1/events` (tools/http-bench.sh).
//
//   sse-fanout HOST PORT API_KEY SUBSCRIBERS REVOCATIONS SERVER_PID [PATH]
//
// A negative REVOCATIONS, -S, holds the open streams idle for S seconds instead (while
// something else drives the server), then prints the memory figures.
// PATH (default /v1/events) lets the same client hold idle keep-alive connections after one
// GET of another route, e.g. `ledger-bench http-ceiling`'s /ceiling with 0 revocations:
// the framework's own memory per connection, beside the subscriber's.
// Opens SUBSCRIBERS event streams (default filter: the revocation types) from one epoll
// loop, waits until every one has its 200, lets the server settle and reads its VmRSS and
// RssAnon from /proc/SERVER_PID/status before and after (memory per idle subscriber). Then,
// REVOCATIONS times: logs a user in over a separate keep-alive connection, sends
// `POST /v1/users/{user}/sessions/{session}/revoke`, and timestamps (CLOCK_MONOTONIC, this
// one process) the revoke's answer and the arrival of the event naming that session on
// every stream. Prints one JSON line: latencies from the answer (clamped at 0: the event
// often arrives before the 204 is read) and from sending the revoke, over every delivery,
// and per revocation the time from the answer to the last subscriber; and the server's CPU
// time (user + system, /proc/SERVER_PID/stat) over the revocations per delivery, a figure
// that does not depend on what else the machine runs (it includes the logins).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what) { perror(what); exit(1); }

#define CARRY 64
typedef struct {
    int fd;
    int state;        // 0 connecting, 1 request sent, 2 streaming
    int got;          // received the current revocation
    size_t carry_len; // bytes kept from the previous read (a session id split across reads)
    char carry[CARRY];
} sub_t;

static struct sockaddr_in server;
static const char *key;
static char sid[128];
static size_t sid_len;

static int open_socket(int nonblocking) {
    int fd = socket(AF_INET, SOCK_STREAM | (nonblocking ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0) die("socket");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&server, sizeof server) < 0 && errno != EINPROGRESS) die("connect");
    return fd;
}

static void send_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0) { if (errno == EINTR || errno == EAGAIN) continue; die("send"); }
        buf += n; len -= (size_t)n;
    }
}

// One HTTP/1.1 answer on the blocking control connection: status, body into `body`.
static int read_answer(int fd, char *body, size_t cap) {
    static char buf[65536];
    size_t len = 0;
    char *end = NULL;
    while (!(end = memmem(buf, len, "\r\n\r\n", 4))) {
        ssize_t n = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        if (n == 0) return -1; // the server closed the keep-alive connection
        if (n < 0) die("control recv");
        len += (size_t)n;
    }
    int status = atoi(buf + 9);
    size_t head = (size_t)(end - buf) + 4, clen = 0;
    buf[head - 1] = 0;
    char *cl = strcasestr(buf, "content-length:");
    if (cl) clen = strtoul(cl + 15, NULL, 10);
    while (len < head + clen) {
        ssize_t n = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        if (n == 0) return -1;
        if (n < 0) die("control recv body");
        len += (size_t)n;
    }
    size_t m = clen < cap - 1 ? clen : cap - 1;
    memcpy(body, buf + head, m);
    body[m] = 0;
    return status;
}

static long status_kib(int pid, const char *field) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f) die("open /proc/PID/status");
    long v = -1;
    size_t fl = strlen(field);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, field, fl) && line[fl] == ':') v = strtol(line + fl + 1, NULL, 10);
    fclose(f);
    return v;
}

// The server's user + system CPU time so far, in seconds (/proc/PID/stat fields 14 and 15).
static double cpu_seconds(int pid) {
    char path[64], line[4096];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(line, sizeof line, f)) die("read /proc/PID/stat");
    fclose(f);
    char *p = strrchr(line, ')') + 2; // after "pid (comm) "
    unsigned long utime = 0, stime = 0;
    sscanf(p, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime);
    return (double)(utime + stime) / sysconf(_SC_CLK_TCK);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p) {
    if (n == 0) return -1;
    size_t i = (size_t)(p * n + 0.999999);
    if (i < 1) i = 1;
    if (i > n) i = n;
    return v[i - 1];
}

int main(int argc, char **argv) {
    if (argc != 7 && argc != 8) { fprintf(stderr, "usage: %s HOST PORT API_KEY SUBSCRIBERS REVOCATIONS SERVER_PID [PATH]\n", argv[0]); return 2; }
    const char *path = argc == 8 ? argv[7] : "/v1/events";
    server.sin_family = AF_INET;
    server.sin_port = htons((uint16_t)atoi(argv[2]));
    if (inet_pton(AF_INET, argv[1], &server.sin_addr) != 1) die("host");
    key = argv[3];
    int n = atoi(argv[4]), revocations = atoi(argv[5]), pid = atoi(argv[6]);

    int ep = epoll_create1(0);
    if (ep < 0) die("epoll_create1");
    sub_t *subs = calloc((size_t)n, sizeof *subs);
    char req[1024];
    int reqlen = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nAccept: text/event-stream\r\n\r\n", path, argv[1], key);

    // Settle, then the server's memory before any subscriber.
    usleep(500000);
    long rss0 = status_kib(pid, "VmRSS"), anon0 = status_kib(pid, "RssAnon");

    // Connect at most 256 at a time (the listen backlog), until every stream has its 200.
    double t_connect = now_s();
    int opened = 0, streaming = 0, pending = 0;
    struct epoll_event evs[1024];
    char buf[16384];
    while (streaming < n) {
        while (opened < n && pending < 256) {
            sub_t *s = &subs[opened];
            s->fd = open_socket(1);
            struct epoll_event e = {.events = EPOLLOUT | EPOLLIN, .data.u32 = (uint32_t)opened};
            if (epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &e) < 0) die("epoll_ctl");
            opened++; pending++;
        }
        int k = epoll_wait(ep, evs, 1024, 10000);
        if (k == 0) { fprintf(stderr, "sse-fanout: %d of %d streams open after 10 s idle\n", streaming, n); return 1; }
        for (int i = 0; i < k; i++) {
            sub_t *s = &subs[evs[i].data.u32];
            if (s->state == 0 && (evs[i].events & EPOLLOUT)) {
                int err = 0; socklen_t el = sizeof err;
                getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el);
                if (err) { errno = err; die("subscriber connect"); }
                send_all(s->fd, req, (size_t)reqlen);
                s->state = 1;
                struct epoll_event e = {.events = EPOLLIN, .data.u32 = evs[i].data.u32};
                epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &e);
            } else if (evs[i].events & EPOLLIN) {
                ssize_t r = recv(s->fd, buf, sizeof buf, 0);
                if (r <= 0) { fprintf(stderr, "sse-fanout: a subscriber's stream closed while connecting\n"); return 1; }
                if (s->state == 1) {
                    if (r < 12 || memcmp(buf, "HTTP/1.1 200", 12)) { fprintf(stderr, "sse-fanout: %.*s\n", (int)(r < 200 ? r : 200), buf); return 1; }
                    s->state = 2; streaming++; pending--;
                }
            }
        }
    }
    t_connect = now_s() - t_connect;
    sleep(2); // idle: let the server finish whatever connecting cost it
    long rss1 = status_kib(pid, "VmRSS"), anon1 = status_kib(pid, "RssAnon");

    if (revocations < 0) {
        sleep((unsigned)-revocations);
        printf("{\"bench\":\"sse-hold\",\"subscribers\":%d,\"rss_per_subscriber_bytes\":%.1f,\"anon_per_subscriber_bytes\":%.1f}\n",
               n, (rss1 - rss0) * 1024.0 / n, (anon1 - anon0) * 1024.0 / n);
        return 0;
    }

    // The control connection: logins and revocations, keep-alive, blocking.
    int ctl = open_socket(0);
    size_t samples = (size_t)n * (size_t)(revocations > 0 ? revocations : 1);
    double *from_answer = malloc(samples * sizeof(double)), *from_send = malloc(samples * sizeof(double));
    double *last = malloc((size_t)(revocations > 0 ? revocations : 1) * sizeof(double));
    size_t ns = 0;
    char body[8192], out[2048];
    double cpu0 = cpu_seconds(pid);
    for (int r = 0; r < revocations; r++) {
        int len = snprintf(body, 256, "{\"user\":\"fan-%d-%d\",\"device_label\":\"sse-fanout\"}", getpid(), r);
        int olen = snprintf(out, sizeof out, "POST /v1/sessions HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                            argv[1], key, len, body);
        send_all(ctl, out, (size_t)olen);
        int st = read_answer(ctl, body, sizeof body);
        if (st < 0) { // closed between calls: once more on a new connection
            close(ctl);
            ctl = open_socket(0);
            send_all(ctl, out, (size_t)olen);
            st = read_answer(ctl, body, sizeof body);
        }
        char *p = strstr(body, "\"session\":\"");
        if (st != 201 || !p) { fprintf(stderr, "sse-fanout: login answered %d: %s\n", st, body); return 1; }
        p += 11;
        char *q = strchr(p, '"');
        sid_len = (size_t)(q - p);
        memcpy(sid, p, sid_len); sid[sid_len] = 0;
        for (int i = 0; i < n; i++) { subs[i].got = 0; subs[i].carry_len = 0; }
        double *recv_at = from_send + ns; // filled below, converted after the answer is known
        for (int i = 0; i < n; i++) recv_at[i] = -1;

        olen = snprintf(out, sizeof out, "POST /v1/users/fan-%d-%d/sessions/%s/revoke HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Length: 0\r\n\r\n",
                        getpid(), r, sid, argv[1], key);
        struct epoll_event e = {.events = EPOLLIN, .data.u32 = (uint32_t)n};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, ctl, &e) < 0) die("epoll_ctl control");
        double t_send = now_s(), t_answer = -1;
        int received = 0;
        static char abuf[4096];
        size_t alen = 0;
        send_all(ctl, out, (size_t)olen);
        while (received < n || t_answer < 0) {
            int k = epoll_wait(ep, evs, 1024, 30000);
            if (k == 0) { fprintf(stderr, "sse-fanout: revocation %d: %d of %d received after 30 s idle\n", r, received, n); return 1; }
            for (int i = 0; i < k; i++) {
                uint32_t id = evs[i].data.u32;
                if (id == (uint32_t)n) {
                    ssize_t m = recv(ctl, abuf + alen, sizeof abuf - alen, MSG_DONTWAIT);
                    if (m <= 0) continue;
                    alen += (size_t)m;
                    if (memmem(abuf, alen, "\r\n\r\n", 4)) {
                        t_answer = now_s();
                        if (alen < 12 || memcmp(abuf + 9, "204", 3)) { fprintf(stderr, "sse-fanout: revoke answered %.*s\n", (int)(alen < 200 ? alen : 200), abuf); return 1; }
                    }
                    continue;
                }
                sub_t *s = &subs[id];
                for (;;) {
                    ssize_t m = recv(s->fd, buf + CARRY, sizeof buf - CARRY, MSG_DONTWAIT);
                    if (m < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
                    if (m <= 0) {
                        fprintf(stderr, "sse-fanout: revocation %d: subscriber %u's stream %s\n", r, id, m == 0 ? "ended" : strerror(errno));
                        return 1;
                    }
                    double t = now_s();
                    char *start = buf + CARRY - s->carry_len;
                    memcpy(start, s->carry, s->carry_len);
                    size_t total = s->carry_len + (size_t)m;
                    if (!s->got && memmem(start, total, sid, sid_len)) {
                        s->got = 1; received++; recv_at[id] = t;
                    }
                    size_t keep = total < sid_len ? total : sid_len - 1;
                    memcpy(s->carry, start + total - keep, keep);
                    s->carry_len = keep;
                }
            }
        }
        epoll_ctl(ep, EPOLL_CTL_DEL, ctl, NULL);
        double worst = 0;
        for (int i = 0; i < n; i++) {
            double t = recv_at[i];
            from_answer[ns + (size_t)i] = (t > t_answer ? t - t_answer : 0) * 1000;
            from_send[ns + (size_t)i] = (t - t_send) * 1000;
            if (t - t_answer > worst) worst = t - t_answer;
        }
        last[r] = worst * 1000;
        ns += (size_t)n;
        usleep(20000); // apart, so one revocation's delivery does not overlap the next
    }
    double cpu = cpu_seconds(pid) - cpu0;
    qsort(from_answer, ns, sizeof(double), cmp_double);
    qsort(from_send, ns, sizeof(double), cmp_double);
    qsort(last, (size_t)revocations, sizeof(double), cmp_double);
    printf("{\"bench\":\"sse-fanout\",\"subscribers\":%d,\"revocations\":%d,\"deliveries\":%zu,\"connect_seconds\":%.3f,"
           "\"rss_before_kib\":%ld,\"rss_after_kib\":%ld,\"rss_per_subscriber_bytes\":%.1f,"
           "\"anon_before_kib\":%ld,\"anon_after_kib\":%ld,\"anon_per_subscriber_bytes\":%.1f,"
           "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"from_send_p50_ms\":%.3f,\"from_send_p99_ms\":%.3f,"
           "\"last_median_ms\":%.3f,\"last_max_ms\":%.3f,\"server_cpu_seconds\":%.2f,\"server_cpu_us_per_delivery\":%.2f}\n",
           n, revocations, ns, t_connect, rss0, rss1, (rss1 - rss0) * 1024.0 / n, anon0, anon1, (anon1 - anon0) * 1024.0 / n,
           pct(from_answer, ns, 0.5), pct(from_answer, ns, 0.99), pct(from_answer, ns, 1.0),
           pct(from_send, ns, 0.5), pct(from_send, ns, 0.99),
           pct(last, (size_t)revocations, 0.5), pct(last, (size_t)revocations, 1.0), cpu, ns ? cpu * 1e6 / ns : 0);
    return 0;
}

/*
 * netbench: a tiny TCP benchmark, run natively and under `ax run` to see
 * what interception costs.
 *
 *   netbench server PORT [--bind ADDR]   serve until killed (default 0.0.0.0)
 *   netbench cycles HOST PORT COUNT      COUNT x (connect, "GET 64", read 64, close)
 *   netbench bulk HOST PORT BYTES        one connection, read BYTES as fast as possible
 *   netbench udp-server PORT             answer every datagram with itself (recvfrom, sendto)
 *   netbench udp-rr HOST PORT COUNT [unconnected|sendmsg]
 *                                        COUNT x (send 64 bytes, receive the answer) on one UDP socket,
 *                                        connected (send/recv) or not (sendto/recvfrom, or sendmsg/recvmsg)
 *   netbench tcp-rr HOST PORT COUNT [sendmsg]
 *                                        one connection to a `server`, COUNT x ("GET 64" with send or
 *                                        sendmsg, read 64): the price of a TCP sendmsg
 *
 * Protocol: the client sends lines "GET n\n"; the server answers each with
 * n bytes and keeps reading requests until EOF.
 * The client modes print one line of JSON on stdout; errors are one line on
 * stderr and exit status 1.
 *
 * Build: gcc -O2 -pthread -o netbench netbench.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (256 * 1024)      /* server send size and client receive buffer */
#define MAX_REQUEST_LINE 64

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "netbench: %s\n", line);
    exit(1);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Strict decimal parse; suffixes k/m/g (binary) allowed when allow_suffix. */
static uint64_t parse_count(const char *what, const char *s, int allow_suffix)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-')
        die("%s: not a number: '%s'", what, s);
    if (allow_suffix && *end) {
        int shift = 0;
        switch (*end) {
        case 'k': case 'K': shift = 10; break;
        case 'm': case 'M': shift = 20; break;
        case 'g': case 'G': shift = 30; break;
        default: die("%s: not a number: '%s'", what, s);
        }
        if (v > (UINT64_MAX >> shift))
            die("%s: too large: '%s'", what, s);
        v <<= shift;
        end++;
    }
    if (*end)
        die("%s: not a number: '%s'", what, s);
    return v;
}

static uint16_t parse_port(const char *s, int allow_zero)
{
    uint64_t p = parse_count("port", s, 0);
    if (p > 65535 || (p == 0 && !allow_zero))
        die("port out of range: '%s'", s);
    return (uint16_t)p;
}

/* Write all of buf; returns 0, or -1 with errno set. */
static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* ---- server -------------------------------------------------------------- */

static char payload[CHUNK]; /* what the server sends: zeros are as good as anything */

/* "GET <decimal>" (the newline already stripped). */
static int parse_request(const char *line, uint64_t *n)
{
    if (strncmp(line, "GET ", 4) != 0 || line[4] == '\0')
        return -1;
    uint64_t v = 0;
    for (const char *p = line + 4; *p; p++) {
        if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *n = v;
    return 0;
}

static void *serve_connection(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char line[MAX_REQUEST_LINE + 1];
    size_t have = 0;

    for (;;) {
        ssize_t r = read(fd, line + have, sizeof line - 1 - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break; /* EOF or reset: the client is done */
        have += (size_t)r;

        /* Answer every complete request line in the buffer. */
        char *nl;
        while ((nl = memchr(line, '\n', have)) != NULL) {
            *nl = '\0';
            uint64_t n;
            if (parse_request(line, &n) < 0)
                goto done; /* not our protocol: hang up */
            while (n > 0) {
                size_t chunk = n < CHUNK ? (size_t)n : CHUNK;
                if (write_all(fd, payload, chunk) < 0)
                    goto done;
                n -= chunk;
            }
            size_t used = (size_t)(nl - line) + 1;
            memmove(line, nl + 1, have - used);
            have -= used;
        }
        if (have == sizeof line - 1)
            goto done; /* a line too long to be a request */
    }
done:
    close(fd);
    return NULL;
}

static int run_server(int argc, char **argv)
{
    if (argc != 1 && !(argc == 3 && strcmp(argv[1], "--bind") == 0))
        die("usage: netbench server PORT [--bind ADDR]");
    uint16_t port = parse_port(argv[0], 1);
    const char *bind_addr = argc == 3 ? argv[2] : "0.0.0.0";

    struct sockaddr_storage ss;
    socklen_t sslen;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, bind_addr, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(port);
        sslen = sizeof *in4;
    } else if (inet_pton(AF_INET6, bind_addr, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        sslen = sizeof *in6;
    } else {
        die("--bind: not an IPv4 or IPv6 address: '%s'", bind_addr);
    }

    int ls = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (ls < 0)
        die("socket: %s", strerror(errno));
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(ls, (struct sockaddr *)&ss, sslen) < 0)
        die("bind %s port %u: %s", bind_addr, port, strerror(errno));
    if (listen(ls, 1024) < 0)
        die("listen: %s", strerror(errno));

    /* Tell whoever started us where we listen (port 0 = the kernel's choice). */
    struct sockaddr_storage got;
    socklen_t gotlen = sizeof got;
    char host[INET6_ADDRSTRLEN] = "?", serv[8] = "?";
    if (getsockname(ls, (struct sockaddr *)&got, &gotlen) == 0)
        getnameinfo((struct sockaddr *)&got, gotlen, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV);
    printf("{\"mode\":\"server\",\"address\":\"%s\",\"port\":%s}\n", host, serv);
    fflush(stdout);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 * 1024); /* serve_connection needs very little */

    for (;;) {
        int fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                usleep(10000); /* out of resources: let connections finish */
                continue;
            }
            die("accept: %s", strerror(errno));
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pthread_t t;
        int err = pthread_create(&t, &attr, serve_connection, (void *)(intptr_t)fd);
        if (err) {
            fprintf(stderr, "netbench: pthread_create: %s\n", strerror(err));
            close(fd);
        }
    }
}

/* ---- clients --------------------------------------------------------------- */

/* Resolve once, before timing starts. */
static struct addrinfo *resolve(const char *host, const char *port_text)
{
    parse_port(port_text, 0);
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    struct addrinfo *res;
    int rc = getaddrinfo(host, port_text, &hints, &res);
    if (rc != 0)
        die("cannot resolve %s: %s", host, gai_strerror(rc));
    return res;
}

static int connect_to(const struct addrinfo *ai, const char *host, const char *port)
{
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        int err = errno;
        if (err == EINTR) {
            /* An interrupted connect carries on in the background: wait for its outcome. */
            struct pollfd p = { .fd = fd, .events = POLLOUT };
            socklen_t len = sizeof err;
            while (poll(&p, 1, -1) < 0 && errno == EINTR)
                ;
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
                err = errno;
        }
        if (err)
            die("connect %s port %s: %s", host, port, strerror(err));
    }
    return fd;
}

static void request(int fd, uint64_t n)
{
    char line[32];
    int len = snprintf(line, sizeof line, "GET %" PRIu64 "\n", n);
    if (write_all(fd, line, (size_t)len) < 0)
        die("send: %s", strerror(errno));
}

/* Read exactly n bytes into buf (reusing it, size cap) and discard them. */
static void read_exact(int fd, char *buf, size_t cap, uint64_t n)
{
    uint64_t got = 0;
    while (got < n) {
        size_t want = n - got < cap ? (size_t)(n - got) : cap;
        ssize_t r = read(fd, buf, want);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            die("read: %s", strerror(errno));
        if (r == 0)
            die("the server closed the connection after %" PRIu64 " of %" PRIu64 " bytes", got, n);
        got += (uint64_t)r;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile (pct in 1..100) of n >= 1 sorted values. */
static double percentile(const double *sorted, uint64_t n, unsigned pct)
{
    uint64_t rank = (n * pct + 99) / 100; /* ceil(n * pct / 100) */
    return sorted[(rank ? rank : 1) - 1];
}

static int run_cycles(int argc, char **argv)
{
    if (argc != 3)
        die("usage: netbench cycles HOST PORT COUNT");
    uint64_t count = parse_count("COUNT", argv[2], 0);
    if (count == 0 || count > 100000000)
        die("COUNT must be between 1 and 100000000");
    struct addrinfo *ai = resolve(argv[0], argv[1]);
    double *lat = malloc(sizeof(double) * count);
    if (!lat)
        die("out of memory");
    char buf[64];

    double start = now_seconds();
    for (uint64_t i = 0; i < count; i++) {
        double t0 = now_seconds();
        int fd = connect_to(ai, argv[0], argv[1]);
        request(fd, sizeof buf);
        read_exact(fd, buf, sizeof buf, sizeof buf);
        close(fd);
        lat[i] = (now_seconds() - t0) * 1e6;
    }
    double seconds = now_seconds() - start;

    qsort(lat, count, sizeof lat[0], cmp_double);
    printf("{\"mode\":\"cycles\",\"count\":%" PRIu64 ",\"seconds\":%.6f,\"per_second\":%.1f,"
           "\"p50_us\":%.1f,\"p99_us\":%.1f}\n",
           count, seconds, (double)count / seconds, percentile(lat, count, 50),
           percentile(lat, count, 99));
    free(lat);
    freeaddrinfo(ai);
    return 0;
}

static int run_bulk(int argc, char **argv)
{
    if (argc != 3)
        die("usage: netbench bulk HOST PORT BYTES");
    uint64_t bytes = parse_count("BYTES", argv[2], 1);
    if (bytes == 0)
        die("BYTES must be at least 1");
    struct addrinfo *ai = resolve(argv[0], argv[1]);
    char *buf = malloc(CHUNK);
    if (!buf)
        die("out of memory");

    int fd = connect_to(ai, argv[0], argv[1]);
    /* Time the transfer itself, from the request to the last byte. */
    double start = now_seconds();
    request(fd, bytes);
    read_exact(fd, buf, CHUNK, bytes);
    double seconds = now_seconds() - start;
    close(fd);

    printf("{\"mode\":\"bulk\",\"bytes\":%" PRIu64 ",\"seconds\":%.6f,\"gbit_per_second\":%.3f}\n",
           bytes, seconds, (double)bytes * 8 / seconds / 1e9);
    free(buf);
    freeaddrinfo(ai);
    return 0;
}

/* ---- UDP request/response ------------------------------------------------- */

static int run_udp_server(int argc, char **argv)
{
    if (argc != 1)
        die("usage: netbench udp-server PORT");
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(parse_port(argv[0], 0)) };
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
        die("udp-server port %s: %s", argv[0], strerror(errno));
    printf("{\"mode\":\"udp-server\",\"port\":%s}\n", argv[0]);
    char buf[2048];
    for (;;) {
        struct sockaddr_storage peer;
        socklen_t len = sizeof peer;
        ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&peer, &len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            die("recvfrom: %s", strerror(errno));
        /* The answer goes to whoever asked (a reply the socket lock lets through: a peer heard from). */
        sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&peer, len);
    }
}

static int run_udp_rr(int argc, char **argv)
{
    if (argc != 3 && !(argc == 4 && (strcmp(argv[3], "unconnected") == 0 || strcmp(argv[3], "sendmsg") == 0)))
        die("usage: netbench udp-rr HOST PORT COUNT [unconnected|sendmsg]");
    int connected = argc == 3, use_sendmsg = argc == 4 && strcmp(argv[3], "sendmsg") == 0;
    uint64_t count = parse_count("COUNT", argv[2], 0);
    if (count == 0 || count > 100000000)
        die("COUNT must be between 1 and 100000000");
    struct addrinfo *ai = resolve(argv[0], argv[1]);
    int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket: %s", strerror(errno));
    struct timeval timeout = { .tv_sec = 2 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (connected && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0)
        die("connect %s port %s: %s", argv[0], argv[1], strerror(errno));
    double *lat = malloc(sizeof(double) * count);
    if (!lat)
        die("out of memory");
    char out[64] = { 0 }, in[2048];

    double start = now_seconds();
    for (uint64_t i = 0; i < count; i++) {
        double t0 = now_seconds();
        memcpy(out, &i, sizeof i); /* each answer must be this request's */
        struct iovec iov = { .iov_base = out, .iov_len = sizeof out };
        struct msghdr msg = { .msg_name = ai->ai_addr, .msg_namelen = ai->ai_addrlen, .msg_iov = &iov, .msg_iovlen = 1 };
        ssize_t sent = connected ? send(fd, out, sizeof out, 0)
                       : use_sendmsg ? sendmsg(fd, &msg, 0)
                                     : sendto(fd, out, sizeof out, 0, ai->ai_addr, ai->ai_addrlen);
        if (sent != (ssize_t)sizeof out)
            die("send: %s", sent < 0 ? strerror(errno) : "short");
        for (;;) {
            struct iovec rio = { .iov_base = in, .iov_len = sizeof in };
            struct msghdr rmsg = { .msg_iov = &rio, .msg_iovlen = 1 };
            ssize_t got = connected ? recv(fd, in, sizeof in, 0)
                          : use_sendmsg ? recvmsg(fd, &rmsg, 0)
                                        : recvfrom(fd, in, sizeof in, 0, NULL, NULL);
            if (got < 0 && errno == EINTR)
                continue;
            if (got < 0)
                die("no answer to request %" PRIu64 ": %s", i, strerror(errno));
            if (got == (ssize_t)sizeof out && memcmp(in, out, sizeof out) == 0)
                break; /* a late answer to an earlier request is skipped */
        }
        lat[i] = (now_seconds() - t0) * 1e6;
    }
    double seconds = now_seconds() - start;

    qsort(lat, count, sizeof lat[0], cmp_double);
    printf("{\"mode\":\"udp-rr\",\"sendmsg\":%s,\"connected\":%s,\"count\":%" PRIu64 ",\"seconds\":%.6f,\"per_second\":%.1f,"
           "\"p50_us\":%.1f,\"p99_us\":%.1f}\n",
           use_sendmsg ? "true" : "false", connected ? "true" : "false", count, seconds, (double)count / seconds, percentile(lat, count, 50),
           percentile(lat, count, 99));
    free(lat);
    close(fd);
    freeaddrinfo(ai);
    return 0;
}

/* One connection, COUNT requests of 64 bytes, one in flight: each request written with send or sendmsg (no
 * destination: what every TCP sendmsg of an app under --trap-sendmsg pays for the trap). */
static int run_tcp_rr(int argc, char **argv)
{
    if (argc != 3 && !(argc == 4 && strcmp(argv[3], "sendmsg") == 0))
        die("usage: netbench tcp-rr HOST PORT COUNT [sendmsg]");
    int use_sendmsg = argc == 4;
    uint64_t count = parse_count("COUNT", argv[2], 0);
    if (count == 0 || count > 100000000)
        die("COUNT must be between 1 and 100000000");
    struct addrinfo *ai = resolve(argv[0], argv[1]);
    int fd = connect_to(ai, argv[0], argv[1]);
    double *lat = malloc(sizeof(double) * count);
    if (!lat)
        die("out of memory");
    static const char request[] = "GET 64\n";
    char in[64];
    double start = now_seconds();
    for (uint64_t i = 0; i < count; i++) {
        double t0 = now_seconds();
        struct iovec iov = { .iov_base = (void *)request, .iov_len = sizeof request - 1 };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
        ssize_t sent = use_sendmsg ? sendmsg(fd, &msg, 0) : send(fd, request, sizeof request - 1, 0);
        if (sent != (ssize_t)(sizeof request - 1))
            die("send: %s", sent < 0 ? strerror(errno) : "short");
        read_exact(fd, in, sizeof in, sizeof in);
        lat[i] = (now_seconds() - t0) * 1e6;
    }
    double seconds = now_seconds() - start;
    qsort(lat, count, sizeof lat[0], cmp_double);
    printf("{\"mode\":\"tcp-rr\",\"sendmsg\":%s,\"count\":%" PRIu64 ",\"seconds\":%.6f,\"per_second\":%.1f,"
           "\"p50_us\":%.1f,\"p99_us\":%.1f}\n",
           use_sendmsg ? "true" : "false", count, seconds, (double)count / seconds, percentile(lat, count, 50),
           percentile(lat, count, 99));
    free(lat);
    close(fd);
    freeaddrinfo(ai);
    return 0;
}

int main(int argc, char **argv)
{
    /* A client that vanishes must not kill the server. */
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);

    if (argc >= 2 && strcmp(argv[1], "server") == 0)
        return run_server(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "cycles") == 0)
        return run_cycles(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "bulk") == 0)
        return run_bulk(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "udp-server") == 0)
        return run_udp_server(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "udp-rr") == 0)
        return run_udp_rr(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "tcp-rr") == 0)
        return run_tcp_rr(argc - 2, argv + 2);
    die("usage: netbench server PORT [--bind ADDR] | cycles HOST PORT COUNT | bulk HOST PORT BYTES"
        " | udp-server PORT | udp-rr HOST PORT COUNT [unconnected|sendmsg] | tcp-rr HOST PORT COUNT [sendmsg]");
}

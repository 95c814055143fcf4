/* The scale benchmark's client, run under `ax run` (its connects are the trapped calls measured).
 *
 *   scale_client seq IP PORT N           N connects one after another (each closed at once); prints one line
 *                                        "connects N errors E p50_us P p99_us Q max_us M" (connect() as the app sees it)
 *   scale_client burst IP PORT N GOFILE  waits until GOFILE exists (the script's start signal, polled every 200 µs),
 *                                        then N threads connect at once; prints one line per connect:
 *                                        "ok END_NS" or "err ERRNO END_NS" (CLOCK_MONOTONIC, the script's clock too)
 *   scale_client sleep                   does nothing until killed (an app that only costs the agent its entry) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in target;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* 0 or the errno of the connect; the socket is closed either way. */
static int connect_once(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno;
    int rc = connect(fd, (struct sockaddr *)&target, sizeof target) == 0 ? 0 : errno;
    close(fd);
    return rc;
}

static int by_value(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int sequential(long n)
{
    int64_t *took = calloc((size_t)n, sizeof *took);
    long ok = 0, errors = 0;
    for (long i = 0; i < n; i++) {
        int64_t start = now_ns();
        if (connect_once() == 0)
            took[ok++] = now_ns() - start;
        else
            errors++;
    }
    if (ok == 0) {
        printf("connects %ld errors %ld\n", n, errors);
        return 1;
    }
    qsort(took, (size_t)ok, sizeof *took, by_value);
    printf("connects %ld errors %ld p50_us %.1f p99_us %.1f max_us %.1f\n", n, errors, took[(ok - 1) / 2] / 1e3,
           took[(long)((ok - 1) * 0.99)] / 1e3, took[ok - 1] / 1e3);
    return 0;
}

struct outcome {
    int error;
    int64_t end_ns;
};

static void *burst_one(void *arg)
{
    struct outcome *out = arg;
    out->error = connect_once();
    out->end_ns = now_ns();
    return NULL;
}

static int burst(long n, const char *go_file)
{
    struct outcome *outs = calloc((size_t)n, sizeof *outs);
    pthread_t *threads = calloc((size_t)n, sizeof *threads);
    while (access(go_file, F_OK) != 0)
        usleep(200);
    for (long i = 0; i < n; i++)
        if (pthread_create(&threads[i], NULL, burst_one, &outs[i]) != 0) {
            outs[i].error = EAGAIN;
            outs[i].end_ns = now_ns();
            threads[i] = 0;
        }
    for (long i = 0; i < n; i++)
        if (threads[i])
            pthread_join(threads[i], NULL);
    for (long i = 0; i < n; i++) {
        if (outs[i].error == 0)
            printf("ok %lld\n", (long long)outs[i].end_ns);
        else
            printf("err %d %lld\n", outs[i].error, (long long)outs[i].end_ns);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "sleep") == 0)
        for (;;)
            pause();
    if (argc < 5 || (strcmp(argv[1], "seq") != 0 && strcmp(argv[1], "burst") != 0) ||
        (strcmp(argv[1], "burst") == 0 && argc != 6)) {
        fprintf(stderr, "usage: scale_client seq IP PORT N | burst IP PORT N GOFILE | sleep\n");
        return 2;
    }
    target.sin_family = AF_INET;
    target.sin_port = htons((uint16_t)atoi(argv[3]));
    if (inet_pton(AF_INET, argv[2], &target.sin_addr) != 1) {
        fprintf(stderr, "scale_client: %s is not an IPv4 address\n", argv[2]);
        return 2;
    }
    long n = atol(argv[4]);
    if (n <= 0) {
        fprintf(stderr, "scale_client: N must be positive\n");
        return 2;
    }
    return strcmp(argv[1], "seq") == 0 ? sequential(n) : burst(n, argv[5]);
}

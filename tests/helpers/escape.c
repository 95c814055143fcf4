/* escape: an application trying to get past the agent (issue 14, containment). Run under `ax run` it
 * is the attacker; run without ax it shows the kernel's answer to the same calls (the reference).
 * Each attempt prints one line "NAME RESULT", RESULT being "ok", a byte count or the errno's name.
 *
 *   escape tcp-listen IP PORT            a node-side TCP server: "listening", then "accepted" per connection
 *   escape udp-listen IP PORT            a node-side UDP server: "listening", then "got TEXT" per datagram
 *   escape int80 IP PORT                 bound TCP socket (a node socket under ax) connected via i386 int 0x80
 *   escape iouring IP PORT               the same through io_uring's IORING_OP_CONNECT
 *   escape notify                        finds a seccomp listener among its fds and tries every notify ioctl
 *   escape ownfilter                     installs a seccomp filter with a listener of its own
 *   escape setns PATH                    setns() into the network namespace at PATH
 *   escape packet IFACE                  an AF_PACKET socket, bound to IFACE
 *   escape sendto LPORT IP PORT TEXT     UDP bound to 0.0.0.0:LPORT (a node socket under ax), sendto IP:PORT
 *   escape sendto-race LPORT IP PORT LOOPPORT N   N sendto's to IP:PORT while a second thread keeps switching the
 *                                        address to 127.0.0.1:LOOPPORT: "sent S refused R"
 *   escape sendto-bad LPORT IP PORT      bad sendto arguments on that UDP socket: one "CASE ERRNO" line each
 *   escape tcp-fastopen IP PORT          TCP bound to 0.0.0.0:0, sendto IP:PORT with MSG_FASTOPEN
 *   escape dissolve IP PORT LOOPPORT     TCP connected to IP:PORT, AF_UNSPEC, then connect 127.0.0.1:LOOPPORT (and send)
 *   escape dissolve-udp LPORT LOOPPORT   UDP bound to 0.0.0.0:LPORT, AF_UNSPEC, then connect 127.0.0.1:LOOPPORT (and send)
 *   escape dissolve-bind IP PORT         TCP connected to IP:PORT, AF_UNSPEC, then bind 127.0.0.1:0
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/io_uring.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netpacket/packet.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif

static void report(const char *what, long rc)
{
    if (rc >= 0 && strcmp(what, "sendto") == 0)
        printf("%s %ld\n", what, rc);
    else if (rc >= 0)
        printf("%s ok\n", what);
    else
        printf("%s %s\n", what, strerrorname_np((int)-rc) ? strerrorname_np((int)-rc) : "?");
    fflush(stdout);
}

/* -errno of a libc call's failure, or its result. */
static long result(long rc) { return rc < 0 ? -errno : rc; }

static struct sockaddr_in address(const char *ip, const char *port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
    if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1) {
        fprintf(stderr, "bad address %s\n", ip);
        exit(2);
    }
    return sa;
}

/* A socket bound to 0.0.0.0:port: under ax, the agent swaps it for a node socket (TCP always, UDP for port != 0). */
static int bound_socket(int type, int port)
{
    int s = socket(AF_INET, type, 0);
    struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (s < 0 || bind(s, (struct sockaddr *)&any, sizeof any) != 0) {
        perror("bind");
        exit(2);
    }
    return s;
}

static int tcp_listen(const char *ip, const char *port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in sa = address(ip, port);
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(s, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(s, 16) != 0) {
        perror("listen");
        return 2;
    }
    puts("listening");
    fflush(stdout);
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0)
            continue;
        puts("accepted");
        fflush(stdout);
        close(c);
    }
}

static int udp_listen(const char *ip, const char *port)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = address(ip, port);
    if (bind(s, (struct sockaddr *)&sa, sizeof sa) != 0) {
        perror("bind");
        return 2;
    }
    puts("listening");
    fflush(stdout);
    char buf[2048];
    for (;;) {
        ssize_t n = recv(s, buf, sizeof buf - 1, 0);
        if (n < 0)
            continue;
        buf[n] = '\0';
        printf("got %s\n", buf);
        fflush(stdout);
    }
}

#if defined(__x86_64__)
/* A system call through the i386 entry point: 32-bit arguments, i386 numbers, returns -errno. */
static long int80(long nr, long a, long b, long c)
{
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory", "r8", "r9", "r10", "r11");
    return ret;
}
#endif

static int connect_int80(const char *ip, const char *port)
{
#if defined(__x86_64__)
    int s = bound_socket(SOCK_STREAM, 0);
    /* The address must be reachable with a 32-bit pointer. */
    struct sockaddr_in *sa = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (sa == MAP_FAILED) {
        perror("mmap");
        return 2;
    }
    *sa = address(ip, port);
    const long i386_connect = 362;
    report("int80", int80(i386_connect, s, (long)(uintptr_t)sa, sizeof *sa));
#else
    (void)ip, (void)port;
    puts("int80 unsupported");
#endif
    return 0;
}

static int connect_io_uring(const char *ip, const char *port)
{
    int s = bound_socket(SOCK_STREAM, 0);
    struct sockaddr_in sa = address(ip, port);
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    int ring = (int)syscall(__NR_io_uring_setup, 4, &p);
    if (ring < 0) {
        report("iouring", -errno);
        return 0;
    }
    size_t sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    size_t cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    char *sq = mmap(NULL, sq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
    char *cq = mmap(NULL, cq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_CQ_RING);
    struct io_uring_sqe *sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
                                     MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
    if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) {
        perror("mmap");
        return 2;
    }
    memset(&sqes[0], 0, sizeof sqes[0]);
    sqes[0].opcode = IORING_OP_CONNECT;
    sqes[0].fd = s;
    sqes[0].addr = (uint64_t)(uintptr_t)&sa;
    sqes[0].off = sizeof sa;
    unsigned *tail = (unsigned *)(sq + p.sq_off.tail), mask = *(unsigned *)(sq + p.sq_off.ring_mask);
    ((unsigned *)(sq + p.sq_off.array))[*tail & mask] = 0;
    __atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
    long rc = syscall(__NR_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
    if (rc < 0) {
        report("iouring-enter", -errno);
        return 0;
    }
    unsigned head = __atomic_load_n((unsigned *)(cq + p.cq_off.head), __ATOMIC_ACQUIRE);
    unsigned cq_mask = *(unsigned *)(cq + p.cq_off.ring_mask);
    struct io_uring_cqe *cqe = &((struct io_uring_cqe *)(cq + p.cq_off.cqes))[head & cq_mask];
    report("iouring", cqe->res);
    return 0;
}

static void on_alarm(int sig) { (void)sig; }

/* The listener copy the launcher leaves in the app, if it finds one: every notify ioctl on it. */
static int notify(void)
{
    int listener = -1;
    DIR *d = opendir("/proc/self/fd");
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        char path[300], target[64];
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n <= 0)
            continue;
        target[n] = '\0';
        if (strcmp(target, "anon_inode:seccomp notify") == 0)
            listener = atoi(e->d_name);
    }
    if (d)
        closedir(d);
    if (listener < 0) {
        puts("notify none");
        return 0;
    }
    printf("listener %d\n", listener);
    /* A RECV that is not refused waits for a call: the alarm ends it (EINTR). */
    struct sigaction sa = { .sa_handler = on_alarm };
    sigaction(SIGALRM, &sa, NULL);
    static const struct { const char *name; unsigned long request; } requests[] = {
        { "notify-recv", 0xC0502100UL },
        { "notify-send", 0xC0182101UL },
        { "notify-id-valid", 0x40082102UL },
        { "notify-id-valid-old", 0x80082102UL },
        { "notify-addfd", 0x40182103UL },
        { "notify-addfd-other-size", 0x40202103UL },
        { "notify-set-flags", 0x40082104UL },
        { "notify-recv-high-bits", 0xFFFFFFFF00000000UL | 0xC0502100UL },
    };
    char buf[256];
    for (size_t i = 0; i < sizeof requests / sizeof requests[0]; i++) {
        memset(buf, 0, sizeof buf);
        alarm(1);
        long rc = syscall(SYS_ioctl, listener, requests[i].request, requests[i].request == 0x40082104UL ? 0 : (long)buf);
        report(requests[i].name, result(rc));
        alarm(0);
    }
    return 0;
}

static int own_filter(void)
{
    struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
    struct sock_fprog prog = { .len = 1, .filter = allow };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        report("no-new-privs", -errno);
    report("ownfilter-listener", result(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog)));
    report("ownfilter-plain", result(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)));
    return 0;
}

static int enter_netns(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        report("open", -errno);
        return 0;
    }
    report("setns", result(setns(fd, CLONE_NEWNET)));
    report("unshare", result(unshare(CLONE_NEWNET)));
    return 0;
}

static int packet(const char *iface)
{
    int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    report("packet", result(s));
    if (s < 0)
        return 0;
    struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)if_nametoindex(iface) };
    if (ll.sll_ifindex == 0) {
        report("packet-bind", -ENODEV);
        return 0;
    }
    report("packet-bind", result(bind(s, (struct sockaddr *)&ll, sizeof ll)));
    return 0;
}

static int send_to(const char *lport, const char *ip, const char *port, const char *text)
{
    int s = bound_socket(SOCK_DGRAM, atoi(lport));
    struct sockaddr_in sa = address(ip, port);
    report("sendto", result(sendto(s, text, strlen(text), 0, (struct sockaddr *)&sa, sizeof sa)));
    return 0;
}

static struct sockaddr_in race_target;
static struct sockaddr_in race_addresses[2];
static volatile int racing = 1;

/* Rewrites the destination under the sender's feet: whatever the agent checked, the kernel would read the other. */
static void *flip(void *arg)
{
    (void)arg;
    for (unsigned i = 0; racing; i++)
        __atomic_store_n(&race_target.sin_addr.s_addr, race_addresses[i & 1].sin_addr.s_addr, __ATOMIC_RELAXED),
        __atomic_store_n(&race_target.sin_port, race_addresses[i & 1].sin_port, __ATOMIC_RELAXED);
    return NULL;
}

static int sendto_race(const char *lport, const char *ip, const char *port, const char *loop_port, const char *count)
{
    int s = bound_socket(SOCK_DGRAM, atoi(lport));
    race_addresses[0] = address(ip, port);
    race_addresses[1] = address("127.0.0.1", loop_port);
    race_target = race_addresses[0];
    pthread_t t;
    pthread_create(&t, NULL, flip, NULL);
    long sent = 0, refused = 0;
    for (long i = 0, n = atol(count); i < n; i++) {
        if (sendto(s, "race", 4, 0, (struct sockaddr *)&race_target, sizeof race_target) == 4)
            sent++;
        else
            refused++;
    }
    racing = 0;
    pthread_join(t, NULL);
    printf("sent %ld\nrefused %ld\n", sent, refused);
    return 0;
}

static int sendto_bad(const char *lport, const char *ip, const char *port)
{
    int s = bound_socket(SOCK_DGRAM, atoi(lport));
    struct sockaddr_in sa = address(ip, port);
    struct sockaddr_in6 v6 = { .sin6_family = AF_INET6, .sin6_port = sa.sin_port };
    static char big[70000];
    report("bad-short-address", result(sendto(s, "x", 1, 0, (struct sockaddr *)&sa, 8)));
    report("bad-long-address", result(sendto(s, "x", 1, 0, (struct sockaddr *)&sa, 200)));
    report("bad-family", result(sendto(s, "x", 1, 0, (struct sockaddr *)&v6, sizeof v6)));
    report("bad-address-pointer", result(sendto(s, "x", 1, 0, (struct sockaddr *)8, sizeof sa)));
    report("bad-data-pointer", result(sendto(s, (void *)8, 4, 0, (struct sockaddr *)&sa, sizeof sa)));
    report("bad-size", result(sendto(s, big, sizeof big, 0, (struct sockaddr *)&sa, sizeof sa)));
    report("bad-oob", result(sendto(s, "x", 1, MSG_OOB, (struct sockaddr *)&sa, sizeof sa)));
    return 0;
}

static int tcp_fastopen(const char *ip, const char *port)
{
    int s = bound_socket(SOCK_STREAM, 0);
    struct sockaddr_in sa = address(ip, port);
    report("fastopen", result(sendto(s, "x", 1, MSG_FASTOPEN, (struct sockaddr *)&sa, sizeof sa)));
    return 0;
}

/* Dissolve the socket's association (AF_UNSPEC), then connect it to the loopback port. */
static void dissolve_and_reconnect(int s, const char *loop_port)
{
    struct sockaddr unspec = { .sa_family = AF_UNSPEC };
    report("unspec", result(connect(s, &unspec, sizeof unspec)));
    struct sockaddr_in loop = address("127.0.0.1", loop_port);
    long rc = result(connect(s, (struct sockaddr *)&loop, sizeof loop));
    report("loopback", rc);
    if (rc == 0)
        report("send", result(send(s, "escaped", 7, MSG_NOSIGNAL)));
}

static int dissolve(const char *ip, const char *port, const char *loop_port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = address(ip, port);
    report("connect", result(connect(s, (struct sockaddr *)&sa, sizeof sa)));
    dissolve_and_reconnect(s, loop_port);
    return 0;
}

static int dissolve_udp(const char *lport, const char *loop_port)
{
    dissolve_and_reconnect(bound_socket(SOCK_DGRAM, atoi(lport)), loop_port);
    return 0;
}

/* A server on the node's loopback made from a handed socket: bind it there. */
static int dissolve_bind(const char *ip, const char *port)
{
    struct sockaddr unspec = { .sa_family = AF_UNSPEC };
    struct sockaddr_in sa = address(ip, port), loop = address("127.0.0.1", "0");
    int s = socket(AF_INET, SOCK_STREAM, 0);
    report("connect", result(connect(s, (struct sockaddr *)&sa, sizeof sa)));
    report("unspec", result(connect(s, &unspec, sizeof unspec)));
    report("bind-loopback", result(bind(s, (struct sockaddr *)&loop, sizeof loop)));
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "tcp-listen") == 0 && argc == 4) return tcp_listen(argv[2], argv[3]);
    if (strcmp(mode, "udp-listen") == 0 && argc == 4) return udp_listen(argv[2], argv[3]);
    if (strcmp(mode, "int80") == 0 && argc == 4) return connect_int80(argv[2], argv[3]);
    if (strcmp(mode, "iouring") == 0 && argc == 4) return connect_io_uring(argv[2], argv[3]);
    if (strcmp(mode, "notify") == 0) return notify();
    if (strcmp(mode, "ownfilter") == 0) return own_filter();
    if (strcmp(mode, "setns") == 0 && argc == 3) return enter_netns(argv[2]);
    if (strcmp(mode, "packet") == 0 && argc == 3) return packet(argv[2]);
    if (strcmp(mode, "sendto") == 0 && argc == 6) return send_to(argv[2], argv[3], argv[4], argv[5]);
    if (strcmp(mode, "sendto-race") == 0 && argc == 7) return sendto_race(argv[2], argv[3], argv[4], argv[5], argv[6]);
    if (strcmp(mode, "sendto-bad") == 0 && argc == 5) return sendto_bad(argv[2], argv[3], argv[4]);
    if (strcmp(mode, "tcp-fastopen") == 0 && argc == 4) return tcp_fastopen(argv[2], argv[3]);
    if (strcmp(mode, "dissolve") == 0 && argc == 5) return dissolve(argv[2], argv[3], argv[4]);
    if (strcmp(mode, "dissolve-udp") == 0 && argc == 4) return dissolve_udp(argv[2], argv[3]);
    if (strcmp(mode, "dissolve-bind") == 0 && argc == 4) return dissolve_bind(argv[2], argv[3]);
    fprintf(stderr, "usage: see the comment at the top of escape.c\n");
    return 2;
}

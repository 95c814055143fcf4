/* socket_lock_attack: attacks on node sockets that seccomp alone cannot stop, for the socket lock's integration
 * tests (tests/AppSwitch.Tests/Integration/SocketLockTests.cs). Every result is printed as "CASE ERRNO", ERRNO
 * being the symbolic name (EPERM, …) or "ok". Output is line-buffered.
 *
 *   serve TCPPORT UDPPORT          a plain server: prints "listening", then "tcp PEER" per accepted connection
 *                                  and "udp PEER" per datagram
 *   give UNIXPATH UDPPORT IP PEERPORT  (under ax) binds TCP 0.0.0.0:0 and UDP 0.0.0.0:UDPPORT and connects a UDP
 *                                  socket to IP:PEERPORT (node sockets), prints "local tcp ADDR" / "local udp ADDR",
 *                                  passes the three fds by SCM_RIGHTS to the process listening on UNIXPATH and
 *                                  waits until it hangs up
 *   use UNIXPATH IP TCPPORT UDPPORT [hold]  (outside ax) listens on UNIXPATH (printing "waiting"), takes the two
 *                                  fds of `give`, prints "got tcp|udp|udp-connected ADDR" and attacks IP with them
 *                                  (see attack()); with "hold", prints "holding" and waits for SIGUSR1 first
 *   own IP TCPPORT UDPPORT         the same attacks with sockets this process made itself (the kernel's reference)
 *   self IP TCPPORT UDPPORT        (under ax) binds TCP and UDP 0.0.0.0:5354 (node sockets) and, past seccomp,
 *                                  connects the first by io_uring ("uring-connect ERRNO") and sendmsg()s on the
 *                                  second to a peer it never heard from ("udp-sendmsg ERRNO")
 *   race IP PORT ITERATIONS        (under ax) thread A connects fd N to an AF_UNIX path (the agent lets it run);
 *                                  thread B dup2()s a bound TCP node socket onto N and rewrites the address to
 *                                  IP:PORT meanwhile. Prints "local ADDR", then "race iterations I eperm E
 *                                  breached B" (B: the node socket got connected), exit 0
 *   udp-answer PORT IP STRANGERPORT  (under ax) binds UDP 0.0.0.0:PORT, prints "bound"; for every datagram
 *                                  answers the sender with sendmsg ("reply ERRNO"), then sendmsg()s IP:STRANGERPORT,
 *                                  a peer it never heard from ("stranger ERRNO")
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif

static _Noreturn void die(const char *call)
{
    fprintf(stderr, "error %s: %s\n", call, strerror(errno));
    exit(1);
}

static const char *result(int rc) { return rc >= 0 ? "ok" : strerrorname_np(errno); }

static struct sockaddr_in inet(const char *ip, int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) { fprintf(stderr, "error: bad address %s\n", ip); exit(2); }
    return a;
}

static const char *name_of(int fd, char *buf, size_t size)
{
    struct sockaddr_in a; socklen_t len = sizeof a;
    if (getsockname(fd, (struct sockaddr *)&a, &len) != 0) return "?";
    char ip[INET_ADDRSTRLEN];
    snprintf(buf, size, "%s:%d", inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip), ntohs(a.sin_port));
    return buf;
}

static int bound(int type, int port)
{
    int fd = socket(AF_INET, type, 0);
    if (fd < 0) die("socket");
    struct sockaddr_in any = inet("0.0.0.0", port);
    if (bind(fd, (struct sockaddr *)&any, sizeof any) != 0) die("bind");
    return fd;
}

static struct sockaddr_un unix_address(const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    strncpy(a.sun_path, path, sizeof a.sun_path - 1);
    return a;
}

/* IORING_OP_CONNECT through a one-entry ring, with raw syscalls (no liburing): the connect seccomp never sees. */
static int uring_connect(int fd, struct sockaddr_in *to)
{
    struct io_uring_params p = { 0 };
    int ring = (int)syscall(__NR_io_uring_setup, 1, &p);
    if (ring < 0) return -1;
    size_t sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    size_t cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    char *sq = mmap(NULL, sq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
    char *cq = mmap(NULL, cq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_CQ_RING);
    struct io_uring_sqe *sqe = mmap(NULL, sizeof *sqe, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
    if (sq == MAP_FAILED || cq == MAP_FAILED || sqe == MAP_FAILED) die("mmap io_uring");
    memset(sqe, 0, sizeof *sqe);
    sqe->opcode = IORING_OP_CONNECT;
    sqe->fd = fd;
    sqe->addr = (unsigned long)to;
    sqe->off = sizeof *to; /* addr2: the address length */
    unsigned *tail = (unsigned *)(sq + p.sq_off.tail);
    ((unsigned *)(sq + p.sq_off.array))[*tail & *(unsigned *)(sq + p.sq_off.ring_mask)] = 0;
    __atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
    int rc = (int)syscall(__NR_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
    int res = rc < 0 ? -errno
        : ((struct io_uring_cqe *)(cq + p.cq_off.cqes))[*(unsigned *)(cq + p.cq_off.head) & *(unsigned *)(cq + p.cq_off.ring_mask)].res;
    close(ring);
    if (res < 0) { errno = -res; return -1; }
    return 0;
}

/* connect by io_uring, TCP Fast Open (a connect inside sendto), connect; UDP sendmsg with an address, connect;
 * dissolving a connected UDP socket (AF_UNSPEC: its port was picked by connect, so it is unbound again) and
 * binding it anew. */
static void attack(int tcp_uring, int tcp, int tcp2, int udp, int udp_connected, const char *ip, int tcp_port, int udp_port)
{
    struct sockaddr_in t = inet(ip, tcp_port), u = inet(ip, udp_port);
    printf("uring-connect %s\n", result(uring_connect(tcp_uring, &t)));
    printf("tcp-fastopen %s\n", result(sendto(tcp, "f", 1, MSG_FASTOPEN, (struct sockaddr *)&t, sizeof t)));
    printf("tcp-connect %s\n", result(connect(tcp2, (struct sockaddr *)&t, sizeof t)));
    struct iovec io = { .iov_base = "u", .iov_len = 1 };
    struct msghdr m = { .msg_name = &u, .msg_namelen = sizeof u, .msg_iov = &io, .msg_iovlen = 1 };
    printf("udp-sendmsg %s\n", result(sendmsg(udp, &m, 0)));
    printf("udp-connect %s\n", result(connect(udp, (struct sockaddr *)&u, sizeof u)));
    struct sockaddr unspec = { .sa_family = AF_UNSPEC };
    printf("udp-dissolve %s\n", result(connect(udp_connected, &unspec, sizeof unspec)));
    struct sockaddr_in any = inet("0.0.0.0", 0);
    printf("udp-bind %s\n", result(bind(udp_connected, (struct sockaddr *)&any, sizeof any)));
}

static int connected_udp(const char *ip, int port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in peer = inet(ip, port);
    if (fd < 0 || connect(fd, (struct sockaddr *)&peer, sizeof peer) != 0) die("connect udp");
    return fd;
}

static int serve(int tcp_port, int udp_port)
{
    int l = bound(SOCK_STREAM, tcp_port), u = bound(SOCK_DGRAM, udp_port);
    if (listen(l, 64) != 0) die("listen");
    printf("listening\n");
    for (;;)
    {
        struct pollfd p[2] = { { .fd = l, .events = POLLIN }, { .fd = u, .events = POLLIN } };
        if (poll(p, 2, -1) < 0) die("poll");
        struct sockaddr_in peer; socklen_t len = sizeof peer; char ip[INET_ADDRSTRLEN], buf[64];
        if (p[0].revents)
        {
            int c = accept(l, (struct sockaddr *)&peer, &len);
            if (c < 0) die("accept");
            printf("tcp %s:%d\n", inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip), ntohs(peer.sin_port));
            close(c);
        }
        if (p[1].revents)
        {
            len = sizeof peer;
            if (recvfrom(u, buf, sizeof buf, 0, (struct sockaddr *)&peer, &len) < 0) die("recvfrom");
            printf("udp %s:%d\n", inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip), ntohs(peer.sin_port));
        }
    }
    return 0;
}

static int give(const char *path, int udp_port, const char *ip, int peer_port)
{
    char n[64];
    int fds[3] = { bound(SOCK_STREAM, 0), bound(SOCK_DGRAM, udp_port), connected_udp(ip, peer_port) };
    printf("local tcp %s\n", name_of(fds[0], n, sizeof n));
    printf("local udp %s\n", name_of(fds[1], n, sizeof n));
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = unix_address(path);
    for (int tries = 0; connect(s, (struct sockaddr *)&a, sizeof a) != 0; tries++)
    {
        if ((errno != ENOENT && errno != ECONNREFUSED) || tries == 1500) die("connect unix");
        usleep(20000); /* until `use` listens */
    }
    char control[CMSG_SPACE(sizeof fds)] = { 0 };
    struct iovec io = { .iov_base = "F", .iov_len = 1 };
    struct msghdr m = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_RIGHTS; c->cmsg_len = CMSG_LEN(sizeof fds);
    memcpy(CMSG_DATA(c), fds, sizeof fds);
    if (sendmsg(s, &m, 0) != 1) die("sendmsg SCM_RIGHTS");
    char b;
    while (read(s, &b, 1) > 0) { }
    printf("done\n");
    return 0;
}

static void on_usr1(int sig) { (void)sig; }

static int use(const char *path, const char *ip, int tcp_port, int udp_port, int hold)
{
    sigset_t usr1, old;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    signal(SIGUSR1, on_usr1);
    sigprocmask(SIG_BLOCK, &usr1, &old); /* a SIGUSR1 sent before we wait is kept, not lost */
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = unix_address(path);
    unlink(path);
    if (bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 1) != 0) die("listen unix");
    printf("waiting\n");
    int s = accept(l, NULL, NULL);
    if (s < 0) die("accept unix");
    char control[CMSG_SPACE(3 * sizeof(int))], b;
    struct iovec io = { .iov_base = &b, .iov_len = 1 };
    struct msghdr m = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
    if (recvmsg(s, &m, 0) != 1) die("recvmsg SCM_RIGHTS");
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(3 * sizeof(int))) { fprintf(stderr, "error: no fds\n"); return 1; }
    int fds[3]; char n[64];
    memcpy(fds, CMSG_DATA(c), sizeof fds);
    printf("got tcp %s\n", name_of(fds[0], n, sizeof n));
    printf("got udp %s\n", name_of(fds[1], n, sizeof n));
    printf("got udp-connected %s\n", name_of(fds[2], n, sizeof n));
    if (hold)
    {
        printf("holding\n");
        sigsuspend(&old);
    }
    attack(fds[0], fds[0], fds[0], fds[1], fds[2], ip, tcp_port, udp_port);
    close(s);
    return 0;
}

static int own(const char *ip, int tcp_port, int udp_port)
{
    attack(bound(SOCK_STREAM, 0), bound(SOCK_STREAM, 0), bound(SOCK_STREAM, 0), bound(SOCK_DGRAM, 0), connected_udp(ip, udp_port),
           ip, tcp_port, udp_port);
    return 0;
}

static int self(const char *ip, int tcp_port, int udp_port)
{
    struct sockaddr_in t = inet(ip, tcp_port), u = inet(ip, udp_port);
    int tcp = bound(SOCK_STREAM, 0), udp = bound(SOCK_DGRAM, 5354);
    printf("uring-connect %s\n", result(uring_connect(tcp, &t)));
    struct iovec io = { .iov_base = "s", .iov_len = 1 };
    struct msghdr m = { .msg_name = &u, .msg_namelen = sizeof u, .msg_iov = &io, .msg_iovlen = 1 };
    printf("udp-sendmsg %s\n", result(sendmsg(udp, &m, 0)));
    return 0;
}

/* The race: fd number N flips between an AF_UNIX socket and a node socket, the address between a path and IP:PORT. */
enum { RaceFd = 200 };
static union { struct sockaddr_un un; struct sockaddr_in in; } race_address;
static struct sockaddr_in race_target;
static int race_node;
static atomic_int race_go, race_done;

static void *swapper(void *unused)
{
    (void)unused;
    for (int i = 1;; i++)
    {
        while (atomic_load(&race_go) < i) sched_yield();
        if (atomic_load(&race_go) < 0) return NULL;
        for (volatile int spin = 0; spin < (i % 64) * 40; spin++) { } /* a different moment each time */
        dup2(race_node, RaceFd);
        memcpy(&race_address.in, &race_target, sizeof race_target);
        atomic_store(&race_done, i);
    }
}

static int race(const char *ip, int port, int iterations)
{
    char path[64], n[64];
    snprintf(path, sizeof path, "/tmp/socket-lock-race-%d", getpid());
    struct sockaddr_un target = unix_address(path);
    int l = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    unlink(path);
    if (bind(l, (struct sockaddr *)&target, sizeof target) != 0 || listen(l, 1024) != 0) die("listen unix");
    race_node = bound(SOCK_STREAM, 0);
    race_target = inet(ip, port);
    printf("local %s\n", name_of(race_node, n, sizeof n));
    pthread_t t;
    pthread_create(&t, NULL, swapper, NULL);
    int eperm = 0, breached = 0, i;
    for (i = 1; i <= iterations && !breached; i++)
    {
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        dup2(s, RaceFd);
        close(s);
        memcpy(&race_address.un, &target, sizeof target);
        atomic_store(&race_go, i);
        if (connect(RaceFd, (struct sockaddr *)&race_address, sizeof race_address.un) != 0 && errno == EPERM) eperm++;
        while (atomic_load(&race_done) < i) sched_yield();
        struct sockaddr_in peer; socklen_t len = sizeof peer;
        if (getpeername(race_node, (struct sockaddr *)&peer, &len) == 0) breached++;
        int c;
        while ((c = accept(l, NULL, NULL)) >= 0) close(c);
    }
    atomic_store(&race_go, -1);
    unlink(path);
    printf("race iterations %d eperm %d breached %d\n", i - 1, eperm, breached);
    return 0;
}

static int udp_answer(int port, const char *ip, int stranger_port)
{
    int u = bound(SOCK_DGRAM, port);
    struct sockaddr_in stranger = inet(ip, stranger_port);
    printf("bound\n");
    for (;;)
    {
        char buf[256]; struct sockaddr_in peer; socklen_t len = sizeof peer;
        ssize_t got = recvfrom(u, buf, sizeof buf, 0, (struct sockaddr *)&peer, &len);
        if (got < 0) die("recvfrom");
        struct iovec io = { .iov_base = buf, .iov_len = (size_t)got };
        struct msghdr reply = { .msg_name = &peer, .msg_namelen = len, .msg_iov = &io, .msg_iovlen = 1 };
        printf("reply %s\n", result(sendmsg(u, &reply, 0)));
        struct msghdr other = { .msg_name = &stranger, .msg_namelen = sizeof stranger, .msg_iov = &io, .msg_iovlen = 1 };
        printf("stranger %s\n", result(sendmsg(u, &other, 0)));
    }
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 4 && !strcmp(argv[1], "serve")) return serve(atoi(argv[2]), atoi(argv[3]));
    if (argc == 6 && !strcmp(argv[1], "give")) return give(argv[2], atoi(argv[3]), argv[4], atoi(argv[5]));
    if ((argc == 6 || (argc == 7 && !strcmp(argv[6], "hold"))) && !strcmp(argv[1], "use"))
        return use(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]), argc == 7);
    if (argc == 5 && !strcmp(argv[1], "own")) return own(argv[2], atoi(argv[3]), atoi(argv[4]));
    if (argc == 5 && !strcmp(argv[1], "self")) return self(argv[2], atoi(argv[3]), atoi(argv[4]));
    if (argc == 5 && !strcmp(argv[1], "race")) return race(argv[2], atoi(argv[3]), atoi(argv[4]));
    if (argc == 5 && !strcmp(argv[1], "udp-answer")) return udp_answer(atoi(argv[2]), argv[3], atoi(argv[4]));
    fprintf(stderr, "usage: see the comment at the top of socket_lock_attack.c\n");
    return 2;
}

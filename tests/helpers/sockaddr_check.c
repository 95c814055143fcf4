/* sockaddr_check: prints what getsockname/getpeername tell an application.
 *
 *   sockaddr_check server BIND_IP PORT   bind, listen, print "listen-name ADDR";
 *                                        accept one connection, print "accepted-name ADDR"
 *                                        and "accepted-peer ADDR", answer "ok\n", wait for
 *                                        the client to close, exit 0
 *   sockaddr_check client IP PORT        connect, print "name ADDR" and "peer ADDR",
 *                                        read the answer, print "reply TEXT", exit 0
 *   sockaddr_check client-wait IP PORT   connect, print "connected", wait for SIGUSR1, then
 *                                        print "name ADDR" and "peer ADDR", exit 0 (asks
 *                                        after the server may be gone)
 *
 * ADDR is a.b.c.d:port for AF_INET and [v6]:port for AF_INET6. Any failure prints
 * "error CALL: strerror" on stderr and exits 1. Output is line-buffered so that a test can
 * wait for each line. Used by the integration tests (tests/AppSwitch.Tests/Integration).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *call)
{
    fprintf(stderr, "error %s: %s\n", call, strerror(errno));
    exit(1);
}

static void print_addr(const char *label, const struct sockaddr_storage *ss)
{
    char text[INET6_ADDRSTRLEN];
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
        printf("%s %s:%u\n", label, text, ntohs(in->sin_port));
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
        printf("%s [%s]:%u\n", label, text, ntohs(in6->sin6_port));
    } else {
        printf("%s family-%d\n", label, ss->ss_family);
    }
}

static void print_name(const char *label, int fd, int peer)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    memset(&ss, 0, sizeof ss);
    if ((peer ? getpeername(fd, (struct sockaddr *)&ss, &len) : getsockname(fd, (struct sockaddr *)&ss, &len)) < 0)
        die(peer ? "getpeername" : "getsockname");
    print_addr(label, &ss);
}

/* Fills ss from ip/port; the family follows the address text. */
static socklen_t make_addr(const char *ip, const char *port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (strchr(ip, ':')) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((unsigned short)atoi(port));
        if (inet_pton(AF_INET6, ip, &in6->sin6_addr) != 1) { errno = EINVAL; die("inet_pton"); }
        return sizeof *in6;
    }
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    in->sin_family = AF_INET;
    in->sin_port = htons((unsigned short)atoi(port));
    if (inet_pton(AF_INET, ip, &in->sin_addr) != 1) { errno = EINVAL; die("inet_pton"); }
    return sizeof *in;
}

static int server(const char *ip, const char *port)
{
    struct sockaddr_storage ss;
    socklen_t len = make_addr(ip, port, &ss);
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) die("setsockopt");
    if (bind(fd, (struct sockaddr *)&ss, len) < 0) die("bind");
    if (listen(fd, 16) < 0) die("listen");
    print_name("listen-name", fd, 0);
    int conn = accept(fd, NULL, NULL);
    if (conn < 0) die("accept");
    print_name("accepted-name", conn, 0);
    print_name("accepted-peer", conn, 1);
    if (write(conn, "ok\n", 3) != 3) die("write");
    char sink[64];
    while (read(conn, sink, sizeof sink) > 0) { }
    close(conn);
    close(fd);
    return 0;
}

static int connect_to(const char *ip, const char *port)
{
    struct sockaddr_storage ss;
    socklen_t len = make_addr(ip, port, &ss);
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    if (connect(fd, (struct sockaddr *)&ss, len) < 0) die("connect");
    return fd;
}

static int client(const char *ip, const char *port)
{
    int fd = connect_to(ip, port);
    print_name("name", fd, 0);
    print_name("peer", fd, 1);
    char reply[64];
    ssize_t n = read(fd, reply, sizeof reply - 1);
    if (n < 0) die("read");
    reply[n] = 0;
    reply[strcspn(reply, "\n")] = 0;
    printf("reply %s\n", reply);
    close(fd);
    return 0;
}

static int client_wait(const char *ip, const char *port)
{
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    if (sigprocmask(SIG_BLOCK, &usr1, NULL) < 0) die("sigprocmask");
    int fd = connect_to(ip, port);
    printf("connected\n");
    int sig;
    if (sigwait(&usr1, &sig) != 0) die("sigwait");
    print_name("name", fd, 0);
    print_name("peer", fd, 1);
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 4 && strcmp(argv[1], "server") == 0) return server(argv[2], argv[3]);
    if (argc == 4 && strcmp(argv[1], "client") == 0) return client(argv[2], argv[3]);
    if (argc == 4 && strcmp(argv[1], "client-wait") == 0) return client_wait(argv[2], argv[3]);
    fprintf(stderr, "usage: %s server BIND_IP PORT | client IP PORT | client-wait IP PORT\n", argv[0]);
    return 2;
}

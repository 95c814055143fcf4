/* misbehave: an application that does what real applications sometimes do wrong, for the
 * integration tests of issue 3 (tests/AppSwitch.Tests/Integration/MisbehavingAppTests.cs).
 *
 *   misbehave serve PORT             listen on 0.0.0.0:PORT (backlog 512), print "listening", then
 *                                    answer every connection with a tiny HTTP/1.0 200 "ok" and close
 *   misbehave badptr IP PORT         connect/bind/getsockname with pointers the process cannot read or
 *                                    write; prints "CASE ERRNO" per call (EFAULT expected, except for the
 *                                    CASE-badfd/-pipefd calls on a closed fd or a pipe: the fd is checked first)
 *   misbehave badlen IP PORT         connect/bind/getsockname with address lengths no family has;
 *                                    prints "CASE ERRNO" per call (EINVAL expected, same exceptions)
 *   misbehave families IP PORT       connect/bind with an address of the other family (AF_INET in an AF_INET6
 *                                    socket and the reverse), TCP and UDP; prints "CASE ERRNO" per call
 *   misbehave closefds IP PORT       close every fd >= 3 (what daemons do), print "closed N", then
 *                                    fetch from IP:PORT and print "reply FIRST-LINE"
 *   misbehave forkstorm N IP PORT    fork N children that wait on one pipe, release them together;
 *                                    each connects, sends a request and reads the reply; prints "ok K/N"
 *                                    (K: children that got "HTTP/1.0 200"), exit 0 when K == N
 *   misbehave killmid IP PORT self|child
 *                                    print "ready", wait for SIGUSR1, then start a blocking connect to
 *                                    IP:PORT in this process (self) or in a forked child (child), printing
 *                                    "connecting PID" first; the test SIGKILLs PID mid-connect. In child
 *                                    mode the parent prints "child killed-by SIG" / "child exited N" and
 *                                    waits for another SIGUSR1 before exiting 0.
 *
 * ERRNO is the symbolic name (EFAULT, EINVAL, …) or "ok". The output is line-buffered. Run it both natively
 * and under `ax run`: the errnos must be the kernel's.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static const char Response[] = "HTTP/1.0 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";
static const char Request[] = "GET / HTTP/1.0\r\n\r\n";

static void die(const char *call)
{
    fprintf(stderr, "error %s: %s\n", call, strerror(errno));
    exit(1);
}

static const char *errno_name(int e)
{
    switch (e) {
    case 0: return "ok";
    case EFAULT: return "EFAULT";
    case EINVAL: return "EINVAL";
    case EBADF: return "EBADF";
    case ENOTSOCK: return "ENOTSOCK";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ENETUNREACH: return "ENETUNREACH";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EINPROGRESS: return "EINPROGRESS";
    case ENOMEM: return "ENOMEM";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    default: {
        static char text[16];
        snprintf(text, sizeof text, "errno%d", e);
        return text;
    }
    }
}

static void report(const char *what, int rc)
{
    printf("%s %s\n", what, errno_name(rc == 0 ? 0 : errno));
}

static struct sockaddr_in make_addr(const char *ip, const char *port)
{
    struct sockaddr_in in;
    memset(&in, 0, sizeof in);
    in.sin_family = AF_INET;
    in.sin_port = htons((unsigned short)atoi(port));
    if (inet_pton(AF_INET, ip, &in.sin_addr) != 1) { errno = EINVAL; die("inet_pton"); }
    return in;
}

static int tcp_socket(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    return fd;
}

/* Connects, sends a request and returns the reply's first line in buf (empty on failure, errno set). */
static int fetch(const char *ip, const char *port, char *buf, size_t size)
{
    struct sockaddr_in in = make_addr(ip, port);
    buf[0] = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&in, sizeof in) < 0) { int e = errno; close(fd); errno = e; return -1; }
    if (write(fd, Request, sizeof Request - 1) < 0) { int e = errno; close(fd); errno = e; return -1; }
    size_t got = 0;
    ssize_t n;
    while (got < size - 1 && (n = read(fd, buf + got, size - 1 - got)) > 0) got += (size_t)n;
    close(fd);
    buf[got] = 0;
    buf[strcspn(buf, "\r\n")] = 0;
    return got > 0 ? 0 : -1;
}

static _Noreturn int serve(const char *port)
{
    struct sockaddr_in in = make_addr("0.0.0.0", port);
    int fd = tcp_socket();
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) die("setsockopt");
    if (bind(fd, (struct sockaddr *)&in, sizeof in) < 0) die("bind");
    if (listen(fd, 512) < 0) die("listen");
    printf("listening\n");
    signal(SIGPIPE, SIG_IGN);
    for (;;) {
        int conn = accept(fd, NULL, NULL);
        if (conn < 0) { if (errno == EINTR || errno == ECONNABORTED) continue; die("accept"); }
        /* A client that connects and sends nothing must not stall everyone else for long. */
        struct timeval tv = { .tv_sec = 2 };
        setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char request[2048];
        size_t got = 0;
        ssize_t n;
        while (got < sizeof request - 1 && (n = read(conn, request + got, sizeof request - 1 - got)) > 0) {
            got += (size_t)n;
            request[got] = 0;
            if (strstr(request, "\r\n\r\n")) break;
        }
        if (write(conn, Response, sizeof Response - 1) < 0) { /* the client left */ }
        shutdown(conn, SHUT_WR);
        close(conn);
    }
}

/* The kernel looks at the fd before the address: a closed fd is EBADF (connect and bind), a pipe is ENOTSOCK
 * for bind (connect copies the address first). Prints CASE-badfd and CASE-pipefd lines. */
static void fd_order_cases(const char *what, const struct sockaddr *addr, socklen_t len)
{
    char name[64];
    int closed = 999;
    close(closed);
    snprintf(name, sizeof name, "connect-%s-badfd", what);
    report(name, connect(closed, addr, len));
    snprintf(name, sizeof name, "bind-%s-badfd", what);
    report(name, bind(closed, addr, len));
    int p[2];
    if (pipe(p) < 0) die("pipe");
    snprintf(name, sizeof name, "connect-%s-pipefd", what);
    report(name, connect(p[0], addr, len));
    snprintf(name, sizeof name, "bind-%s-pipefd", what);
    report(name, bind(p[0], addr, len));
    close(p[0]);
    close(p[1]);
}

static int badptr(const char *ip, const char *port)
{
    struct sockaddr_in in = make_addr(ip, port);
    int fd;

    fd = tcp_socket();
    report("connect-ptr1", connect(fd, (struct sockaddr *)1, sizeof in));
    close(fd);

    fd = tcp_socket();
    report("bind-ptr1", bind(fd, (struct sockaddr *)1, sizeof in));
    close(fd);

    /* An address that starts on a readable page and runs into an unmapped one: a short read. */
    long page = sysconf(_SC_PAGESIZE);
    char *pages = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pages == MAP_FAILED) die("mmap");
    if (munmap(pages + page, (size_t)page) < 0) die("munmap");
    struct sockaddr *straddling = (struct sockaddr *)(pages + page - 8);
    memcpy(straddling, &in, 8);
    fd = tcp_socket();
    report("connect-straddling", connect(fd, straddling, sizeof in));
    close(fd);

    fd_order_cases("ptr1", (struct sockaddr *)1, sizeof in);

    /* getsockname on a socket the agent swapped (bound to the wildcard): bad buffer, bad length pointer. */
    struct sockaddr_in any = make_addr("0.0.0.0", "0");
    fd = tcp_socket();
    if (bind(fd, (struct sockaddr *)&any, sizeof any) < 0) die("bind");
    socklen_t len = sizeof in;
    report("getsockname-ptr1", getsockname(fd, (struct sockaddr *)1, &len));
    struct sockaddr_in out;
    report("getsockname-lenptr1", getsockname(fd, (struct sockaddr *)&out, (socklen_t *)1));
    close(fd);
    return 0;
}

static int badlen(const char *ip, const char *port)
{
    /* Room for the longest length tried, so only the length is wrong. */
    static union { struct sockaddr_in in; char bytes[1024]; } addr;
    addr.in = make_addr(ip, port);
    const int lengths[] = { 0, 1, 3, 15, 129, 1000, -1 };
    char what[64];
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        int fd = tcp_socket();
        snprintf(what, sizeof what, "connect-len%d", lengths[i]);
        report(what, connect(fd, (struct sockaddr *)&addr, (socklen_t)lengths[i]));
        close(fd);
        fd = tcp_socket();
        snprintf(what, sizeof what, "bind-len%d", lengths[i]);
        report(what, bind(fd, (struct sockaddr *)&addr, (socklen_t)lengths[i]));
        close(fd);
    }
    fd_order_cases("len3", (struct sockaddr *)&addr, 3);
    fd_order_cases("len1000", (struct sockaddr *)&addr, 1000);

    /* getsockname with a negative buffer length on a swapped socket. */
    struct sockaddr_in any = make_addr("0.0.0.0", "0");
    int fd = tcp_socket();
    if (bind(fd, (struct sockaddr *)&any, sizeof any) < 0) die("bind");
    struct sockaddr_in out;
    socklen_t len = (socklen_t)-1;
    report("getsockname-len-1", getsockname(fd, (struct sockaddr *)&out, &len));
    close(fd);
    return 0;
}

/* Addresses of the other family: what the kernel says depends on the protocol and the length. */
static int families(const char *ip, const char *port)
{
    struct sockaddr_in in = make_addr(ip, port);
    union { struct sockaddr_in in; struct sockaddr_in6 in6; char bytes[sizeof(struct sockaddr_in6)]; } padded;
    memset(&padded, 0, sizeof padded);
    padded.in = in;
    struct sockaddr_in6 mapped;
    memset(&mapped, 0, sizeof mapped);
    mapped.sin6_family = AF_INET6;
    mapped.sin6_port = in.sin_port;
    mapped.sin6_addr.s6_addr[10] = 0xff;
    mapped.sin6_addr.s6_addr[11] = 0xff;
    memcpy(&mapped.sin6_addr.s6_addr[12], &in.sin_addr, 4);
    static const struct { const char *name; int domain, type, kind; socklen_t len; } cases[] = {
        /* kind 0: an AF_INET address in an AF_INET6 socket; kind 1: a v4-mapped AF_INET6 address in an AF_INET socket */
        { "connect-tcp6-inet16", AF_INET6, SOCK_STREAM, 0, sizeof(struct sockaddr_in) },
        { "connect-tcp6-inet28", AF_INET6, SOCK_STREAM, 0, sizeof(struct sockaddr_in6) },
        { "connect-udp6-inet16", AF_INET6, SOCK_DGRAM, 0, sizeof(struct sockaddr_in) },
        { "connect-tcp4-inet6", AF_INET, SOCK_STREAM, 1, sizeof(struct sockaddr_in6) },
        { "connect-udp4-inet6", AF_INET, SOCK_DGRAM, 1, sizeof(struct sockaddr_in6) },
        { "bind-tcp6-inet16", AF_INET6, SOCK_STREAM, 0, sizeof(struct sockaddr_in) },
        { "bind-tcp6-inet28", AF_INET6, SOCK_STREAM, 0, sizeof(struct sockaddr_in6) },
        { "bind-udp6-inet28", AF_INET6, SOCK_DGRAM, 0, sizeof(struct sockaddr_in6) },
        { "bind-tcp4-inet6", AF_INET, SOCK_STREAM, 1, sizeof(struct sockaddr_in6) },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int fd = socket(cases[i].domain, cases[i].type, 0);
        if (fd < 0) die("socket");
        const struct sockaddr *addr = cases[i].kind == 0 ? (struct sockaddr *)&padded : (struct sockaddr *)&mapped;
        int rc = strncmp(cases[i].name, "bind", 4) == 0 ? bind(fd, addr, cases[i].len) : connect(fd, addr, cases[i].len);
        report(cases[i].name, rc);
        close(fd);
    }
    return 0;
}

static int count_fds_from(int lowest)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d) die("opendir");
    int count = 0, self = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        int fd = atoi(e->d_name);
        if (fd >= lowest && fd != self) count++;
    }
    closedir(d);
    return count;
}

static int closefds(const char *ip, const char *port)
{
    int open_before = count_fds_from(3);
    if (syscall(SYS_close_range, 3u, ~0u, 0u) < 0) {
        for (int fd = 3; fd < 65536; fd++) close(fd);
    }
    printf("closed %d\n", open_before);
    char line[256];
    if (fetch(ip, port, line, sizeof line) < 0) { printf("fetch %s\n", errno_name(errno)); return 1; }
    printf("reply %s\n", line);
    return 0;
}

static int forkstorm(int n, const char *ip, const char *port)
{
    int gate[2];
    if (pipe(gate) < 0) die("pipe");
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) die("fork");
        if (pid == 0) {
            close(gate[1]);
            char c;
            while (read(gate[0], &c, 1) < 0 && errno == EINTR) { }
            char line[256];
            if (fetch(ip, port, line, sizeof line) < 0) {
                fprintf(stderr, "child %d: %s\n", i, errno_name(errno));
                _exit(1);
            }
            if (strncmp(line, "HTTP/1.0 200", 12) != 0) {
                fprintf(stderr, "child %d: reply '%s'\n", i, line);
                _exit(1);
            }
            _exit(0);
        }
    }
    close(gate[0]);
    close(gate[1]); /* every child's read returns 0 now: they go together */
    int ok = 0, status;
    for (int i = 0; i < n; i++) {
        if (wait(&status) < 0) die("wait");
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) ok++;
    }
    printf("ok %d/%d\n", ok, n);
    return ok == n ? 0 : 1;
}

static void wait_usr1(void)
{
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    int sig;
    if (sigwait(&usr1, &sig) != 0) die("sigwait");
}

static int killmid(const char *ip, const char *port, int in_child)
{
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    if (sigprocmask(SIG_BLOCK, &usr1, NULL) < 0) die("sigprocmask");
    struct sockaddr_in in = make_addr(ip, port);
    printf("ready\n");
    wait_usr1();
    pid_t pid = in_child ? fork() : 0;
    if (pid < 0) die("fork");
    if (pid == 0) {
        int fd = tcp_socket();
        printf("connecting %d\n", (int)getpid());
        int rc = connect(fd, (struct sockaddr *)&in, sizeof in);
        printf("connect %s\n", errno_name(rc == 0 ? 0 : errno));
        if (in_child) _exit(0);
        return 0;
    }
    int status;
    if (waitpid(pid, &status, 0) < 0) die("waitpid");
    if (WIFSIGNALED(status)) printf("child killed-by %d\n", WTERMSIG(status));
    else printf("child exited %d\n", WEXITSTATUS(status));
    wait_usr1();
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 3 && strcmp(argv[1], "serve") == 0) return serve(argv[2]);
    if (argc == 4 && strcmp(argv[1], "badptr") == 0) return badptr(argv[2], argv[3]);
    if (argc == 4 && strcmp(argv[1], "badlen") == 0) return badlen(argv[2], argv[3]);
    if (argc == 4 && strcmp(argv[1], "families") == 0) return families(argv[2], argv[3]);
    if (argc == 4 && strcmp(argv[1], "closefds") == 0) return closefds(argv[2], argv[3]);
    if (argc == 5 && strcmp(argv[1], "forkstorm") == 0) return forkstorm(atoi(argv[2]), argv[3], argv[4]);
    if (argc == 5 && strcmp(argv[1], "killmid") == 0) return killmid(argv[2], argv[3], strcmp(argv[4], "child") == 0);
    fprintf(stderr, "usage: %s serve PORT | badptr IP PORT | badlen IP PORT | closefds IP PORT |"
                    " families IP PORT | forkstorm N IP PORT | killmid IP PORT self|child\n", argv[0]);
    return 2;
}

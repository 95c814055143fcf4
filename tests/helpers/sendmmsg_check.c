/* sendmmsg_check: what sendmsg/sendmmsg on a fresh UDP socket give an application (ax run --trap-sendmsg).
 *
 *   sendmmsg_check two IP1 PORT1 IP2 PORT2   one sendmmsg of two messages ("one" to the first address, "two" to
 *                                            the second) as the socket's first call; prints "sent N", then each
 *                                            answer as "DATA ADDR:PORT" (sorted by the caller), 5 s for each
 *   sendmmsg_check bad IP PORT               malformed headers from untrusted memory, each on a fresh socket,
 *                                            one line each "CASE=RESULT" (a count or the errno's name):
 *                                              header-unmapped   sendmsg with msg pointing at unmapped memory
 *                                              namelen-negative  sendmsg with msg_namelen -1
 *                                              name-unmapped     sendmsg with msg_name pointing at unmapped memory
 *                                              vector-unmapped   sendmmsg with the vector at unmapped memory
 *                                              vector-tail       sendmmsg of vlen 100000 whose 2 valid entries (to
 *                                                                IP:PORT) end where unmapped memory begins
 *                                              second-name-bad   sendmmsg of 2: a valid one, then one whose
 *                                                                msg_name is unmapped
 *
 * Any unexpected failure prints "error CALL: strerror" on stderr and exits 1. Line-buffered output.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static void die(const char *call)
{
    fprintf(stderr, "error %s: %s\n", call, strerror(errno));
    exit(1);
}

static struct sockaddr_in address(const char *ip, const char *port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(port)) };
    if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
        fprintf(stderr, "error address: not an IPv4 address: %s\n", ip);
        exit(1);
    }
    return a;
}

static int fresh_socket(void)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0)
        die("socket");
    struct timeval timeout = { .tv_sec = 5 };
    if (setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0)
        die("setsockopt");
    return s;
}

static void message(struct mmsghdr *m, struct iovec *iov, const char *text, struct sockaddr_in *to)
{
    iov->iov_base = (void *)text;
    iov->iov_len = strlen(text);
    memset(m, 0, sizeof *m);
    m->msg_hdr.msg_name = to;
    m->msg_hdr.msg_namelen = sizeof *to;
    m->msg_hdr.msg_iov = iov;
    m->msg_hdr.msg_iovlen = 1;
}

static int two(char **argv)
{
    struct sockaddr_in first = address(argv[0], argv[1]), second = address(argv[2], argv[3]);
    struct mmsghdr messages[2];
    struct iovec iov[2];
    message(&messages[0], &iov[0], "one", &first);
    message(&messages[1], &iov[1], "two", &second);
    int s = fresh_socket();
    int sent = sendmmsg(s, messages, 2, 0);
    if (sent < 0)
        die("sendmmsg");
    printf("sent %d\n", sent);
    for (int i = 0; i < sent; i++) {
        char data[64], text[INET_ADDRSTRLEN];
        struct sockaddr_in from;
        socklen_t length = sizeof from;
        ssize_t n = recvfrom(s, data, sizeof data - 1, 0, (struct sockaddr *)&from, &length);
        if (n < 0)
            die("recvfrom");
        data[n] = '\0';
        inet_ntop(AF_INET, &from.sin_addr, text, sizeof text);
        printf("%s %s:%u\n", data, text, ntohs(from.sin_port));
    }
    return 0;
}

static void report(const char *name, long result)
{
    if (result < 0)
        printf("%s=%s\n", name, strerrorname_np(errno));
    else
        printf("%s=%ld\n", name, result);
}

static int bad(char **argv)
{
    struct sockaddr_in to = address(argv[0], argv[1]);
    long page = sysconf(_SC_PAGESIZE);
    /* Two pages: the second one unmapped, so that anything at its start is unreadable. */
    char *area = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED)
        die("mmap");
    if (munmap(area + page, (size_t)page) != 0)
        die("munmap");
    void *unmapped = area + page;

    struct iovec iov = { .iov_base = "x", .iov_len = 1 };
    report("header-unmapped", sendmsg(fresh_socket(), unmapped, 0));

    struct msghdr negative = { .msg_name = &to, .msg_namelen = (socklen_t)-1, .msg_iov = &iov, .msg_iovlen = 1 };
    report("namelen-negative", sendmsg(fresh_socket(), &negative, 0));

    struct msghdr unreadable = { .msg_name = unmapped, .msg_namelen = sizeof to, .msg_iov = &iov, .msg_iovlen = 1 };
    report("name-unmapped", sendmsg(fresh_socket(), &unreadable, 0));

    report("vector-unmapped", sendmmsg(fresh_socket(), unmapped, 2, 0));

    struct mmsghdr *tail = (struct mmsghdr *)(area + page) - 2;
    struct iovec tail_iov[2];
    message(&tail[0], &tail_iov[0], "x", &to);
    message(&tail[1], &tail_iov[1], "y", &to);
    report("vector-tail", sendmmsg(fresh_socket(), tail, 100000, 0));

    struct mmsghdr pair[2];
    struct iovec pair_iov[2];
    message(&pair[0], &pair_iov[0], "x", &to);
    message(&pair[1], &pair_iov[1], "y", &to);
    pair[1].msg_hdr.msg_name = unmapped;
    report("second-name-bad", sendmmsg(fresh_socket(), pair, 2, 0));
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 6 && strcmp(argv[1], "two") == 0)
        return two(argv + 2);
    if (argc == 4 && strcmp(argv[1], "bad") == 0)
        return bad(argv + 2);
    fprintf(stderr, "usage: sendmmsg_check two IP1 PORT1 IP2 PORT2 | bad IP PORT\n");
    return 2;
}

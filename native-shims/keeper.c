#define _GNU_SOURCE
#include "keeper.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define KEEPER_MAX_FDS 3

#ifndef CAP_LAST_CAP
#define CAP_LAST_CAP 40
#endif

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, void *p, size_t n)
{
    char *c = p;
    while (n > 0) {
        ssize_t r = read(fd, c, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        c += r;
        n -= (size_t)r;
    }
    return 0;
}

/* The app's credentials and no capability at all: the keeper needs none (recvmsg, dup2, poll), and must give a
 * same-uid app nothing it does not have. Not dumpable, so such an app cannot ptrace it or take its fds. */
static int become_harmless(const struct ax_user *user)
{
    if (user) {
        if (setgroups((size_t)user->ngroups, user->groups) != 0 && errno != EPERM)
            return -1;
        if (setgid(user->gid) != 0 || setuid(user->uid) != 0)
            return -1;
    }
    for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
        prctl(PR_CAPBSET_DROP, cap, 0, 0, 0); /* EPERM without CAP_SETPCAP, EINVAL for unknown: nothing to drop */
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capset, &hdr, data) != 0)
        return -1;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return -1;
    return 0;
}

/* Receives the fds and their numbers, moves each to its number, acknowledges. Returns the listener's number. */
static int take_fds(int sock)
{
    uint32_t numbers[KEEPER_MAX_FDS];
    char control[CMSG_SPACE(sizeof(int) * KEEPER_MAX_FDS)];
    struct iovec iov = { .iov_base = numbers, .iov_len = sizeof numbers };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
    ssize_t got;
    do
        got = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (got < 0 && errno == EINTR);
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (got != (ssize_t)sizeof numbers || !c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
        return -1;
    int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    int fds[KEEPER_MAX_FDS];
    memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)n);
    int listener = -1;
    for (int i = 0; i < n; i++) {
        int want = numbers[i] > INT32_MAX ? -1 : (int)numbers[i];
        /* The numbers are the app's high reclaim slots: never our socket's, nor another received fd's. */
        if (want >= 0 && want != sock && dup2(fds[i], want) == want && i == 0)
            listener = want;
        if (fds[i] != want)
            close(fds[i]);
    }
    char ack = 1;
    if (listener < 0 || write_all(sock, &ack, 1) != 0)
        return -1;
    return listener;
}

static void keeper_main(int sock, const struct ax_user *user)
{
    signal(SIGPIPE, SIG_IGN);
    setsid(); /* no controlling terminal: a ^C meant for the app's foreground job does not end recovery */
    if (become_harmless(user) != 0)
        _exit(1);
    /* Nothing of the launcher's stays open here (stdio included: a pipe's reader must see EOF when the app ends). */
    if (sock > 0)
        syscall(SYS_close_range, 0u, (unsigned)sock - 1, 0u);
    syscall(SYS_close_range, (unsigned)sock + 1, ~0u, 0u);
    pid_t me = getpid();
    if (write_all(sock, &me, sizeof me) != 0)
        _exit(1);
    int listener = take_fds(sock);
    close(sock);
    if (listener < 0)
        _exit(1);
    /* A seccomp listener reports POLLHUP once its filter has no task left (the app and all its children,
     * daemons included, exited and were reaped). poll with no events waits for exactly that. */
    struct pollfd p = { .fd = listener, .events = 0 };
    for (;;) {
        int r = poll(&p, 1, -1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 || (p.revents & (POLLHUP | POLLERR | POLLNVAL)))
            _exit(0);
    }
}

void ax_keeper_start(struct ax_keeper *k, const struct ax_user *user)
{
    k->sock = -1;
    k->pid = 0;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return;
    pid_t first = fork();
    if (first == 0) {
        /* Forked twice: the keeper is not the app's child (its wait(-1) never reaps it) and is reparented
         * to init (or the nearest subreaper) once this middle process exits. */
        close(sv[0]);
        pid_t keeper = fork();
        if (keeper == 0)
            keeper_main(sv[1], user);
        _exit(keeper < 0 ? 1 : 0);
    }
    close(sv[1]);
    int status;
    pid_t keeper = 0;
    if (first < 0 || waitpid(first, &status, 0) != first || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        read_all(sv[0], &keeper, sizeof keeper) != 0 || keeper <= 0) {
        close(sv[0]);
        return;
    }
    k->sock = sv[0];
    k->pid = keeper;
}

int ax_keeper_hand(struct ax_keeper *k, const int *fds, const int *numbers, int n)
{
    if (k->sock < 0)
        return -1;
    uint32_t wire[KEEPER_MAX_FDS];
    int pass[KEEPER_MAX_FDS];
    int count = 0;
    for (int i = 0; i < n && i < KEEPER_MAX_FDS; i++) {
        if (fds[i] < 0)
            continue;
        pass[count] = fds[i];
        wire[count++] = numbers[i] < 0 ? UINT32_MAX : (uint32_t)numbers[i];
    }
    for (int i = count; i < KEEPER_MAX_FDS; i++)
        wire[i] = UINT32_MAX;
    char control[CMSG_SPACE(sizeof(int) * KEEPER_MAX_FDS)];
    memset(control, 0, sizeof control);
    struct iovec iov = { .iov_base = wire, .iov_len = sizeof wire };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                          .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)count) };
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)count);
    memcpy(CMSG_DATA(c), pass, sizeof(int) * (size_t)count);
    ssize_t sent;
    do
        sent = sendmsg(k->sock, &msg, MSG_NOSIGNAL);
    while (sent < 0 && errno == EINTR);
    char ack = 0;
    int ok = count > 0 && fds[0] >= 0 && numbers[0] >= 0 && sent == (ssize_t)sizeof wire &&
             read_all(k->sock, &ack, 1) == 0 && ack == 1;
    close(k->sock);
    k->sock = -1;
    if (!ok)
        k->pid = 0;
    return ok ? 0 : -1;
}

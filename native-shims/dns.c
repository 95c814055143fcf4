#define _GNU_SOURCE
#include "dns.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define RESOLV_CONF "/etc/resolv.conf"

static int bound_socket(int type)
{
    int s = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0)
        return -1;
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s, (struct sockaddr *)&sa, sizeof sa) != 0 || (type == SOCK_STREAM && listen(s, 64) != 0)) {
        int e = errno;
        close(s);
        errno = e;
        return -1;
    }
    return s;
}

int ax_open_dns_sockets(int fds[2])
{
    fds[0] = bound_socket(SOCK_DGRAM);
    fds[1] = fds[0] < 0 ? -1 : bound_socket(SOCK_STREAM);
    if (fds[1] < 0) {
        ax_err("cannot open the DNS sockets at 127.0.0.1:53 in the new network namespace: %s", strerror(errno));
        if (fds[0] >= 0)
            close(fds[0]);
        return -1;
    }
    return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The new mount API (Linux 5.2+): a detached tmpfs holds the file, so nothing is mounted anywhere the app could
 * see besides the file itself (a memfd cannot be the source of a bind mount: its mount is kernel-internal). */
#ifndef FSCONFIG_CMD_CREATE
#define FSCONFIG_CMD_CREATE 6
#endif
#ifndef FSMOUNT_CLOEXEC
#define FSMOUNT_CLOEXEC 0x1
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x4
#endif

/* A file holding content on a fresh detached tmpfs, as a mount tree fd ready for move_mount; -1 on failure. */
static int detached_file(const char *content)
{
    int fs = (int)syscall(SYS_fsopen, "tmpfs", 1 /* FSOPEN_CLOEXEC */);
    if (fs < 0)
        return -1;
    int mnt = -1, file = -1, tree = -1;
    if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) != 0)
        goto out;
    mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MS_NOSUID | MS_NODEV | MS_NOEXEC);
    if (mnt < 0)
        goto out;
    file = openat(mnt, "resolv.conf", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (file < 0 || write_all(file, content, strlen(content)) != 0)
        goto out;
    tree = (int)syscall(SYS_open_tree, mnt, "resolv.conf", OPEN_TREE_CLONE | O_CLOEXEC);
out:;
    int e = errno;
    if (file >= 0)
        close(file);
    if (mnt >= 0)
        close(mnt);
    close(fs);
    errno = e;
    return tree;
}

int ax_override_resolv_conf(const char *content)
{
    const char *hint = "(--dns-override=false leaves it alone)";
    if (unshare(CLONE_NEWNS) != 0) {
        ax_err("cannot create a mount namespace for resolv.conf: %s %s", strerror(errno), hint);
        return -1;
    }
    /* Mounts made here must never propagate back to the host's namespace. */
    if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) != 0) {
        ax_err("cannot make the mount namespace private: %s %s", strerror(errno), hint);
        return -1;
    }
    int tree = detached_file(content);
    if (tree < 0) {
        ax_err("cannot prepare resolv.conf: %s %s", strerror(errno), hint);
        return -1;
    }
    int rc = (int)syscall(SYS_move_mount, tree, "", AT_FDCWD, RESOLV_CONF, MOVE_MOUNT_F_EMPTY_PATH);
    int e = errno;
    close(tree);
    if (rc != 0) {
        ax_err("cannot bind a resolv.conf over " RESOLV_CONF ": %s %s", strerror(e), hint);
        return -1;
    }
    return 0;
}

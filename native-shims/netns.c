#define _GNU_SOURCE
#include "netns.h"
#include "util.h"

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

/* Set IFF_UP on an interface with the classic ioctl: no netlink needed for this. */
static int link_up(const char *name)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
    if (rc == 0 && !(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP;
        rc = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    int saved = errno;
    close(s);
    errno = saved;
    return rc;
}

int ax_enter_new_netns(void)
{
    if (unshare(CLONE_NEWNET) != 0) {
        ax_err("cannot create a network namespace: %s (it needs root or CAP_SYS_ADMIN; "
               "--new-netns=false keeps the current one)", strerror(errno));
        return -1;
    }
    if (link_up("lo") != 0) {
        ax_err("cannot bring up lo in the new network namespace: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* Append one rtattr to a netlink message inside a buffer of size cap. */
static struct rtattr *add_attr(struct nlmsghdr *n, size_t cap, unsigned short type,
                               const void *data, size_t len)
{
    size_t rtlen = RTA_LENGTH(len);
    if (NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(rtlen) > cap)
        return NULL;
    struct rtattr *rta = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));
    rta->rta_type = type;
    rta->rta_len = (unsigned short)rtlen;
    if (len)
        memcpy(RTA_DATA(rta), data, len);
    n->nlmsg_len = (unsigned)(NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(rtlen));
    return rta;
}

/* RTM_NEWLINK for a new link of the given kind; returns 0 or -errno from the kernel's ack. */
static int rtnl_new_link(const char *name, const char *kind)
{
    union {
        struct nlmsghdr h;
        char buf[512];
    } req;
    memset(&req, 0, sizeof req);
    struct nlmsghdr *n = &req.h;
    n->nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
    n->nlmsg_type = RTM_NEWLINK;
    n->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
    n->nlmsg_seq = 1;
    struct ifinfomsg *ifi = NLMSG_DATA(n);
    ifi->ifi_family = AF_UNSPEC;

    if (!add_attr(n, sizeof req, IFLA_IFNAME, name, strlen(name) + 1))
        return -EINVAL;
    struct rtattr *linkinfo = add_attr(n, sizeof req, IFLA_LINKINFO, NULL, 0);
    if (!linkinfo || !add_attr(n, sizeof req, IFLA_INFO_KIND, kind, strlen(kind)))
        return -EINVAL;
    /* The nested attribute's length covers everything added after it. */
    linkinfo->rta_len = (unsigned short)((char *)n + n->nlmsg_len - (char *)linkinfo);

    int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (s < 0)
        return -errno;
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    ssize_t w;
    do
        w = sendto(s, n, n->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel);
    while (w < 0 && errno == EINTR);
    if (w < 0) {
        int e = errno;
        close(s);
        return -e;
    }

    /* Wait for the ack (an NLMSG_ERROR whose error is 0 on success). */
    int result = -EPROTO;
    for (;;) {
        union {
            struct nlmsghdr h;
            char buf[8192];
        } resp;
        ssize_t r = recv(s, resp.buf, sizeof resp.buf, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            result = r < 0 ? -errno : -EPROTO;
            break;
        }
        int done = 0;
        for (struct nlmsghdr *h = &resp.h; NLMSG_OK(h, (unsigned)r); h = NLMSG_NEXT(h, r)) {
            if (h->nlmsg_seq != 1)
                continue;
            if (h->nlmsg_type == NLMSG_ERROR) {
                if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
                    result = -EPROTO;
                else
                    result = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
                done = 1;
                break;
            }
        }
        if (done)
            break;
    }
    close(s);
    return result;
}

int ax_create_dummy(const char *name)
{
    if (name[0] == '\0' || strlen(name) >= IFNAMSIZ || strchr(name, '/') || strchr(name, ' ')) {
        ax_err("invalid interface name '%s'", name);
        return -1;
    }
    int rc = rtnl_new_link(name, "dummy");
    /* Kernels built without CONFIG_DUMMY answer EOPNOTSUPP. An ifb link is
     * the closest stand-in: a standalone, carrier-up device that drops what
     * is sent through it, which is all a dummy does. */
    if (rc == -EOPNOTSUPP)
        rc = rtnl_new_link(name, "ifb");
    if (rc < 0) {
        ax_err("cannot create interface '%s': %s", name, strerror(-rc));
        return -1;
    }
    if (link_up(name) != 0) {
        ax_err("cannot bring up interface '%s': %s", name, strerror(errno));
        return -1;
    }
    return 0;
}

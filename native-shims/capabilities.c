#define _GNU_SOURCE
#include "capabilities.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* setns/unshare and mounts (SYS_ADMIN), interfaces and routes (NET_ADMIN), other processes' fds and memory
 * (SYS_PTRACE), the kernel itself (MODULE, RAWIO, BPF, PERFMON, BOOT, TIME, SYSLOG) and the LSMs (MAC_*).
 * CAP_NET_RAW stays: ping needs it, and raw sockets only see the app's empty namespace. */
static const int escape_capabilities[] = {
    CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_SYS_PTRACE, CAP_SYS_MODULE, CAP_SYS_RAWIO, CAP_BPF,
    CAP_PERFMON, CAP_SYS_BOOT, CAP_MAC_ADMIN, CAP_MAC_OVERRIDE, CAP_SYSLOG, CAP_SYS_TIME,
};
#define ESCAPE_COUNT (sizeof escape_capabilities / sizeof escape_capabilities[0])

int ax_drop_escape_capabilities(void)
{
    for (size_t i = 0; i < ESCAPE_COUNT; i++) {
        int cap = escape_capabilities[i];
        /* EINVAL: a capability this kernel does not know (CAP_BPF before 5.8); nobody can hold it. */
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
            ax_err("cannot drop capability %d from the bounding set: %s", cap, strerror(errno));
            return -1;
        }
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, cap, 0, 0) != 0 && errno != EINVAL) {
            ax_err("cannot drop capability %d from the ambient set: %s", cap, strerror(errno));
            return -1;
        }
    }
    struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    if (syscall(SYS_capget, &hdr, data) != 0) {
        ax_err("cannot read our capabilities: %s", strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < ESCAPE_COUNT; i++) {
        int cap = escape_capabilities[i];
        data[CAP_TO_INDEX(cap)].effective &= ~CAP_TO_MASK(cap);
        data[CAP_TO_INDEX(cap)].permitted &= ~CAP_TO_MASK(cap);
        data[CAP_TO_INDEX(cap)].inheritable &= ~CAP_TO_MASK(cap);
    }
    if (syscall(SYS_capset, &hdr, data) != 0) {
        ax_err("cannot drop capabilities: %s", strerror(errno));
        return -1;
    }
    return 0;
}

#include "filter.h"

#include <errno.h>
#include <stddef.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define AX_NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define AX_NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "ax: the seccomp filter supports x86_64 and aarch64 only"
#endif

#ifndef X32_SYSCALL_BIT
#define X32_SYSCALL_BIT 0x40000000u
#endif

#define LOAD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
/* The low and high 32-bit halves of argument i (little-endian: the low half comes first). */
#define LOAD_ARG_LO(i) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[i]))
#define LOAD_ARG_HI(i) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[i]) + 4)
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
#define RET_ERRNO(e) RET(SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))
/* If the accumulator equals nr, fall through to the next instruction
 * (the notify return); otherwise skip it. */
#define TRAP(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), RET(SECCOMP_RET_USER_NOTIF)
/* The same with an errno instead of the notification. */
#define REFUSE(nr, e) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), RET_ERRNO(e)

/* ioctl type '!' (bits 8-15 of the request): the seccomp user-notification ioctls, whatever their size
 * and direction bits (the kernel matches ADDFD without them). The kernel takes the request as 32 bits. */
#define SECCOMP_IOCTL_TYPE 0x2100u
#define IOCTL_TYPE_MASK 0xff00u

#if defined(__x86_64__)
/* x32 numbers alias the native calls under other numbers: refuse them
 * instead of letting connect() slip through as an unknown number. */
#define REFUSE_X32 BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, X32_SYSCALL_BIT, 0, 1), RET_ERRNO(ENOSYS),
#else
#define REFUSE_X32
#endif

/* What every app gets; other calls fall through to what follows (each block skips to the next). */
#define COMMON_RULES \
    /* Calls made through another ABI (i386 int 0x80 on x86_64) would reach handed node sockets past \
     * the agent, under numbers we do not trap: refused as if that ABI did not exist. */ \
    LOAD(arch), \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AX_NATIVE_ARCH, 1, 0), \
    RET_ERRNO(ENOSYS), \
    LOAD(nr), \
    REFUSE_X32 \
    /* Not socket(): making node sockets up front would break the private loopback and the \
     * "nothing escapes" model (NOTES, "Data-path benchmark and the connect path's cost"). */ \
    TRAP(__NR_connect), \
    TRAP(__NR_bind), \
    TRAP(__NR_listen), \
    TRAP(__NR_getsockname), \
    TRAP(__NR_getpeername), \
    /* io_uring runs connect/sendmsg inside the kernel where seccomp never looks (as container \
     * runtimes' default profiles do, it does not exist for the app). */ \
    REFUSE(__NR_io_uring_setup, ENOSYS), \
    REFUSE(__NR_io_uring_enter, ENOSYS), \
    REFUSE(__NR_io_uring_register, ENOSYS), \
    /* The app must not answer its own trapped calls: the notify ioctls on a listener (the reclaim \
     * copy the launcher leaves in it) are refused. */ \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 0, 5), \
    LOAD_ARG_LO(1), \
    BPF_STMT(BPF_ALU | BPF_AND | BPF_K, IOCTL_TYPE_MASK), \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_IOCTL_TYPE, 0, 1), \
    RET_ERRNO(EPERM), \
    RET(SECCOMP_RET_ALLOW), \
    /* Nor install a filter with a listener of its own: of two filters returning USER_NOTIF the newer \
     * one's listener gets the call, and could let it run unchecked. */ \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_seccomp, 0, 4), \
    LOAD_ARG_LO(1), \
    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, SECCOMP_FILTER_FLAG_NEW_LISTENER, 0, 1), \
    RET_ERRNO(EPERM), \
    RET(SECCOMP_RET_ALLOW)

/* sendto with a destination (args[4], the address pointer, not NULL) is decided by the agent; send()/write()
 * on connected sockets, TCP's data path, never trap. Also with --new-netns=false: the node sockets the agent
 * made are locked to it in the kernel (the socket lock), so the agent must send what it decided itself. */
#define SENDTO_RULES \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_sendto, 0, 5), \
    LOAD_ARG_LO(4), \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2), \
    LOAD_ARG_HI(4), \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), \
    RET(SECCOMP_RET_USER_NOTIF), \
    RET(SECCOMP_RET_ALLOW)

static struct sock_filter program[] = {
    COMMON_RULES,
    SENDTO_RULES,
};

/* ax run --trap-sendmsg: sendmsg and sendmmsg trap too. The filter cannot read msg_name (a pointer inside a
 * struct), so every one of them traps, TCP's included: the agent continues those without a destination at once
 * (NOTES, "sendmsg (session 11)": the price measured). For apps whose first send on a UDP socket is a sendmsg. */
static struct sock_filter program_with_sendmsg[] = {
    COMMON_RULES,
    TRAP(__NR_sendmsg),
    TRAP(__NR_sendmmsg),
    SENDTO_RULES,
};

/* CAP_SYS_ADMIN in the effective set lets us skip no_new_privs, so
 * setuid programs inside the app keep working when we run as real root. */
static int have_sys_admin(void)
{
    struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    if (syscall(SYS_capget, &hdr, data) != 0)
        return geteuid() == 0;
    return (data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective & CAP_TO_MASK(CAP_SYS_ADMIN)) != 0;
}

int ax_install_filter(int trap_sendmsg)
{
    struct sock_fprog prog = trap_sendmsg
        ? (struct sock_fprog){ .len = sizeof program_with_sendmsg / sizeof program_with_sendmsg[0], .filter = program_with_sendmsg }
        : (struct sock_fprog){ .len = sizeof program / sizeof program[0], .filter = program };
    if (!have_sys_admin() && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    /* The kernel creates the listener close-on-exec, so it never reaches the app. */
    long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    return fd < 0 ? -1 : (int)fd;
}

/* The seccomp filter that hands network calls to the agent. */
#ifndef AX_FILTER_H
#define AX_FILTER_H

/* Install the filter for this process (and everything it execs or forks)
 * and return the user-notification listener fd (close-on-exec), or -1 with
 * errno set. Sets no_new_privs first when we lack CAP_SYS_ADMIN, because
 * the kernel refuses unprivileged filters otherwise. trap_sendmsg: sendmsg and
 * sendmmsg are handed to the agent too (ax run --trap-sendmsg). */
int ax_install_filter(int trap_sendmsg);

#endif

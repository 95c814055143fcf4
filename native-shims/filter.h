/* The seccomp filter that hands network calls to the agent. */
#ifndef AX_FILTER_H
#define AX_FILTER_H

/* Install the filter for this process (and everything it execs or forks)
 * and return the user-notification listener fd (close-on-exec), or -1 with
 * errno set. Sets no_new_privs first when we lack CAP_SYS_ADMIN, because
 * the kernel refuses unprivileged filters otherwise. own_namespace: the app
 * runs in a network namespace of its own (new-netns mode), where sendto with
 * a destination is trapped too. */
int ax_install_filter(int own_namespace);

#endif

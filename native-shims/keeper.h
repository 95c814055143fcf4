/* The keeper: a small process outside the app that holds a copy of the seccomp listener (and the DNS sockets)
 * so that a restarted agent can take them back even from an app that closed every fd it inherited. */
#ifndef AX_KEEPER_H
#define AX_KEEPER_H

#include "privileges.h"

#include <sys/types.h>

struct ax_keeper {
    int sock;  /* our end of the socketpair; -1: no keeper */
    pid_t pid; /* the keeper's pid; 0: no keeper */
};

/* Forks the keeper; call it before the filter is installed (the keeper must not be a user of the filter,
 * else its listener never reports POLLHUP) and before any namespace is entered. The keeper becomes `user`
 * when not NULL and drops every capability. On failure k->pid is 0: the app runs, recovery after an agent
 * restart then relies on the copy inside the app alone. */
void ax_keeper_start(struct ax_keeper *k, const struct ax_user *user);

/* Hands the keeper copies of fds[i], to be held at fd number numbers[i] (-1: skip), and waits until it holds
 * them. fds[0] must be the listener: the keeper exits once it reports POLLHUP. Closes our end either way.
 * Returns 0, or -1 (then k->pid is 0). */
int ax_keeper_hand(struct ax_keeper *k, const int *fds, const int *numbers, int n);

#endif

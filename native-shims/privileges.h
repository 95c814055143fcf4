/* --user: become another user just before exec. */
#ifndef AX_PRIVILEGES_H
#define AX_PRIVILEGES_H

#include <sys/types.h>

struct ax_user {
    char *spec;     /* what --user said, for messages */
    uid_t uid;
    gid_t gid;
    char *name;     /* NULL when the uid is not in /etc/passwd */
    char *home;     /* NULL likewise */
    gid_t *groups;  /* supplementary groups (empty for an unknown uid) */
    int ngroups;
};

/* Resolve a user name or numeric uid and its groups from /etc/passwd and
 * /etc/group. Called before the seccomp filter is installed, so that all
 * file access happens in the launcher's original state. Exits with one line
 * on an unknown user. */
void ax_lookup_user(const char *spec, struct ax_user *u);

/* setgroups, setgid, setuid (in that order: afterwards they would be
 * refused) and HOME/USER/LOGNAME when the user is known. Exits on failure. */
void ax_become_user(const struct ax_user *u);

#endif

#define _GNU_SOURCE
#include "privileges.h"
#include "util.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AX_MAX_GROUPS 65536 /* the kernel's NGROUPS_MAX */

static int parse_uid(const char *s, uid_t *out)
{
    if (*s == '\0')
        return -1;
    unsigned long long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (unsigned)(*p - '0');
        if (v >= (uid_t)-1) /* (uid_t)-1 means "leave unchanged" to setuid: never a target */
            return -1;
    }
    *out = (uid_t)v;
    return 0;
}

/* The account databases are read as files, never through NSS or nscd: the
 * same answer in any container and with either libc (a static glibc would
 * have to dlopen NSS modules, which may be missing or mismatched). */
static struct passwd *find_passwd(const char *name, uid_t uid)
{
    FILE *f = fopen("/etc/passwd", "re");
    if (!f)
        return NULL;
    struct passwd *pw;
    while ((pw = fgetpwent(f)) != NULL)
        if (name ? strcmp(pw->pw_name, name) == 0 : pw->pw_uid == uid)
            break;
    fclose(f);
    return pw; /* fgetpwent's static storage survives fclose */
}

static int has_gid(const struct ax_user *u, gid_t g)
{
    for (int i = 0; i < u->ngroups; i++)
        if (u->groups[i] == g)
            return 1;
    return 0;
}

/* The primary gid plus every /etc/group entry that lists the user (what
 * initgroups would set, without NSS). */
static void find_groups(struct ax_user *u)
{
    int cap = 16;
    u->groups = ax_malloc(sizeof(gid_t) * (size_t)cap);
    u->groups[0] = u->gid;
    u->ngroups = 1;
    FILE *f = fopen("/etc/group", "re");
    if (!f)
        return;
    struct group *gr;
    while ((gr = fgetgrent(f)) != NULL) {
        int member = 0;
        for (char **m = gr->gr_mem; m && *m && !member; m++)
            member = strcmp(*m, u->name) == 0;
        if (!member || has_gid(u, gr->gr_gid))
            continue;
        if (u->ngroups == AX_MAX_GROUPS)
            break;
        if (u->ngroups == cap) {
            cap *= 2;
            gid_t *g = realloc(u->groups, sizeof(gid_t) * (size_t)cap);
            if (!g)
                ax_die(1, "out of memory");
            u->groups = g;
        }
        u->groups[u->ngroups++] = gr->gr_gid;
    }
    fclose(f);
}

void ax_lookup_user(const char *spec, struct ax_user *u)
{
    memset(u, 0, sizeof *u);
    u->spec = ax_strdup(spec);
    uid_t uid = 0;
    int numeric = parse_uid(spec, &uid) == 0;

    struct passwd *pw = numeric ? find_passwd(NULL, uid) : find_passwd(spec, 0);
    if (!pw) {
        if (!numeric)
            ax_die(1, "unknown user '%s'", spec);
        u->uid = uid;
        u->gid = (gid_t)uid; /* unknown uid: the usual same-numbered group */
        u->groups = ax_malloc(sizeof(gid_t));
        return;
    }
    u->uid = pw->pw_uid;
    u->gid = pw->pw_gid;
    /* Copy now: the next fget*ent call reuses the buffer. */
    u->name = ax_strdup(pw->pw_name);
    u->home = ax_strdup(pw->pw_dir);
    find_groups(u);
}

void ax_become_user(const struct ax_user *u)
{
    /* Unprivileged and already that user: nothing to drop (setgroups would fail). */
    int same = geteuid() == u->uid && getuid() == u->uid && getegid() == u->gid && getgid() == u->gid;
    if (!(same && geteuid() != 0)) {
        if (setgroups((size_t)u->ngroups, u->groups) != 0)
            ax_die(1, "cannot set the groups of user '%s': %s", u->spec, strerror(errno));
        if (setgid(u->gid) != 0)
            ax_die(1, "cannot switch to group %u for user '%s': %s", (unsigned)u->gid, u->spec,
                   strerror(errno));
        if (setuid(u->uid) != 0)
            ax_die(1, "cannot switch to user '%s': %s", u->spec, strerror(errno));
    }
    if (u->name) {
        if (setenv("HOME", u->home, 1) != 0 || setenv("USER", u->name, 1) != 0 ||
            setenv("LOGNAME", u->name, 1) != 0)
            ax_die(1, "out of memory");
    }
}

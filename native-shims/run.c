#define _GNU_SOURCE
#include "run.h"
#include "capabilities.h"
#include "dns.h"
#include "filter.h"
#include "handoff.h"
#include "keeper.h"
#include "netns.h"
#include "privileges.h"
#include "protocol.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/resource.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

extern char **environ;

#define DEFAULT_SOCKET_DIR "/var/run/appswitch"
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char usage[] =
    "Usage: ax run [OPTIONS] [--] COMMAND [ARGS...]\n"
    "\n"
    "Run COMMAND under AppSwitch: its network calls are handled by the agent.\n"
    "\n"
    "Options:\n"
    "  --ip A.B.C.D         virtual IPv4 address of the application\n"
    "  --name NAME          DNS name of the application\n"
    "  --labels k=v,...     labels (default zone=default)\n"
    "  --expose PORT:HOSTPORT  make an application port reachable from outside\n"
    "  --protocol P         endpoint type of its service instances: tcp (default), udp, http, https\n"
    "  --user NAME|UID      run the application as that user\n"
    "  --new-netns[=BOOL]   run in a new network namespace (default true)\n"
    "  --dns-override[=BOOL]  point the resolver at the built-in DNS (default true)\n"
    "  --trap-sendmsg[=BOOL]  let the agent see sendmsg/sendmmsg too (UDP sockets whose first\n"
    "                       send is a sendmsg to a virtual IP; every sendmsg traps; default false)\n"
    "  --interface NAME     create a dummy interface NAME in the new namespace\n"
    "  --socket-dir DIR     the agent's socket directory (default $AX_SOCKET_DIR,\n"
    "                       else " DEFAULT_SOCKET_DIR ")\n"
    "  -h, --help           show this help\n";

/* Options that never take a separate value; everything else written
 * "--opt" consumes the next argument (mirrors the agent's parser). */
static int is_boolean_option(const char *a)
{
    if (strncmp(a, "--", 2) == 0 && strchr(a, '='))
        return 1;
    return strcmp(a, "--new-netns") == 0 || strcmp(a, "--dns-override") == 0 ||
           strcmp(a, "--trap-sendmsg") == 0 ||
           strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

/* --socket-dir among the run options (before the command), else the environment, else the default. */
static const char *find_socket_dir(int nargs, char **args)
{
    for (int i = 0; i < nargs; i++) {
        const char *a = args[i];
        if (strcmp(a, "--") == 0 || a[0] != '-')
            break;
        if (strncmp(a, "--socket-dir=", 13) == 0)
            return a + 13;
        if (is_boolean_option(a))
            continue;
        if (strcmp(a, "--socket-dir") == 0 && i + 1 < nargs)
            return args[i + 1];
        i++; /* skip the value */
    }
    const char *env = getenv("AX_SOCKET_DIR");
    return env && *env ? env : DEFAULT_SOCKET_DIR;
}

static int connect_agent(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sa.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(sa.sun_path, path);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    if (connect(s, (struct sockaddr *)&sa, sizeof sa) != 0) {
        /* connect() interrupted by a signal keeps going in the background:
         * wait for it rather than retrying (which would fail with EALREADY). */
        int err = errno;
        if (err == EINTR) {
            struct pollfd p = { .fd = s, .events = POLLOUT };
            socklen_t len = sizeof err;
            while (poll(&p, 1, -1) < 0 && errno == EINTR)
                ;
            if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
                err = errno;
        }
        if (err != 0) {
            close(s);
            errno = err;
            return -1;
        }
    }
    return s;
}

/* Which of our environment entries the agent gets to see. */
static int env_is_forwarded(const char *e)
{
    if (!strchr(e, '='))
        return 0;
    return strncmp(e, "AX_", 3) == 0 || strncmp(e, "POD_NAME=", 9) == 0 ||
           strncmp(e, "KUBERNETES_POD_NAME=", 20) == 0;
}

static void build_run(struct ax_buf *b, int nargs, char **args)
{
    ax_buf_u8(b, AX_PROTOCOL_VERSION);
    ax_buf_u32(b, (uint32_t)nargs);
    for (int i = 0; i < nargs; i++)
        ax_buf_str(b, args[i]);
    uint32_t envc = 0;
    for (char **e = environ; e && *e; e++)
        envc += env_is_forwarded(*e) ? 1u : 0u;
    ax_buf_u32(b, envc);
    for (char **e = environ; e && *e; e++)
        if (env_is_forwarded(*e))
            ax_buf_str(b, *e);
}

/* A frame that is neither what we expect nor a valid ERROR. */
static void die_unexpected(const char *sock_path)
{
    ax_die(1, "the AppSwitch daemon at %s closed the connection unexpectedly", sock_path);
}

/* Read the agent's answer; an ERROR is printed and ends the program. */
static void expect_frame(int sock, const char *sock_path, uint8_t want, struct ax_frame *f)
{
    if (ax_recv_frame(sock, f) != 0)
        die_unexpected(sock_path);
    if (f->type == AX_MSG_ERROR) {
        struct ax_error e;
        if (ax_decode_error(f, &e) != 0)
            die_unexpected(sock_path);
        ax_die(e.exit_code, "%s", e.message);
    }
    if (f->type != want)
        die_unexpected(sock_path);
}

/* Find the program like execvp would. Returns a heap path, or NULL after
 * printing the shell's messages, with *status set to 127 or 126. */
static char *resolve_command(const char *cmd, int *status)
{
    struct stat st;
    int denied = 0;

    if (cmd[0] == '\0')
        goto not_found;
    if (strchr(cmd, '/')) {
        if (stat(cmd, &st) != 0)
            goto not_found;
        if (!S_ISREG(st.st_mode) || access(cmd, X_OK) != 0)
            goto no_permission;
        return ax_strdup(cmd);
    }

    const char *path = getenv("PATH");
    if (!path)
        path = DEFAULT_PATH;
    for (const char *p = path;; ) {
        const char *end = strchrnul(p, ':');
        size_t dlen = (size_t)(end - p);
        /* An empty PATH element means the current directory, as for execvp. */
        char *dir = dlen ? strndup(p, dlen) : strdup(".");
        if (!dir)
            ax_die(1, "out of memory");
        char *cand = ax_concat(dir, "/", cmd);
        free(dir);
        if (stat(cand, &st) == 0) {
            if (S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
                return cand;
            denied = 1; /* keep looking, report it if nothing better turns up */
        } else if (errno == EACCES) {
            denied = 1;
        }
        free(cand);
        if (*end == '\0')
            break;
        p = end + 1;
    }
    if (denied)
        goto no_permission;

not_found:
    ax_err("%s: command not found", cmd);
    *status = 127;
    return NULL;
no_permission:
    ax_err("%s: Permission denied", cmd);
    *status = 126;
    return NULL;
}

/* Duplicates fd (without close-on-exec) near the top of the fd range, where applications
 * rarely look; -1 when no slot is free (the agent then cannot take it back after a restart,
 * which it logs). Used for the listener and the DNS sockets. */
static int keep_reclaim_copy(int listener)
{
    struct rlimit lim;
    long top = 1024;
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < 65536)
        top = (long)lim.rlim_cur;
    for (long fd = top - 1; fd >= top - 64 && fd > 2; fd--) {
        if (fcntl((int)fd, F_GETFD) == -1 && errno == EBADF)
            return dup2(listener, (int)fd) == fd ? (int)fd : -1;
    }
    return -1;
}

int ax_run(int nargs, char **args)
{
    if (nargs > 0 && (strcmp(args[0], "--help") == 0 || strcmp(args[0], "-h") == 0)) {
        fputs(usage, stdout);
        return fflush(stdout) == 0 ? 0 : 1;
    }

    /* (1)-(2) Connect first: once the filter is in place our own connect() would be trapped. */
    const char *dir = find_socket_dir(nargs, args);
    char *sock_path = ax_concat(dir, "/ax.sock", NULL);
    int sock = connect_agent(sock_path);
    if (sock < 0 && (errno == EACCES || errno == EPERM))
        ax_die(1, "permission denied on %s (run as root or as a member of its group)", sock_path);
    if (sock < 0)
        ax_die(1, "cannot reach the AppSwitch daemon at %s (is `ax daemon` running?)", sock_path);

    /* (3) RUN */
    struct ax_buf run = { 0 };
    build_run(&run, nargs, args);
    if (run.len + 1 > AX_MAX_FRAME)
        ax_die(2, "the command line and environment are too long (over 1 MiB)");
    if (ax_send_frame(sock, AX_MSG_RUN, &run, -1) != 0) {
        /* The agent may have refused us with an ERROR before closing. */
        struct ax_frame f;
        expect_frame(sock, sock_path, AX_MSG_ERROR, &f);
        die_unexpected(sock_path);
    }
    ax_buf_free(&run);

    /* (4) PLAN or ERROR */
    struct ax_frame f;
    struct ax_plan plan;
    expect_frame(sock, sock_path, AX_MSG_PLAN, &f);
    if (ax_decode_plan(&f, &plan) != 0 || plan.command_index >= (uint32_t)nargs)
        die_unexpected(sock_path);
    ax_frame_free(&f);
    char **app_argv = &args[plan.command_index];

    /* (5) Resolve the program now, so "not found" is reported before anything is set up. */
    int status = 0;
    char *program = resolve_command(app_argv[0], &status);
    if (!program)
        return status;

    /* Look the user up now: an unknown user fails before anything is set up,
     * and nothing after the filter touches the file system for it. */
    struct ax_user user;
    int switch_user = plan.user[0] != '\0';
    if (switch_user)
        ax_lookup_user(plan.user, &user);

    /* (5b) The keeper, forked before any namespace and before the filter (see keeper.h). */
    struct ax_keeper keeper;
    ax_keeper_start(&keeper, switch_user ? &user : NULL);

    /* (6) The application's own network namespace. */
    if (plan.new_netns) {
        if (ax_enter_new_netns() != 0)
            return 1;
        if (plan.interface[0] != '\0' && ax_create_dummy(plan.interface) != 0)
            return 1;
    }

    /* (6b) DNS: sockets for the agent's server inside the app's namespace, and a resolv.conf pointing
     * at them seen only by the app (the agent decides both; only in new-netns mode). */
    int dns_fds[2] = { -1, -1 };
    if (plan.new_netns && plan.dns_sockets && ax_open_dns_sockets(dns_fds) != 0)
        return 1;
    if (plan.new_netns && plan.resolv_conf[0] != '\0' && ax_override_resolv_conf(plan.resolv_conf) != 0)
        return 1;

    /* (7) The filter. From here on we make no trapped calls ourselves (with --trap-sendmsg a thread made before
     * it sends the LISTENER frame). */
    if (plan.trap_sendmsg && ax_handoff_start() != 0)
        ax_die(1, "cannot start the thread that hands the listener over: %s", strerror(errno));
    int listener = ax_install_filter(plan.trap_sendmsg);
    if (listener < 0)
        ax_die(1, "cannot install the seccomp filter: %s", strerror(errno));
    /* (7b) After the filter (installing it without no_new_privs needs CAP_SYS_ADMIN, and setuid programs
     * in the app keep working without no_new_privs): an app in its own namespace must not leave it. */
    if (plan.new_netns && ax_drop_escape_capabilities() != 0)
        return 1;

    /* (8) Hand the listener to the agent. A copy stays in the application at a high fd
     * number (inherited across exec and fork) so that a restarted agent can take it back
     * with pidfd_getfd; its number travels in the LISTENER payload. The DNS sockets, if
     * any, follow the listener in the same message (their count after the reclaim fd), then
     * the keeper's pid. */
    int reclaim_fd = keep_reclaim_copy(listener);
    int copies[3] = { reclaim_fd, -1, -1 };
    struct ax_buf reclaim = {0};
    ax_buf_u32(&reclaim, reclaim_fd < 0 ? UINT32_MAX : (uint32_t)reclaim_fd);
    int fds[3] = { listener, dns_fds[0], dns_fds[1] };
    int nfds = 1;
    if (dns_fds[0] >= 0) {
        ax_buf_u32(&reclaim, 2);
        for (int i = 0; i < 2; i++) {
            copies[1 + i] = keep_reclaim_copy(dns_fds[i]);
            ax_buf_u32(&reclaim, copies[1 + i] < 0 ? UINT32_MAX : (uint32_t)copies[1 + i]);
        }
        nfds = 3;
    } else {
        ax_buf_u32(&reclaim, 0);
    }
    /* The keeper holds the same copies at the same numbers, so an app that closes them loses nothing; its pid
     * ends the payload (0: no keeper). The copies in the app stay too: a killed keeper only loses its copy.
     * Under --trap-sendmsg this thread's sendmsg to the keeper would trap before the agent holds the listener:
     * no keeper then (closing our end makes it exit). */
    if (plan.trap_sendmsg) {
        if (keeper.sock >= 0)
            close(keeper.sock);
        keeper.sock = -1;
        keeper.pid = 0;
    } else {
        ax_keeper_hand(&keeper, fds, copies, nfds);
    }
    ax_buf_u32(&reclaim, (uint32_t)keeper.pid);
    int sent = plan.trap_sendmsg ? ax_handoff_send(sock, AX_MSG_LISTENER, &reclaim, fds, nfds)
                                 : ax_send_frame_fds(sock, AX_MSG_LISTENER, &reclaim, fds, nfds);
    ax_buf_free(&reclaim);
    close(listener);
    if (dns_fds[0] >= 0) {
        close(dns_fds[0]);
        close(dns_fds[1]);
    }
    if (sent != 0) {
        expect_frame(sock, sock_path, AX_MSG_ERROR, &f);
        die_unexpected(sock_path);
    }

    /* (9) READY or ERROR */
    expect_frame(sock, sock_path, AX_MSG_READY, &f);
    if (f.len != 0)
        die_unexpected(sock_path);
    ax_frame_free(&f);

    /* (10) Nothing of ours may reach the application. */
    close(sock);
    if (switch_user)
        ax_become_user(&user);

    /* (11) */
    execv(program, app_argv);
    int err = errno;
    ax_err("%s: %s", app_argv[0], strerror(err));
    return err == ENOENT ? 127 : 126;
}

/* ax: the static launcher. `ax run` is handled here, natively, so it needs
 * nothing from the container but a kernel; every other subcommand is handed
 * to the programs installed beside us (<prefix>/lib/appswitch). */
#define _GNU_SOURCE
#include "run.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* $AX_LIBEXEC_DIR, else <prefix>/lib/appswitch where our binary is <prefix>/bin/ax. */
static char *libexec_dir(const char *argv0)
{
    const char *env = getenv("AX_LIBEXEC_DIR");
    if (env && *env)
        return ax_strdup(env);

    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
    } else if (!strchr(argv0, '/') || !realpath(argv0, exe)) {
        /* No /proc and no path in argv[0]: nothing to go by. */
        ax_die(1, "cannot locate the AppSwitch installation (set AX_LIBEXEC_DIR)");
    }
    /* Drop "/ax" and then "/bin": /proc/self/exe is canonical, so this equals dirname(exe)/.. */
    for (int i = 0; i < 2; i++) {
        char *slash = strrchr(exe, '/');
        if (!slash)
            break;
        *slash = '\0';
    }
    return ax_concat(exe, "/lib/appswitch", NULL);
}

/* Exec prog with argv[0]=prog followed by args (nargs of them). */
static int exec_helper(const char *prog, int nargs, char **args)
{
    if (access(prog, F_OK) != 0)
        ax_die(1, "cannot find %s (is AppSwitch installed completely?)", prog);
    char **argv = ax_malloc(sizeof(char *) * ((size_t)nargs + 2));
    argv[0] = (char *)prog;
    memcpy(argv + 1, args, sizeof(char *) * (size_t)nargs);
    argv[nargs + 1] = NULL;
    execv(prog, argv);
    ax_err("cannot run %s: %s", prog, strerror(errno));
    return 126;
}

int main(int argc, char **argv)
{
    const char *argv0 = argc > 0 ? argv[0] : "ax";
    int i = 1;

    /* Global --socket-dir / --admin-socket-dir before the subcommand: exported
     * so that the CLI, the agent and `run` all see the same directories. */
    while (i < argc) {
        const char *val, *var;
        if (strcmp(argv[i], "--socket-dir") == 0 || strcmp(argv[i], "--admin-socket-dir") == 0) {
            if (i + 1 >= argc)
                ax_die(2, "option %s needs a value", argv[i]);
            var = argv[i][2] == 'a' ? "AX_ADMIN_SOCKET_DIR" : "AX_SOCKET_DIR";
            val = argv[i + 1];
            i += 2;
        } else if (strncmp(argv[i], "--socket-dir=", 13) == 0) {
            var = "AX_SOCKET_DIR";
            val = argv[i] + 13;
            i += 1;
        } else if (strncmp(argv[i], "--admin-socket-dir=", 19) == 0) {
            var = "AX_ADMIN_SOCKET_DIR";
            val = argv[i] + 19;
            i += 1;
        } else {
            break;
        }
        if (setenv(var, val, 1) != 0)
            ax_die(1, "out of memory");
    }

    int nrest = argc - i;
    char **rest = argv + i;

    if (nrest > 0 && strcmp(rest[0], "run") == 0)
        return ax_run(nrest - 1, rest + 1);

    char *lib = libexec_dir(argv0);
    if (nrest > 0 && strcmp(rest[0], "daemon") == 0)
        return exec_helper(ax_concat(lib, "/agent/appswitch-agent", NULL), nrest - 1, rest + 1);
    return exec_helper(ax_concat(lib, "/cli/ax-cli", NULL), nrest, rest);
}

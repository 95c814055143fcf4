/* `ax run`: the launcher flow of docs/launcher-protocol.md. */
#ifndef AX_RUN_H
#define AX_RUN_H

/* args = the arguments after "run" (NULL-terminated, nargs of them).
 * Returns only on failure, with the exit status to use; on success it execs. */
int ax_run(int nargs, char **args);

#endif

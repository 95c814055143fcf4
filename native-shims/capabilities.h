/* The capabilities an application under ax must not have: those that would let it leave its network
 * namespace or reach around the agent. */
#ifndef AX_CAPABILITIES_H
#define AX_CAPABILITIES_H

/* Drops CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_SYS_PTRACE and the others listed in capabilities.c from the
 * bounding, ambient, effective, permitted and inheritable sets of this process (so also of what it execs,
 * setuid programs included). Returns 0, or -1 after printing one "ax: ..." line. */
int ax_drop_escape_capabilities(void);

#endif

/* The application's own network namespace: lo up, optionally a dummy link. */
#ifndef AX_NETNS_H
#define AX_NETNS_H

/* Each returns 0, or -1 after printing one "ax: ..." line. */

/* unshare(CLONE_NEWNET) and bring lo up. */
int ax_enter_new_netns(void);

/* Create an interface named name (kind "dummy") in the current namespace and set it up. */
int ax_create_dummy(const char *name);

#endif

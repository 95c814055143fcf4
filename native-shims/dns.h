/* The app's view of DNS in new-netns mode: sockets for the agent's server and a private resolv.conf. */
#ifndef AX_DNS_H
#define AX_DNS_H

/* Each returns 0, or -1 after printing one "ax: ..." line. */

/* In the current (new) namespace: fds[0] a UDP socket bound to 127.0.0.1:53, fds[1] a TCP one listening
 * there. Both close-on-exec: they go to the agent, never to the application. */
int ax_open_dns_sockets(int fds[2]);

/* Give this process a private mount namespace and bind a file holding content over /etc/resolv.conf.
 * The host's file is never written. */
int ax_override_resolv_conf(const char *content);

#endif

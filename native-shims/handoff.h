/* Sending the LISTENER frame when the filter traps sendmsg (ax run --trap-sendmsg). */
#ifndef AX_HANDOFF_H
#define AX_HANDOFF_H

#include "protocol.h"

/* A thread made before the filter is installed: the filter binds the thread that installs it (and threads that one
 * makes later), not this one, so its sendmsg (SCM_RIGHTS needs one) is not trapped — trapped, it would wait for an
 * agent that does not have the listener yet. execve ends it. Returns 0, or -1 with errno set. */
int ax_handoff_start(void);

/* Has the thread send the frame (as ax_send_frame_fds) and waits for it: its result, errno set on failure. */
int ax_handoff_send(int sock, uint8_t type, const struct ax_buf *payload, const int *fds, int nfds);

#endif

/* Framing and encoding of the launcher protocol (docs/launcher-protocol.md). */
#ifndef AX_PROTOCOL_H
#define AX_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#define AX_PROTOCOL_VERSION 1
#define AX_MAX_FRAME (1u << 20) /* largest allowed value of the length field */

enum ax_msg_type {
    AX_MSG_RUN = 1,
    AX_MSG_PLAN = 2,
    AX_MSG_LISTENER = 3,
    AX_MSG_READY = 4,
    AX_MSG_ERROR = 255,
};

/* Growable payload buffer used to build outgoing frames. */
struct ax_buf {
    unsigned char *data;
    size_t len, cap;
};

void ax_buf_u8(struct ax_buf *b, uint8_t v);
void ax_buf_u32(struct ax_buf *b, uint32_t v);
void ax_buf_str(struct ax_buf *b, const char *s);
void ax_buf_free(struct ax_buf *b);

/* Send one frame; pass_fd >= 0 attaches that fd via SCM_RIGHTS.
 * Returns 0, or -1 with errno set (EPIPE when the peer went away). */
int ax_send_frame(int sock, uint8_t type, const struct ax_buf *payload, int pass_fd);

/* Like ax_send_frame with up to AX_MAX_PASSED_FDS fds attached. */
#define AX_MAX_PASSED_FDS 4
int ax_send_frame_fds(int sock, uint8_t type, const struct ax_buf *payload, const int *fds, int nfds);

/* One received frame; payload is heap memory owned by the caller. */
struct ax_frame {
    uint8_t type;
    unsigned char *payload;
    size_t len;
};

/* Read one whole frame. Returns 0, or -1 when the peer closed, the stream
 * was truncated, the length is out of range, or a read failed. */
int ax_recv_frame(int sock, struct ax_frame *f);
void ax_frame_free(struct ax_frame *f);

/* Cursor over a payload; any out-of-bounds or malformed read sets bad. */
struct ax_reader {
    const unsigned char *p;
    size_t left;
    int bad;
};

void ax_reader_init(struct ax_reader *r, const struct ax_frame *f);
uint8_t ax_read_u8(struct ax_reader *r);
uint32_t ax_read_u32(struct ax_reader *r);
int ax_read_bool(struct ax_reader *r);
/* A NUL-terminated heap copy; strings holding a NUL byte are malformed. */
char *ax_read_str(struct ax_reader *r);
/* True when everything was read and nothing was malformed or left over. */
int ax_reader_done(const struct ax_reader *r);

/* Decoded PLAN (type 2). */
struct ax_plan {
    uint32_t command_index;
    int new_netns;
    char *user;
    char *interface;
    char *app_id;
    /* Bind a UDP and a TCP socket at 127.0.0.1:53 in the new netns for the agent's DNS. */
    int dns_sockets;
    /* "" or the content of the app's /etc/resolv.conf (bind-mounted in a private mount namespace). */
    char *resolv_conf;
    /* Trap sendmsg and sendmmsg too (ax run --trap-sendmsg; optional, after resolv_conf). */
    int trap_sendmsg;
};

/* Decoded ERROR (type 255); message is sanitised to a single line. */
struct ax_error {
    int exit_code;
    char *message;
};

int ax_decode_plan(const struct ax_frame *f, struct ax_plan *plan);
int ax_decode_error(const struct ax_frame *f, struct ax_error *err);

#endif

#include "protocol.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* ---- building payloads ---------------------------------------------- */

static void buf_reserve(struct ax_buf *b, size_t extra)
{
    if (b->len + extra <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra)
        cap *= 2;
    unsigned char *p = realloc(b->data, cap);
    if (!p)
        ax_die(1, "out of memory");
    b->data = p;
    b->cap = cap;
}

static void buf_put(struct ax_buf *b, const void *src, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->data + b->len, src, n);
    b->len += n;
}

static void put_le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void ax_buf_u8(struct ax_buf *b, uint8_t v)
{
    buf_put(b, &v, 1);
}

void ax_buf_u32(struct ax_buf *b, uint32_t v)
{
    unsigned char le[4];
    put_le32(le, v);
    buf_put(b, le, 4);
}

void ax_buf_str(struct ax_buf *b, const char *s)
{
    size_t n = strlen(s);
    ax_buf_u32(b, (uint32_t)n);
    buf_put(b, s, n);
}

void ax_buf_free(struct ax_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ---- sending -------------------------------------------------------- */

/* sendmsg until every byte is out; the fds ride with the first chunk only.
 * MSG_NOSIGNAL: a vanished agent must give EPIPE, not kill us with SIGPIPE. */
static int send_all(int sock, const unsigned char *p, size_t n, const int *fds, int nfds)
{
    union {
        struct cmsghdr h;
        char space[CMSG_SPACE(sizeof(int) * AX_MAX_PASSED_FDS)];
    } ctl;

    if (nfds < 0 || nfds > AX_MAX_PASSED_FDS) {
        errno = EINVAL;
        return -1;
    }
    while (n > 0) {
        struct iovec iov = { .iov_base = (void *)p, .iov_len = n };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
        if (nfds > 0) {
            memset(&ctl, 0, sizeof ctl);
            msg.msg_control = ctl.space;
            msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
            struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
            memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
        }
        ssize_t w = sendmsg(sock, &msg, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        nfds = 0; /* the kernel attached them to the bytes just sent */
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int ax_send_frame(int sock, uint8_t type, const struct ax_buf *payload, int pass_fd)
{
    return ax_send_frame_fds(sock, type, payload, &pass_fd, pass_fd >= 0 ? 1 : 0);
}

int ax_send_frame_fds(int sock, uint8_t type, const struct ax_buf *payload, const int *fds, int nfds)
{
    size_t plen = payload ? payload->len : 0;
    if (plen + 1 > AX_MAX_FRAME) {
        errno = EMSGSIZE;
        return -1;
    }
    /* One contiguous frame so a single sendmsg usually carries it all. */
    unsigned char *frame = ax_malloc(5 + plen);
    put_le32(frame, (uint32_t)(plen + 1));
    frame[4] = type;
    if (plen)
        memcpy(frame + 5, payload->data, plen);
    int rc = send_all(sock, frame, 5 + plen, fds, nfds);
    int saved = errno;
    free(frame);
    errno = saved;
    return rc;
}

/* ---- receiving ------------------------------------------------------ */

/* Read exactly n bytes; EOF before that counts as a truncated frame.
 * Plain read(): any fd the peer might attach is discarded by the kernel,
 * so nothing can leak into the application this way. */
static int read_all(int sock, unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t r = read(sock, p, n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0) {
            errno = ECONNRESET;
            return -1;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

int ax_recv_frame(int sock, struct ax_frame *f)
{
    unsigned char hdr[5];
    memset(f, 0, sizeof *f);
    if (read_all(sock, hdr, 4) < 0)
        return -1;
    uint32_t len = get_le32(hdr);
    if (len < 1 || len > AX_MAX_FRAME) {
        errno = EPROTO;
        return -1;
    }
    if (read_all(sock, hdr + 4, 1) < 0)
        return -1;
    f->type = hdr[4];
    f->len = len - 1;
    f->payload = ax_malloc(f->len);
    if (read_all(sock, f->payload, f->len) < 0) {
        ax_frame_free(f);
        return -1;
    }
    return 0;
}

void ax_frame_free(struct ax_frame *f)
{
    free(f->payload);
    f->payload = NULL;
    f->len = 0;
}

/* ---- decoding ------------------------------------------------------- */

void ax_reader_init(struct ax_reader *r, const struct ax_frame *f)
{
    r->p = f->payload;
    r->left = f->len;
    r->bad = 0;
}

static const unsigned char *take(struct ax_reader *r, size_t n)
{
    if (r->bad || r->left < n) {
        r->bad = 1;
        return NULL;
    }
    const unsigned char *p = r->p;
    r->p += n;
    r->left -= n;
    return p;
}

uint8_t ax_read_u8(struct ax_reader *r)
{
    const unsigned char *p = take(r, 1);
    return p ? p[0] : 0;
}

uint32_t ax_read_u32(struct ax_reader *r)
{
    const unsigned char *p = take(r, 4);
    return p ? get_le32(p) : 0;
}

int ax_read_bool(struct ax_reader *r)
{
    uint8_t v = ax_read_u8(r);
    if (v > 1)
        r->bad = 1;
    return v == 1;
}

char *ax_read_str(struct ax_reader *r)
{
    uint32_t n = ax_read_u32(r);
    const unsigned char *p = take(r, n);
    if (!p)
        return ax_strdup("");
    if (memchr(p, '\0', n)) {
        r->bad = 1;
        return ax_strdup("");
    }
    char *s = ax_malloc((size_t)n + 1);
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

int ax_reader_done(const struct ax_reader *r)
{
    return !r->bad && r->left == 0;
}

int ax_decode_plan(const struct ax_frame *f, struct ax_plan *plan)
{
    struct ax_reader r;
    ax_reader_init(&r, f);
    plan->command_index = ax_read_u32(&r);
    plan->new_netns = ax_read_bool(&r);
    plan->user = ax_read_str(&r);
    plan->interface = ax_read_str(&r);
    plan->app_id = ax_read_str(&r);
    /* Optional tail (older agents send none): DNS sockets and the resolv.conf override. */
    plan->dns_sockets = 0;
    plan->resolv_conf = NULL;
    if (r.left > 0 && !r.bad) {
        plan->dns_sockets = ax_read_bool(&r);
        plan->resolv_conf = ax_read_str(&r);
    }
    /* Sent only when true (--trap-sendmsg): a launcher older than it rejects the PLAN instead of silently
     * running the app without the trap. */
    plan->trap_sendmsg = 0;
    if (r.left > 0 && !r.bad)
        plan->trap_sendmsg = ax_read_bool(&r);
    if (!plan->resolv_conf)
        plan->resolv_conf = ax_strdup("");
    return ax_reader_done(&r) ? 0 : -1;
}

int ax_decode_error(const struct ax_frame *f, struct ax_error *err)
{
    struct ax_reader r;
    ax_reader_init(&r, f);
    int32_t code = (int32_t)ax_read_u32(&r);
    err->message = ax_read_str(&r);
    if (!ax_reader_done(&r))
        return -1;
    /* A process can only report 1..255 as a failure; anything else means "failed". */
    err->exit_code = (code >= 1 && code <= 255) ? code : 1;
    /* The message is printed as one line: no control characters from the wire. */
    for (unsigned char *c = (unsigned char *)err->message; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            *c = ' ';
    return 0;
}

#include "handoff.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>

static struct {
    pthread_t thread;
    sem_t go;
    int sock, nfds, result, error;
    uint8_t type;
    const struct ax_buf *payload;
    const int *fds;
} handoff;

static void *handoff_main(void *unused)
{
    (void)unused;
    while (sem_wait(&handoff.go) != 0)
        ; /* EINTR */
    handoff.result = ax_send_frame_fds(handoff.sock, handoff.type, handoff.payload, handoff.fds, handoff.nfds);
    handoff.error = errno;
    return NULL;
}

int ax_handoff_start(void)
{
    if (sem_init(&handoff.go, 0, 0) != 0)
        return -1;
    int err = pthread_create(&handoff.thread, NULL, handoff_main, NULL);
    if (err != 0) {
        errno = err;
        return -1;
    }
    return 0;
}

int ax_handoff_send(int sock, uint8_t type, const struct ax_buf *payload, const int *fds, int nfds)
{
    handoff.sock = sock;
    handoff.type = type;
    handoff.payload = payload;
    handoff.fds = fds;
    handoff.nfds = nfds;
    sem_post(&handoff.go); /* the semaphore orders these stores before the thread's reads */
    int err = pthread_join(handoff.thread, NULL);
    if (err != 0) {
        errno = err;
        return -1;
    }
    errno = handoff.error;
    return handoff.result;
}

/* Small helpers shared by the launcher's files. */
#ifndef AX_UTIL_H
#define AX_UTIL_H

#include <stddef.h>

/* Print "ax: <formatted>" plus a newline on stderr. Errors are always one line. */
void ax_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ax_err() then exit(code). */
void ax_die(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* malloc/strdup that end the program on exhaustion: a launcher has nothing to recover. */
void *ax_malloc(size_t n);
char *ax_strdup(const char *s);

/* Concatenate up to three strings into a fresh buffer (c may be NULL). */
char *ax_concat(const char *a, const char *b, const char *c);

#endif

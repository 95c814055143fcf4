#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void verr(const char *fmt, va_list ap)
{
    /* Build the whole line first so it reaches stderr in one write. */
    char line[4096];
    int n = snprintf(line, sizeof line, "ax: ");
    vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    size_t len = strlen(line);
    line[len++] = '\n';
    fwrite(line, 1, len, stderr);
    fflush(stderr);
}

void ax_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verr(fmt, ap);
    va_end(ap);
}

void ax_die(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verr(fmt, ap);
    va_end(ap);
    exit(code);
}

void *ax_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        ax_die(1, "out of memory");
    return p;
}

char *ax_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = ax_malloc(n);
    memcpy(p, s, n);
    return p;
}

char *ax_concat(const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = strlen(b), lc = c ? strlen(c) : 0;
    char *p = ax_malloc(la + lb + lc + 1);
    memcpy(p, a, la);
    memcpy(p + la, b, lb);
    if (c)
        memcpy(p + la + lb, c, lc);
    p[la + lb + lc] = '\0';
    return p;
}

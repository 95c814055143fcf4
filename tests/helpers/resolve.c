/* Resolves a name with the C library's getaddrinfo (IPv4) and prints the addresses, one per line.
 * Built with musl-gcc by the DNS tests: musl's resolver binds its UDP socket to port 0 and uses sendto. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: resolve NAME\n");
        return 2;
    }
    struct addrinfo hints, *res;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(argv[1], NULL, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", argv[1], gai_strerror(rc));
        return 1;
    }
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        char text[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &((struct sockaddr_in *)a->ai_addr)->sin_addr, text, sizeof text);
        printf("%s\n", text);
    }
    freeaddrinfo(res);
    return 0;
}

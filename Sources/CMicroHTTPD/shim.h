#ifndef CMHD_SHIM_H
#define CMHD_SHIM_H

// GNU libmicrohttpd for Foreshock's web server: its variadic MHD_start_daemon behind one
// call with fixed options, and a request handler in C that gathers a request's body (up to a
// limit) so Swift gets each request whole, once. Every function is prefixed `cmhd_`.

#include <microhttpd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>
#include <strings.h>

/// Called once per request, on one of the daemon's threads, with the request whole. It queues
/// a response on the connection (cmhd_queue) and returns 1, or returns 0 when it could not (the
/// connection is then closed rather than left waiting).
typedef int (*cmhd_handler)(void *context, struct MHD_Connection *connection, const char *method, const char *url, const char *version,
                            const char *host, int host_headers, int lengths_differ, const char *authorization, const char *body,
                            size_t body_length, int body_too_large);

/// Called when a connection opens (event 1), when one of its requests has arrived whole and is
/// being answered (3), when that request is done (2), and before it closes (0), with its socket.
typedef void (*cmhd_connection_handler)(void *context, int socket, int event);

typedef struct cmhd_server {
    cmhd_handler handler;
    cmhd_connection_handler connection;
    void *context;
    size_t body_limit;
} cmhd_server;

/// A request's body as it arrives; freed when the request completes.
typedef struct cmhd_body {
    char *data;
    size_t length;
    int too_large;
    int answered;  /* the handler has been called */
} cmhd_body;

/// Tells the server's connection handler `event` about `connection`, by its socket.
static inline void cmhd_tell(cmhd_server *server, struct MHD_Connection *connection, int event) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (server != NULL && info != NULL) server->connection(server->context, info->connect_fd, event);
}

/// What the headers a request repeats say: the library keeps every one, and looks up the first.
typedef struct cmhd_header_counts {
    int hosts;
    /// Two Content-Length headers with different values (RFC 9112 §6.3: a request to refuse).
    int lengths_differ;
    const char *length;
} cmhd_header_counts;

/// Counts the Host headers of a request and compares its Content-Length headers.
static inline enum MHD_Result cmhd_count_headers(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
    (void)kind;
    cmhd_header_counts *counts = (cmhd_header_counts *)cls;
    if (key == NULL) return MHD_YES;
    if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0) counts->hosts++;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        const char *length = value != NULL ? value : "";
        if (counts->length == NULL) counts->length = length;
        else if (strcmp(counts->length, length) != 0) counts->lengths_differ = 1;
    }
    return MHD_YES;
}

static inline enum MHD_Result cmhd_access(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
                                          const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls) {
    cmhd_server *server = (cmhd_server *)cls;
    if (*con_cls == NULL) {
        cmhd_body *body = (cmhd_body *)calloc(1, sizeof(cmhd_body));
        if (body == NULL) return MHD_NO;
        *con_cls = body;
        return MHD_YES;
    }
    cmhd_body *body = (cmhd_body *)*con_cls;
    if (*upload_data_size > 0) {
        size_t size = *upload_data_size;
        *upload_data_size = 0;
        if (body->too_large || body->answered) return MHD_YES;
        if (size > server->body_limit - body->length) {
            // Over the limit: the rest is read and dropped, nothing kept, and the answer (413)
            // comes when the request ends (a response queued mid-upload is not sent).
            body->too_large = 1;
            free(body->data);
            body->data = NULL;
            body->length = 0;
            return MHD_YES;
        }
        char *grown = (char *)realloc(body->data, body->length + size);
        if (grown == NULL) return MHD_NO;
        memcpy(grown + body->length, upload_data, size);
        body->data = grown;
        body->length += size;
        return MHD_YES;
    }
    if (body->answered) return MHD_YES;
    body->answered = 1;
    cmhd_tell(server, connection, 3);
    const char *authorization = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    const char *host = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    cmhd_header_counts counts = {0, 0, NULL};
    MHD_get_connection_values(connection, MHD_HEADER_KIND, cmhd_count_headers, &counts);
    if (!server->handler(server->context, connection, method, url, version, host, counts.hosts, counts.lengths_differ, authorization,
                         body->data, body->length, body->too_large)) return MHD_NO;
    return MHD_YES;
}

static inline void cmhd_completed(void *cls, struct MHD_Connection *connection, void **con_cls, enum MHD_RequestTerminationCode code) {
    cmhd_server *server = (cmhd_server *)cls;
    (void)code;
    cmhd_tell(server, connection, 2);
    cmhd_body *body = (cmhd_body *)*con_cls;
    if (body != NULL) {
        free(body->data);
        free(body);
        *con_cls = NULL;
    }
}

static inline void cmhd_notify(void *cls, struct MHD_Connection *connection, void **socket_context, enum MHD_ConnectionNotificationCode code) {
    (void)socket_context;
    cmhd_tell((cmhd_server *)cls, connection, code == MHD_CONNECTION_NOTIFY_STARTED ? 1 : 0);
}

/// Decodes a request's `%HH` escapes as the library does, except that an encoded NUL (`%00`)
/// does not end the path or value there, as it would a C string (`/metrics%00.html` read as
/// `/metrics`): it stands as byte 0x01, a control character the server refuses.
static inline size_t cmhd_unescape(void *cls, struct MHD_Connection *connection, char *text) {
    (void)cls;
    (void)connection;
    size_t length = MHD_http_unescape(text);
    for (size_t i = 0; i < length; i++) {
        if (text[i] == '\0') text[i] = '\x01';
    }
    return length;
}

/// Listens on `address` (IPv4 or IPv6 text) and `port` (0: a free one) with its own pool of
/// `threads`, at most `connections` at once (`per_ip` from one address), each cut off after
/// `timeout` idle seconds and given `memory` bytes for its request line and headers (a larger
/// header is refused by the library itself). NULL when it cannot.
static inline struct MHD_Daemon *cmhd_start(cmhd_server *server, const char *address, unsigned short port, unsigned int threads,
                                            unsigned int connections, unsigned int per_ip, unsigned int timeout, size_t memory) {
    struct sockaddr_in6 v6;
    struct sockaddr_in v4;
    struct sockaddr *socket_address;
    unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD;
    memset(&v4, 0, sizeof v4);
    memset(&v6, 0, sizeof v6);
    if (inet_pton(AF_INET, address, &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons(port);
        socket_address = (struct sockaddr *)&v4;
    } else if (inet_pton(AF_INET6, address, &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(port);
        socket_address = (struct sockaddr *)&v6;
        flags |= MHD_USE_IPv6;
    } else {
        return NULL;
    }
    return MHD_start_daemon(flags, port, NULL, NULL, cmhd_access, server,
                            MHD_OPTION_SOCK_ADDR, socket_address,
                            MHD_OPTION_THREAD_POOL_SIZE, threads,
                            MHD_OPTION_CONNECTION_LIMIT, connections,
                            // No more waiting to be accepted than may be open: a flood of
                            // connections left in the kernel's queue (4,096 by default) would each
                            // hold a place for its idle timeout once accepted.
                            MHD_OPTION_LISTEN_BACKLOG_SIZE, connections,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
                            MHD_OPTION_CONNECTION_TIMEOUT, timeout,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, memory,
                            MHD_OPTION_NOTIFY_COMPLETED, cmhd_completed, server,
                            MHD_OPTION_NOTIFY_CONNECTION, cmhd_notify, server,
                            MHD_OPTION_UNESCAPE_CALLBACK, cmhd_unescape, NULL,
                            MHD_OPTION_END);
}

/// The port the daemon listens on (the one chosen, when asked for 0).
static inline unsigned short cmhd_port(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info == NULL ? 0 : info->port;
}

/// Ends a connection from outside the library's threads: its socket shut down (not closed,
/// so the descriptor stays the library's), which the library then sees and cleans up.
static inline void cmhd_cut(int socket) {
    shutdown(socket, SHUT_RDWR);
}

/// Whether the client has closed its side and sent nothing more: a request it began and never
/// finished, which the library (0.9.75) would otherwise keep until its idle timeout. Looks
/// without taking anything from the socket.
static inline int cmhd_peer_closed(int socket) {
    char byte;
    return recv(socket, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

static inline void cmhd_stop(struct MHD_Daemon *daemon) {
    MHD_stop_daemon(daemon);
}

/// A response whose body is copied (the caller's buffer may go at once).
static inline struct MHD_Response *cmhd_response(const char *body, size_t length) {
    return MHD_create_response_from_buffer(length, (void *)body, MHD_RESPMEM_MUST_COPY);
}

static inline int cmhd_header(struct MHD_Response *response, const char *name, const char *value) {
    return MHD_add_response_header(response, name, value) == MHD_YES;
}

/// Queues the response with `status` and lets it go (the library keeps what it needs).
static inline int cmhd_queue(struct MHD_Connection *connection, unsigned int status, struct MHD_Response *response) {
    enum MHD_Result result = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return result == MHD_YES;
}

#endif

/* http.h — the apiserver's HTTP front end (libmicrohttpd). */
#ifndef KBPF_HTTP_H
#define KBPF_HTTP_H

#include <stddef.h>

#include "api.h"

#define HTTP_MAX_LISTEN 8

struct http_server;

/* Serve api on each address at port; one thread per connection. A connection idle (or
 * sending its request too slowly) for idle_timeout seconds is closed; watches are exempt. */
int http_start(struct api *api, const char *const *addrs, size_t n_addrs, int port,
	       unsigned idle_timeout, struct http_server **out);
/* Stop accepting, end every connection (watches included) and free. */
void http_stop(struct http_server *srv);

#endif /* KBPF_HTTP_H */

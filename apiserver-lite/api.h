/* api.h — the Kubernetes API request path, independent of the HTTP server: one request in,
 * one response (or a watch stream) out. The HTTP layer, the fuzzer and the tests call it. */
#ifndef KBPF_API_H
#define KBPF_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "store.h"

/* Largest request body accepted (kube-apiserver's limit): bigger ones get 413. */
#define API_MAX_BODY (3 * 1024 * 1024)

struct api_config {
	const char *service_cidr;    /* ClusterIPs are allocated from here (10.96.0.0/12) */
	int node_port_min, node_port_max;
	const char *advertise_address; /* the kubernetes Service's endpoint */
	int secure_port;             /* its port */
};

struct api;

struct api_req {
	const char *method;
	const char *path;            /* decoded, without the query */
	/* Decoded query parameter or header by name, NULL when absent. */
	const char *(*query)(void *ctx, const char *name);
	const char *(*header)(void *ctx, const char *name);
	void *ctx;
	const char *body;
	size_t body_len;
	/* Who is asking. Today every client is "system:anonymous"; authentication (a later
	 * issue) fills this in one place, the HTTP layer. */
	const char *user;
};

struct api_watch;

struct api_resp {
	int code;
	const char *content_type;    /* static */
	char *body;                  /* malloc'd, or NULL */
	size_t len;
	struct api_watch *watch;     /* a watch: stream api_watch_read() after the headers */
	char *warning;               /* a Warning header value (malloc'd), or NULL */
};

int api_new(struct store *store, const struct api_config *cfg, struct api **out);
void api_free(struct api *api);

/* Objects every cluster has from the start: the default, kube-system and kube-public
 * namespaces and the kubernetes Service. */
int api_bootstrap(struct api *api);

void api_handle(struct api *api, const struct api_req *req, struct api_resp *resp);
void api_resp_free(struct api_resp *resp);

/*
 * Next bytes of a watch stream: whole JSON lines, one per event. Waits up to timeout_ms.
 * Returns the number of bytes written to buf (0: nothing yet), or -1 when the stream has
 * ended (timeoutSeconds reached, 410 sent, server closing).
 */
ssize_t api_watch_read(struct api_watch *w, char *buf, size_t max, int timeout_ms);
void api_watch_free(struct api_watch *w);

/* The store hooks that give each stored object the data selectors need. */
extern const struct store_hooks api_store_hooks;

/* Prometheus text for /metrics (requests by verb, resource and code, latency, watches). */
char *api_metrics_text(struct api *api, size_t *len);

#endif /* KBPF_API_H */

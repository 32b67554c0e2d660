/* kclient.h — the Kubernetes API client every kbpf component uses: JSON requests over
 * libcurl with kept-alive connections, streaming watches, and the small conveniences
 * (paths, query escaping, Status errors) controllers need. Thread-safe. */
#ifndef KBPF_KCLIENT_H
#define KBPF_KCLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct kubeconfig;
struct kclient;

/* From a loaded kubeconfig (server, TLS files or data, token). user_agent: "kbpf-scheduler". */
int kclient_new(const struct kubeconfig *kc, const char *user_agent, struct kclient **out);
/* Just a server URL (tests, plain HTTP). */
int kclient_new_url(const char *server, const char *user_agent, struct kclient **out);
/* The client a daemon's flags describe, as kube components read --kubeconfig and
 * --master: the kubeconfig file (NULL: $KUBECONFIG, then ~/.kube/config) with its server
 * replaced by master when given; master alone (no kubeconfig) is enough. 0, or a negative
 * errno with err saying what is wrong. */
int kclient_open(const char *kubeconfig, const char *master, const char *user_agent,
		 struct kclient **out, char *err, size_t err_len);
void kclient_free(struct kclient *c);
const char *kclient_server(const struct kclient *c);

/* A response: the HTTP code (0 when the request never got one: then err says why), the
 * body, and the body parsed when it is JSON. */
struct kresp {
	long code;
	char *body;
	size_t len;
	json_t *json;
	char err[256];
};

void kresp_free(struct kresp *r);

/* One request. body may be NULL; content_type defaults to application/json. Returns 0
 * when an HTTP answer came (any code), -EIO otherwise (r->err says why). */
int kclient_do(struct kclient *c, const char *method, const char *path, const char *content_type,
	       const char *body, size_t len, struct kresp *r);

/*
 * Conveniences returning the HTTP code (2xx success), or a negative errno when no answer
 * came. *out (when given) receives the returned object (caller decrefs), on success or,
 * for errors, the Status.
 */
long kclient_get(struct kclient *c, const char *path, json_t **out);
long kclient_post(struct kclient *c, const char *path, const json_t *obj, json_t **out);
long kclient_put(struct kclient *c, const char *path, const json_t *obj, json_t **out);
/* type: "merge" (application/merge-patch+json), "strategic" or "json". */
long kclient_patch(struct kclient *c, const char *path, const char *type, const json_t *patch,
		   json_t **out);
/* opts: a DeleteOptions object or NULL. */
long kclient_delete(struct kclient *c, const char *path, const json_t *opts, json_t **out);

/* The message of a Status object (or "HTTP <code>"), for logs. */
const char *kstatus_message(const json_t *status, long code, char *buf, size_t len);

/*
 * A watch: GET path (a collection path with its query, "watch=true" is added) and call
 * fn for each event ({"type": …, "object": …}; the object is borrowed). Returns when the
 * server ends the stream (0), when fn returns non-zero (that value), when *stop becomes
 * true (0, checked at least every second), or on a transport error (-EIO). A watch the
 * server refuses (400 bad selector, 410 Gone, 403) is one ERROR event carrying its Status.
 */
typedef int (*kwatch_fn)(void *ctx, const char *type, json_t *obj);
int kclient_watch(struct kclient *c, const char *path, kwatch_fn fn, void *ctx,
		  volatile bool *stop);

/* "/api/v1/namespaces/ns/pods", "/apis/apps/v1/deployments" … into buf. ns NULL or "" for
 * all namespaces or cluster-scoped; name NULL for the collection. */
void kpath(char *buf, size_t len, const char *group_version, const char *ns,
	   const char *resource, const char *name, const char *sub);
/* Percent-encode s for a query value (label selectors have '=', '!' and spaces). */
void kquery_escape(char *buf, size_t len, const char *s);

#endif /* KBPF_KCLIENT_H */

/* http.c — the apiserver's HTTP front end on libmicrohttpd: one thread per connection,
 * request bodies up to API_MAX_BODY, chunked streaming for watches, idle timeouts. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <utlist.h>

#include <microhttpd.h>

#include "http.h"
#include "log.h"

#define WATCH_BLOCK 65536

/*
 * libmicrohttpd's timeout is for inactivity: a client trickling a byte a second never
 * trips it. Each connection is tracked so that a watchdog can cut one whose request has
 * not arrived whole within idle_timeout of the connection's start or its last response.
 */
struct conn_track {
	int fd;
	time_t since;   /* waiting for a request since */
	bool busy;      /* a request is being answered (watches stay busy) */
	struct conn_track *next, *prev;
};

struct http_server {
	struct MHD_Daemon *daemons[HTTP_MAX_LISTEN];
	size_t n;
	struct api *api;
	unsigned idle_timeout;
	pthread_mutex_t mu;
	struct conn_track *conns;
	pthread_t watchdog;
	bool stopping, watchdog_running;
};

struct request {
	char *body;
	size_t len, cap;
	bool too_large;
};

struct lookup {
	struct MHD_Connection *c;
};

static const char *get_query(void *ctx, const char *name)
{
	return MHD_lookup_connection_value(((struct lookup *)ctx)->c, MHD_GET_ARGUMENT_KIND, name);
}

static const char *get_header(void *ctx, const char *name)
{
	return MHD_lookup_connection_value(((struct lookup *)ctx)->c, MHD_HEADER_KIND, name);
}

/* The one place a request gets its user. Authentication comes with HTTPS (a later issue);
 * until then every client is anonymous and allowed everything. */
static const char *request_user(struct MHD_Connection *c)
{
	(void)c;
	return "system:anonymous";
}

static ssize_t watch_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct api_watch *w = cls;
	ssize_t n;

	(void)pos;
	/* Block a little for events; 0 tells MHD to ask again (the stream stays open). */
	n = api_watch_read(w, buf, max, 1000);
	if (n < 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	return n;
}

static void watch_done(void *cls)
{
	api_watch_free(cls);
}

static enum MHD_Result reply_status(struct MHD_Connection *c, int code, const char *json)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(json), (void *)json,
								    MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	ret = MHD_queue_response(c, code, resp);
	MHD_destroy_response(resp);
	return ret;
}

static struct conn_track *track_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

static void set_busy(struct http_server *srv, struct MHD_Connection *c, bool busy)
{
	struct conn_track *t = track_of(c);

	if (!t)
		return;
	pthread_mutex_lock(&srv->mu);
	t->busy = busy;
	t->since = time(NULL);
	pthread_mutex_unlock(&srv->mu);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http_server *srv = cls;
	struct conn_track *t = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

		t = calloc(1, sizeof(*t));
		if (!t)
			return;
		t->fd = ci ? ci->connect_fd : -1;
		t->since = time(NULL);
		pthread_mutex_lock(&srv->mu);
		DL_APPEND(srv->conns, t);
		pthread_mutex_unlock(&srv->mu);
		*socket_context = t;
	} else if (t) {
		pthread_mutex_lock(&srv->mu);
		DL_DELETE(srv->conns, t);
		pthread_mutex_unlock(&srv->mu);
		free(t);
		*socket_context = NULL;
	}
}

static void *watchdog(void *arg)
{
	struct http_server *srv = arg;
	struct conn_track *t;

	for (;;) {
		usleep(250000);
		pthread_mutex_lock(&srv->mu);
		if (srv->stopping) {
			pthread_mutex_unlock(&srv->mu);
			return NULL;
		}
		DL_FOREACH(srv->conns, t)
			if (!t->busy && t->fd >= 0 &&
			    time(NULL) - t->since >= (time_t)srv->idle_timeout) {
				/* The connection's thread sees the socket fail and ends it. */
				shutdown(t->fd, SHUT_RDWR);
				t->fd = -1;
			}
		pthread_mutex_unlock(&srv->mu);
	}
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct request *rq = *con_cls;
	struct lookup lk = { c };
	struct api_req req = { 0 };
	struct api_resp r;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	(void)version;
	if (!rq) {
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);

		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		*con_cls = rq;
		/* Refuse an announced oversized body before reading it. */
		if (cl && strtoull(cl, NULL, 10) > API_MAX_BODY)
			rq->too_large = true;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!rq->too_large && rq->len + *upload_size <= API_MAX_BODY) {
			if (rq->len + *upload_size + 1 > rq->cap) {
				size_t cap = (rq->len + *upload_size + 1) * 2;
				char *b;

				if (cap > API_MAX_BODY + 1)
					cap = API_MAX_BODY + 1;
				b = realloc(rq->body, cap);
				if (!b)
					return MHD_NO;
				rq->body = b;
				rq->cap = cap;
			}
			memcpy(rq->body + rq->len, upload, *upload_size);
			rq->len += *upload_size;
		} else {
			rq->too_large = true;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->too_large) {
		char msg[256];

		snprintf(msg, sizeof(msg),
			 "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
			 "\"message\":\"the request body is larger than %d bytes\","
			 "\"reason\":\"RequestEntityTooLarge\",\"code\":413}", API_MAX_BODY);
		return reply_status(c, 413, msg);
	}
	req.method = method;
	req.path = url;
	req.query = get_query;
	req.header = get_header;
	req.ctx = &lk;
	req.body = rq->body;
	req.body_len = rq->len;
	req.user = request_user(c);
	set_busy(srv, c, true);
	api_handle(srv->api, &req, &r);
	if (r.watch) {
		/* A watch lasts as long as its timeoutSeconds: no idle timeout. */
		MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, WATCH_BLOCK, watch_reader,
							 r.watch, watch_done);
		r.watch = NULL; /* MHD frees it through watch_done */
	} else {
		resp = MHD_create_response_from_buffer(r.len, r.body, MHD_RESPMEM_MUST_FREE);
		r.body = NULL;
	}
	if (!resp) {
		api_resp_free(&r);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				r.content_type ? r.content_type : "application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache, private");
	if (r.warning) {
		char w[2048];

		snprintf(w, sizeof(w), "299 - \"%.2000s\"", r.warning);
		MHD_add_response_header(resp, "Warning", w);
	}
	ret = MHD_queue_response(c, r.code ? r.code : 500, resp);
	MHD_destroy_response(resp);
	api_resp_free(&r);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;

	(void)toe;
	set_busy(cls, c, false); /* the next request's clock starts now */
	if (rq) {
		free(rq->body);
		free(rq);
	}
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	pr_debug("microhttpd: %s", msg);
}

int http_start(struct api *api, const char *const *addrs, size_t n_addrs, int port,
	       unsigned idle_timeout, struct http_server **out)
{
	struct http_server *srv = calloc(1, sizeof(*srv));
	size_t i;

	if (!srv)
		return -ENOMEM;
	srv->api = api;
	srv->idle_timeout = idle_timeout;
	pthread_mutex_init(&srv->mu, NULL);
	for (i = 0; i < n_addrs && i < HTTP_MAX_LISTEN; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };

		if (inet_pton(AF_INET, addrs[i], &sa.sin_addr) != 1) {
			pr_warn("%s is not an IPv4 address\n", addrs[i]);
			http_stop(srv);
			return -EINVAL;
		}
		srv->daemons[i] = MHD_start_daemon(
			MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
				MHD_USE_ERROR_LOG,
			port, NULL, NULL, handler, srv, MHD_OPTION_SOCK_ADDR, &sa,
			MHD_OPTION_CONNECTION_TIMEOUT, idle_timeout,
			MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
			MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
			MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
			MHD_OPTION_CONNECTION_LIMIT, 4096u,
			MHD_OPTION_END);
		if (!srv->daemons[i]) {
			pr_warn("cannot listen on %s:%d: %s\n", addrs[i], port, strerror(errno));
			http_stop(srv);
			return -EADDRINUSE;
		}
		srv->n = i + 1;
		pr_info("listening on http://%s:%d\n", addrs[i], port);
	}
	if (pthread_create(&srv->watchdog, NULL, watchdog, srv) == 0)
		srv->watchdog_running = true;
	*out = srv;
	return 0;
}

void http_stop(struct http_server *srv)
{
	size_t i;

	if (!srv)
		return;
	if (srv->watchdog_running) {
		pthread_mutex_lock(&srv->mu);
		srv->stopping = true;
		pthread_mutex_unlock(&srv->mu);
		pthread_join(srv->watchdog, NULL);
	}
	for (i = 0; i < srv->n; i++)
		if (srv->daemons[i])
			MHD_stop_daemon(srv->daemons[i]);
	pthread_mutex_destroy(&srv->mu);
	free(srv);
}

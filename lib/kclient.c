/* kclient.c — Kubernetes API client over libcurl: a pool of kept-alive handles for
 * requests, a dedicated handle per watch, JSON in and out. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "kclient.h"
#include "kubeconfig.h"

#define POOL_MAX 32

struct kclient {
	char *server;
	char *user_agent;
	char *ca_file;       /* written from ca_data when given inline */
	char *cert_file, *key_file;
	char *auth_header;   /* "Authorization: Bearer …" */
	bool insecure;
	pthread_mutex_t mu;
	CURL *pool[POOL_MAX];
	int n_pool;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Inline PEM data goes to a private temp file: libcurl 7.88 takes CA and client
 * certificates by path (CURLOPT_CAINFO_BLOB exists, the client cert blob needs OpenSSL). */
static char *pem_file(const unsigned char *data, size_t len)
{
	char path[] = "/tmp/kbpf-kc-XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (!f || fwrite(data, 1, len, f) != len) {
		if (f)
			fclose(f);
		unlink(path);
		return NULL;
	}
	fclose(f);
	return strdup(path);
}

static int kclient_alloc(const char *server, const char *user_agent, struct kclient **out)
{
	struct kclient *c = calloc(1, sizeof(*c));

	pthread_once(&curl_once, curl_init_once);
	if (!c)
		return -ENOMEM;
	c->server = strdup(server);
	/* No trailing slash: paths start with one. */
	if (c->server && *c->server && c->server[strlen(c->server) - 1] == '/')
		c->server[strlen(c->server) - 1] = 0;
	c->user_agent = strdup(user_agent ? user_agent : "kbpf");
	pthread_mutex_init(&c->mu, NULL);
	if (!c->server || !c->user_agent) {
		kclient_free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

int kclient_new_url(const char *server, const char *user_agent, struct kclient **out)
{
	return kclient_alloc(server, user_agent, out);
}

int kclient_new(const struct kubeconfig *kc, const char *user_agent, struct kclient **out)
{
	struct kclient *c;
	int err = kclient_alloc(kc->server, user_agent, &c);

	if (err)
		return err;
	c->insecure = kc->insecure;
	if (kc->ca_file)
		c->ca_file = strdup(kc->ca_file);
	else if (kc->ca_data)
		c->ca_file = pem_file(kc->ca_data, kc->ca_len);
	if (kc->client_cert_file)
		c->cert_file = strdup(kc->client_cert_file);
	else if (kc->client_cert_data)
		c->cert_file = pem_file(kc->client_cert_data, kc->client_cert_len);
	if (kc->client_key_file)
		c->key_file = strdup(kc->client_key_file);
	else if (kc->client_key_data)
		c->key_file = pem_file(kc->client_key_data, kc->client_key_len);
	if (kc->token && asprintf(&c->auth_header, "Authorization: Bearer %s", kc->token) < 0)
		c->auth_header = NULL;
	*out = c;
	return 0;
}

void kclient_free(struct kclient *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; i < c->n_pool; i++)
		curl_easy_cleanup(c->pool[i]);
	free(c->server);
	free(c->user_agent);
	free(c->ca_file);
	free(c->cert_file);
	free(c->key_file);
	free(c->auth_header);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

const char *kclient_server(const struct kclient *c)
{
	return c->server;
}

static CURL *take(struct kclient *c)
{
	CURL *h = NULL;

	pthread_mutex_lock(&c->mu);
	if (c->n_pool)
		h = c->pool[--c->n_pool];
	pthread_mutex_unlock(&c->mu);
	return h ? h : curl_easy_init();
}

static void give_back(struct kclient *c, CURL *h)
{
	pthread_mutex_lock(&c->mu);
	if (c->n_pool < POOL_MAX) {
		c->pool[c->n_pool++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&c->mu);
	if (h)
		curl_easy_cleanup(h);
}

struct buf {
	char *p;
	size_t n, cap;
};

static size_t collect(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct buf *b = ctx;
	size_t len = size * nmemb;

	if (b->n + len + 1 > b->cap) {
		size_t cap = (b->n + len + 1) * 2;
		char *p = realloc(b->p, cap);

		if (!p)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, data, len);
	b->n += len;
	b->p[b->n] = 0;
	return len;
}

/* Options every request shares: URL, TLS, identity. */
static struct curl_slist *setup(struct kclient *c, CURL *h, const char *path,
				const char *content_type)
{
	struct curl_slist *hdrs = NULL;
	char url[4096], ct[256];

	snprintf(url, sizeof(url), "%s%s", c->server, path);
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	if (c->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	if (c->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (c->cert_file)
		curl_easy_setopt(h, CURLOPT_SSLCERT, c->cert_file);
	if (c->key_file)
		curl_easy_setopt(h, CURLOPT_SSLKEY, c->key_file);
	snprintf(ct, sizeof(ct), "Content-Type: %s", content_type ? content_type : "application/json");
	hdrs = curl_slist_append(hdrs, ct);
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	if (c->auth_header)
		hdrs = curl_slist_append(hdrs, c->auth_header);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	return hdrs;
}

int kclient_do(struct kclient *c, const char *method, const char *path, const char *content_type,
	       const char *body, size_t len, struct kresp *r)
{
	CURL *h = take(c);
	struct buf b = { 0 };
	struct curl_slist *hdrs;
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	if (!h) {
		snprintf(r->err, sizeof(r->err), "curl_easy_init failed");
		return -ENOMEM;
	}
	hdrs = setup(c, h, path, content_type);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 60000L);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)len);
	} else if (!strcmp(method, "GET")) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	rc = curl_easy_perform(h);
	curl_slist_free_all(hdrs);
	if (rc != CURLE_OK) {
		snprintf(r->err, sizeof(r->err), "%s %s%s: %s", method, c->server, path,
			 curl_easy_strerror(rc));
		free(b.p);
		curl_easy_cleanup(h); /* a failed handle may hold a broken connection */
		return -EIO;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->code);
	give_back(c, h);
	r->body = b.p;
	r->len = b.n;
	if (b.p && b.n && (b.p[0] == '{' || b.p[0] == '['))
		r->json = json_loadb(b.p, b.n, 0, NULL);
	return 0;
}

void kresp_free(struct kresp *r)
{
	free(r->body);
	json_decref(r->json);
	r->body = NULL;
	r->json = NULL;
}

static long simple(struct kclient *c, const char *method, const char *path, const char *ct,
		   const json_t *obj, json_t **out)
{
	char *body = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	struct kresp r;
	long code;

	if (out)
		*out = NULL;
	if (obj && !body)
		return -ENOMEM;
	if (kclient_do(c, method, path, ct, body, body ? strlen(body) : 0, &r)) {
		free(body);
		return -EIO;
	}
	free(body);
	code = r.code;
	if (out) {
		*out = r.json;
		r.json = NULL;
	}
	kresp_free(&r);
	return code;
}

long kclient_get(struct kclient *c, const char *path, json_t **out)
{
	return simple(c, "GET", path, NULL, NULL, out);
}

long kclient_post(struct kclient *c, const char *path, const json_t *obj, json_t **out)
{
	return simple(c, "POST", path, NULL, obj, out);
}

long kclient_put(struct kclient *c, const char *path, const json_t *obj, json_t **out)
{
	return simple(c, "PUT", path, NULL, obj, out);
}

long kclient_patch(struct kclient *c, const char *path, const char *type, const json_t *patch,
		   json_t **out)
{
	const char *ct = !strcmp(type, "json") ? "application/json-patch+json" :
			 !strcmp(type, "strategic") ? "application/strategic-merge-patch+json" :
						      "application/merge-patch+json";

	return simple(c, "PATCH", path, ct, patch, out);
}

long kclient_delete(struct kclient *c, const char *path, const json_t *opts, json_t **out)
{
	return simple(c, "DELETE", path, NULL, opts, out);
}

const char *kstatus_message(const json_t *status, long code, char *buf, size_t len)
{
	const char *m = json_string_value(json_object_get(status, "message"));

	if (m)
		snprintf(buf, len, "%s", m);
	else if (code < 0)
		snprintf(buf, len, "no answer from the apiserver: %s", strerror((int)-code));
	else
		snprintf(buf, len, "HTTP %ld", code);
	return buf;
}

/* --- watch --- */

struct watch_ctx {
	kwatch_fn fn;
	void *ctx;
	volatile bool *stop;
	CURL *h;
	long code; /* the HTTP status, once the first bytes came */
	char *line;
	size_t len, cap;
	int ret;
};

static size_t on_watch(char *data, size_t size, size_t nmemb, void *arg)
{
	struct watch_ctx *w = arg;
	size_t n = size * nmemb, i;

	if (!w->code)
		curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &w->code);
	for (i = 0; i < n; i++) {
		json_t *ev;

		/* An error answer is one Status, kept whole for the caller. */
		if (data[i] != '\n' || w->code != 200) {
			if (w->len + 2 > w->cap) {
				size_t cap = w->cap ? w->cap * 2 : 65536;
				char *p = realloc(w->line, cap);

				if (!p)
					return 0;
				w->line = p;
				w->cap = cap;
			}
			w->line[w->len++] = data[i];
			continue;
		}
		if (!w->len)
			continue;
		ev = json_loadb(w->line, w->len, 0, NULL);
		w->len = 0;
		if (!ev)
			continue;
		w->ret = w->fn(w->ctx, json_string_value(json_object_get(ev, "type")) ?: "",
			       json_object_get(ev, "object"));
		json_decref(ev);
		if (w->ret)
			return 0; /* abort the transfer */
	}
	return n;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct watch_ctx *w = arg;

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return w->stop && *w->stop;
}

int kclient_watch(struct kclient *c, const char *path, kwatch_fn fn, void *ctx,
		  volatile bool *stop)
{
	struct watch_ctx w = { .fn = fn, .ctx = ctx, .stop = stop };
	char full[4096];
	struct curl_slist *hdrs;
	CURL *h = curl_easy_init();
	CURLcode rc;

	if (!h)
		return -ENOMEM;
	w.h = h;
	snprintf(full, sizeof(full), "%s%swatch=true", path, strchr(path, '?') ? "&" : "?");
	hdrs = setup(c, h, full, NULL);
	curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_watch);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &w);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, &w);
	rc = curl_easy_perform(h);
	if (!w.code)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &w.code);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	if (w.code && w.code != 200) {
		/* Refused (400 bad selector, 403, 410 Gone …): one ERROR event with the Status,
		 * as the server would have sent inside a stream. */
		json_t *status = json_loadb(w.line ? w.line : "", w.len, 0, NULL);

		if (!json_is_object(status)) {
			json_decref(status);
			status = json_pack("{s:s,s:s,s:s,s:I}", "kind", "Status", "status", "Failure",
					   "message", "watch refused", "code", (json_int_t)w.code);
		}
		w.ret = fn(ctx, "ERROR", status);
		json_decref(status);
		free(w.line);
		return w.ret;
	}
	free(w.line);
	if (w.ret)
		return w.ret;
	if (rc == CURLE_OK || rc == CURLE_ABORTED_BY_CALLBACK)
		return 0;
	return -EIO;
}

/* --- paths --- */

void kpath(char *buf, size_t len, const char *gv, const char *ns, const char *resource,
	   const char *name, const char *sub)
{
	int n = snprintf(buf, len, "%s%s", strchr(gv, '/') ? "/apis/" : "/api/", gv);

	if (ns && *ns)
		n += snprintf(buf + n, n < (int)len ? len - n : 0, "/namespaces/%s", ns);
	n += snprintf(buf + n, n < (int)len ? len - n : 0, "/%s", resource);
	if (name && *name)
		n += snprintf(buf + n, n < (int)len ? len - n : 0, "/%s", name);
	if (sub && *sub)
		snprintf(buf + n, n < (int)len ? len - n : 0, "/%s", sub);
}

void kquery_escape(char *buf, size_t len, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s && o + 4 < len; s++) {
		unsigned char ch = (unsigned char)*s;

		if (isalnum(ch) || strchr("-_.~", ch)) {
			buf[o++] = ch;
		} else {
			buf[o++] = '%';
			buf[o++] = hex[ch >> 4];
			buf[o++] = hex[ch & 15];
		}
	}
	buf[o] = 0;
}

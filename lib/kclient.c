/* kclient.c — Kubernetes API client over libcurl: a pool of kept-alive handles for
 * requests, a dedicated handle per watch, JSON in and out. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "kclient.h"
#include "kubeconfig.h"

#define POOL_MAX 32

struct kclient {
	char *server;
	char *user_agent;
	char *ca_file, *cert_file, *key_file;      /* paths, or ... */
	struct curl_blob ca, cert, key;            /* ... inline PEM data */
	char *auth_header;   /* "Authorization: Bearer …" */
	char *username, *password;                 /* basic authentication */
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

/* A copy of inline PEM data, handed to libcurl as a blob (the OpenSSL backend takes CA,
 * client certificate and key from memory: nothing is written to disk). */
static int blob_dup(struct curl_blob *b, const unsigned char *data, size_t len)
{
	b->data = malloc(len ? len : 1);
	if (!b->data)
		return -ENOMEM;
	memcpy(b->data, data, len);
	b->len = len;
	b->flags = CURL_BLOB_NOCOPY;
	return 0;
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
	if ((kc->ca_file && !(c->ca_file = strdup(kc->ca_file))) ||
	    (kc->ca_data && blob_dup(&c->ca, kc->ca_data, kc->ca_len)) ||
	    (kc->client_cert_file && !(c->cert_file = strdup(kc->client_cert_file))) ||
	    (kc->client_cert_data && blob_dup(&c->cert, kc->client_cert_data, kc->client_cert_len)) ||
	    (kc->client_key_file && !(c->key_file = strdup(kc->client_key_file))) ||
	    (kc->client_key_data && blob_dup(&c->key, kc->client_key_data, kc->client_key_len)) ||
	    (kc->username && !(c->username = strdup(kc->username))) ||
	    (kc->password && !(c->password = strdup(kc->password)))) {
		kclient_free(c);
		return -ENOMEM;
	}
	if (kc->token && asprintf(&c->auth_header, "Authorization: Bearer %s", kc->token) < 0)
		c->auth_header = NULL;
	*out = c;
	return 0;
}

int kclient_open(const char *kubeconfig, const char *master, const char *user_agent,
		 struct kclient **out, char *err, size_t err_len)
{
	struct kubeconfig kc = { 0 };
	int ret;

	if (master && *master && !kubeconfig)
		return kclient_new_url(master, user_agent, out);
	ret = kubeconfig_load(kubeconfig, NULL, &kc, err, err_len);
	if (!ret) {
		if (master && *master) {
			free(kc.server);
			kc.server = strdup(master);
		}
		ret = kc.server ? kclient_new(&kc, user_agent, out) : -ENOMEM;
		if (ret)
			snprintf(err, err_len, "cannot create the API client: %s", strerror(-ret));
	}
	kubeconfig_free(&kc);
	return ret;
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
	free(c->ca.data);
	free(c->cert.data);
	free(c->key.data);
	free(c->username);
	free(c->password);
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
	if (c->ca.data)
		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &c->ca);
	if (c->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (c->cert_file)
		curl_easy_setopt(h, CURLOPT_SSLCERT, c->cert_file);
	if (c->key_file)
		curl_easy_setopt(h, CURLOPT_SSLKEY, c->key_file);
	if (c->cert.data)
		curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &c->cert);
	if (c->key.data)
		curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &c->key);
	if (c->username) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, c->username);
		curl_easy_setopt(h, CURLOPT_PASSWORD, c->password ? c->password : "");
	}
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

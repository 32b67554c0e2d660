/* fuzz_api.c — libFuzzer target for the apiserver's request path: method, path, query
 * string, headers and body from the fuzzer's bytes into api_handle(), on a store that
 * persists nothing. Watches are read once and dropped. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "log.h"
#include "store_mem.h"

static struct store *store;
static struct api *api;

struct input {
	char *fields[16]; /* method, path, then name=value query pairs and Header: value lines */
	size_t n;
	const char *body;
	size_t body_len;
};

static const char *query(void *ctx, const char *name)
{
	struct input *in = ctx;
	size_t i, l = strlen(name);

	for (i = 2; i < in->n; i++)
		if (!strncmp(in->fields[i], name, l) && in->fields[i][l] == '=')
			return in->fields[i] + l + 1;
	return NULL;
}

static const char *header(void *ctx, const char *name)
{
	struct input *in = ctx;
	size_t i, l = strlen(name);

	for (i = 2; i < in->n; i++)
		if (!strncasecmp(in->fields[i], name, l) && in->fields[i][l] == ':')
			return in->fields[i] + l + 1 + (in->fields[i][l + 1] == ' ');
	return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct api_config cfg = { .service_cidr = "10.96.0.0/16", .node_port_min = 30000,
				  .node_port_max = 30100, .secure_port = 6443 };
	struct store_backend be;

	(void)argc;
	(void)argv;
	kbpf_log_level = LOG_LEVEL_WARN;
	store_mem_backend(&be);
	/* A small ring: the 410 path gets exercised too. */
	if (store_open(&be, &api_store_hooks, 64, &store) || api_new(store, &cfg, &api) ||
	    api_bootstrap(api))
		abort();
	return 0;
}

/* Input: lines "METHOD\nPATH\nk=v or Header: v...\n\n" then the body. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *p, *sep;
	struct input in = { 0 };
	struct api_req req = { 0 };
	struct api_resp r;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	sep = strstr(buf, "\n\n");
	if (sep) {
		*sep = 0;
		in.body = sep + 2;
		in.body_len = size - (size_t)(sep + 2 - buf);
	}
	for (p = buf; p && in.n < 16;) {
		char *nl = strchr(p, '\n');

		if (nl)
			*nl = 0;
		in.fields[in.n++] = p;
		p = nl ? nl + 1 : NULL;
	}
	if (in.n < 2) {
		free(buf);
		return 0;
	}
	req.method = in.fields[0];
	req.path = in.fields[1];
	req.query = query;
	req.header = header;
	req.ctx = &in;
	req.body = in.body;
	req.body_len = in.body_len;
	req.user = "fuzz";
	api_handle(api, &req, &r);
	if (r.watch) {
		char chunk[4096];

		api_watch_read(r.watch, chunk, sizeof(chunk), 0);
	}
	api_resp_free(&r);
	free(buf);
	return 0;
}

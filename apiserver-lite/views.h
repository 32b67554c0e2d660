/* views.h — what the apiserver shows besides stored objects: Lists and Tables, discovery,
 * /version, health, OpenAPI, metrics, continue tokens, and the schema-backed checks. */
#ifndef KBPF_VIEWS_H
#define KBPF_VIEWS_H

#include <stdbool.h>

#include "api_internal.h"
#include "jsonpatch.h"

struct route;

int views_init(struct api *api);
void views_free(struct api *api);

/* A kind's List: the stored texts joined, no re-encoding. */
char *views_list(const struct resource *res, struct sobj **objs, size_t n, int64_t rev,
		 const char *cont);
/* A meta.k8s.io/v1 Table of objs with the kind's columns; include: None, Metadata, Object. */
char *views_table(const struct resource *res, struct sobj **objs, size_t n, int64_t rev,
		  const char *cont, const char *include);

/* Continue tokens: where a list left off (opaque to clients). */
char *views_continue_encode(const char *last_key, int64_t rev);
int views_continue_decode(const char *token, char *last_key, size_t len);

/* Paths that are not resources (/version, /api, /apis, /healthz, /metrics, /openapi...):
 * answers them and returns true, or returns false. */
bool views_nonresource(struct api *api, const struct api_req *req, char parts[][254], int n,
		       struct api_resp *r);

/* Decoding checks of obj against its kind's schema: the unknown fields (for
 * fieldValidation: "spec.containers[0].imagee"; *unknown and each entry are the caller's
 * to free) and the first wrong JSON type as Kubernetes words it (*type_error, caller
 * frees, NULL when none). Returns the number of unknown fields. */
size_t views_check_fields(const struct resource *res, const json_t *obj, char ***unknown,
			  char **type_error);

/* Strategic-merge-patch metadata of the served kinds (smp_lookup_fn). */
bool views_smp_lookup(const char *type, const char *field, struct smp_field *out, void *ctx);

/* Count a finished request for /metrics; verb as Kubernetes names them (GET, LIST, WATCH,
 * POST, PUT, PATCH, DELETE, DELETECOLLECTION). */
void views_count(struct api *api, const char *verb, const struct resource *res, int code,
		 double seconds);

#endif /* KBPF_VIEWS_H */

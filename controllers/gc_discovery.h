/* gc_discovery.h — the API's resources as its discovery documents describe them (/api/v1
 * and the preferred version of each group under /apis), for the controllers that act on
 * every kind rather than on a fixed list: the garbage collector and the namespace
 * controller. */
#ifndef KBPF_GC_DISCOVERY_H
#define KBPF_GC_DISCOVERY_H

#include <stdbool.h>
#include <stddef.h>

struct kclient;

enum api_verb {
	API_VERB_GET = 1 << 0,
	API_VERB_LIST = 1 << 1,
	API_VERB_WATCH = 1 << 2,
	API_VERB_DELETE = 1 << 3,
	API_VERB_DELETECOLLECTION = 1 << 4,
};

/* One top-level resource (subresources such as pods/status are left out). */
struct api_resource {
	char group[128];        /* "" for the core group */
	char api_version[160];  /* "v1", "apps/v1" */
	char kind[64];          /* "ReplicaSet" */
	char plural[64];        /* "replicasets" */
	bool namespaced;
	unsigned verbs;         /* enum api_verb */
};

struct api_resources {
	struct api_resource *v;
	size_t n;
	/* Group versions whose document could not be read (the others are listed):
	 * "apps/v1: HTTP 503, …" — as client-go's ErrGroupDiscoveryFailed says it. */
	int n_failed;
	char failed[512];
};

/* Read the discovery documents. 0 (possibly with n_failed > 0), or -EIO when neither /api
 * nor /apis answers (failed says why). Free with api_resources_free. */
int api_discover(struct kclient *c, struct api_resources *out);
void api_resources_free(struct api_resources *r);

/* The resource serving kind at api_version ("apps/v1", "ReplicaSet"), or NULL: the REST
 * mapping of an ownerReference. */
const struct api_resource *api_resource_of(const struct api_resources *r, const char *api_version,
					   const char *kind);

/* The path of one object (name) or of the collection (name NULL); ns is ignored for
 * cluster-scoped resources. */
void api_resource_path(const struct api_resource *r, const char *ns, const char *name, char *buf,
		       size_t len);

#endif /* KBPF_GC_DISCOVERY_H */

/* kinds.h — the resources the apiserver serves, and what each does on create, update and
 * display: defaults, validation, allocations, the columns of its Table. */
#ifndef KBPF_KINDS_H
#define KBPF_KINDS_H

#include <stdbool.h>

#include <jansson.h>

#include "apiutil.h"

struct api;

enum verb_bits {
	V_GET = 1 << 0,
	V_LIST = 1 << 1,
	V_WATCH = 1 << 2,
	V_CREATE = 1 << 3,
	V_UPDATE = 1 << 4,
	V_PATCH = 1 << 5,
	V_DELETE = 1 << 6,
	V_DELETECOLLECTION = 1 << 7,
};
#define V_ALL (V_GET | V_LIST | V_WATCH | V_CREATE | V_UPDATE | V_PATCH | V_DELETE | V_DELETECOLLECTION)

struct column {
	const char *name;
	const char *type;   /* string, integer, date */
	const char *format; /* "name" for the first column, else "" */
	int priority;       /* > 0: only with -o wide */
	const char *description;
};

/* What one kind does beyond the generic rules; any hook may be NULL. */
struct kind_ops {
	/* Defaults a create or update applies (old is NULL on create). */
	void (*defaults)(struct api *api, json_t *obj, const json_t *old);
	/* Field errors of obj (old is NULL on create; otherwise the stored object). */
	void (*validate)(struct api *api, const json_t *obj, const json_t *old, struct errlist *e);
	/* Allocations (ClusterIPs, NodePorts) of a new or changed object, after validation;
	 * errors go to e. release undoes them when the object goes (or the write fails). */
	void (*allocate)(struct api *api, json_t *obj, const json_t *old, struct errlist *e);
	void (*release)(struct api *api, const json_t *obj, const json_t *keep);
	/* Cells of the object's Table row, one per column. */
	void (*row)(const json_t *obj, json_t *cells);
};

struct resource {
	const char *group;   /* "" for the core group */
	const char *version;
	const char *kind;
	const char *plural;  /* the resource name in paths */
	const char *singular;
	bool namespaced;
	const char *short_names[4];
	bool category_all;   /* shown by kubectl get all */
	unsigned verbs;
	bool has_status;     /* a status subresource: status ignored by the main resource */
	bool has_scale;      /* a scale subresource (autoscaling/v1 Scale) */
	bool has_generation; /* metadata.generation counts spec changes */
	bool keep_status_on_create;
	const char *schema_type; /* OpenAPI name, e.g. io.k8s.api.core.v1.Pod */
	const char *const *field_selectors; /* beyond metadata.name and metadata.namespace */
	const struct column *columns;
	unsigned n_columns;
	const struct kind_ops *ops;
};

extern const struct resource *const resources[];
extern const unsigned n_resources;

const struct resource *resource_find(const char *group, const char *version, const char *plural);
const struct resource *resource_by_kind(const char *group, const char *kind);

/* Service ClusterIP and NodePort allocators, rebuilt from stored Services at start. */
int alloc_init(struct api *api, const char *service_cidr, int np_min, int np_max);
void alloc_free(struct api *api);
void alloc_reserve_service(struct api *api, const json_t *svc);

#endif /* KBPF_KINDS_H */

/* k8s_schema.h — the schema of the built-in kinds: strict field checks, patch metadata, OpenAPI v3. */
#ifndef KBPF_K8S_SCHEMA_H
#define KBPF_K8S_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "jsonpatch.h"

/*
 * The tables come from scripts/gen-k8s-schema.py (lib/k8s_schema_gen.c): the types
 * Kubernetes 1.32 serves for core/v1 Namespace, Node, Pod, Binding, Service, Endpoints,
 * Event, ConfigMap, Secret; discovery.k8s.io/v1 EndpointSlice; apps/v1 Deployment,
 * ReplicaSet; autoscaling/v1 Scale; coordination.k8s.io/v1 Lease; meta/v1 Status,
 * DeleteOptions, ListMeta; their List kinds, and every type these reach. Types are named
 * as in Kubernetes' OpenAPI: "io.k8s.api.core.v1.Pod",
 * "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "io.k8s.apimachinery.pkg.api.resource.Quantity".
 * Regenerate with: /usr/bin/python3 scripts/gen-k8s-schema.py > lib/k8s_schema_gen.c
 */

/* What a value is. Types are K8S_OBJECT (a struct with fields) or, for the named scalars
 * (Time, MicroTime, Quantity, IntOrString, FieldsV1), the kind of their value. */
enum k8s_kind {
	K8S_NONE = 0,
	K8S_STRING,
	K8S_INTEGER,
	K8S_NUMBER,
	K8S_BOOLEAN,
	K8S_DATETIME,      /* RFC 3339 string: metav1.Time, metav1.MicroTime */
	K8S_OBJECT,        /* a struct: ref is its type */
	K8S_ARRAY,         /* of elem */
	K8S_MAP,           /* string keys, values of elem */
	K8S_INT_OR_STRING, /* intstr.IntOrString: an integer or a string */
	K8S_QUANTITY,      /* resource.Quantity: a string ("500m", "1Gi") or a number */
	K8S_ANY,           /* free-form JSON (FieldsV1) */
};

/* OpenAPI "format" of a value (of the elements, for arrays and maps). */
enum k8s_format {
	K8S_FMT_NONE = 0,
	K8S_FMT_INT32,
	K8S_FMT_INT64,
	K8S_FMT_DOUBLE,
	K8S_FMT_BYTE,      /* []byte: a base64 string */
};

#define K8S_NO_REF      0xffff
#define K8S_F_REQUIRED  (1 << 0)

/* Strings are offsets into k8s_strings (0 is ""), so that the tables need no pointers. */
struct k8s_field {
	uint32_t name;        /* JSON name */
	uint32_t description;
	uint32_t merge_key;   /* x-kubernetes-patch-merge-key, or 0 */
	uint16_t ref;         /* index in k8s_types of the value's (or element's) named type,
			       * K8S_NO_REF for plain strings, numbers and booleans */
	uint8_t kind;         /* enum k8s_kind */
	uint8_t elem;         /* enum k8s_kind of the elements of K8S_ARRAY and K8S_MAP */
	uint8_t format;       /* enum k8s_format */
	uint8_t strategy;     /* enum smp_strategy bits: x-kubernetes-patch-strategy */
	uint8_t flags;        /* K8S_F_* */
};

struct k8s_type {
	uint32_t name;
	uint32_t description;
	uint16_t first_field; /* its fields, sorted by name: k8s_fields[first_field..+n_fields) */
	uint16_t n_fields;
	uint8_t kind;         /* enum k8s_kind */
};

/* x-kubernetes-group-version-kind: group "" is core. Sorted by group, version, kind. */
struct k8s_gvk {
	uint32_t group;
	uint32_t version;
	uint32_t kind;
	uint16_t type;
};

extern const char k8s_strings[];
extern const size_t k8s_strings_size;
extern const struct k8s_field k8s_fields[];
extern const size_t k8s_n_fields;
extern const struct k8s_type k8s_types[]; /* sorted by name */
extern const size_t k8s_n_types;
extern const struct k8s_gvk k8s_gvks[];
extern const size_t k8s_n_gvks;

static inline const char *k8s_str(uint32_t off)
{
	return k8s_strings + off;
}

/* The type named name (OpenAPI name), or NULL. */
const struct k8s_type *k8s_type_find(const char *name);

/* The type of a kind: k8s_kind_type("", "v1", "Pod"), ("apps", "v1", "DeploymentList"). */
const struct k8s_type *k8s_kind_type(const char *group, const char *version, const char *kind);

/* Field name (JSON name) of type t, or NULL. */
const struct k8s_field *k8s_type_field(const struct k8s_type *t, const char *name);

/* The named type a field refers to (its value's, or its elements'), or NULL. */
const struct k8s_type *k8s_field_ref(const struct k8s_field *f);

/*
 * Strict decoding, as the apiserver does for ?fieldValidation=Strict: every member of obj
 * that type has no field for is an unknown field, every value of the wrong JSON type is
 * a type error. null is accepted anywhere (decoding leaves the field unset), so are
 * apiVersion, kind and metadata at the top level, and anything inside a free-form value.
 *
 * Paths are printed as Kubernetes prints them: fields joined by ".", list indexes in
 * brackets, map keys as ".key": "spec.containers[0].imagee", "metadata.labels.app".
 * Messages:
 *   unknown field "spec.containers[0].imagee"
 *   json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32
 * The second is Go's encoding/json error, which Kubernetes returns (after "<Kind> in
 * version \"v1\" cannot be handled as a <Kind>: ") as 400 Bad Request whatever the
 * fieldValidation; its Go type names are derived from the schema. Kubernetes returns
 * only the first type error; this reports them all. Where Go's custom decoders
 * (Quantity, IntOrString, Time) would give a path-less message, this keeps the same form,
 * with the path. Not checked here: the syntax inside strings (RFC 3339 times, Quantity,
 * base64), which Kubernetes' decoder rejects with messages of its own; duplicate members
 * (Kubernetes: duplicate field "x"), which jansson drops or, with
 * JSON_REJECT_DUPLICATES, refuses while parsing; required fields and enum values, which
 * are validation.
 */
enum k8s_problem_kind {
	K8S_UNKNOWN_FIELD,
	K8S_WRONG_TYPE,
};

struct k8s_problem {
	enum k8s_problem_kind kind;
	char *path;        /* "spec.containers[0].imagee"; "" for the object itself */
	char *message;     /* as above */
	const char *got;   /* K8S_WRONG_TYPE: the JSON type found, "string", "number",
			    * "bool", "array" or "object"; NULL for unknown fields */
	const char *want;  /* K8S_WRONG_TYPE: the schema's kind, "integer", "object",
			    * "int-or-string", ...; NULL for unknown fields */
};

/* At most this many problems are kept; more set truncated. */
#define K8S_MAX_PROBLEMS 256

struct k8s_problems {
	struct k8s_problem *v;
	size_t n, cap;
	size_t n_unknown, n_wrong;
	bool truncated;
};

/*
 * Check obj as a value of type (an OpenAPI name), appending what is wrong to *out (zero
 * it before the first call; free it with k8s_problems_free). Returns the number of
 * problems appended, -ENOENT if type is unknown, or -ENOMEM.
 */
int k8s_check_fields(const char *type, const json_t *obj, struct k8s_problems *out);
void k8s_problems_free(struct k8s_problems *p);

/*
 * Strategic-merge-patch metadata (an smp_lookup_fn for strategic_merge_patch()): the
 * patchStrategy and patchMergeKey of field of type, the type of its value or elements
 * (NULL for scalars, Quantity, IntOrString and maps of strings) and whether it is a
 * list. False when type or field is unknown. ctx is unused.
 */
bool k8s_smp_lookup(const char *type, const char *field, struct smp_field *out, void *ctx);

/*
 * OpenAPI v3 "components.schemas" for types (OpenAPI names; NULL with n_types 0: every
 * type) and everything they reference, shaped as Kubernetes serves them at
 * /openapi/v3/...: type/format/properties/items/additionalProperties, "$ref":
 * "#/components/schemas/<name>" (wrapped in a one-element "allOf" when the field adds a
 * description or patch extensions beside it, as Kubernetes does), "required",
 * descriptions (what kubectl explain shows), x-kubernetes-group-version-kind on kinds,
 * x-kubernetes-patch-merge-key and x-kubernetes-patch-strategy on fields. IntOrString
 * is {"format": "int-or-string", "oneOf": [integer, string]} plus
 * "x-kubernetes-int-or-string": true; Quantity is {"oneOf": [string, number]}.
 * Returns a new object, or NULL with errno ENOENT (unknown type) or ENOMEM.
 */
json_t *k8s_openapi_schemas(const char *const *types, size_t n_types);

/* The same for the kinds of one group/version (what /openapi/v3/apis/<group>/<version>
 * needs; group "" is /openapi/v3/api/v1): every type with a GVK in it, and what they
 * reference. NULL with errno ENOENT when none, or ENOMEM. */
json_t *k8s_openapi_gv_schemas(const char *group, const char *version);

/* A resource of a group/version, as its URLs name it. */
struct k8s_openapi_resource {
	const char *resource;   /* plural: "pods" */
	const char *kind;       /* "Pod" */
	bool namespaced;
};

/*
 * A whole OpenAPI v3 document for /openapi/v3/api/v1 or /openapi/v3/apis/<group>/<version>:
 * "openapi", "info", the schemas of k8s_openapi_gv_schemas(), and "paths": for each
 * resource its list and item paths (under namespaces/{namespace}/ when namespaced), each
 * with a "get" operation that carries x-kubernetes-group-version-kind. kubectl explain
 * looks a resource's kind up there, not in the schemas: without the paths it answers
 * "GVR (...) not found in OpenAPI schema". Returns NULL with errno ENOENT (no kinds in
 * group/version, or a resource whose kind is not one of them) or ENOMEM.
 */
json_t *k8s_openapi_gv_document(const char *group, const char *version,
				const struct k8s_openapi_resource *res, size_t n_res);

#endif /* KBPF_K8S_SCHEMA_H */

/* jsonpatch.h — the three PATCH bodies a Kubernetes apiserver takes: JSON, merge, strategic merge. */
#ifndef KBPF_JSONPATCH_H
#define KBPF_JSONPATCH_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/*
 * All three leave doc and the patch untouched and return a document that shares no
 * mutable value with either, so the caller may change it freely. A failed patch has no
 * effect: the result is all or nothing.
 */

/*
 * RFC 6902 JSON Patch (application/json-patch+json): ops is an array of operations
 * add, remove, replace, move, copy and test, applied in order. Paths are RFC 6901 JSON
 * Pointers ("" is the whole document, ~0 and ~1 escape "~" and "/", "-" appends to an
 * array); numbers compare by value in test (1 equals 1.0). Members an operation does
 * not use are ignored (RFC 6902 A.11).
 * Returns 0 with the new document in *out, or a negative errno with the reason in err:
 *   -EINVAL     the patch is malformed (not an array, unknown op, missing or bad member,
 *               bad pointer syntax, moving a value into its own child);
 *   -ENOENT     a path or from location does not exist, or an index is out of range;
 *   -ECANCELED  a test operation failed;
 *   -ENOMEM.
 * The apiserver answers all but -ENOMEM with 422, as Kubernetes does.
 */
int json_patch(const json_t *doc, const json_t *ops, json_t **out, char *err, size_t err_len);

/* The same, returning the new document, or NULL with the reason in err (e.g. "test
 * operation failed at /spec/replicas", "path /a/b does not exist"). */
json_t *json_patch_apply(const json_t *doc, const json_t *ops, char *err, size_t err_len);

/*
 * RFC 7386 JSON merge patch (application/merge-patch+json): objects merge recursively,
 * null deletes a member, anything else (arrays included) replaces. A patch that is not
 * an object replaces the whole document; a NULL patch counts as JSON null, a NULL doc as
 * an absent one. Returns the new document, NULL only when out of memory.
 */
json_t *merge_patch_apply(const json_t *doc, const json_t *patch);

/*
 * Strategic merge patch (application/strategic-merge-patch+json), as Kubernetes'
 * k8s.io/apimachinery/pkg/util/strategicpatch applies it: a merge patch in which lists
 * whose field says patchStrategy "merge" are merged instead of replaced, element by
 * element on their merge key (lists of objects) or as ordered sets (lists of values),
 * and in which these directives steer the merge and never reach the result:
 *   "$patch": "replace"          in an object: the object is replaced by the rest of it;
 *                                as a list element: the list is replaced by the other
 *                                elements of the patch list;
 *   "$patch": "delete"           in an object: the object is emptied ({}, as apimachinery
 *                                does; null deletes it); in a list element next to the
 *                                merge key: every element with that key is removed;
 *   "$retainKeys": [names]       fields of the original object not named are cleared,
 *                                and the patch may set no other field; obeyed wherever
 *                                it appears (apimachinery does not consult the field's
 *                                retainKeys strategy when applying, only when diffing);
 *   "$setElementOrder/F": [...]  the order of merged list F: merge-key objects or values,
 *                                which F in the patch must follow; meaningless (ignored)
 *                                on a list that is replaced;
 *   "$deleteFromPrimitiveList/F": [values]  removed from merged list F, after the merge;
 *                                an error on a field without merge strategy.
 * Order of a merged list: the items the patch (or $setElementOrder) names, in its order,
 * interleaved with the others ("server-only", in their original order) by their places in
 * the original list; where that cannot decide, the patch's item goes first — so a new
 * element comes right after the one before it in the patch (first if none), ahead of the
 * remaining original elements (the "kubectl patch" task shows a new container placed
 * before the existing one).
 * A value the original lacks (or holds with another JSON type) is the patch value merged
 * into nothing: nulls and directives drop out, merge lists are built by the same rules.
 */
enum smp_strategy { SMP_REPLACE = 0, SMP_MERGE = 1 << 0, SMP_RETAIN_KEYS = 1 << 1 };

/* What a field's Go struct tags say (or x-kubernetes-patch-strategy/-merge-key). */
struct smp_field {
	const char *type;      /* type name of the field's value (for objects), or of the list
				* elements / map values; NULL for primitives (or opaque) */
	const char *merge_key; /* lists of objects merged by this key; NULL otherwise */
	unsigned strategy;     /* SMP_* bits from the type's patchStrategy tag */
	bool is_list;
};

/*
 * Look up field `field` of type `type`; false when the type has no such field (then it
 * is treated as an opaque value: merge-patch semantics for objects, replace for lists —
 * directives are still obeyed and removed). For a map-valued field, `type` may name a
 * type whose lookup answers every key with the map's value type.
 */
typedef bool (*smp_lookup_fn)(const char *type, const char *field, struct smp_field *out,
			      void *ctx);

/*
 * Apply a strategic merge patch to doc (an object; NULL is an empty one), whose type
 * is `type` (NULL or a NULL lookup: everything opaque). Returns 0 with the new document
 * in *out, -EINVAL with the reason in err (the patch is not an object, a directive has
 * an invalid value, a merge-list element lacks its merge key, a list mixes objects and
 * values, the patch list contradicts its $setElementOrder, ...) or -ENOMEM.
 */
int strategic_merge_patch(const json_t *doc, const json_t *patch, const char *type,
			  smp_lookup_fn lookup, void *ctx, json_t **out, char *err, size_t err_len);

/* The same, returning the new document or NULL with the reason in err. */
json_t *strategic_merge_patch_apply(const json_t *doc, const json_t *patch, const char *type,
				    smp_lookup_fn lookup, void *ctx, char *err, size_t err_len);

#endif /* KBPF_JSONPATCH_H */

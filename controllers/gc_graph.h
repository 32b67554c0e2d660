/* gc_graph.h — the garbage collector's dependency graph, as kube-controller-manager's
 * GraphBuilder keeps it: every watched object by uid, each with the owners its
 * ownerReferences name and the dependents that name it. Informer events update it in
 * O(ownerReferences) and queue the uids that need a look; the collector's workers read it.
 * An owner seen only in someone's ownerReferences is a "virtual" node until an informer
 * reports it or the apiserver says it is absent. Thread-safe (one lock). */
#ifndef KBPF_GC_GRAPH_H
#define KBPF_GC_GRAPH_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

enum gc_queue {
	GC_ATTEMPT_DELETE, /* is this object garbage, or an owner done with foreground deletion? */
	GC_ATTEMPT_ORPHAN, /* an owner with the orphan finalizer: release its dependents */
};

/* Called with the graph locked: it must not call back into the graph. */
typedef void (*gc_enqueue_fn)(void *ctx, enum gc_queue q, const char *uid);

struct gc_graph;

struct gc_graph *gc_graph_new(gc_enqueue_fn enqueue, void *ctx);
void gc_graph_free(struct gc_graph *g);

/* An informer's add or update of obj (referenced while it is the latest). */
void gc_graph_observe(struct gc_graph *g, const json_t *obj);
/* An informer's deletion of obj: its uid is gone for good. */
void gc_graph_forget(struct gc_graph *g, const json_t *obj);

/* An object's coordinates, from its metadata or from the ownerReference naming it. */
struct gc_ident {
	char api_version[160];
	char kind[64];
	char ns[254];   /* "" cluster-scoped; for a virtual node, its first dependent's */
	char name[254];
	char uid[64];
};

/* A worker's copy of one node. */
struct gc_view {
	struct gc_ident id;
	bool observed;             /* an informer reports it (obj is set) */
	bool gone;                 /* an informer reported its deletion */
	bool absent;               /* virtual, and the apiserver has no object at id */
	bool being_deleted;        /* deletionTimestamp */
	bool deleting_dependents;  /* ... with the foregroundDeletion finalizer */
	bool orphaning;            /* ... with the orphan finalizer */
	size_t n_dependents;
	json_t *obj;               /* the latest object, referenced; NULL when virtual */
};

/* false when uid is not in the graph. Release with gc_view_release. */
bool gc_graph_view(struct gc_graph *g, const char *uid, struct gc_view *out);
void gc_view_release(struct gc_view *v);

enum gc_owner {
	GC_OWNER_UNKNOWN,  /* the graph cannot tell: ask the apiserver */
	GC_OWNER_ABSENT,   /* dangling: the uid is gone, or nothing is at those coordinates */
	GC_OWNER_SOLID,    /* observed, at the coordinates the reference names */
	GC_OWNER_WAITING,  /* observed, in foreground deletion */
};

/* What the graph knows of the owner ref names, for a dependent in namespace ns ("" when
 * cluster-scoped). *other_ns (may be NULL) is set when the uid is observed as a namespaced
 * object of another namespace — an ownerReference that cannot hold. */
enum gc_owner gc_graph_owner(struct gc_graph *g, const json_t *ref, const char *ns, bool *other_ns);

/* The apiserver has no object at id: when id is a virtual node's coordinates, remember it
 * (and queue the node's dependents if asked). */
void gc_graph_absent(struct gc_graph *g, const struct gc_ident *id, bool queue_dependents);

/* For uid's foreground deletion: how many dependents still block it (an ownerReference to
 * it with blockOwnerDeletion); those not themselves deleting their dependents are queued. */
size_t gc_graph_blocking(struct gc_graph *g, const char *uid);
/* Whether a dependent of uid is itself in foreground deletion (a possible cycle). */
bool gc_graph_dependent_deleting(struct gc_graph *g, const char *uid);
/* The latest objects of uid's dependents, referenced (free with informer_list_free). */
size_t gc_graph_dependents(struct gc_graph *g, const char *uid, json_t ***out);

/* Nodes in the graph (observed and virtual). */
size_t gc_graph_size(struct gc_graph *g);

/* Ownership helpers the collector shares. */
bool gc_has_finalizer(const json_t *obj, const char *finalizer);
void gc_ident_of_obj(const json_t *obj, struct gc_ident *id);

#endif /* KBPF_GC_GRAPH_H */

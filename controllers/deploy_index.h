/* deploy_index.h — indexes over a shared informer's objects by controller (the uid of the
 * ownerReference with controller: true) and by namespace, like client-go's indexers: a
 * ReplicaSet finds its pods, a Deployment its ReplicaSets, an orphan its would-be owners,
 * without walking every object of the cluster. */
#ifndef KBPF_DEPLOY_INDEX_H
#define KBPF_DEPLOY_INDEX_H

#include <stddef.h>

#include <jansson.h>

struct cm;
struct informer;
struct owner_index;

/*
 * The index of the shared informer of path, created with the informer on first use
 * (during a controller's init only; NULL afterwards or on failure). It is updated by a
 * handler of its own, which runs before the handlers of a controller that got the index
 * before adding them: a handler that looks the index up sees the change it is told about.
 */
struct owner_index *owner_index_get(struct cm *cm, const char *path);
struct informer *owner_index_informer(struct owner_index *x);

/* The objects controlled by uid / in namespace ns, referenced: free them with
 * informer_list_free. */
size_t owner_index_owned(struct owner_index *x, const char *uid, json_t ***out);
size_t owner_index_in_namespace(struct owner_index *x, const char *ns, json_t ***out);

#endif /* KBPF_DEPLOY_INDEX_H */

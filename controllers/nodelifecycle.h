/* nodelifecycle.h — what the node lifecycle controller (nodelifecycle.c) and the taint
 * eviction controller it runs (tainteviction.c) share: the pods-by-node index, the
 * taint/toleration rules, and the zone disruption rule (pure, unit-tested). */
#ifndef KBPF_NODELIFECYCLE_H
#define KBPF_NODELIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct cm;

#define TAINT_NOT_READY "node.kubernetes.io/not-ready"
#define TAINT_UNREACHABLE "node.kubernetes.io/unreachable"

/* The keys ("namespace/name", malloc'd, free with nl_keys_free) of the pods bound to a
 * node, from the pod informer's events. */
size_t nl_pods_on_node(const char *node, char ***keys);
void nl_keys_free(char **keys, size_t n);

/* Kubernetes' Toleration.ToleratesTaint: effect and key match when the toleration gives
 * them; operator Exists, or Equal (the default) with the same value. */
bool nl_tolerates(const json_t *toleration, const json_t *taint);

/*
 * When a pod with these tolerations must leave a node with these NoExecute taints (kube's
 * GetMatchingTolerations + getMinTolerationTime): false when it may stay for ever (or
 * there is no taint); otherwise true with *deadline = since + the smallest
 * tolerationSeconds of the tolerations used, or since itself when a taint is not tolerated
 * or a tolerationSeconds is <= 0. since is when the pod was first seen under NoExecute
 * taints, as kube's taint manager counts (not the taints' timeAdded).
 */
bool nl_eviction_deadline(const json_t *tolerations, const json_t *taints, double since,
			  double *deadline);

/* A zone's health, as kube's ComputeZoneState: full disruption when no node is Ready;
 * partial when more than two are not and they are at least 55%. */
enum nl_zone_state { NL_ZONE_INITIAL, NL_ZONE_NORMAL, NL_ZONE_PARTIAL, NL_ZONE_FULL };
enum nl_zone_state nl_zone_state(int ready, int not_ready);

/* The taint eviction controller, started by the node lifecycle controller. */
int te_init(struct cm *cm);
int te_run(struct cm *cm);
void te_stop(struct cm *cm);

#endif /* KBPF_NODELIFECYCLE_H */

/* eps_reconcile.h — what the EndpointSlice and Endpoints controllers compute from a Service
 * and the pods it selects, as kube-controller-manager v1.32 does: pure functions over JSON
 * (no API calls, no locks, no clock), so that they are tested on their own. */
#ifndef KBPF_EPS_RECONCILE_H
#define KBPF_EPS_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define EPS_CONTROLLER_NAME "endpointslice-controller.k8s.io"
#define EPS_LABEL_SERVICE_NAME "kubernetes.io/service-name"
#define EPS_LABEL_MANAGED_BY "endpointslice.kubernetes.io/managed-by"
#define EPS_LABEL_HEADLESS "service.kubernetes.io/headless"
#define EPS_ANN_TRIGGER_TIME "endpoints.kubernetes.io/last-change-trigger-time"
#define EPS_ANN_OVER_CAPACITY "endpoints.kubernetes.io/over-capacity"
/* The leader-election record older components kept on an Endpoints object: such an
 * object has no Service and must not be deleted as a leftover. */
#define EPS_ANN_LEADER "control-plane.alpha.kubernetes.io/leader"
#define EPS_MAX_ENDPOINTS_PER_SLICE 100 /* --max-endpoints-per-slice default */
#define EPS_ENDPOINTS_MAX_CAPACITY 1000 /* addresses one Endpoints object keeps */

/* Whether the controllers give a Service endpoints: it has a selector and is not of type
 * ExternalName. Any other Service's slices and Endpoints belong to its user. */
bool eps_service_selects(const json_t *svc);

/* ShouldPodBeInEndpoints: not Succeeded/Failed, has an IP, and (unless include_terminating)
 * no deletionTimestamp. */
bool eps_pod_in_endpoints(const json_t *pod, bool include_terminating);

/* podEndpointsChanged: whether an update of a pod may change its endpoint (deletion,
 * readiness, IPs, phase) and whether it may change which Services select it (labels,
 * hostname, subdomain). */
void eps_pod_changed(const json_t *old, const json_t *cur, bool *changed, bool *labels_changed);

/* A node named by a pod: whether it exists, and its topology.kubernetes.io/zone label
 * (zone "" when it has none). */
typedef bool (*eps_node_fn)(void *ctx, const char *node, char *zone, size_t zone_len);

struct eps_slices_in {
	const json_t *svc;
	const json_t *const *pods;   /* the pods its selector matches, in its namespace */
	size_t n_pods;
	const json_t *const *slices; /* its EndpointSlices labelled managed-by the controller */
	size_t n_slices;
	int max_per_slice;           /* <= 0: EPS_MAX_ENDPOINTS_PER_SLICE */
	eps_node_fn node;            /* NULL: every node exists and has no zone */
	void *node_ctx;
	const char *trigger_time;    /* the last-change-trigger-time to write; NULL clears it */
};

/* The writes that bring a Service's slices to what its pods say, fewest first. */
struct eps_plan {
	json_t *create; /* new EndpointSlices (generateName) to POST */
	json_t *update; /* whole EndpointSlices to PUT: existing names and resourceVersions */
	json_t *del;    /* existing EndpointSlices to DELETE */
	int skipped;    /* pods left out because their node is not known: sync again later */
	char skipped_msg[256];
};

/*
 * The Reconcile of k8s.io/endpointslice: endpoints grouped by the ports they resolve to,
 * at most max_per_slice per slice; existing slices are updated in place (an endpoint
 * that changed is replaced where it is, a new one fills the fullest slice being written
 * anyway, then the unchanged slice it fits best, then a new slice); a slice left empty is
 * deleted, or reused for a slice that would otherwise be created; an endpoint found in
 * two slices is kept in the first only; a Service without endpoints keeps one empty
 * placeholder slice. Returns 0 or -ENOMEM; free the plan with eps_plan_free.
 */
int eps_plan_slices(const struct eps_slices_in *in, struct eps_plan *plan);
void eps_plan_free(struct eps_plan *plan);

/*
 * The legacy Endpoints object of a Service (the Endpoints controller): one address per
 * pod (terminating pods only with publishNotReadyAddresses), ready ones in addresses and
 * the others in notReadyAddresses, subsets grouping the ports served by the same
 * addresses, at most EPS_ENDPOINTS_MAX_CAPACITY addresses (then the over-capacity
 * annotation). *out: NULL when current (the stored object, or NULL) is already right,
 * otherwise the object to create (no resourceVersion) or to PUT. 0 or -ENOMEM.
 */
int eps_plan_endpoints(const json_t *svc, const json_t *const *pods, size_t n_pods,
		       const json_t *current, const char *trigger_time, json_t **out);

/* When a pod last changed in a way that changed its endpoint: its Ready condition's
 * lastTransitionTime in seconds since the epoch (0 without one), as the trigger time
 * tracker takes it. */
double eps_pod_trigger_time(const json_t *pod);

#endif /* KBPF_EPS_RECONCILE_H */

/* deploy_util.h — what the ReplicaSet and Deployment controllers compute, as
 * kube-controller-manager computes it (pkg/controller/deployment/util, controller_utils):
 * rolling-update fenceposts, the pod-template hash, revisions, conditions, the order in
 * which surplus pods go, proportional scaling and the Deployment's status. Pure functions
 * over JSON objects, unit tested in tests/unit/test_deployment.c. */
#ifndef KBPF_DEPLOY_UTIL_H
#define KBPF_DEPLOY_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "util.h"

/* Names Kubernetes gives these labels and annotations. */
#define POD_TEMPLATE_HASH_LABEL "pod-template-hash"
#define REVISION_ANNOTATION "deployment.kubernetes.io/revision"
#define REVISION_HISTORY_ANNOTATION "deployment.kubernetes.io/revision-history"
#define DESIRED_REPLICAS_ANNOTATION "deployment.kubernetes.io/desired-replicas"
#define MAX_REPLICAS_ANNOTATION "deployment.kubernetes.io/max-replicas"
#define DELETION_COST_ANNOTATION "controller.kubernetes.io/pod-deletion-cost"
/* The revision-history annotation is cut to this many characters (kube's default). */
#define MAX_REV_HISTORY_CHARS 2000

/* A value under a dotted path ("spec.template.metadata.labels"), or NULL. */
const json_t *dj_get(const json_t *obj, const char *path);
/* An integer under a dotted path, dflt when absent or not an integer. */
long long dj_int(const json_t *obj, const char *path, long long dflt);
/* A string under a dotted path, or NULL. */
const char *dj_str(const json_t *obj, const char *path);
/* metadata.annotations[key] (keys have dots: dj_str cannot reach them), or NULL. */
const char *dj_annotation(const json_t *obj, const char *key);
/* The object under a dotted path, created (as {}) where missing. */
json_t *dj_obj(json_t *obj, const char *path);
/*
 * intstr.GetScaledValueFromIntOrPercent: an integer is itself; "25%" is 25% of total,
 * rounded up or down; NULL is 0. 0, or -EINVAL for anything else ("25", "x%").
 */
int intstr_scaled(const json_t *v, int total, bool round_up, int *out);
/*
 * ResolveFenceposts: maxSurge rounded up, maxUnavailable rounded down; both 0 (only
 * possible through rounding, the apiserver refuses two explicit zeros) makes
 * maxUnavailable 1 so that a rollout can proceed. 0 or -EINVAL.
 */
int resolve_fenceposts(const json_t *max_surge, const json_t *max_unavailable, int desired,
		       int *surge, int *unavailable);
/* MaxSurge and MaxUnavailable of a Deployment (0 unless RollingUpdate; unavailable at
 * most spec.replicas, and 0 when spec.replicas is 0). */
int deploy_max_surge(const json_t *d);
int deploy_max_unavailable(const json_t *d);
bool deploy_is_rolling(const json_t *d);
/* progressDeadlineSeconds set (and not MaxInt32): progress is tracked. */
bool deploy_has_progress_deadline(const json_t *d);

/* The pod-template hash: FNV-32a of the template's canonical JSON (keys sorted, nulls
 * dropped), then of collisionCount as 8 little-endian bytes when given, printed in
 * decimal and passed through SafeEncodeString. buf holds at least 11 bytes. */
void pod_template_hash(const json_t *tmpl, const json_t *collision_count, char *buf,
		       size_t len);
/* rand.SafeEncodeString: each character mapped into "bcdfghjklmnpqrstvwxz2456789". */
void safe_encode_string(const char *in, char *out, size_t len);
/* EqualIgnoreHash: two pod templates equal but for their pod-template-hash label. */
bool templates_equal_ignore_hash(const json_t *a, const json_t *b);

/* The revision annotation as a number; 0 when absent or not a number. */
long long rs_revision(const json_t *rs);
/* Set key=value in obj's metadata.annotations; true when that changed anything. */
bool set_annotation(json_t *obj, const char *key, const char *value);
/* SetNewReplicaSetAnnotations: copy the Deployment's annotations (but the revision,
 * replica and last-applied ones), raise the revision to new_revision, keep the replaced
 * one in revision-history, and (for a ReplicaSet being created) set desired- and
 * max-replicas. true when rs changed. */
bool set_new_rs_annotations(const json_t *d, json_t *rs, long long new_revision, bool exists);
/* SetReplicasAnnotations: desired-replicas and max-replicas; true when they changed. */
bool set_replicas_annotations(json_t *rs, int desired, int max);
bool replicas_annotations_need_update(const json_t *rs, int desired, int max);
/* Whether an annotation is one the Deployment does not pass on to its ReplicaSets. */
bool skip_copy_annotation(const char *key);

/* Conditions: a ReplicaSet's carry lastTransitionTime, a Deployment's also lastUpdateTime. */
json_t *new_condition(const char *type, const char *status, const char *reason,
		      const char *message, bool with_update_time);
/* SetDeploymentCondition: a condition with the same status and reason is kept as it is;
 * the same status with another reason keeps lastTransitionTime. Steals cond. */
void condition_set(json_t *status, json_t *cond);
void condition_remove(json_t *status, const char *type);

/*
 * The order in which a ReplicaSet deletes surplus pods (kube's ActivePodsWithRanks with
 * LogarithmicScaleDown): unassigned < assigned; Pending < Unknown < Running; not ready <
 * ready; lower pod-deletion-cost; more pods of the same owner on its node; ready for a
 * shorter time (in powers of two); more restarts; newer (in powers of two); then uid.
 */
struct ranked_pod {
	json_t *pod;
	int rank;           /* related active pods on the same node */
	bool assigned;
	int phase;          /* Pending 0, Unknown 1, Running 2 */
	bool ready;
	double ready_since; /* the Ready condition's lastTransitionTime (0: unknown) */
	long long cost;
	int restarts, sidecar_restarts;
	double created;
	const char *uid;
	const char *node;
};
void ranked_pod_init(struct ranked_pod *r, json_t *pod, int rank);
/* Sort so that the pods to delete first come first. */
void rank_pods_for_deletion(struct ranked_pod *pods, size_t n, double now);
/* podutil.IsPodAvailable: Ready for at least min_ready seconds at now. */
bool pod_available(const json_t *pod, long long min_ready, double now);

/* ReplicaSet orders: by creation (oldest first, then name), by size with ties newer or
 * older first, by revision (then creation). */
void rs_sort_by_creation(json_t **rss, size_t n, bool newest_first);
void rs_sort_by_size(json_t **rss, size_t n, bool newer_first);
void rs_sort_by_revision(json_t **rss, size_t n);

/* GetProportion: the share of to_add (positive or negative, added of it given out
 * already) that rs takes when a Deployment is scaled in the middle of a rollout. */
int rs_proportion(const json_t *rs, const json_t *d, int to_add, int added);

/* NewRSNewReplicas: the size the new ReplicaSet may grow to now: spec.replicas for
 * Recreate; for RollingUpdate as far as maxSurge lets the total (all of rss, the new one
 * among them) go. */
int new_rs_new_replicas(const json_t *d, json_t *const *rss, size_t n, const json_t *new_rs);
/* IsSaturated: the new ReplicaSet has, wants and runs available every replica the
 * Deployment asks for. */
bool deploy_is_saturated(const json_t *d, const json_t *new_rs);

/* Sums over ReplicaSets (NULL entries skipped): spec.replicas, status.replicas,
 * status.readyReplicas, status.availableReplicas. */
int rs_sum(json_t *const *rss, size_t n, const char *path);

/*
 * The Deployment's status from its ReplicaSets (calculateStatus): counts, collisionCount
 * and conditions carried over, Available set from minimum availability. New reference.
 */
json_t *deploy_calculate_status(const json_t *d, json_t *const *all, size_t n,
				const json_t *new_rs);
/* DeploymentComplete, DeploymentProgressing, DeploymentTimedOut (status: the new one). */
bool deploy_complete(const json_t *d, const json_t *status);
bool deploy_progressing(const json_t *d, const json_t *status);
bool deploy_timed_out(const json_t *d, const json_t *status, double now);
/*
 * The Progressing condition of a rollout (syncRolloutStatus) set into status (the new
 * one, from deploy_calculate_status): NewReplicaSetAvailable when complete,
 * ReplicaSetUpdated on progress, ProgressDeadlineExceeded past the deadline; and the
 * ReplicaFailure condition of the ReplicaSets carried over.
 */
void deploy_rollout_conditions(const json_t *d, json_t *status, json_t *const *all, size_t n,
			       const json_t *new_rs, double now);

#endif /* KBPF_DEPLOY_UTIL_H */

/* replicaset.h — the parts of the ReplicaSet controller (replicaset.c) that are pure
 * logic, as kube-controller-manager's pkg/controller/replicaset and controller_utils do
 * them: expectations, slow-start batches, the pod a template makes, which pods a
 * ReplicaSet claims, which surplus pods go, and its status. Unit tested in
 * tests/unit/test_replicaset.c. */
#ifndef KBPF_REPLICASET_H
#define KBPF_REPLICASET_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct label_selector;

/* kube's burstReplicas: at most this many creations or deletions per sync. */
#define RSC_BURST_REPLICAS 500
/* ExpectationsTimeout: expectations older than this no longer hold a sync back (a watch
 * event that never came). */
#define RSC_EXPECTATIONS_TIMEOUT_S 300.0

/*
 * Expectations (UIDTrackingControllerExpectations): what a ReplicaSet's last sync asked
 * the API for and the informer has not shown yet. While some are pending the ReplicaSet
 * is not resized again, so that a lagging watch never makes it create or delete twice.
 * Deletions are tracked by pod key ("namespace/name"): a pod seen going twice (marked
 * for deletion, then gone) counts once. Thread-safe.
 */
struct rsc_expectations;

struct rsc_expectations *rsc_exp_new(void);
void rsc_exp_free(struct rsc_expectations *x);
/* ExpectCreations: n creations pending (replacing what was expected). */
void rsc_exp_expect_creations(struct rsc_expectations *x, const char *key, int n, double now);
/* ExpectDeletions: these pods' deletions pending. */
void rsc_exp_expect_deletions(struct rsc_expectations *x, const char *key,
			      const char *const *pod_keys, size_t n, double now);
/* CreationObserved: one fewer creation pending (also for creations never attempted). */
void rsc_exp_creation_observed(struct rsc_expectations *x, const char *key);
/* DeletionObserved: pod_key's deletion came (ignored unless it was expected). */
void rsc_exp_deletion_observed(struct rsc_expectations *x, const char *key,
			       const char *pod_key);
/* SatisfiedExpectations: nothing pending, none recorded, or recorded too long ago. */
bool rsc_exp_satisfied(struct rsc_expectations *x, const char *key, double now);
/* DeleteExpectations: the ReplicaSet is gone. */
void rsc_exp_delete(struct rsc_expectations *x, const char *key);

/*
 * slowStartBatch: call fn count times, in batches of initial, 2*initial, 4*initial, …
 * whose calls run in parallel; a batch with a failure ends the run, so that a template
 * the API refuses costs one call, not count. fn(ctx, i) gets the attempt's index and
 * returns 0 or a negative errno. Returns the number of successful calls; *err is the
 * first failure's code (0 when none).
 */
int rsc_slow_start(int count, int initial, int (*fn)(void *ctx, int i), void *ctx, int *err);
/* fn(ctx, i) for i in [0, n) in parallel (at most RSC_MAX_PARALLEL threads); returns the
 * number of failures, *err the first failure's code. */
#define RSC_MAX_PARALLEL 16
int rsc_parallel(int n, int (*fn)(void *ctx, int i), void *ctx, int *err);

/*
 * The pod to create for rs (GetPodFromTemplate): generateName "<rs>-", the template's
 * labels, annotations and finalizers, its spec, and an ownerReference to rs (controller,
 * blockOwnerDeletion). NULL with the reason in err when the template makes no pod kube
 * would create ("unable to create pods, no labels").
 */
json_t *rsc_pod_from_template(const json_t *rs, char *err, size_t err_len);
/* The ownerReference that makes rs a pod's controller. */
json_t *rsc_controller_ref(const json_t *rs);

/* What a ReplicaSet does with a pod of its namespace (ClaimObject). */
enum rsc_claim {
	RSC_IGNORE,  /* another controller's, or an orphan it does not take */
	RSC_OWNED,   /* its own, and the selector matches */
	RSC_ADOPT,   /* an orphan the selector matches: take it */
	RSC_RELEASE, /* its own, but the selector no longer matches: let it go */
};
enum rsc_claim rsc_claim_action(const json_t *rs, const struct label_selector *sel,
				const json_t *pod);

/*
 * getPodsToDelete: the n pods of pods[0..n_pods) to delete first (all when n covers
 * them), ranked as kube ranks them, with related[] (pods of this ReplicaSet and of those
 * with the same controller) telling how crowded each pod's node is. out holds n.
 */
void rsc_pods_to_delete(json_t *const *pods, size_t n_pods, json_t *const *related,
			size_t n_related, size_t n, double now, json_t **out);

/*
 * calculateStatus: replicas, fullyLabeledReplicas, readyReplicas, availableReplicas
 * counted over the ReplicaSet's active pods, and the ReplicaFailure condition set
 * (FailedCreate when it had too few pods, FailedDelete when too many) from manage_err,
 * removed when manage_err is NULL; observedGeneration is left as it was. New reference.
 */
json_t *rsc_calculate_status(const json_t *rs, json_t *const *pods, size_t n,
			     const char *manage_err, double now);
/* Whether status differs from what rs shows (counts, conditions, or an older
 * observedGeneration): the PUT is worth making. */
bool rsc_status_changed(const json_t *rs, const json_t *status);

#endif /* KBPF_REPLICASET_H */

/* deployment.c — the Deployment controller, as kube-controller-manager's
 * (pkg/controller/deployment): a ReplicaSet per pod template ("<name>-<pod-template-hash>"),
 * rolled from the old ones to the new one by RollingUpdate (maxSurge, maxUnavailable) or
 * Recreate, scaled proportionally when the Deployment is scaled mid-rollout, revisions
 * and their history, pause and resume, and the status and conditions kubectl rollout
 * reads. The arithmetic is in deploy_util.c. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm.h"
#include "deploy_index.h"
#include "deploy_util.h"
#include "events.h"
#include "log.h"
#include "selector.h"
#include "util.h"

#define COMPONENT "deployment-controller"
#define DEPLOYMENTS_PATH "/apis/apps/v1/deployments"
#define REPLICASETS_PATH "/apis/apps/v1/replicasets"
#define PODS_PATH "/api/v1/pods"

/* Progressing condition reasons (deployment util's constants). */
#define NEW_RS_CREATED "NewReplicaSetCreated"
#define FOUND_NEW_RS "FoundNewReplicaSet"
#define FAILED_RS_CREATE "ReplicaSetCreateError"
#define TIMED_OUT "ProgressDeadlineExceeded"
#define PAUSED "DeploymentPaused"
#define RESUMED "DeploymentResumed"

static struct {
	struct informer *deployments;
	struct owner_index *rss, *pods;
	struct workqueue *q;
} dc;

/* One sync of one Deployment: a private copy of it (status and revision annotation are
 * rewritten as the sync goes) and the ReplicaSets it controls, oldest first. */
struct dsync {
	struct cm *cm;
	json_t *d;
	const char *key, *ns, *name;
	char uid[64]; /* a copy: s->d is replaced by each write */
	json_t **rs; /* referenced; an entry is replaced by the server's answer to a write */
	size_t n;
	int new_i;   /* the new ReplicaSet's index, -1 while there is none */
};

static void enqueue(const json_t *d)
{
	char key[512];

	cm_key(d, key, sizeof(key));
	wq_add(dc.q, key);
}

/* --- which Deployment an event is about --- */

/* The Deployment that rs's controller reference names (uid checked), referenced. */
static json_t *deployment_of(const json_t *rs)
{
	const json_t *ref = cm_controller_ref(rs);
	const char *kind = cm_str(ref, "kind", NULL), *name = cm_str(ref, "name", NULL);
	char key[512];
	json_t *d;

	if (!kind || strcmp(kind, "Deployment") || !name)
		return NULL;
	snprintf(key, sizeof(key), "%s/%s", dj_str(rs, "metadata.namespace") ?: "", name);
	d = informer_get(dc.deployments, key);
	if (d && strcmp(dj_str(d, "metadata.uid") ?: "", cm_str(ref, "uid", NULL) ?: "")) {
		json_decref(d);
		return NULL;
	}
	return d;
}

static void enqueue_owner(const json_t *rs)
{
	json_t *d = deployment_of(rs);

	if (d)
		enqueue(d);
	json_decref(d);
}

/* Whether d's selector selects labels; an empty or unparsable selector selects nothing
 * here (kube refuses to act on a Deployment that selects everything). */
static bool selects(const json_t *d, const json_t *labels)
{
	struct label_selector *sel;
	char err[256];
	bool match;

	if (label_selector_from_json(dj_get(d, "spec.selector"), &sel, err, sizeof(err)))
		return false;
	match = !label_selector_empty(sel) && label_selector_matches(sel, labels);
	label_selector_free(sel);
	return match;
}

/* An orphan ReplicaSet: every Deployment of its namespace that would adopt it. */
static void enqueue_adopters(const json_t *rs)
{
	const char *ns = dj_str(rs, "metadata.namespace") ?: "";
	json_t **all;
	size_t n = informer_list(dc.deployments, &all), i;

	for (i = 0; i < n; i++)
		if (!strcmp(dj_str(all[i], "metadata.namespace") ?: "", ns) &&
		    selects(all[i], dj_get(rs, "metadata.labels")))
			enqueue(all[i]);
	informer_list_free(all, n);
}

static void on_deployment(void *ctx, const json_t *d)
{
	(void)ctx;
	enqueue(d);
}

static void on_deployment_update(void *ctx, const json_t *old, const json_t *d)
{
	(void)ctx;
	(void)old;
	enqueue(d);
}

static void on_rs_add(void *ctx, const json_t *rs)
{
	(void)ctx;
	if (cm_controller_ref(rs))
		enqueue_owner(rs);
	else if (!cm_being_deleted(rs))
		enqueue_adopters(rs);
}

static void on_rs_update(void *ctx, const json_t *old, const json_t *rs)
{
	const json_t *old_ref = cm_controller_ref(old), *ref = cm_controller_ref(rs);

	(void)ctx;
	if (old_ref && !json_same(old_ref, ref))
		enqueue_owner(old);
	if (ref)
		enqueue_owner(rs);
	else if (old_ref ||
		 !json_same(dj_get(old, "metadata.labels"), dj_get(rs, "metadata.labels")))
		enqueue_adopters(rs);
}

static void on_rs_delete(void *ctx, const json_t *rs)
{
	(void)ctx;
	enqueue_owner(rs);
}

/* A Recreate rollout waits for the old pods to be gone: their deletions wake it. */
static void on_pod_delete(void *ctx, const json_t *pod)
{
	const json_t *ref = cm_controller_ref(pod);
	const char *kind = cm_str(ref, "kind", NULL), *name = cm_str(ref, "name", NULL);
	char key[512];
	json_t *rs, *d;

	(void)ctx;
	if (!kind || strcmp(kind, "ReplicaSet") || !name)
		return;
	snprintf(key, sizeof(key), "%s/%s", dj_str(pod, "metadata.namespace") ?: "", name);
	rs = informer_get(owner_index_informer(dc.rss), key);
	d = rs ? deployment_of(rs) : NULL;
	if (d && !deploy_is_rolling(d))
		enqueue(d);
	json_decref(d);
	json_decref(rs);
}

/* --- writes --- */

/* An API answer as an errno: conflicts and vanished objects are retried (the informer
 * brings the news meanwhile). */
static int api_err(long code, const json_t *status, const char *what, const char *name)
{
	char msg[256];

	if (code >= 200 && code < 300)
		return 0;
	if (code != 409)
		pr_warn("%s: %s %s: %s\n", COMPONENT, what, name,
			kstatus_message(status, code, msg, sizeof(msg)));
	return code == 409 ? -EAGAIN : code == 404 ? -ENOENT : code < 0 ? (int)code : -EIO;
}

static void rs_path(const struct dsync *s, const json_t *rs, char *buf, size_t len)
{
	kpath(buf, len, "apps/v1", s->ns, "replicasets", dj_str(rs, "metadata.name"), NULL);
}

/* PUT a changed copy of s->rs[i]; the answer takes its place. Steals copy. */
static int rs_put(struct dsync *s, int i, json_t *copy)
{
	char path[768];
	json_t *out = NULL;
	long code;
	int err;

	rs_path(s, copy, path, sizeof(path));
	code = kclient_put(s->cm->c, path, copy, &out);
	err = api_err(code, out, "update replicaset", dj_str(copy, "metadata.name") ?: "");
	json_decref(copy);
	if (err) {
		json_decref(out);
		return err;
	}
	json_decref(s->rs[i]);
	s->rs[i] = out;
	return 0;
}

/*
 * Write s->d's status (UpdateStatus), and first its revision annotation when that
 * changed: Kubernetes' status subresource of Deployments takes metadata too, this
 * apiserver's takes status only, hence the patch.
 */
static int write_status(struct dsync *s)
{
	const char *rev = dj_annotation(s->d, REVISION_ANNOTATION);
	json_t *cached = informer_get(dc.deployments, s->key), *out = NULL, *patch;
	const char *was = dj_annotation(cached, REVISION_ANNOTATION);
	char path[768];
	long code;
	int err;

	json_decref(cached);
	kpath(path, sizeof(path), "apps/v1", s->ns, "deployments", s->name, NULL);
	if (rev && (!was || strcmp(rev, was))) {
		/* The revision annotation's key has dots: build it rather than dj_obj it. */
		patch = json_pack("{s:{s:{s:s},s:O}}", "metadata", "annotations",
				  REVISION_ANNOTATION, rev, "resourceVersion",
				  dj_get(s->d, "metadata.resourceVersion"));
		code = kclient_patch(s->cm->c, path, "merge", patch, &out);
		json_decref(patch);
		if ((err = api_err(code, out, "annotate deployment", s->name))) {
			json_decref(out);
			return err;
		}
		json_object_set(out, "status", json_object_get(s->d, "status"));
		json_decref(s->d);
		s->d = out;
		out = NULL;
	}
	strncat(path, "/status", sizeof(path) - strlen(path) - 1);
	code = kclient_put(s->cm->c, path, s->d, &out);
	if ((err = api_err(code, out, "update deployment status", s->name))) {
		json_decref(out);
		return err;
	}
	json_decref(s->d);
	s->d = out;
	return 0;
}

/* SetDeploymentRevision: true when the annotation changed. */
static bool set_deployment_revision(struct dsync *s, const char *rev)
{
	return rev && set_annotation(s->d, REVISION_ANNOTATION, rev);
}

/* --- the ReplicaSets of a Deployment --- */

static json_t *controller_ref_of(const struct dsync *s)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:b,s:b}", "apiVersion", "apps/v1", "kind",
			 "Deployment", "name", s->name, "uid", s->uid, "controller", 1,
			 "blockOwnerDeletion", 1);
}

/* Adopt an orphan (add our controller reference) or release a ReplicaSet that no longer
 * matches (drop it), as the ControllerRefManager does; the answer, or NULL. */
static json_t *patch_owner(struct dsync *s, const json_t *rs, bool adopt)
{
	const json_t *refs = dj_get(rs, "metadata.ownerReferences"), *r;
	json_t *keep = json_array(), *patch, *out = NULL;
	char path[768];
	size_t i;
	long code;

	json_array_foreach(refs, i, r)
		if (strcmp(cm_str(r, "uid", NULL) ?: "", s->uid))
			json_array_append(keep, (json_t *)r);
	if (adopt)
		json_array_append_new(keep, controller_ref_of(s));
	/* uid and resourceVersion: the very object we looked at, or a conflict. */
	patch = json_pack("{s:{s:o,s:O,s:O}}", "metadata", "ownerReferences", keep, "uid",
			  dj_get(rs, "metadata.uid"), "resourceVersion",
			  dj_get(rs, "metadata.resourceVersion"));
	rs_path(s, rs, path, sizeof(path));
	code = kclient_patch(s->cm->c, path, "merge", patch, &out);
	json_decref(patch);
	if (api_err(code, out, adopt ? "adopt replicaset" : "release replicaset",
		    dj_str(rs, "metadata.name") ?: "")) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* getReplicaSetsForDeployment: the ReplicaSets of the namespace that d controls and
 * selects, orphans it selects adopted, the ones it no longer selects released. sync_one
 * has checked that the selector parses and is not empty. */
static int claim_replicasets(struct dsync *s)
{
	bool deleting = cm_being_deleted(s->d);
	struct label_selector *sel;
	json_t **all;
	size_t n, i;

	if (label_selector_from_json(dj_get(s->d, "spec.selector"), &sel, NULL, 0))
		return -EINVAL;
	n = owner_index_in_namespace(dc.rss, s->ns, &all);
	s->rs = calloc(n ? n : 1, sizeof(*s->rs));
	if (!s->rs) {
		informer_list_free(all, n);
		label_selector_free(sel);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		const json_t *ref = cm_controller_ref(all[i]);
		bool match = label_selector_matches(sel, dj_get(all[i], "metadata.labels"));
		json_t *claimed = NULL;

		if (ref && strcmp(cm_str(ref, "uid", NULL) ?: "", s->uid))
			continue;
		if (ref && match)
			claimed = json_incref(all[i]);
		else if (ref && !deleting)
			json_decref(patch_owner(s, all[i], false));
		else if (!ref && match && !deleting && !cm_being_deleted(all[i]))
			claimed = patch_owner(s, all[i], true);
		if (claimed)
			s->rs[s->n++] = claimed;
	}
	informer_list_free(all, n);
	label_selector_free(sel);
	rs_sort_by_creation(s->rs, s->n, false);
	return 0;
}

static json_t *new_rs(const struct dsync *s)
{
	return s->new_i >= 0 ? s->rs[s->new_i] : NULL;
}

static long long replicas_of(const json_t *obj)
{
	return dj_int(obj, "spec.replicas", 1);
}

static long long d_replicas(const struct dsync *s)
{
	return replicas_of(s->d);
}

/* The old ReplicaSets (all but the new one) into out (room for s->n); active: only those
 * with replicas wanted. */
static size_t old_rss(const struct dsync *s, json_t **out, bool active)
{
	size_t i, n = 0;

	for (i = 0; i < s->n; i++)
		if ((int)i != s->new_i && (!active || replicas_of(s->rs[i]) > 0))
			out[n++] = s->rs[i];
	return n;
}

static int index_of(const struct dsync *s, const json_t *rs)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->rs[i] == rs)
			return (int)i;
	return -1;
}

/* --- scaling --- */

/* scaleReplicaSet: set the size and the desired-/max-replicas annotations; an event when
 * the size changed. *scaled (may be NULL) tells whether it did. */
static int scale_rs(struct dsync *s, int i, long long to, const char *op, bool *scaled)
{
	int desired = (int)d_replicas(s), max = desired + deploy_max_surge(s->d);
	long long from = replicas_of(s->rs[i]);
	char name[256];
	json_t *copy;
	int err;

	if (scaled)
		*scaled = false;
	if (from == to && !replicas_annotations_need_update(s->rs[i], desired, max))
		return 0;
	copy = json_deep_copy(s->rs[i]);
	json_object_set_new(dj_obj(copy, "spec"), "replicas", json_integer(to));
	set_replicas_annotations(copy, desired, max);
	snprintf(name, sizeof(name), "%s", dj_str(copy, "metadata.name") ?: "");
	err = rs_put(s, i, copy);
	if (err || from == to)
		return err;
	if (scaled)
		*scaled = true;
	event_record(s->cm->c, COMPONENT, NULL, s->d, "Normal", "ScalingReplicaSet",
		     "Scaled %s replica set %s from %lld to %lld", op, name, from, to);
	return 0;
}

/* scaleReplicaSetAndRecordEvent. */
static int scale_rs_to(struct dsync *s, int i, long long to, bool *scaled)
{
	long long from = replicas_of(s->rs[i]);

	if (scaled)
		*scaled = false;
	if (from == to)
		return 0;
	return scale_rs(s, i, to, from < to ? "up" : "down", scaled);
}

/* --- the new ReplicaSet and revisions --- */

static long long max_old_revision(const struct dsync *s)
{
	long long max = 0;
	size_t i;

	for (i = 0; i < s->n; i++)
		if ((int)i != s->new_i && rs_revision(s->rs[i]) > max)
			max = rs_revision(s->rs[i]);
	return max;
}

static void find_new_rs(struct dsync *s)
{
	size_t i;

	s->new_i = -1;
	for (i = 0; i < s->n && s->new_i < 0; i++)
		if (templates_equal_ignore_hash(dj_get(s->rs[i], "spec.template"),
						dj_get(s->d, "spec.template")))
			s->new_i = (int)i;
}

static void set_progressing(struct dsync *s, const char *status, const char *reason,
			    const char *fmt, const char *rs_name)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, rs_name);
	condition_set(dj_obj(s->d, "status"),
		      new_condition("Progressing", status, reason, msg, true));
}

/* An existing new ReplicaSet: bring its revision and minReadySeconds up to date, and the
 * Deployment's revision to its. */
static int sync_existing_new_rs(struct dsync *s, long long rev)
{
	json_t *copy = json_deep_copy(new_rs(s));
	long long min_ready = dj_int(s->d, "spec.minReadySeconds", 0);
	bool changed = set_new_rs_annotations(s->d, copy, rev, true), update;

	if (changed || dj_int(copy, "spec.minReadySeconds", 0) != min_ready) {
		json_object_set_new(dj_obj(copy, "spec"), "minReadySeconds",
				    json_integer(min_ready));
		return rs_put(s, s->new_i, copy);
	}
	json_decref(copy);
	update = set_deployment_revision(s, dj_annotation(new_rs(s), REVISION_ANNOTATION));
	if (deploy_has_progress_deadline(s->d) &&
	    !status_condition(json_object_get(s->d, "status"), "Progressing")) {
		set_progressing(s, "True", FOUND_NEW_RS, "Found new replica set \"%s\"",
				dj_str(new_rs(s), "metadata.name"));
		update = true;
	}
	return update ? write_status(s) : 0;
}

/* The ReplicaSet of d's template as the controller creates it (replicas not yet set). */
static json_t *build_new_rs(const struct dsync *s, char *name, size_t len)
{
	json_t *tmpl = json_deep_copy(dj_get(s->d, "spec.template"));
	json_t *sel = json_deep_copy(dj_get(s->d, "spec.selector")), *rs;
	char hash[16];

	pod_template_hash(tmpl, dj_get(s->d, "status.collisionCount"), hash, sizeof(hash));
	json_object_set_new(dj_obj(tmpl, "metadata.labels"), POD_TEMPLATE_HASH_LABEL,
			    json_string(hash));
	json_object_set_new(dj_obj(sel, "matchLabels"), POD_TEMPLATE_HASH_LABEL,
			    json_string(hash));
	snprintf(name, len, "%s-%s", s->name, hash);
	rs = json_pack("{s:s,s:s,s:{s:s,s:s,s:O,s:[o]},s:{s:i,s:I,s:o,s:o}}", "apiVersion",
		       "apps/v1", "kind", "ReplicaSet", "metadata", "name", name, "namespace",
		       s->ns, "labels", dj_get(tmpl, "metadata.labels"), "ownerReferences",
		       controller_ref_of(s), "spec", "replicas", 0, "minReadySeconds",
		       (json_int_t)dj_int(s->d, "spec.minReadySeconds", 0), "selector", sel,
		       "template", tmpl);
	return rs;
}

/* A name taken: ours already (a lagging cache, a restart) or a hash collision, which
 * bumps collisionCount so that the next hash differs. The ReplicaSet when ours. */
static json_t *name_taken(struct dsync *s, const char *name, int *err)
{
	char path[768];
	json_t *cur = NULL, *st;
	long code;

	kpath(path, sizeof(path), "apps/v1", s->ns, "replicasets", name, NULL);
	code = kclient_get(s->cm->c, path, &cur);
	if (code == 200 &&
	    !strcmp(cm_str(cm_controller_ref(cur), "uid", NULL) ?: "", s->uid) &&
	    templates_equal_ignore_hash(dj_get(cur, "spec.template"),
					dj_get(s->d, "spec.template")))
		return cur;
	json_decref(cur);
	st = dj_obj(s->d, "status");
	json_object_set_new(st, "collisionCount",
			    json_integer(dj_int(st, "collisionCount", 0) + 1));
	pr_info("%s: %s/%s: hash collision on replicaset %s, collisionCount %lld\n", COMPONENT,
		s->ns, s->name, name, dj_int(st, "collisionCount", 0));
	*err = write_status(s) ?: -EEXIST;
	return NULL;
}

static int append_rs(struct dsync *s, json_t *rs)
{
	json_t **more = realloc(s->rs, (s->n + 1) * sizeof(*s->rs));

	if (!more) {
		json_decref(rs);
		return -ENOMEM;
	}
	s->rs = more;
	s->new_i = (int)s->n;
	s->rs[s->n++] = rs;
	return 0;
}

static int create_new_rs(struct dsync *s, long long rev)
{
	char name[300], path[768], revs[24];
	json_t *rs = build_new_rs(s, name, sizeof(name)), *out = NULL;
	json_t **all = calloc(s->n + 1, sizeof(*all));
	bool exists = false, update;
	int replicas, err = 0;
	long code;

	if (!all) {
		json_decref(rs);
		return -ENOMEM;
	}
	memcpy(all, s->rs, s->n * sizeof(*all));
	all[s->n] = rs;
	replicas = new_rs_new_replicas(s->d, all, s->n + 1, rs);
	free(all);
	json_object_set_new(json_object_get(rs, "spec"), "replicas", json_integer(replicas));
	set_new_rs_annotations(s->d, rs, rev, false);
	kpath(path, sizeof(path), "apps/v1", s->ns, "replicasets", NULL, NULL);
	code = kclient_post(s->cm->c, path, rs, &out);
	json_decref(rs);
	if (code == 409) {
		json_decref(out);
		out = name_taken(s, name, &err);
		if (!out)
			return err;
		exists = true;
	} else if (code < 200 || code >= 300) {
		char msg[512], why[256];

		snprintf(msg, sizeof(msg), "Failed to create new replica set \"%s\": %s", name,
			 kstatus_message(out, code, why, sizeof(why)));
		json_decref(out);
		event_record(s->cm->c, COMPONENT, NULL, s->d, "Warning", FAILED_RS_CREATE, "%s",
			     msg);
		if (deploy_has_progress_deadline(s->d)) {
			set_progressing(s, "False", FAILED_RS_CREATE, "%s", msg);
			write_status(s);
		}
		return code < 0 ? (int)code : -EIO;
	}
	if (!exists && replicas > 0)
		event_record(s->cm->c, COMPONENT, NULL, s->d, "Normal", "ScalingReplicaSet",
			     "Scaled up replica set %s from 0 to %d", name, replicas);
	if ((err = append_rs(s, out)))
		return err;
	snprintf(revs, sizeof(revs), "%lld", rev);
	update = set_deployment_revision(s, revs);
	if (!exists && deploy_has_progress_deadline(s->d)) {
		set_progressing(s, "True", NEW_RS_CREATED, "Created new replica set \"%s\"", name);
		update = true;
	}
	return update ? write_status(s) : 0;
}

/* getAllReplicaSetsAndSyncRevision: find the new ReplicaSet, sync its revision, create
 * it when asked to and there is none. */
static int sync_revision(struct dsync *s, bool create)
{
	long long rev;

	find_new_rs(s);
	rev = max_old_revision(s) + 1;
	if (s->new_i >= 0)
		return sync_existing_new_rs(s, rev);
	return create ? create_new_rs(s, rev) : 0;
}

/* --- status --- */

static json_t *calculate_status(const struct dsync *s)
{
	return deploy_calculate_status(s->d, s->rs, s->n, new_rs(s));
}

/* Write st (stolen) as the status when it differs. */
static int put_status(struct dsync *s, json_t *st)
{
	if (json_same(json_object_get(s->d, "status"), st)) {
		json_decref(st);
		return 0;
	}
	json_object_set_new(s->d, "status", st);
	return write_status(s);
}

/* requeueStuckDeployment: come back when the progress deadline passes. */
static void requeue_stuck(const struct dsync *s, const json_t *st)
{
	const json_t *c = status_condition(st, "Progressing");
	double after;

	if (!deploy_has_progress_deadline(s->d) || !c || deploy_complete(s->d, st) ||
	    !strcmp(cm_str(c, "reason", NULL) ?: "", TIMED_OUT))
		return;
	after = cm_time(cm_str(c, "lastUpdateTime", NULL)) +
		(double)dj_int(s->d, "spec.progressDeadlineSeconds", 600) - cm_time_now();
	if (isnan(after))
		return;
	wq_add_after(dc.q, s->key, after < 0.1 ? 100 : (int)(after * 1000) + 100);
}

/* syncRolloutStatus. */
static int sync_rollout_status(struct dsync *s)
{
	json_t *st = calculate_status(s);

	deploy_rollout_conditions(s->d, st, s->rs, s->n, new_rs(s), cm_time_now());
	if (json_same(json_object_get(s->d, "status"), st)) {
		requeue_stuck(s, st);
		json_decref(st);
		return 0;
	}
	return put_status(s, st);
}

/* checkPausedConditions: Progressing Unknown while paused, and once resumed (which
 * restarts the progress deadline). */
static int check_paused_conditions(struct dsync *s)
{
	const json_t *c = status_condition(json_object_get(s->d, "status"), "Progressing");
	const char *reason = cm_str(c, "reason", NULL) ?: "";
	bool paused = json_is_true(dj_get(s->d, "spec.paused"));
	bool was_paused = !strcmp(reason, PAUSED);

	if (!deploy_has_progress_deadline(s->d) || !strcmp(reason, TIMED_OUT))
		return 0;
	if (paused && !was_paused)
		set_progressing(s, "Unknown", PAUSED, "Deployment is paused%s", "");
	else if (!paused && was_paused)
		set_progressing(s, "Unknown", RESUMED, "Deployment is resumed%s", "");
	else
		return 0;
	return write_status(s);
}

/* --- cleanup of old revisions --- */

/* cleanupDeployment: delete the oldest ReplicaSets beyond revisionHistoryLimit, those
 * scaled to zero and settled only. */
static int cleanup_old(struct dsync *s)
{
	json_t **old = calloc(s->n ? s->n : 1, sizeof(*old));
	long long limit = dj_int(s->d, "spec.revisionHistoryLimit", -1);
	size_t n = 0, i;
	long long diff;
	char path[768];

	if (!old)
		return -ENOMEM;
	for (i = 0; i < s->n; i++)
		if ((int)i != s->new_i && !cm_being_deleted(s->rs[i]))
			old[n++] = s->rs[i];
	diff = limit < 0 ? 0 : (long long)n - limit;
	rs_sort_by_revision(old, n);
	for (i = 0; (long long)i < diff; i++) {
		const json_t *rs = old[i];
		json_t *out = NULL;
		long code;

		if (dj_int(rs, "status.replicas", 0) || replicas_of(rs) ||
		    dj_int(rs, "metadata.generation", 0) >
			    dj_int(rs, "status.observedGeneration", 0))
			continue;
		rs_path(s, rs, path, sizeof(path));
		pr_info("%s: %s/%s: deleting old replicaset %s\n", COMPONENT, s->ns, s->name,
			dj_str(rs, "metadata.name"));
		code = kclient_delete(s->cm->c, path, NULL, &out);
		if (code != 404)
			api_err(code, out, "delete replicaset", dj_str(rs, "metadata.name") ?: "");
		json_decref(out);
	}
	free(old);
	return 0;
}

/* --- scaling a Deployment (not a rollout) --- */

/* FindActiveOrLatest: the one ReplicaSet with replicas (or, with none, the new one or the
 * newest old one); NULL with several. */
static json_t *active_or_latest(const struct dsync *s)
{
	json_t *active = NULL, *newest_old = NULL;
	size_t i, n = 0;

	for (i = 0; i < s->n; i++) {
		if (replicas_of(s->rs[i]) > 0) {
			active = s->rs[i];
			n++;
		}
		if ((int)i != s->new_i)
			newest_old = s->rs[i]; /* oldest first: the last is the newest */
	}
	if (n == 1)
		return active;
	if (n > 1)
		return NULL;
	return new_rs(s) ?: newest_old;
}

/* scale: a Deployment resized mid-rollout shares the change among its active ReplicaSets
 * by size (GetProportion), the leftover to the largest. */
static int scale_deployment(struct dsync *s)
{
	json_t *one = active_or_latest(s), **act;
	int allowed, to_add, added = 0, err = 0, *sizes;
	size_t n, i;

	if (one)
		return scale_rs_to(s, index_of(s, one), d_replicas(s), NULL);
	if (deploy_is_saturated(s->d, new_rs(s))) {
		for (i = 0; i < s->n && !err; i++)
			if ((int)i != s->new_i && replicas_of(s->rs[i]) > 0)
				err = scale_rs_to(s, (int)i, 0, NULL);
		return err;
	}
	if (!deploy_is_rolling(s->d))
		return 0;
	act = calloc(s->n + 1, sizeof(*act));
	sizes = calloc(s->n + 1, sizeof(*sizes));
	if (!act || !sizes) {
		free(act);
		free(sizes);
		return -ENOMEM;
	}
	n = old_rss(s, act, true);
	if (new_rs(s) && replicas_of(new_rs(s)) > 0)
		act[n++] = new_rs(s);
	allowed = d_replicas(s) > 0 ? (int)d_replicas(s) + deploy_max_surge(s->d) : 0;
	to_add = allowed - rs_sum(act, n, "spec.replicas");
	if (to_add)
		rs_sort_by_size(act, n, to_add > 0);
	for (i = 0; i < n; i++) {
		int p = rs_proportion(act[i], s->d, to_add, added);

		sizes[i] = (int)replicas_of(act[i]) + p;
		added += p;
	}
	if (n && to_add) {
		sizes[0] += to_add - added;
		if (sizes[0] < 0)
			sizes[0] = 0;
	}
	for (i = 0; i < n && !err; i++)
		err = scale_rs(s, index_of(s, act[i]), sizes[i],
			       to_add > 0 ? "up" : to_add < 0 ? "down" : "", NULL);
	free(act);
	free(sizes);
	return err;
}

/* sync: for paused Deployments and scaling events. */
static int sync_scale(struct dsync *s)
{
	int err = sync_revision(s, false);

	if (!err)
		err = scale_deployment(s);
	if (!err && json_is_true(dj_get(s->d, "spec.paused")))
		err = cleanup_old(s);
	if (!err)
		err = put_status(s, calculate_status(s));
	return err;
}

/* isScalingEvent: an active ReplicaSet was sized for another spec.replicas. */
static bool is_scaling_event(const struct dsync *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		const char *a = dj_annotation(s->rs[i], DESIRED_REPLICAS_ANNOTATION);
		char *end;
		long long desired;

		if (replicas_of(s->rs[i]) <= 0 || !a)
			continue;
		desired = strtoll(a, &end, 10);
		if (*a && !*end && desired != d_replicas(s))
			return true;
	}
	return false;
}

/* --- rollouts --- */

/* reconcileOldReplicaSets' first step: scale down the old ReplicaSets' unavailable pods,
 * oldest ReplicaSet first, up to max. */
static int cleanup_unhealthy(struct dsync *s, long long max, long long *done)
{
	size_t i;
	int err;

	*done = 0;
	for (i = 0; i < s->n && *done < max; i++) {
		long long spec = replicas_of(s->rs[i]);
		long long avail = dj_int(s->rs[i], "status.availableReplicas", 0), down;

		if ((int)i == s->new_i || spec == 0 || spec == avail)
			continue;
		down = spec - avail < max - *done ? spec - avail : max - *done;
		if (down <= 0)
			continue;
		if ((err = scale_rs_to(s, (int)i, spec - down, NULL)))
			return err;
		*done += down;
	}
	return 0;
}

/* scaleDownOldReplicaSetsForRollingUpdate: as far as the available pods stay at
 * spec.replicas - maxUnavailable, oldest first. */
static int scale_down_old(struct dsync *s, long long *done)
{
	long long min_available = d_replicas(s) - deploy_max_unavailable(s->d);
	long long available = rs_sum(s->rs, s->n, "status.availableReplicas"), total;
	size_t i;
	int err;

	*done = 0;
	if (available <= min_available)
		return 0;
	total = available - min_available;
	for (i = 0; i < s->n && *done < total; i++) {
		long long spec = replicas_of(s->rs[i]), down;

		if ((int)i == s->new_i || spec == 0)
			continue;
		down = spec < total - *done ? spec : total - *done;
		if ((err = scale_rs_to(s, (int)i, spec - down, NULL)))
			return err;
		*done += down;
	}
	return 0;
}

static int reconcile_old(struct dsync *s, bool *scaled)
{
	json_t **old = calloc(s->n ? s->n : 1, sizeof(*old));
	long long old_pods, all_pods, max_down, cleaned = 0, down = 0;
	const json_t *nrs = new_rs(s);
	int err;

	*scaled = false;
	if (!old)
		return -ENOMEM;
	old_pods = rs_sum(old, old_rss(s, old, true), "spec.replicas");
	free(old);
	if (old_pods == 0)
		return 0;
	all_pods = rs_sum(s->rs, s->n, "spec.replicas");
	/* Room for scaling down: the pods beyond the minimum available, less the new
	 * ReplicaSet's unavailable ones (they may never come up). */
	max_down = all_pods - (d_replicas(s) - deploy_max_unavailable(s->d)) -
		   (replicas_of(nrs) - dj_int(nrs, "status.availableReplicas", 0));
	if (max_down <= 0)
		return 0;
	err = cleanup_unhealthy(s, max_down, &cleaned);
	if (!err)
		err = scale_down_old(s, &down);
	*scaled = cleaned + down > 0;
	return err;
}

/* reconcileNewReplicaSet. */
static int reconcile_new(struct dsync *s, bool *scaled)
{
	long long want = d_replicas(s), cur = replicas_of(new_rs(s));

	*scaled = false;
	if (cur == want)
		return 0;
	if (cur < want)
		want = new_rs_new_replicas(s->d, s->rs, s->n, new_rs(s));
	return scale_rs_to(s, s->new_i, want, scaled);
}

static bool complete(const struct dsync *s)
{
	return deploy_complete(s->d, json_object_get(s->d, "status"));
}

static int rollout_rolling(struct dsync *s)
{
	bool scaled = false;
	int err = sync_revision(s, true);

	if (!err && s->new_i < 0)
		err = -EAGAIN;
	if (!err)
		err = reconcile_new(s, &scaled);
	if (!err && !scaled)
		err = reconcile_old(s, &scaled);
	if (!err && !scaled && complete(s))
		err = cleanup_old(s);
	return err ?: sync_rollout_status(s);
}

/* oldPodsRunning: pods of the old ReplicaSets not yet gone (terminal ones are). */
static bool old_pods_running(const struct dsync *s)
{
	bool running = false;
	size_t i, j;

	for (i = 0; i < s->n && !running; i++) {
		json_t **pods;
		size_t n;

		if ((int)i == s->new_i)
			continue;
		if (dj_int(s->rs[i], "status.replicas", 0) > 0)
			return true;
		n = owner_index_owned(dc.pods, dj_str(s->rs[i], "metadata.uid") ?: "", &pods);
		for (j = 0; j < n; j++)
			if (!cm_pod_terminal(pods[j]))
				running = true;
		informer_list_free(pods, n);
	}
	return running;
}

static int rollout_recreate(struct dsync *s)
{
	bool scaled = false;
	size_t i;
	int err = sync_revision(s, false);

	for (i = 0; i < s->n && !err; i++) {
		bool one;

		if ((int)i != s->new_i && replicas_of(s->rs[i]) > 0) {
			err = scale_rs_to(s, (int)i, 0, &one);
			scaled |= one;
		}
	}
	if (err || scaled || old_pods_running(s))
		return err ?: sync_rollout_status(s);
	if (s->new_i < 0 && (err = sync_revision(s, true)))
		return err;
	if (s->new_i < 0)
		return -EAGAIN;
	if ((err = scale_rs_to(s, s->new_i, d_replicas(s), NULL)))
		return err;
	if (complete(s) && (err = cleanup_old(s)))
		return err;
	return sync_rollout_status(s);
}

/* --- the sync --- */

/* A Deployment this controller cannot act on: say why, once per generation. */
static int refuse(struct dsync *s, const char *reason, const char *msg)
{
	long long gen = dj_int(s->d, "metadata.generation", 0);

	if (dj_int(s->d, "status.observedGeneration", 0) >= gen)
		return 0;
	event_record(s->cm->c, COMPONENT, NULL, s->d, "Warning", reason, "%s", msg);
	json_object_set_new(dj_obj(s->d, "status"), "observedGeneration", json_integer(gen));
	return write_status(s);
}

static int sync_one(struct dsync *s)
{
	const json_t *ru = dj_get(s->d, "spec.strategy.rollingUpdate");
	struct label_selector *sel;
	char why[256], msg[300];
	int surge, unavailable, err;
	bool empty;

	if (label_selector_from_json(dj_get(s->d, "spec.selector"), &sel, why, sizeof(why))) {
		snprintf(msg, sizeof(msg), "Invalid selector: %s", why);
		return refuse(s, "InvalidSelector", msg);
	}
	empty = label_selector_empty(sel);
	label_selector_free(sel);
	if (empty)
		return refuse(s, "SelectingAll",
			      "This deployment is selecting all pods. A non-empty selector is "
			      "required.");
	/* A cluster's apiserver refuses these (so does kbpf-apiserver): a guard only. */
	if (deploy_is_rolling(s->d) &&
	    resolve_fenceposts(json_object_get(ru, "maxSurge"),
			       json_object_get(ru, "maxUnavailable"), (int)d_replicas(s), &surge,
			       &unavailable))
		return refuse(s, "InvalidStrategy",
			      "spec.strategy.rollingUpdate: maxSurge and maxUnavailable must be "
			      "integers or percentages (\"25%\")");
	if ((err = claim_replicasets(s)))
		return err;
	if (cm_being_deleted(s->d)) {
		if ((err = sync_revision(s, false)))
			return err;
		return put_status(s, calculate_status(s));
	}
	if ((err = check_paused_conditions(s)))
		return err;
	if (json_is_true(dj_get(s->d, "spec.paused")))
		return sync_scale(s);
	find_new_rs(s);
	if (is_scaling_event(s))
		return sync_scale(s);
	return deploy_is_rolling(s->d) ? rollout_rolling(s) : rollout_recreate(s);
}

static int sync_deployment(struct cm *cm, const char *key)
{
	json_t *cached = informer_get(dc.deployments, key);
	char ns[256], name[256];
	struct dsync s = { .cm = cm, .key = key, .new_i = -1 };
	size_t i;
	int err;

	if (!cached)
		return 0; /* deleted: its ReplicaSets go with it (garbage collector) */
	cm_split_key(key, ns, sizeof(ns), name, sizeof(name));
	s.ns = ns;
	s.name = name;
	s.d = json_deep_copy(cached);
	json_decref(cached);
	snprintf(s.uid, sizeof(s.uid), "%s", dj_str(s.d, "metadata.uid") ?: "");
	err = sync_one(&s);
	for (i = 0; i < s.n; i++)
		json_decref(s.rs[i]);
	free(s.rs);
	json_decref(s.d);
	return err;
}

/* --- the controller --- */

static int deployment_init(struct cm *cm)
{
	struct informer_handlers dh = { .add = on_deployment, .update = on_deployment_update,
					.del = on_deployment };
	struct informer_handlers rh = { .add = on_rs_add, .update = on_rs_update,
					.del = on_rs_delete };
	struct informer_handlers ph = { .del = on_pod_delete };

	dc.deployments = cm_informer(cm, DEPLOYMENTS_PATH);
	/* The indexes first: their handlers run before ours and see each change first. */
	dc.rss = owner_index_get(cm, REPLICASETS_PATH);
	dc.pods = owner_index_get(cm, PODS_PATH);
	dc.q = wq_new();
	if (!dc.deployments || !dc.rss || !dc.pods || !dc.q)
		return -ENOMEM;
	if (informer_add_handlers(dc.deployments, &dh) ||
	    informer_add_handlers(owner_index_informer(dc.rss), &rh) ||
	    informer_add_handlers(owner_index_informer(dc.pods), &ph))
		return -ENOSPC;
	return 0;
}

static int deployment_run(struct cm *cm)
{
	return cm_run_workers(cm, dc.q, cm->workers, sync_deployment, "deployment");
}

const struct controller deployment_controller = {
	.name = "deployment",
	.init = deployment_init,
	.run = deployment_run,
};

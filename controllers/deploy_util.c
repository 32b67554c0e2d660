/* deploy_util.c — the arithmetic of ReplicaSets and Deployments, as kube-controller-manager
 * does it (see deploy_util.h). */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm.h"
#include "deploy_util.h"

const json_t *dj_get(const json_t *obj, const char *path)
{
	char key[128];

	while (obj && *path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = 0;
		obj = json_object_get(obj, key);
		path += n + (dot ? 1 : 0);
	}
	return obj;
}

long long dj_int(const json_t *obj, const char *path, long long dflt)
{
	const json_t *v = dj_get(obj, path);

	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

const char *dj_str(const json_t *obj, const char *path)
{
	return json_string_value(dj_get(obj, path));
}

json_t *dj_obj(json_t *obj, const char *path)
{
	char key[128];

	while (*path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);
		json_t *next;

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = 0;
		next = json_object_get(obj, key);
		if (!json_is_object(next)) {
			next = json_object();
			json_object_set_new(obj, key, next);
		}
		obj = next;
		path += n + (dot ? 1 : 0);
	}
	return obj;
}

/* Go's zero time ("no time") is 0 here: the comparisons below treat it apart. */
static double time_or_zero(const char *rfc3339)
{
	double t = cm_time(rfc3339);

	return isnan(t) ? 0 : t;
}

/* --- rolling-update fenceposts --- */

int intstr_scaled(const json_t *v, int total, bool round_up, int *out)
{
	const char *s;
	char *end;
	long pct;
	double x;

	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		*out = (int)json_integer_value(v);
		return 0;
	}
	s = json_string_value(v);
	if (!s || !*s || s[strlen(s) - 1] != '%')
		return -EINVAL;
	pct = strtol(s, &end, 10);
	if (end == s || *end != '%' || end[1])
		return -EINVAL;
	x = (double)pct * total / 100.0;
	*out = (int)(round_up ? ceil(x) : floor(x));
	return 0;
}

int resolve_fenceposts(const json_t *max_surge, const json_t *max_unavailable, int desired,
		       int *surge, int *unavailable)
{
	int err = intstr_scaled(max_surge, desired, true, surge);

	if (!err)
		err = intstr_scaled(max_unavailable, desired, false, unavailable);
	if (err)
		return err;
	if (*surge == 0 && *unavailable == 0)
		*unavailable = 1;
	return 0;
}

bool deploy_is_rolling(const json_t *d)
{
	const char *t = dj_str(d, "spec.strategy.type");

	return !t || !strcmp(t, "RollingUpdate");
}

static int fenceposts_of(const json_t *d, int *surge, int *unavailable)
{
	const json_t *ru = dj_get(d, "spec.strategy.rollingUpdate");

	return resolve_fenceposts(json_object_get(ru, "maxSurge"),
				  json_object_get(ru, "maxUnavailable"),
				  (int)dj_int(d, "spec.replicas", 1), surge, unavailable);
}

int deploy_max_surge(const json_t *d)
{
	int surge, unavailable;

	if (!deploy_is_rolling(d) || fenceposts_of(d, &surge, &unavailable))
		return 0;
	return surge;
}

int deploy_max_unavailable(const json_t *d)
{
	int replicas = (int)dj_int(d, "spec.replicas", 1), surge, unavailable;

	if (!deploy_is_rolling(d) || replicas == 0 || fenceposts_of(d, &surge, &unavailable))
		return 0;
	return unavailable > replicas ? replicas : unavailable;
}

bool deploy_has_progress_deadline(const json_t *d)
{
	const json_t *v = dj_get(d, "spec.progressDeadlineSeconds");

	return json_is_integer(v) && json_integer_value(v) != INT32_MAX;
}

/* --- the pod-template hash --- */

/* Drop nulls everywhere: Go's zero values (a template's "creationTimestamp": null) are
 * absent in the typed objects kube hashes and compares. */
static void strip_nulls(json_t *v)
{
	const char *k;
	json_t *x;
	void *tmp;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach_safe(v, tmp, k, x) {
			if (json_is_null(x))
				json_object_del(v, k);
			else
				strip_nulls(x);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			strip_nulls(x);
	}
}

static uint32_t fnv32a(uint32_t h, const void *data, size_t n)
{
	const unsigned char *p = data;

	while (n--) {
		h ^= *p++;
		h *= 16777619u;
	}
	return h;
}

void safe_encode_string(const char *in, char *out, size_t len)
{
	static const char alphanums[] = "bcdfghjklmnpqrstvwxz2456789";
	size_t i;

	if (!len)
		return;
	for (i = 0; in[i] && i + 1 < len; i++)
		out[i] = alphanums[(unsigned char)in[i] % (sizeof(alphanums) - 1)];
	out[i] = 0;
}

void pod_template_hash(const json_t *tmpl, const json_t *collision_count, char *buf,
		       size_t len)
{
	json_t *copy = json_deep_copy(tmpl);
	uint32_t h = 2166136261u;
	char *s, dec[16];

	strip_nulls(copy);
	s = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	if (s)
		h = fnv32a(h, s, strlen(s));
	if (json_is_integer(collision_count)) {
		uint32_t cc = (uint32_t)json_integer_value(collision_count);
		unsigned char b[8] = { cc, cc >> 8, cc >> 16, cc >> 24, 0, 0, 0, 0 };

		h = fnv32a(h, b, sizeof(b));
	}
	snprintf(dec, sizeof(dec), "%u", h);
	safe_encode_string(dec, buf, len);
	free(s);
	json_decref(copy);
}

static json_t *template_for_compare(const json_t *t)
{
	json_t *c = json_deep_copy(t), *labels;

	if (!c)
		return NULL;
	strip_nulls(c);
	labels = json_object_get(json_object_get(c, "metadata"), "labels");
	json_object_del(labels, POD_TEMPLATE_HASH_LABEL);
	/* An empty map and no map are the same to kube's semantic equality. */
	if (labels && !json_object_size(labels))
		json_object_del(json_object_get(c, "metadata"), "labels");
	if (!json_object_size(json_object_get(json_object_get(c, "metadata"), "annotations")))
		json_object_del(json_object_get(c, "metadata"), "annotations");
	if (!json_object_size(json_object_get(c, "metadata")))
		json_object_del(c, "metadata");
	return c;
}

bool templates_equal_ignore_hash(const json_t *a, const json_t *b)
{
	json_t *x = template_for_compare(a), *y = template_for_compare(b);
	bool eq = x && y && json_equal(x, y);

	json_decref(x);
	json_decref(y);
	return eq;
}

/* --- revisions and annotations --- */

static bool parse_ll(const char *s, long long *out)
{
	char *end;

	if (!s || !*s)
		return false;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return !*end && !errno;
}

const char *dj_annotation(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(dj_get(obj, "metadata.annotations"), key));
}

long long rs_revision(const json_t *rs)
{
	long long v;

	return parse_ll(dj_annotation(rs, REVISION_ANNOTATION), &v) ? v : 0;
}

bool set_annotation(json_t *obj, const char *key, const char *value)
{
	json_t *ann = dj_obj(obj, "metadata.annotations");
	const char *cur = json_string_value(json_object_get(ann, key));

	if (cur && !strcmp(cur, value))
		return false;
	json_object_set_new(ann, key, json_string(value));
	return true;
}

bool skip_copy_annotation(const char *key)
{
	static const char *const skip[] = {
		"kubectl.kubernetes.io/last-applied-configuration", REVISION_ANNOTATION,
		REVISION_HISTORY_ANNOTATION, DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION,
		"deprecated.deployment.rollback.to", NULL
	};
	const char *const *s;

	for (s = skip; *s; s++)
		if (!strcmp(*s, key))
			return true;
	return false;
}

bool set_replicas_annotations(json_t *rs, int desired, int max)
{
	char a[16], b[16];
	bool changed;

	snprintf(a, sizeof(a), "%d", desired);
	snprintf(b, sizeof(b), "%d", max);
	changed = set_annotation(rs, DESIRED_REPLICAS_ANNOTATION, a);
	return set_annotation(rs, MAX_REPLICAS_ANNOTATION, b) || changed;
}

bool replicas_annotations_need_update(const json_t *rs, int desired, int max)
{
	const char *a = dj_annotation(rs, DESIRED_REPLICAS_ANNOTATION);
	const char *b = dj_annotation(rs, MAX_REPLICAS_ANNOTATION);
	char x[16], y[16];

	snprintf(x, sizeof(x), "%d", desired);
	snprintf(y, sizeof(y), "%d", max);
	return !a || !b || strcmp(a, x) || strcmp(b, y);
}

/* Append old to the comma-separated history, dropping the oldest entries beyond
 * MAX_REV_HISTORY_CHARS (kube keeps the history as it is when even the newest does not
 * fit). */
static void append_revision_history(json_t *rs, const char *old)
{
	const char *hist = dj_annotation(rs, REVISION_HISTORY_ANNOTATION);
	size_t total;
	char *buf;

	if (!hist || !*hist) {
		set_annotation(rs, REVISION_HISTORY_ANNOTATION, old);
		return;
	}
	total = strlen(hist) + strlen(old) + 1;
	while (total > MAX_REV_HISTORY_CHARS && *hist) {
		const char *comma = strchr(hist, ',');
		size_t n = comma ? (size_t)(comma - hist) : strlen(hist);

		total -= n + 1;
		hist = comma ? comma + 1 : hist + n;
	}
	if (total > MAX_REV_HISTORY_CHARS)
		return;
	if (asprintf(&buf, "%s%s%s", hist, *hist ? "," : "", old) < 0)
		return;
	set_annotation(rs, REVISION_HISTORY_ANNOTATION, buf);
	free(buf);
}

bool set_new_rs_annotations(const json_t *d, json_t *rs, long long new_revision, bool exists)
{
	const json_t *dann = dj_get(d, "metadata.annotations");
	const char *k, *old;
	long long old_rev = 0;
	bool changed = false;
	char rev[24], *old_copy = NULL;
	json_t *v;

	json_object_foreach((json_t *)dann, k, v)
		if (!skip_copy_annotation(k) && json_is_string(v))
			changed |= set_annotation(rs, k, json_string_value(v));
	dj_obj(rs, "metadata.annotations");
	old = dj_annotation(rs, REVISION_ANNOTATION);
	if (old && !parse_ll(old, &old_rev))
		return changed; /* kube leaves a revision that is not a number alone */
	if (old)
		old_copy = strdup(old);
	if (old_rev < new_revision) {
		snprintf(rev, sizeof(rev), "%lld", new_revision);
		set_annotation(rs, REVISION_ANNOTATION, rev);
		changed = true;
		/* This ReplicaSet comes back (a rollback): remember what it was. */
		if (old_copy)
			append_revision_history(rs, old_copy);
	}
	free(old_copy);
	if (!exists) {
		int replicas = (int)dj_int(d, "spec.replicas", 1);

		changed |= set_replicas_annotations(rs, replicas, replicas + deploy_max_surge(d));
	}
	return changed;
}

/* --- conditions --- */

json_t *new_condition(const char *type, const char *status, const char *reason,
		      const char *message, bool with_update_time)
{
	char now[32];
	json_t *c;

	cm_now(now, sizeof(now));
	c = json_pack("{s:s,s:s}", "type", type, "status", status);
	if (with_update_time)
		json_object_set_new(c, "lastUpdateTime", json_string(now));
	json_object_set_new(c, "lastTransitionTime", json_string(now));
	json_object_set_new(c, "reason", json_string(reason));
	json_object_set_new(c, "message", json_string(message));
	return c;
}

static bool str_eq(const json_t *a, const json_t *b, const char *key)
{
	const char *x = json_string_value(json_object_get(a, key));
	const char *y = json_string_value(json_object_get(b, key));

	return x && y && !strcmp(x, y);
}

void condition_remove(json_t *status, const char *type)
{
	json_t *conds = json_object_get(status, "conditions");
	size_t i;

	for (i = 0; i < json_array_size(conds);) {
		if (!strcmp(cm_str(json_array_get(conds, i), "type", NULL) ?: "", type))
			json_array_remove(conds, i);
		else
			i++;
	}
	if (conds && !json_array_size(conds))
		json_object_del(status, "conditions");
}

void condition_set(json_t *status, json_t *cond)
{
	const char *type = json_string_value(json_object_get(cond, "type"));
	const json_t *cur = status_condition(status, type ?: "");
	json_t *conds;

	if (cur && str_eq(cur, cond, "status") && str_eq(cur, cond, "reason")) {
		json_decref(cond);
		return;
	}
	if (cur && str_eq(cur, cond, "status"))
		json_object_set(cond, "lastTransitionTime",
				json_object_get(cur, "lastTransitionTime"));
	condition_remove(status, type ?: "");
	conds = json_object_get(status, "conditions");
	if (!json_is_array(conds)) {
		conds = json_array();
		json_object_set_new(status, "conditions", conds);
	}
	json_array_append_new(conds, cond);
}

/* --- which surplus pods go first --- */

static const json_t *ready_condition(const json_t *pod)
{
	return status_condition(json_object_get(pod, "status"), "Ready");
}

bool pod_available(const json_t *pod, long long min_ready, double now)
{
	const json_t *c = ready_condition(pod);
	double since;

	if (!cm_pod_ready(pod))
		return false;
	if (min_ready <= 0)
		return true;
	since = time_or_zero(json_string_value(json_object_get(c, "lastTransitionTime")));
	return since > 0 && since + (double)min_ready < now;
}

static int max_restarts(const json_t *statuses, const json_t *sidecars_of)
{
	const json_t *s, *c;
	size_t i, j;
	int max = 0;

	json_array_foreach(statuses, i, s) {
		long long n = json_integer_value(json_object_get(s, "restartCount"));

		if (sidecars_of) {
			bool sidecar = false;

			/* Only init containers that keep running (restartPolicy Always) count. */
			json_array_foreach(sidecars_of, j, c)
				if (str_eq(c, s, "name") &&
				    !strcmp(cm_str(c, "restartPolicy", NULL) ?: "", "Always"))
					sidecar = true;
			if (!sidecar)
				continue;
		}
		if (n > max)
			max = (int)n;
	}
	return max;
}

void ranked_pod_init(struct ranked_pod *r, json_t *pod, int rank)
{
	const char *phase = dj_str(pod, "status.phase");
	const char *cost = dj_annotation(pod, DELETION_COST_ANNOTATION);
	long long c;

	memset(r, 0, sizeof(*r));
	r->pod = pod;
	r->rank = rank;
	r->node = dj_str(pod, "spec.nodeName");
	r->assigned = r->node && *r->node;
	r->phase = !phase ? 0 : !strcmp(phase, "Unknown") ? 1 : !strcmp(phase, "Running") ? 2 : 0;
	r->ready = cm_pod_ready(pod);
	r->ready_since = time_or_zero(json_string_value(json_object_get(ready_condition(pod),
								   "lastTransitionTime")));
	/* An annotation that is not an int32 counts as 0, as the apiserver would refuse it. */
	r->cost = parse_ll(cost, &c) && c >= INT32_MIN && c <= INT32_MAX ? c : 0;
	r->restarts = max_restarts(dj_get(pod, "status.containerStatuses"), NULL);
	r->sidecar_restarts = max_restarts(dj_get(pod, "status.initContainerStatuses"),
					   dj_get(pod, "spec.initContainers"));
	r->created = time_or_zero(dj_str(pod, "metadata.creationTimestamp"));
	r->uid = dj_str(pod, "metadata.uid") ?: "";
}

/* logarithmicRankDiff: the difference of floor(log2(age in ns)); ages in the same power
 * of two are alike. */
static long long log_rank_diff(double t1, double t2, double now)
{
	double d1 = (now - t1) * 1e9, d2 = (now - t2) * 1e9;
	long long r1 = d1 > 0 ? (long long)log2(d1) : -1;
	long long r2 = d2 > 0 ? (long long)log2(d2) : -1;

	return r1 - r2;
}

/* a goes before b when a is more recent (or b has no time): Go's afterOrZero, then the
 * logarithmic comparison, then the uid. -1, 0 (no order) or 1. */
static int newer_first(double a, double b, const char *uid_a, const char *uid_b, double now)
{
	long long diff;

	if (a == b)
		return 0;
	if (a == 0 || b == 0 || now == 0)
		return a == 0 ? -1 : 1;
	diff = log_rank_diff(a, b, now);
	if (diff == 0)
		return strcmp(uid_a, uid_b) < 0 ? -1 : strcmp(uid_a, uid_b) > 0 ? 1 : 0;
	return diff < 0 ? -1 : 1;
}

static int pod_rank_cmp(const void *x, const void *y, void *arg)
{
	const struct ranked_pod *a = x, *b = y;
	double now = *(const double *)arg;
	int r;

	if (a->assigned != b->assigned && strcmp(a->node ?: "", b->node ?: ""))
		return a->assigned ? 1 : -1;
	if (a->phase != b->phase)
		return a->phase < b->phase ? -1 : 1;
	if (a->ready != b->ready)
		return a->ready ? 1 : -1;
	if (a->cost != b->cost)
		return a->cost < b->cost ? -1 : 1;
	if (a->rank != b->rank)
		return a->rank > b->rank ? -1 : 1;
	if (a->ready && b->ready) {
		r = newer_first(a->ready_since, b->ready_since, a->uid, b->uid, now);
		if (r)
			return r;
	}
	if (a->restarts != b->restarts)
		return a->restarts > b->restarts ? -1 : 1;
	if (a->sidecar_restarts != b->sidecar_restarts)
		return a->sidecar_restarts > b->sidecar_restarts ? -1 : 1;
	return newer_first(a->created, b->created, a->uid, b->uid, now);
}

void rank_pods_for_deletion(struct ranked_pod *pods, size_t n, double now)
{
	qsort_r(pods, n, sizeof(*pods), pod_rank_cmp, &now);
}

/* --- ReplicaSet orders --- */

static int by_creation(const json_t *a, const json_t *b)
{
	double x = time_or_zero(dj_str(a, "metadata.creationTimestamp"));
	double y = time_or_zero(dj_str(b, "metadata.creationTimestamp"));

	if (x != y)
		return x < y ? -1 : 1;
	return strcmp(dj_str(a, "metadata.name") ?: "", dj_str(b, "metadata.name") ?: "");
}

static int cmp_creation(const void *x, const void *y, void *arg)
{
	int r = by_creation(*(json_t *const *)x, *(json_t *const *)y);

	return *(bool *)arg ? -r : r;
}

void rs_sort_by_creation(json_t **rss, size_t n, bool newest_first)
{
	qsort_r(rss, n, sizeof(*rss), cmp_creation, &newest_first);
}

static int cmp_size(const void *x, const void *y, void *arg)
{
	const json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
	long long ra = dj_int(a, "spec.replicas", 1), rb = dj_int(b, "spec.replicas", 1);

	if (ra != rb)
		return ra > rb ? -1 : 1;
	return *(bool *)arg ? -by_creation(a, b) : by_creation(a, b);
}

void rs_sort_by_size(json_t **rss, size_t n, bool newer_first)
{
	qsort_r(rss, n, sizeof(*rss), cmp_size, &newer_first);
}

static int cmp_revision(const void *x, const void *y)
{
	const json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
	long long ra = rs_revision(a), rb = rs_revision(b);

	if (ra != rb)
		return ra < rb ? -1 : 1;
	return by_creation(a, b);
}

void rs_sort_by_revision(json_t **rss, size_t n)
{
	qsort(rss, n, sizeof(*rss), cmp_revision);
}

/* --- proportional scaling --- */

int rs_proportion(const json_t *rs, const json_t *d, int to_add, int added)
{
	int replicas = (int)dj_int(rs, "spec.replicas", 1);
	int d_replicas = (int)dj_int(d, "spec.replicas", 1);
	int allowed = to_add - added, fraction;
	long long before;

	if (!rs || replicas == 0 || to_add == 0 || to_add == added)
		return 0;
	if (d_replicas == 0) {
		fraction = -replicas; /* scaling to zero: all of it */
	} else {
		/* Its size as a share of the Deployment's size when it was last scaled. */
		if (!parse_ll(dj_annotation(rs, MAX_REPLICAS_ANNOTATION), &before) || before == 0)
			before = dj_int(d, "status.replicas", 0);
		if (before == 0)
			return 0;
		fraction = (int)round((double)replicas * (d_replicas + deploy_max_surge(d)) /
				      (double)before) - replicas;
	}
	if (to_add > 0)
		return fraction < allowed ? fraction : allowed;
	return fraction > allowed ? fraction : allowed;
}

int rs_sum(json_t *const *rss, size_t n, const char *path)
{
	size_t i;
	int sum = 0;

	for (i = 0; i < n; i++)
		if (rss[i])
			sum += (int)dj_int(rss[i], path, 0);
	return sum;
}

int new_rs_new_replicas(const json_t *d, json_t *const *rss, size_t n, const json_t *new_rs)
{
	int replicas = (int)dj_int(d, "spec.replicas", 1);
	int cur = (int)dj_int(new_rs, "spec.replicas", 0);
	int total, room;

	if (!deploy_is_rolling(d))
		return replicas;
	total = rs_sum(rss, n, "spec.replicas");
	room = replicas + deploy_max_surge(d) - total;
	if (room <= 0)
		return cur;
	return cur + (room < replicas - cur ? room : replicas - cur);
}

bool deploy_is_saturated(const json_t *d, const json_t *new_rs)
{
	long long replicas = dj_int(d, "spec.replicas", 1), desired;

	if (!new_rs || !parse_ll(dj_annotation(new_rs, DESIRED_REPLICAS_ANNOTATION), &desired))
		return false;
	return dj_int(new_rs, "spec.replicas", 1) == replicas && desired == replicas &&
	       dj_int(new_rs, "status.availableReplicas", 0) == replicas;
}

/* --- the Deployment's status --- */

/* Kubernetes omits zero counts (omitempty). */
static void set_count(json_t *status, const char *key, long long v)
{
	if (v)
		json_object_set_new(status, key, json_integer(v));
}

json_t *deploy_calculate_status(const json_t *d, json_t *const *all, size_t n,
				const json_t *new_rs)
{
	const json_t *old = json_object_get(d, "status");
	int available = rs_sum(all, n, "status.availableReplicas");
	int total = rs_sum(all, n, "spec.replicas");
	int replicas = (int)dj_int(d, "spec.replicas", 1);
	json_t *st = json_object();

	set_count(st, "observedGeneration", dj_int(d, "metadata.generation", 0));
	set_count(st, "replicas", rs_sum(all, n, "status.replicas"));
	set_count(st, "updatedReplicas", new_rs ? dj_int(new_rs, "status.replicas", 0) : 0);
	set_count(st, "readyReplicas", rs_sum(all, n, "status.readyReplicas"));
	set_count(st, "availableReplicas", available);
	/* More available than desired (scaling down) is not a negative unavailability. */
	set_count(st, "unavailableReplicas", total > available ? total - available : 0);
	if (json_object_get(old, "conditions"))
		json_object_set_new(st, "conditions",
				    json_deep_copy(json_object_get(old, "conditions")));
	if (json_object_get(old, "collisionCount"))
		json_object_set(st, "collisionCount", json_object_get(old, "collisionCount"));
	if (available >= replicas - deploy_max_unavailable(d))
		condition_set(st, new_condition("Available", "True", "MinimumReplicasAvailable",
						"Deployment has minimum availability.", true));
	else
		condition_set(st, new_condition("Available", "False", "MinimumReplicasUnavailable",
						"Deployment does not have minimum availability.",
						true));
	return st;
}

bool deploy_complete(const json_t *d, const json_t *st)
{
	long long replicas = dj_int(d, "spec.replicas", 1);

	return dj_int(st, "updatedReplicas", 0) == replicas &&
	       dj_int(st, "replicas", 0) == replicas &&
	       dj_int(st, "availableReplicas", 0) == replicas &&
	       dj_int(st, "observedGeneration", 0) >= dj_int(d, "metadata.generation", 0);
}

bool deploy_progressing(const json_t *d, const json_t *st)
{
	const json_t *old = json_object_get(d, "status");
	long long old_old = dj_int(old, "replicas", 0) - dj_int(old, "updatedReplicas", 0);
	long long new_old = dj_int(st, "replicas", 0) - dj_int(st, "updatedReplicas", 0);

	return dj_int(st, "updatedReplicas", 0) > dj_int(old, "updatedReplicas", 0) ||
	       new_old < old_old ||
	       dj_int(st, "readyReplicas", 0) > dj_int(old, "readyReplicas", 0) ||
	       dj_int(st, "availableReplicas", 0) > dj_int(old, "availableReplicas", 0);
}

bool deploy_timed_out(const json_t *d, const json_t *st, double now)
{
	const json_t *c = status_condition(st, "Progressing");
	const char *reason;
	double from;

	if (!deploy_has_progress_deadline(d) || !c)
		return false;
	reason = json_string_value(json_object_get(c, "reason")) ?: "";
	/* A finished rollout does not time out; a timed-out one stays so. */
	if (!strcmp(reason, "NewReplicaSetAvailable"))
		return false;
	if (!strcmp(reason, "ProgressDeadlineExceeded"))
		return true;
	from = time_or_zero(json_string_value(json_object_get(c, "lastUpdateTime")));
	return from + (double)dj_int(d, "spec.progressDeadlineSeconds", 600) < now;
}

/* ReplicaSetToDeploymentCondition. */
static json_t *rs_failure_condition(json_t *const *all, size_t n, const json_t *new_rs)
{
	const json_t *c = new_rs ? status_condition(json_object_get(new_rs, "status"),
						  "ReplicaFailure") : NULL;
	const json_t *t;
	size_t i;

	/* The new ReplicaSet's failure first, then any old one's. */
	for (i = 0; !c && i < n; i++)
		if (all[i])
			c = status_condition(json_object_get(all[i], "status"), "ReplicaFailure");
	if (!c)
		return NULL;
	t = json_object_get(c, "lastTransitionTime");
	return json_pack("{s:O,s:O,s:O*,s:O*,s:O*,s:O*}", "type", json_object_get(c, "type"),
			 "status", json_object_get(c, "status"), "lastUpdateTime", t,
			 "lastTransitionTime", t, "reason", json_object_get(c, "reason"),
			 "message", json_object_get(c, "message"));
}

/* Kube's messages name the new ReplicaSet, or the Deployment while there is none. */
static void rollout_message(char *buf, size_t len, const char *rs_name, const char *d_name,
			    const char *what)
{
	if (rs_name)
		snprintf(buf, len, "ReplicaSet \"%s\" %s.", rs_name, what);
	else
		snprintf(buf, len, "Deployment \"%s\" %s.", d_name, what);
}

void deploy_rollout_conditions(const json_t *d, json_t *st, json_t *const *all, size_t n,
			       const json_t *new_rs, double now)
{
	const json_t *cur = status_condition(json_object_get(d, "status"), "Progressing");
	const char *name = dj_str(d, "metadata.name") ?: "";
	const char *rs_name = new_rs ? dj_str(new_rs, "metadata.name") : NULL;
	bool has_deadline = deploy_has_progress_deadline(d);
	char msg[600];
	json_t *c;

	if (!has_deadline)
		condition_remove(st, "Progressing");
	/* A finished rollout with nothing new is a resync: nothing to estimate. */
	if (has_deadline &&
	    !(dj_int(st, "replicas", 0) == dj_int(st, "updatedReplicas", 0) && cur &&
	      !strcmp(json_string_value(json_object_get(cur, "reason")) ?: "",
		      "NewReplicaSetAvailable"))) {
		if (deploy_complete(d, st)) {
			rollout_message(msg, sizeof(msg), rs_name, name,
					"has successfully progressed");
			condition_set(st, new_condition("Progressing", "True",
							"NewReplicaSetAvailable", msg, true));
		} else if (deploy_progressing(d, st)) {
			rollout_message(msg, sizeof(msg), rs_name, name, "is progressing");
			c = new_condition("Progressing", "True", "ReplicaSetUpdated", msg, true);
			/* Progress renews lastUpdateTime even with the same reason. */
			if (cur) {
				if (!strcmp(cm_str(cur, "status", NULL) ?: "", "True"))
					json_object_set(c, "lastTransitionTime",
							json_object_get(cur, "lastTransitionTime"));
				condition_remove(st, "Progressing");
			}
			condition_set(st, c);
		} else if (deploy_timed_out(d, st, now)) {
			rollout_message(msg, sizeof(msg), rs_name, name,
					"has timed out progressing");
			condition_set(st, new_condition("Progressing", "False",
							"ProgressDeadlineExceeded", msg, true));
		}
	}
	c = rs_failure_condition(all, n, new_rs);
	if (c)
		condition_set(st, c);
	else
		condition_remove(st, "ReplicaFailure");
}

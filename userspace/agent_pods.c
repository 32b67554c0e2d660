/* agent_pods.c — the kubelet's pod loop in kbpf-agent.
 *
 * One thread watches the pods bound to this node (field selector spec.nodeName) and, on
 * every watch event and every POD_SYNC_PERIOD_S, brings each pod closer to its spec: images
 * from the node's store (absent: ErrImagePull, then ImagePullBackOff naming the import
 * command), the sandbox once the Node has its podCIDR, containers started and restarted by
 * restartPolicy with CrashLoopBackOff, the status posted when it changed; a pod marked for
 * deletion is stopped with its grace period, torn down and its deletion confirmed. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <uthash.h>

#include "agent_pods.h"
#include "events.h"
#include "images.h"
#include "informer.h"
#include "kclient.h"
#include "log.h"
#include "pod_runtime.h"
#include "util.h"

#define MAX_CONTAINERS 32
#define DEFAULT_GRACE_S 30
#define COMPONENT "kubelet"

/* What the loop remembers of a container between syncs. */
struct ctr_track {
	char name[256];
	int restarts;	       /* restarts done (the next start's restart count) */
	int crashes;	       /* exits in a row without a long run: the back-off step */
	double backoff_until;  /* monotonic: no restart before */
	double running_since;  /* monotonic: when we saw it start */
	bool done;	       /* ended for good (policy says no restart) */
	json_t *last_state;    /* last terminated state, for lastState */
};

struct pod_track {
	char uid[64];
	struct ctr_track ctrs[MAX_CONTAINERS];
	size_t n_ctrs;
	double image_retry_at; /* monotonic: next image lookup after a miss */
	int image_misses;
	bool sandbox;	       /* the sandbox exists */
	char start_time[40];
	json_t *sent;	       /* the status last posted */
	bool seen;	       /* in the informer during this sync */
	UT_hash_handle hh;
};

struct pods_agent {
	struct kclient *client;
	struct pods_opts o;
	char image_root[512];
	struct informer *pods;
	struct pod_runtime *rt;
	char pod_cidr[64];
	struct pod_track *tracks;
	int wake_fd;
	volatile bool stop;
	pthread_t thread;
};

int pod_backoff_seconds(int restarts)
{
	int s = POD_BACKOFF_INITIAL_S;

	while (restarts-- > 1 && s < POD_BACKOFF_MAX_S)
		s *= 2;
	return s < POD_BACKOFF_MAX_S ? s : POD_BACKOFF_MAX_S;
}

bool pod_should_restart(const char *policy, int exit_code)
{
	if (!policy || !strcmp(policy, "Always"))
		return true;
	if (!strcmp(policy, "OnFailure"))
		return exit_code != 0;
	return false;
}

static const char *jstr_at(const json_t *o, const char *a, const char *b)
{
	return json_string_value(json_object_get(json_object_get(o, a), b));
}

static void wake(struct pods_agent *p)
{
	uint64_t one = 1;

	if (write(p->wake_fd, &one, sizeof(one)) < 0)
		pr_debug("pods: wake: %s\n", strerror(errno));
}

static void on_add(void *ctx, const json_t *obj)
{
	(void)obj;
	wake(ctx);
}

static void on_update(void *ctx, const json_t *old, const json_t *obj)
{
	(void)old;
	(void)obj;
	wake(ctx);
}

/* An Event about the pod, from this node's kubelet (what kubectl describe lists). */
#define pod_event(p, pod, type, reason, ...)                                             \
	event_record((p)->client, COMPONENT, (p)->o.node_name, pod, type, reason, __VA_ARGS__)

static struct ctr_track *ctr_track(struct pod_track *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n_ctrs; i++)
		if (!strcmp(t->ctrs[i].name, name))
			return &t->ctrs[i];
	if (t->n_ctrs == MAX_CONTAINERS)
		return NULL;
	snprintf(t->ctrs[t->n_ctrs].name, sizeof(t->ctrs[0].name), "%s", name);
	return &t->ctrs[t->n_ctrs++];
}

static void track_free(struct pods_agent *p, struct pod_track *t)
{
	size_t i;

	HASH_DEL(p->tracks, t);
	for (i = 0; i < t->n_ctrs; i++)
		json_decref(t->ctrs[i].last_state);
	json_decref(t->sent);
	free(t);
}

/* The runtime needs the node's podCIDR, which node IPAM sets after registration. */
static int ensure_runtime(struct pods_agent *p)
{
	struct pod_runtime_cfg cfg = {
		.state_dir = p->o.state_dir, .log_dir = p->o.log_dir,
		.device_prefix = p->o.device_prefix, .cgroup_parent = p->o.cgroup_parent,
		.node_ip = p->o.node_ip,
	};
	char path[512];
	json_t *node = NULL;
	const char *cidr;
	long code;
	int ret;

	if (p->rt)
		return 0;
	kpath(path, sizeof(path), "v1", NULL, "nodes", p->o.node_name, NULL);
	code = kclient_get(p->client, path, &node);
	cidr = code == 200 ? jstr_at(node, "spec", "podCIDR") : NULL;
	if (!cidr) {
		json_decref(node);
		return -EAGAIN;
	}
	snprintf(p->pod_cidr, sizeof(p->pod_cidr), "%s", cidr);
	json_decref(node);
	cfg.pod_cidr = p->pod_cidr;
	ret = pod_runtime_open(&cfg, &p->rt);
	if (ret)
		pr_warn("pods: opening the pod runtime: %s\n", strerror(-ret));
	else
		pr_info("pods: node %s has podCIDR %s\n", p->o.node_name, p->pod_cidr);
	return ret;
}

/* The image's config as the runtime takes it (the OCI config's "config" object). */
static json_t *strv_json(char **v)
{
	json_t *a = json_array();

	while (v && *v)
		json_array_append_new(a, json_string(*v++));
	return a;
}

static json_t *image_config_json(const struct image_config *ic)
{
	json_t *c = json_object();

	json_object_set_new(c, "Env", strv_json(ic->env));
	if (ic->entrypoint)
		json_object_set_new(c, "Entrypoint", strv_json(ic->entrypoint));
	if (ic->cmd)
		json_object_set_new(c, "Cmd", strv_json(ic->cmd));
	if (ic->working_dir)
		json_object_set_new(c, "WorkingDir", json_string(ic->working_dir));
	if (ic->user)
		json_object_set_new(c, "User", json_string(ic->user));
	return c;
}

static int start_container(struct pods_agent *p, const struct pod_sandbox *sb,
			   const json_t *c, int restart, char *err, size_t errlen)
{
	const char *image = json_string_value(json_object_get(c, "image"));
	struct image_config ic = {};
	struct pod_image img = {};
	char **layers = NULL, ierr[IMAGE_ERR_LEN];
	size_t n = 0;
	json_t *cfg;
	int ret;

	ret = image_layers(p->image_root, image ?: "", &layers, &n, ierr);
	if (!ret)
		ret = image_config(p->image_root, image, &ic, ierr);
	if (ret) {
		snprintf(err, errlen, "%s", ierr);
		image_free_strv(layers);
		return ret;
	}
	cfg = image_config_json(&ic);
	img.layers = (const char *const *)layers;
	img.n_layers = n;
	img.config = cfg;
	ret = pod_container_start(p->rt, sb, c, &img, restart, err, errlen);
	json_decref(cfg);
	image_config_free(&ic);
	image_free_strv(layers);
	return ret;
}

static json_t *waiting(const char *reason, const char *message)
{
	json_t *w = json_pack("{s:s}", "reason", reason);

	if (message)
		json_object_set_new(w, "message", json_string(message));
	return json_pack("{s:o}", "waiting", w);
}

static json_t *terminated(const struct pod_ctr_status *st)
{
	json_t *t = json_pack("{s:i,s:s,s:s,s:s}", "exitCode", st->exit_code, "reason",
			      st->exit_code ? "Error" : "Completed", "startedAt", st->started_at,
			      "finishedAt", st->finished_at);

	if (st->signal)
		json_object_set_new(t, "signal", json_integer(st->signal));
	json_object_set_new(t, "containerID", json_sprintf("kbpf://%s", st->id));
	return json_pack("{s:o}", "terminated", t);
}

static json_t *condition(const char *type, bool ok, const char *when)
{
	return json_pack("{s:s,s:s,s:s}", "type", type, "status", ok ? "True" : "False",
			 "lastTransitionTime", when);
}

/* Post the status when it differs from what was last posted. */
static void post_status(struct pods_agent *p, const json_t *pod, struct pod_track *t,
			json_t *status)
{
	char path[1024], buf[256];
	json_t *patch, *out = NULL;
	long code;

	if (t->sent && json_equal(t->sent, status)) {
		json_decref(status);
		return;
	}
	kpath(path, sizeof(path), "v1", jstr_at(pod, "metadata", "namespace"), "pods",
	      jstr_at(pod, "metadata", "name"), "status");
	patch = json_pack("{s:{s:s},s:O}", "metadata", "uid", t->uid, "status", status);
	code = kclient_patch(p->client, path, "merge", patch, &out);
	if (code / 100 == 2) {
		json_decref(t->sent);
		t->sent = status;
	} else {
		pr_warn("pods: status of %s: %s\n", jstr_at(pod, "metadata", "name"),
			kstatus_message(out, code, buf, sizeof(buf)));
		json_decref(status);
	}
	json_decref(patch);
	json_decref(out);
}

static void set_phase(json_t *status, const char *phase, const char *host_ip)
{
	json_object_set_new(status, "phase", json_string(phase));
	if (host_ip)
		json_object_set_new(status, "hostIP", json_string(host_ip));
	if (host_ip)
		json_object_set_new(status, "hostIPs", json_pack("[{s:s}]", "ip", host_ip));
}

/* Images: all present, or the pod waits with ErrImagePull, then ImagePullBackOff. */
static bool images_ready(struct pods_agent *p, const json_t *pod, struct pod_track *t,
			 double now)
{
	const json_t *ctrs = json_object_get(json_object_get(pod, "spec"), "containers"), *c;
	json_t *status, *statuses;
	char ierr[IMAGE_ERR_LEN], when[40];
	struct image_info info;
	bool missing = false;
	size_t i;

	if (now < t->image_retry_at)
		return false;
	statuses = json_array();
	json_array_foreach(ctrs, i, c) {
		const char *image = json_string_value(json_object_get(c, "image")) ?: "";
		json_t *cs = json_pack("{s:s,s:s,s:s,s:b,s:b,s:i}", "name",
				       json_string_value(json_object_get(c, "name")) ?: "",
				       "image", image, "imageID", "", "ready", 0, "started", 0,
				       "restartCount", 0);

		if (image_lookup(p->image_root, image, &info, ierr)) {
			pod_event(p, pod, "Warning", "Failed", "Failed to pull image \"%s\": %s",
				  image, ierr);
			json_object_set_new(cs, "state",
					    waiting(t->image_misses ? "ImagePullBackOff"
								    : "ErrImagePull", ierr));
			missing = true;
		} else {
			json_object_set_new(cs, "state", waiting("ContainerCreating", NULL));
		}
		json_array_append_new(statuses, cs);
	}
	if (!missing) {
		json_decref(statuses);
		t->image_misses = 0;
		return true;
	}
	t->image_retry_at = now + pod_backoff_seconds(++t->image_misses);
	rfc3339_now(when, sizeof(when), false);
	status = json_object();
	set_phase(status, "Pending", p->o.node_ip);
	json_object_set_new(status, "conditions",
			    json_pack("[o,o]", condition("PodScheduled", true, when),
				      condition("Ready", false, when)));
	json_object_set_new(status, "containerStatuses", statuses);
	post_status(p, pod, t, status);
	return false;
}

/* One container's status, starting or restarting it as its policy says. */
static json_t *sync_container(struct pods_agent *p, const json_t *pod,
			      const struct pod_sandbox *sb, struct pod_track *t, const json_t *c,
			      double now, bool *running, bool *ended_failed)
{
	const char *name = json_string_value(json_object_get(c, "name")) ?: "";
	const char *image = json_string_value(json_object_get(c, "image")) ?: "";
	const char *policy = jstr_at(pod, "spec", "restartPolicy");
	struct ctr_track *ct = ctr_track(t, name);
	struct pod_ctr_status st;
	struct image_info info;
	char err[1024], ierr[IMAGE_ERR_LEN];
	json_t *cs;
	int ret;

	if (!ct)
		return NULL;
	cs = json_pack("{s:s,s:s,s:s,s:b,s:b,s:i}", "name", name, "image", image, "imageID",
		       "", "ready", 0, "started", 0, "restartCount", ct->restarts);
	if (!image_lookup(p->image_root, image, &info, ierr))
		json_object_set_new(cs, "imageID", json_string(info.config));
	*running = false;
	ret = pod_container_status(p->rt, sb->uid, name, &st);
	if (ret == -ENOENT && !ct->done) {
		ret = start_container(p, sb, c, ct->restarts, err, sizeof(err));
		if (ret) {
			json_object_set_new(cs, "state", waiting("CreateContainerError", err));
			pr_warn("pods: %s/%s: %s\n", sb->name, name, err);
			pod_event(p, pod, "Warning", "Failed", "Error: %s", err);
			return cs;
		}
		pod_event(p, pod, "Normal", "Started", "Started container %s", name);
		ct->running_since = now;
		ret = pod_container_status(p->rt, sb->uid, name, &st);
	}
	if (ret) {
		json_object_set_new(cs, "state", waiting("ContainerCreating", NULL));
		return cs;
	}
	/* A container found after an agent restart keeps its count. */
	if (st.restart > ct->restarts) {
		ct->restarts = st.restart;
		json_object_set_new(cs, "restartCount", json_integer(ct->restarts));
	}
	json_object_set_new(cs, "containerID", json_sprintf("kbpf://%s", st.id));
	if (ct->last_state)
		json_object_set(cs, "lastState", ct->last_state);
	if (st.state == POD_CTR_RUNNING || st.state == POD_CTR_CREATED) {
		*running = st.state == POD_CTR_RUNNING;
		if (ct->running_since == 0)
			ct->running_since = now;
		json_object_set_new(cs, "state", json_pack("{s:{s:s}}", "running", "startedAt",
							   st.started_at));
		json_object_set_new(cs, "started", json_boolean(*running));
		json_object_set_new(cs, "ready", json_boolean(*running));
		return cs;
	}
	/* Exited: restart by policy, after the back-off. */
	if (!pod_should_restart(policy, st.exit_code)) {
		ct->done = true;
		*ended_failed = *ended_failed || st.exit_code != 0;
		json_object_set_new(cs, "state", terminated(&st));
		return cs;
	}
	if (ct->backoff_until == 0) {
		/* A container that ran long enough starts the back-off over. */
		if (ct->running_since && now - ct->running_since >= POD_BACKOFF_RESET_S)
			ct->crashes = 0;
		/* The first exit restarts at once, as kubelet does. */
		ct->backoff_until = ct->crashes == 0 ? now :
				    now + pod_backoff_seconds(ct->crashes);
		ct->crashes++;
		json_decref(ct->last_state);
		ct->last_state = terminated(&st);
		if (ct->crashes > 1)
			pod_event(p, pod, "Warning", "BackOff",
				  "Back-off restarting failed container %s in pod %s_%s(%s)", name,
				  sb->name, sb->ns, sb->uid);
	}
	if (now < ct->backoff_until) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "back-off %ds restarting failed container=%s pod=%s_%s(%s)",
			 pod_backoff_seconds(ct->crashes - 1), name, sb->name, sb->ns, sb->uid);
		json_object_set_new(cs, "state", waiting("CrashLoopBackOff", msg));
		json_object_set(cs, "lastState", ct->last_state);
		return cs;
	}
	pod_container_remove(p->rt, sb->uid, name);
	ct->restarts++;
	ct->backoff_until = 0;
	ct->running_since = now;
	json_object_set_new(cs, "restartCount", json_integer(ct->restarts));
	ret = start_container(p, sb, c, ct->restarts, err, sizeof(err));
	json_object_set(cs, "lastState", ct->last_state);
	json_object_set_new(cs, "state", ret ? waiting("CreateContainerError", err) :
					      json_pack("{s:{s:s}}", "running", "startedAt", ""));
	if (!ret && !pod_container_status(p->rt, sb->uid, name, &st))
		json_object_set_new(cs, "state", json_pack("{s:{s:s}}", "running", "startedAt",
							   st.started_at));
	return cs;
}

static void sync_running(struct pods_agent *p, const json_t *pod, struct pod_track *t,
			 double now)
{
	const json_t *ctrs = json_object_get(json_object_get(pod, "spec"), "containers"), *c;
	struct pod_sandbox sb;
	bool all_running = true, any_active = false, failed = false;
	json_t *status, *statuses;
	char err[1024], when[40];
	const char *phase;
	size_t i;
	int ret;

	if (!t->sandbox) {
		ret = pod_sandbox_create(p->rt, pod, &sb, err, sizeof(err));
		if (ret) {
			pr_warn("pods: sandbox of %s: %s\n", jstr_at(pod, "metadata", "name"), err);
			return;
		}
		t->sandbox = true;
		rfc3339_now(t->start_time, sizeof(t->start_time), false);
	} else if (pod_sandbox_load(p->rt, t->uid, &sb)) {
		t->sandbox = false;
		return;
	}
	statuses = json_array();
	json_array_foreach(ctrs, i, c) {
		bool running = false;
		json_t *cs = sync_container(p, pod, &sb, t, c, now, &running, &failed);
		struct ctr_track *ct = ctr_track(t, json_string_value(json_object_get(c, "name"))
							    ?: "");

		if (!cs)
			continue;
		all_running = all_running && running;
		any_active = any_active || !(ct && ct->done);
		json_array_append_new(statuses, cs);
	}
	if (!any_active)
		phase = failed ? "Failed" : "Succeeded";
	else
		phase = "Running";
	/* Conditions keep their transition time while they keep their value. */
	rfc3339_now(when, sizeof(when), false);
	status = json_object();
	set_phase(status, phase, p->o.node_ip);
	if (*sb.ip) {
		json_object_set_new(status, "podIP", json_string(sb.ip));
		json_object_set_new(status, "podIPs", json_pack("[{s:s}]", "ip", sb.ip));
	}
	json_object_set_new(status, "startTime", json_string(t->start_time));
	json_object_set_new(status, "conditions",
			    json_pack("[o,o,o,o]", condition("PodScheduled", true, t->start_time),
				      condition("Initialized", true, t->start_time),
				      condition("ContainersReady", all_running, t->start_time),
				      condition("Ready", all_running, t->start_time)));
	json_object_set_new(status, "containerStatuses", statuses);
	post_status(p, pod, t, status);
}

/* Stop with the grace period, tear down, then let the apiserver forget the pod. */
static void finish_deletion(struct pods_agent *p, const json_t *pod, struct pod_track *t)
{
	const json_t *ctrs = json_object_get(json_object_get(pod, "spec"), "containers"), *c;
	const json_t *g = json_object_get(json_object_get(pod, "metadata"),
					  "deletionGracePeriodSeconds");
	int grace = g ? (int)json_integer_value(g) : DEFAULT_GRACE_S;
	char path[1024], buf[256];
	json_t *opts, *out = NULL;
	size_t i;
	long code;

	if (p->rt) {
		if (t->sandbox)
			pod_event(p, pod, "Normal", "Killing", "Stopping the pod's containers");
		json_array_foreach(ctrs, i, c)
			pod_container_stop(p->rt, t->uid,
					   json_string_value(json_object_get(c, "name")) ?: "",
					   grace);
		if (pod_sandbox_remove(p->rt, t->uid) && p->rt)
			pr_warn("pods: tearing down %s: parts remain\n", t->uid);
	}
	kpath(path, sizeof(path), "v1", jstr_at(pod, "metadata", "namespace"), "pods",
	      jstr_at(pod, "metadata", "name"), NULL);
	opts = json_pack("{s:s,s:s,s:i,s:{s:s}}", "kind", "DeleteOptions", "apiVersion", "v1",
			 "gracePeriodSeconds", 0, "preconditions", "uid", t->uid);
	code = kclient_delete(p->client, path, opts, &out);
	if (code / 100 != 2 && code != 404 && code != 409)
		pr_warn("pods: confirming the deletion of %s: %s\n",
			jstr_at(pod, "metadata", "name"), kstatus_message(out, code, buf, sizeof(buf)));
	json_decref(opts);
	json_decref(out);
	track_free(p, t);
}

static void sync_pod(struct pods_agent *p, const json_t *pod, double now)
{
	const char *uid = jstr_at(pod, "metadata", "uid");
	const char *phase = jstr_at(pod, "status", "phase");
	struct pod_track *t;

	if (!uid)
		return;
	HASH_FIND_STR(p->tracks, uid, t);
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t)
			return;
		snprintf(t->uid, sizeof(t->uid), "%s", uid);
		HASH_ADD_STR(p->tracks, uid, t);
	}
	t->seen = true;
	if (json_object_get(json_object_get(pod, "metadata"), "deletionTimestamp")) {
		finish_deletion(p, pod, t);
		return;
	}
	if (!t->sandbox && phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed")))
		return;
	if (!t->sandbox && !images_ready(p, pod, t, now))
		return;
	if (ensure_runtime(p))
		return;
	sync_running(p, pod, t, now);
}

static void sync_all(struct pods_agent *p)
{
	struct pod_track *t, *tmp;
	double now = mono_now();
	json_t **pods;
	size_t i, n;

	HASH_ITER(hh, p->tracks, t, tmp)
		t->seen = false;
	n = informer_list(p->pods, &pods);
	for (i = 0; i < n && !p->stop; i++)
		sync_pod(p, pods[i], now);
	informer_list_free(pods, n);
	/* Gone from the API without our confirmation (force-deleted): tear down. */
	HASH_ITER(hh, p->tracks, t, tmp) {
		if (t->seen || !informer_synced(p->pods))
			continue;
		if (p->rt)
			pod_sandbox_remove(p->rt, t->uid);
		track_free(p, t);
	}
}

static void *pods_thread(void *arg)
{
	struct pods_agent *p = arg;
	struct pollfd pfd = { .fd = p->wake_fd, .events = POLLIN };
	uint64_t n;

	while (!p->stop) {
		if (poll(&pfd, 1, POD_SYNC_PERIOD_S * 1000) > 0 &&
		    read(p->wake_fd, &n, sizeof(n)) < 0)
			n = 0;
		if (!p->stop && informer_synced(p->pods))
			sync_all(p);
	}
	return NULL;
}

int pods_agent_start(struct kclient *c, const struct pods_opts *o, struct pods_agent **out)
{
	struct pods_agent *p = calloc(1, sizeof(*p));
	struct informer_handlers h = { .add = on_add, .update = on_update, .del = on_add };
	struct informer_opts io = { .path = "/api/v1/pods" };
	char sel[300];
	int ret;

	if (!p)
		return -ENOMEM;
	p->client = c;
	p->o = *o;
	snprintf(p->image_root, sizeof(p->image_root), "%s", o->image_root ?: IMAGE_ROOT_DEFAULT);
	snprintf(sel, sizeof(sel), "spec.nodeName=%s", o->node_name);
	io.field_selector = sel;
	h.ctx = p;
	p->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->wake_fd < 0) {
		free(p);
		return -errno;
	}
	ret = informer_start(c, &io, &h, &p->pods);
	if (!ret && (ret = -pthread_create(&p->thread, NULL, pods_thread, p)))
		informer_stop(p->pods);
	if (ret) {
		close(p->wake_fd);
		free(p);
		return ret;
	}
	*out = p;
	return 0;
}

void pods_agent_stop(struct pods_agent *p)
{
	struct pod_track *t, *tmp;

	if (!p)
		return;
	p->stop = true;
	wake(p);
	pthread_join(p->thread, NULL);
	informer_stop(p->pods);
	HASH_ITER(hh, p->tracks, t, tmp)
		track_free(p, t);
	pod_runtime_close(p->rt);
	close(p->wake_fd);
	free(p);
}

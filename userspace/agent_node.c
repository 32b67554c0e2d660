/* agent_node.c — the Node as the kubelet keeps it: registered with its capacity, addresses,
 * nodeInfo and conditions; its Lease renewed every 10 s; its status posted when it
 * differs from what the agent sees (someone else, e.g. the node lifecycle controller,
 * changed it) and every 5 minutes as a heartbeat. All of it on one thread that waits
 * out an unreachable apiserver with backoff and never touches the data plane. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "agent_node.h"
#include "kclient.h"
#include "log.h"
#include "util.h"

/* kubelet's default hard eviction threshold memory.available<100Mi, kept out of
 * allocatable as kubelet keeps it. */
#define EVICTION_MEMORY_KI (100 * 1024)

struct node_agent {
	struct kclient *c;
	char *name, *internal_ip, *bandwidth;
	int max_pods;
	json_t *info;   /* status.nodeInfo, fixed for the process */
	json_t *lease;  /* the Lease as last written (resourceVersion for the next PUT) */
	char uid[64];   /* the Node's, for the Lease's owner reference */
	bool registered;
	time_t last_report; /* status last posted */
	double renewed;     /* monotonic seconds of the last Lease renewal */
	bool down;          /* the last call failed: logged once until it works again */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool stop;
};

/* metav1.MicroTime, as Lease times are. */
/* The first line of a file, newline stripped, or "". */
static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (!f)
		return;
	if (!fgets(buf, len, f))
		buf[0] = 0;
	buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

static unsigned long long mem_total_ki(void)
{
	unsigned long long kb = 0;
	char line[256];
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void os_image(char *buf, size_t len)
{
	char line[512];
	FILE *f = fopen("/etc/os-release", "r");

	snprintf(buf, len, "Linux");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "PRETTY_NAME=", 12))
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(buf, len, "%s", line + 12 + (line[12] == '"'));
		if (*buf && buf[strlen(buf) - 1] == '"')
			buf[strlen(buf) - 1] = 0;
		break;
	}
	fclose(f);
}

static const char *go_arch(const char *machine)
{
	if (!strcmp(machine, "x86_64"))
		return "amd64";
	if (!strcmp(machine, "aarch64"))
		return "arm64";
	if (!strncmp(machine, "armv", 4))
		return "arm";
	return machine;
}

/* "runc://1.1.5" from `runc --version`, or "" when runc is missing. */
static void runtime_version(char *buf, size_t len)
{
	FILE *f = popen("runc --version 2>/dev/null", "r");
	char line[128], ver[64];

	buf[0] = 0;
	if (!f)
		return;
	if (fgets(line, sizeof(line), f) && sscanf(line, "runc version %63s", ver) == 1)
		snprintf(buf, len, "runc://%s", ver);
	pclose(f);
}

static json_t *node_info(void)
{
	char os[256], machine_id[64], boot_id[64], uuid[64], rt[96];
	struct utsname u;

	uname(&u);
	os_image(os, sizeof(os));
	read_line("/etc/machine-id", machine_id, sizeof(machine_id));
	read_line("/proc/sys/kernel/random/boot_id", boot_id, sizeof(boot_id));
	read_line("/sys/class/dmi/id/product_uuid", uuid, sizeof(uuid));
	runtime_version(rt, sizeof(rt));
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "machineID", machine_id,
			 "systemUUID", uuid, "bootID", boot_id, "kernelVersion", u.release,
			 "osImage", os, "containerRuntimeVersion", rt, "kubeletVersion",
			 NODE_KUBELET_VERSION, "kubeProxyVersion", NODE_KUBELET_VERSION,
			 "operatingSystem", "linux", "architecture", go_arch(u.machine));
}

/* capacity (allocatable when alloc): cpu and memory of this machine, pods, bandwidth. */
static json_t *resources(struct node_agent *n, bool alloc)
{
	unsigned long long mem = mem_total_ki();
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	char cpu[32], memory[32], pods[16];

	if (alloc)
		mem = mem > EVICTION_MEMORY_KI ? mem - EVICTION_MEMORY_KI : 0;
	snprintf(cpu, sizeof(cpu), "%ld", cpus > 0 ? cpus : 1);
	snprintf(memory, sizeof(memory), "%lluKi", mem);
	snprintf(pods, sizeof(pods), "%d", n->max_pods);
	return json_pack("{s:s,s:s,s:s,s:s}", "cpu", cpu, "memory", memory, "pods", pods,
			 NODE_BANDWIDTH_RESOURCE, n->bandwidth);
}

/* The conditions kubelet posts on a healthy node: type, status, reason, message. */
static const char *const conditions[][4] = {
	{ "MemoryPressure", "False", "KubeletHasSufficientMemory",
	  "kubelet has sufficient memory available" },
	{ "DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure" },
	{ "PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available" },
	{ "Ready", "True", "KubeletReady", "kubelet is posting ready status" },
};
#define N_CONDITIONS (sizeof(conditions) / sizeof(conditions[0]))

static bool str_is(const json_t *obj, const char *key, const char *want)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s && !strcmp(s, want);
}

/* The status the agent wants, heartbeat now; transitions keep their time from cur. */
static json_t *want_status(struct node_agent *n, const json_t *cur)
{
	json_t *conds = json_array(), *addrs = json_array();
	char now[40];
	size_t i;

	rfc3339_now(now, sizeof(now), false);
	for (i = 0; i < N_CONDITIONS; i++) {
		const json_t *old = status_condition(cur, conditions[i][0]);
		const char *since = old && str_is(old, "status", conditions[i][1]) ?
					    json_string_value(json_object_get(old, "lastTransitionTime")) :
					    NULL;

		json_array_append_new(conds, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type",
						       conditions[i][0], "status", conditions[i][1],
						       "reason", conditions[i][2], "message",
						       conditions[i][3], "lastHeartbeatTime", now,
						       "lastTransitionTime", since ? since : now));
	}
	if (n->internal_ip)
		json_array_append_new(addrs, json_pack("{s:s,s:s}", "type", "InternalIP", "address",
						       n->internal_ip));
	json_array_append_new(addrs, json_pack("{s:s,s:s}", "type", "Hostname", "address", n->name));
	return json_pack("{s:o,s:o,s:o,s:o,s:O}", "capacity", resources(n, false), "allocatable",
			 resources(n, true), "conditions", conds, "addresses", addrs, "nodeInfo",
			 n->info);
}

/* cur differs from want in anything but heartbeat times. */
static bool status_differs(const json_t *cur, const json_t *want)
{
	const char *const fields[] = { "capacity", "allocatable", "addresses" };
	const json_t *c, *v;
	const char *k;
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!json_equal(json_object_get(cur, fields[i]) ?: json_null(),
				json_object_get(want, fields[i])))
			return true;
	json_object_foreach((json_t *)json_object_get(want, "nodeInfo"), k, v)
		if (!json_equal(json_object_get(json_object_get(cur, "nodeInfo"), k) ?: json_null(), v))
			return true;
	json_array_foreach(json_object_get(want, "conditions"), i, c) {
		const json_t *o = status_condition(cur, json_string_value(json_object_get(c, "type")));

		if (!o || !json_equal(json_object_get(o, "status"), json_object_get(c, "status")) ||
		    !json_equal(json_object_get(o, "reason") ?: json_null(), json_object_get(c, "reason")))
			return true;
	}
	return false;
}

static void note_failure(struct node_agent *n, const char *what, long code, const json_t *st)
{
	char msg[256];

	if (n->down)
		return;
	n->down = true;
	pr_warn("node %s: %s: %s; retrying with backoff\n", n->name, what,
		code < 0 ? "the apiserver cannot be reached" : kstatus_message(st, code, msg, sizeof(msg)));
}

static void note_ok(struct node_agent *n)
{
	if (n->down)
		pr_info("node %s: the apiserver answers again\n", n->name);
	n->down = false;
}

static int register_node(struct node_agent *n)
{
	char path[512];
	json_t *status = want_status(n, NULL), *out = NULL, *node;
	struct utsname u;
	long code;

	uname(&u);
	node = json_pack("{s:s,s:s,s:{s:s,s:{s:s,s:s,s:s,s:s,s:s}},s:{},s:o}", "apiVersion", "v1",
			 "kind", "Node", "metadata", "name", n->name, "labels",
			 "kubernetes.io/hostname", n->name, "kubernetes.io/os", "linux",
			 "kubernetes.io/arch", go_arch(u.machine), "beta.kubernetes.io/os", "linux",
			 "beta.kubernetes.io/arch", go_arch(u.machine), "spec", "status", status);
	code = kclient_post(n->c, "/api/v1/nodes", node, &out);
	json_decref(node);
	if (code == 409) {
		/* Registered before (an agent restart): the Node is ours to keep up to date. */
		json_decref(out);
		out = NULL;
		kpath(path, sizeof(path), "v1", NULL, "nodes", n->name, NULL);
		code = kclient_get(n->c, path, &out);
		if (code == 200)
			pr_info("node %s: already registered, taking it over\n", n->name);
	} else if (code == 201) {
		pr_info("node %s: registered\n", n->name);
		n->last_report = time(NULL);
	}
	if (code != 200 && code != 201) {
		note_failure(n, "registering the Node", code, out);
		json_decref(out);
		return -EIO;
	}
	snprintf(n->uid, sizeof(n->uid), "%s",
		 json_string_value(json_object_get(json_object_get(out, "metadata"), "uid")) ?: "");
	json_decref(out);
	n->registered = true;
	return 0;
}

/* Post the status when it differs from the Node's, or when the last post is 5 minutes
 * old. A Node that is gone is registered again. */
static int update_status(struct node_agent *n)
{
	char path[512];
	json_t *cur = NULL, *want, *patch, *out = NULL;
	long code;

	kpath(path, sizeof(path), "v1", NULL, "nodes", n->name, NULL);
	code = kclient_get(n->c, path, &cur);
	if (code == 404) {
		pr_warn("node %s: the Node was deleted; registering it again\n", n->name);
		json_decref(cur);
		n->registered = false;
		return register_node(n);
	}
	if (code != 200) {
		note_failure(n, "reading the Node", code, cur);
		json_decref(cur);
		return -EIO;
	}
	want = want_status(n, json_object_get(cur, "status"));
	if (!status_differs(json_object_get(cur, "status"), want) &&
	    time(NULL) - n->last_report < NODE_STATUS_REPORT_S) {
		json_decref(want);
		json_decref(cur);
		return 0;
	}
	json_decref(cur);
	/* Strategic merge: conditions and addresses merge by type, as kubelet's patch does. */
	patch = json_pack("{s:o}", "status", want);
	kpath(path, sizeof(path), "v1", NULL, "nodes", n->name, "status");
	code = kclient_patch(n->c, path, "strategic", patch, &out);
	json_decref(patch);
	if (code != 200) {
		note_failure(n, "posting the node status", code, out);
		json_decref(out);
		return -EIO;
	}
	json_decref(out);
	pr_info("node %s: status posted (Ready)\n", n->name);
	n->last_report = time(NULL);
	return 0;
}

static json_t *new_lease(struct node_agent *n)
{
	json_t *l = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:i}}", "apiVersion",
			      "coordination.k8s.io/v1", "kind", "Lease", "metadata", "name", n->name,
			      "namespace", NODE_LEASE_NAMESPACE, "spec", "holderIdentity", n->name,
			      "leaseDurationSeconds", NODE_LEASE_DURATION_S);

	/* Owned by the Node, so that deleting the Node deletes its Lease (kubelet does it). */
	if (*n->uid)
		json_object_set_new(json_object_get(l, "metadata"), "ownerReferences",
				    json_pack("[{s:s,s:s,s:s,s:s}]", "apiVersion", "v1", "kind",
					      "Node", "name", n->name, "uid", n->uid));
	return l;
}

/* PUT the cached Lease with a new renewTime; without one (or on a conflict) read it,
 * and create it when absent. */
static int renew_lease(struct node_agent *n)
{
	char path[512], now[40];
	json_t *out = NULL;
	long code;

	kpath(path, sizeof(path), "coordination.k8s.io/v1", NODE_LEASE_NAMESPACE, "leases",
	      n->name, NULL);
	if (!n->lease) {
		code = kclient_get(n->c, path, &out);
		if (code == 200) {
			n->lease = out;
		} else if (code == 404) {
			json_decref(out);
			n->lease = new_lease(n);
		} else {
			note_failure(n, "reading the Lease", code, out);
			json_decref(out);
			return -EIO;
		}
		out = NULL;
	}
	rfc3339_now(now, sizeof(now), true);
	json_object_set_new(json_object_get(n->lease, "spec"), "holderIdentity", json_string(n->name));
	json_object_set_new(json_object_get(n->lease, "spec"), "leaseDurationSeconds",
			    json_integer(NODE_LEASE_DURATION_S));
	json_object_set_new(json_object_get(n->lease, "spec"), "renewTime", json_string(now));
	if (json_object_get(json_object_get(n->lease, "metadata"), "resourceVersion")) {
		code = kclient_put(n->c, path, n->lease, &out);
	} else {
		json_object_set_new(json_object_get(n->lease, "spec"), "acquireTime", json_string(now));
		kpath(path, sizeof(path), "coordination.k8s.io/v1", NODE_LEASE_NAMESPACE, "leases",
		      NULL, NULL);
		code = kclient_post(n->c, path, n->lease, &out);
	}
	json_decref(n->lease);
	n->lease = NULL;
	if (code != 200 && code != 201) {
		/* 409: someone wrote it meanwhile; the next try reads it first. */
		note_failure(n, "renewing the Lease", code, out);
		json_decref(out);
		return -EIO;
	}
	n->lease = out;
	pthread_mutex_lock(&n->mu);
	n->renewed = mono_now();
	pthread_mutex_unlock(&n->mu);
	pr_debug("node %s: Lease renewed\n", n->name);
	return 0;
}

/* Sleep s seconds or until stopped; true when stopped. */
static bool wait_stop(struct node_agent *n, double s)
{
	struct timespec until;
	bool stop;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (time_t)s;
	until.tv_nsec += (long)((s - (time_t)s) * 1e9);
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&n->mu);
	while (!n->stop &&
	       pthread_cond_timedwait(&n->cond, &n->mu, &until) != ETIMEDOUT)
		;
	stop = n->stop;
	pthread_mutex_unlock(&n->mu);
	return stop;
}

static void *run(void *arg)
{
	struct node_agent *n = arg;
	double backoff = 0.2, delay;

	do {
		int err = 0;

		if (!n->registered)
			err = register_node(n);
		if (!err)
			err = renew_lease(n);
		if (!err)
			err = update_status(n);
		if (!err) {
			note_ok(n);
			backoff = 0.2;
			delay = NODE_LEASE_RENEW_S;
		} else {
			/* kubelet's lease controller: 200 ms doubling to 7 s while calls fail. */
			delay = backoff;
			backoff = backoff * 2 > 7 ? 7 : backoff * 2;
		}
	} while (!wait_stop(n, delay));
	return NULL;
}

int node_agent_start(struct kclient *c, const struct node_opts *o, struct node_agent **out)
{
	struct node_agent *n = calloc(1, sizeof(*n));
	pthread_condattr_t ca;
	int ret;

	if (!n)
		return -ENOMEM;
	n->c = c;
	n->name = strdup(o->name);
	n->internal_ip = o->internal_ip ? strdup(o->internal_ip) : NULL;
	n->bandwidth = strdup(o->bandwidth ? o->bandwidth : NODE_BANDWIDTH_DEFAULT);
	n->max_pods = o->max_pods > 0 ? o->max_pods : 110;
	n->info = node_info();
	pthread_mutex_init(&n->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&n->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (!n->name || !n->bandwidth || !n->info) {
		node_agent_stop(n);
		return -ENOMEM;
	}
	ret = pthread_create(&n->thread, NULL, run, n);
	if (ret) {
		node_agent_stop(n);
		return -ret;
	}
	*out = n;
	return 0;
}

void node_agent_stop(struct node_agent *n)
{
	if (!n)
		return;
	if (n->thread) {
		pthread_mutex_lock(&n->mu);
		n->stop = true;
		pthread_cond_broadcast(&n->cond);
		pthread_mutex_unlock(&n->mu);
		pthread_join(n->thread, NULL);
	}
	json_decref(n->info);
	json_decref(n->lease);
	free(n->name);
	free(n->internal_ip);
	free(n->bandwidth);
	pthread_cond_destroy(&n->cond);
	pthread_mutex_destroy(&n->mu);
	free(n);
}

bool node_agent_healthy(struct node_agent *n)
{
	bool ok;

	pthread_mutex_lock(&n->mu);
	ok = n->renewed && mono_now() - n->renewed < NODE_LEASE_DURATION_S;
	pthread_mutex_unlock(&n->mu);
	return ok;
}

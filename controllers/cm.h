/* cm.h — kbpf-controller-manager's shared state and helpers: one API client, shared
 * informers (one list+watch per collection whatever the number of controllers using it),
 * the flags, and the hooks each controller provides. */
#ifndef KBPF_CM_H
#define KBPF_CM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "informer.h"
#include "kclient.h"
#include "workqueue.h"

#define CM_MAX_INFORMERS 32
#define CM_MAX_WORKERS 128

struct cm {
	struct kclient *c;
	char identity[256];  /* host name and pid: leases, events' reportingInstance */
	/* Flags, as kube-controller-manager names them. */
	const char *cluster_cidr;      /* --cluster-cidr: pod CIDRs come from here (10.244.0.0/16) */
	int node_cidr_mask;            /* --node-cidr-mask-size (24) */
	bool allocate_node_cidrs;      /* --allocate-node-cidrs (true) */
	int node_monitor_grace_s;      /* --node-monitor-grace-period: lease silence before
					* Ready=Unknown (40) */
	int node_monitor_period_s;     /* --node-monitor-period (5) */
	double node_eviction_rate;     /* --node-eviction-rate: nodes tainted NoExecute per
					* second and zone (0.1) */
	double secondary_node_eviction_rate; /* --secondary-node-eviction-rate: the same in a
					      * partly disrupted zone of a large cluster (0.01) */
	int large_cluster_size_threshold; /* --large-cluster-size-threshold (50) */
	double unhealthy_zone_threshold;  /* --unhealthy-zone-threshold: share of NotReady
					   * nodes that makes a zone partly disrupted (0.55) */
	const char *lb_ip_pool;        /* --lb-ip-pool: "A-B" range or CIDR; NULL: none */
	int workers;                   /* --concurrent-syncs: workers per controller (5) */
	volatile bool stop;

	/* Private to cm.c and main.c. */
	struct {
		char *path;
		struct informer *inf;
	} informers[CM_MAX_INFORMERS];
	int n_informers;
	bool running; /* informers started: cm_informer() no longer creates */
	pthread_mutex_t mu;
	struct workqueue *queues[CM_MAX_WORKERS];
	int n_queues;
	pthread_t threads[CM_MAX_WORKERS];
	int n_threads;
};

/*
 * A controller. init runs before the informers start: it takes the informers it needs
 * (cm_informer), adds its handlers and creates its queues. run runs once this process
 * leads and every informer has synced: it starts its workers (cm_run_workers) and any
 * thread of its own, and returns. stop (after cm->stop is set and the queues are shut
 * down) ends the threads it started itself and frees its state. Any may be NULL.
 */
struct controller {
	const char *name;
	int (*init)(struct cm *cm);
	int (*run)(struct cm *cm);
	void (*stop)(struct cm *cm);
};

/* The controllers, in start order (controllers/registry.c). */
extern const struct controller *const controllers[];
extern const unsigned n_controllers;

/*
 * The shared informer of a collection path: "/api/v1/pods", "/apis/apps/v1/replicasets",
 * "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases". Created on first use;
 * only during init (NULL afterwards, or when out of slots).
 */
struct informer *cm_informer(struct cm *cm, const char *path);

/*
 * n worker threads taking keys from q and calling sync(cm, key): 0 forgets the key's
 * failures, an error requeues it with backoff (logged with what). The manager shuts the
 * queue down and joins the threads at exit.
 */
int cm_run_workers(struct cm *cm, struct workqueue *q, int n,
		   int (*sync)(struct cm *cm, const char *key), const char *what);

/* A thread of a controller's own (a periodic monitor), joined at exit; it must return
 * once cm->stop is set (cm_sleep wakes then). */
int cm_run_thread(struct cm *cm, void *(*fn)(void *), void *arg);
/* Sleep up to ms; false when cm->stop was set meanwhile. */
bool cm_sleep(struct cm *cm, int ms);

/* "namespace/name" (or "name") of an object. */
void cm_key(const json_t *obj, char *buf, size_t len);
/* Split "namespace/name" ("" namespace for "name"). */
void cm_split_key(const char *key, char *ns, size_t ns_len, char *name, size_t name_len);
/* The ownerReference with controller: true, or NULL. */
const json_t *cm_controller_ref(const json_t *obj);
/* Pod helpers with Kubernetes' meanings. */
bool cm_pod_ready(const json_t *pod);      /* condition Ready is True */
bool cm_pod_terminal(const json_t *pod);   /* phase Succeeded or Failed */
bool cm_being_deleted(const json_t *obj);  /* metadata.deletionTimestamp set */
/* RFC 3339 UTC, second precision ("2026-11-26T18:00:00Z"). */
void cm_now(char *buf, size_t len);
/* Wall-clock time in seconds since the epoch, with fractions. */
double cm_time_now(void);
/* An RFC 3339 time ("…Z", optional fraction) in seconds since the epoch; NAN when it does
 * not parse. The one time parser of the controllers. */
double cm_time(const char *rfc3339);
/* Format seconds since the epoch as RFC 3339 UTC; micro adds ".000000" (MicroTime, as
 * leases and events use). */
void cm_format_time(double t, char *buf, size_t len, bool micro);
/* Seconds since an RFC 3339 time (NAN when it does not parse). */
double cm_age(const char *rfc3339);
/* Short JSON string getters: metadata.name etc.; NULL when absent. */
const char *cm_str(const json_t *obj, const char *a, const char *b);

#endif /* KBPF_CM_H */

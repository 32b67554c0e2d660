/* agent_pods.h — the kubelet's pod loop in kbpf-agent: watch the pods bound to this node,
 * run them with the pod runtime (pod_runtime.h) from the node's image store (images.h),
 * restart containers by restartPolicy with CrashLoopBackOff, report pods/status, and
 * finish graceful deletions. */
#ifndef KBPF_AGENT_PODS_H
#define KBPF_AGENT_PODS_H

#include <stdbool.h>

struct kclient;
struct pods_agent;

/* CrashLoopBackOff: the first restart waits this long, doubling up to the maximum; a
 * container that ran this long without exiting starts again from the first delay. */
#define POD_BACKOFF_INITIAL_S 10
#define POD_BACKOFF_MAX_S 300
#define POD_BACKOFF_RESET_S 600
/* How often every pod is looked at without a watch event (container exits). */
#define POD_SYNC_PERIOD_S 1

struct pods_opts {
	const char *node_name;
	const char *image_root;	   /* NULL: IMAGE_ROOT_DEFAULT */
	const char *node_ip;	   /* status.hostIP; NULL: none */
	const char *device_prefix; /* host veth prefix (--pod-device-prefix) */
	const char *state_dir;	   /* NULL: the runtime's default */
	const char *log_dir;	   /* NULL: the runtime's default */
	const char *cgroup_parent; /* NULL: the runtime's default */
};

/* The restart delay after `restarts` restarts in a row: 10 s doubling, at most 5 min. */
int pod_backoff_seconds(int restarts);
/* Whether a container that exited with exit_code is started again under policy
 * ("Always", "OnFailure", "Never"; absent is Always). */
bool pod_should_restart(const char *policy, int exit_code);

/* Start the thread that watches the node's pods and runs them. */
int pods_agent_start(struct kclient *c, const struct pods_opts *o, struct pods_agent **out);
/* Stop the thread; the pods keep running (a restarted agent finds them). */
void pods_agent_stop(struct pods_agent *p);

#endif /* KBPF_AGENT_PODS_H */

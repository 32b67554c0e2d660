/* pod_runtime.h — the kubelet's container runtime for kbpf-agent: pod sandboxes (netns +
 * veth + IPAM + cgroup) and containers run by runc from OCI bundles on overlayfs, with
 * CRI-format logs and exit codes kept by a small per-container shim. */
#ifndef KBPF_POD_RUNTIME_H
#define KBPF_POD_RUNTIME_H

#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cgroup.h"
#include "podnet.h"

/* argv[1] of the hidden shim subcommand: a binary that links the runtime calls
 * pod_shim_main() when it sees it (the runtime re-executes cfg.self_exe). */
#define POD_SHIM_ARG "__kbpf-shim"

struct pod_runtime_cfg {
	const char *state_dir;	   /* default /run/kbpf: pods/, runc/ (runc --root), ipam/ */
	const char *log_dir;	   /* default /var/log/kbpf/pods */
	const char *runc;	   /* default "runc" (PATH) */
	const char *pod_cidr;	   /* the node's podCIDR (not needed for hostNetwork pods) */
	const char *device_prefix; /* host veths: default "kbv" (the agent's --pod-device-prefix) */
	const char *cgroup_parent; /* default "kbpf.slice", below the cgroup roots */
	const char *self_exe;	   /* default /proc/self/exe: what runs the shim */
	const char *cluster_dns;   /* nameserver for dnsPolicy ClusterFirst; NULL: host's file */
	const char *cluster_domain; /* default cluster.local */
	const char *node_ip;	   /* status IP of hostNetwork pods */
	int64_t pod_pids_max;	   /* pids.max of each pod (--pod-max-pids); 0 = unlimited */
};

struct pod_runtime;

/* What a pod holds on the node; also what pod_sandbox_list returns for adoption. */
struct pod_sandbox {
	char uid[64], ns[256], name[256];
	bool host_network;
	char netns[128];	  /* "" for hostNetwork */
	char host_if[IFNAMSIZ];	  /* "" for hostNetwork */
	char ip[INET_ADDRSTRLEN]; /* pod IP ("" until allocated) */
	char cgroup[256];	  /* relative to every cgroup root: <parent>/pod<uid> */
	char dir[PATH_MAX];	  /* state_dir/pods/<uid> */
};

/* The image a container runs: its unpacked layers and its config (the OCI image config's
 * "config" object: Entrypoint, Cmd, Env, WorkingDir, User; may be NULL). */
struct pod_image {
	const char *const *layers; /* layer directories, bottom (first in the manifest) first */
	size_t n_layers;
	const json_t *config;
};

enum pod_ctr_state { POD_CTR_UNKNOWN, POD_CTR_CREATED, POD_CTR_RUNNING, POD_CTR_EXITED };

struct pod_ctr_status {
	enum pod_ctr_state state;
	int pid;
	int exit_code;	     /* valid when EXITED: the status, or 128 + signal */
	int signal;	     /* the signal that ended it, or 0 */
	int restart;	     /* restart count it was started with */
	char id[192];	     /* runc id: <uid>_<name> */
	char started_at[40]; /* RFC 3339 */
	char finished_at[40];
	char log_path[PATH_MAX];
};

int pod_runtime_open(const struct pod_runtime_cfg *cfg, struct pod_runtime **out);
void pod_runtime_close(struct pod_runtime *rt);

/*
 * Make the sandbox of a Pod object (metadata.uid/name/namespace, spec.hostNetwork,
 * spec.hostname/subdomain, spec.dnsPolicy, resources): state dir, pod cgroup with its
 * limits, netns + veth + IP (not for hostNetwork), /etc/hosts, resolv.conf, hostname.
 * Idempotent for a uid; on failure what was made stays recorded for pod_sandbox_remove.
 * 0 or -errno with a message in err.
 */
int pod_sandbox_create(struct pod_runtime *rt, const json_t *pod, struct pod_sandbox *sb,
		       char *err, size_t errlen);
/* The sandbox recorded for uid: 0, or -ENOENT. */
int pod_sandbox_load(struct pod_runtime *rt, const char *uid, struct pod_sandbox *sb);
/*
 * Everything recorded on this node, for adoption after a restart: a JSON array of
 * {"uid","namespace","name","hostNetwork","netns","hostIf","ip","cgroup",
 *  "containers":[{"name","id","state","pid","exitCode","restart","startedAt",
 *  "finishedAt","logPath"}]}. NULL on error.
 */
json_t *pod_sandbox_list(struct pod_runtime *rt);
/* Tear a pod down, however far it got: containers (killed at once), rootfs mounts, bundles,
 * cgroup, veth, netns, IP. 0, or the first -errno of a part that stays. */
int pod_sandbox_remove(struct pod_runtime *rt, const char *uid);

/*
 * Create and start one container of the sandbox: bundle + overlay rootfs + runc create
 * (under the shim) + runc start. restart is the restart count (the log file's name).
 * A container of the same name still recorded is an error (-EEXIST): remove it first.
 * 0 or -errno with a message in err (runc's own when it refused).
 */
int pod_container_start(struct pod_runtime *rt, const struct pod_sandbox *sb,
			const json_t *container, const struct pod_image *img, int restart,
			char *err, size_t errlen);
/* Current state, from runc state and the shim's exit record. 0, or -ENOENT. */
int pod_container_status(struct pod_runtime *rt, const char *uid, const char *name,
			 struct pod_ctr_status *st);
/* SIGTERM, then SIGKILL to every process of the container after grace_seconds; returns
 * when it has exited (0) or -ETIMEDOUT. A container already stopped is fine. */
int pod_container_stop(struct pod_runtime *rt, const char *uid, const char *name,
		       int grace_seconds);
/* runc delete --force, unmount the rootfs, remove the bundle (the log stays). */
int pod_container_remove(struct pod_runtime *rt, const char *uid, const char *name);

/* --- pure parts, for the agent's status and the tests --- */

/*
 * The process argv of a container, as the kubelet combines them: command + args when
 * command is set; else the image's Entrypoint + args when args is set; else Entrypoint +
 * Cmd. $(VAR) in command and args expands from env (a JSON array of "K=V"), $$(VAR) is a
 * literal $(VAR), an unknown $(VAR) stays. NULL with a message for an empty result.
 */
json_t *pod_container_argv(const json_t *container, const json_t *image_config,
			   const json_t *env, char *err, size_t errlen);
/* The environment: the image's Env, then the container's env (value only; later names
 * replace earlier ones in place), then extra ("K=V" array or NULL). */
json_t *pod_container_env(const json_t *container, const json_t *image_config,
			  const json_t *extra);

struct oci_params {
	const json_t *container;
	const json_t *image_config;
	const struct pod_sandbox *sb;
	const char *hostname;
	const char *hosts_file, *resolv_file, *hostname_file; /* bind-mounted into /etc */
	const char *cgroups_path;			     /* linux.cgroupsPath */
	const struct cg_limits *limits;
};

/* The OCI runtime config.json of a container (root.path "rootfs"). NULL + err. */
json_t *pod_oci_config(const struct oci_params *p, char *err, size_t errlen);

/* The CRI log line prefix for a time: "2016-10-06T00:17:09.669794202Z". */
void pod_log_timestamp(const struct timespec *ts, char *buf, size_t len);

/* The hidden shim: argv is the process's (argv[1] == POD_SHIM_ARG). Returns exit status. */
int pod_shim_main(int argc, char **argv);

#endif /* KBPF_POD_RUNTIME_H */

/* cgroup.h — pod cgroups for kbpf-agent: Kubernetes resources turned into cgroup values, and
 * the pod cgroup made under the cgroup2 mount (plus the v1 hierarchies on hybrid hosts). */
#ifndef KBPF_CGROUP_H
#define KBPF_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* The kubelet's constants (pkg/kubelet/cm/helpers_linux.go). */
#define CG_CPU_PERIOD_US 100000
#define CG_MIN_QUOTA_US 1000
#define CG_MIN_SHARES 2
#define CG_MAX_SHARES 262144

/* What a pod or a container is held to; 0 means "no limit" (for shares: not set). */
struct cg_limits {
	uint64_t cpu_shares;	/* v1 cpu.shares; v2 cpu.weight is derived from it */
	int64_t cpu_quota_us;	/* per CG_CPU_PERIOD_US */
	int64_t memory_bytes;
	int64_t pids;
};

/* cpu.shares from a cpu request in millicores (MilliCPUToShares): 2 for none. */
uint64_t cg_shares_from_milli(int64_t milli);
/* cfs quota from a cpu limit in millicores (MilliCPUToQuota): 0 for none, at least 1000. */
int64_t cg_quota_from_milli(int64_t milli);
/* cpu.weight from cpu.shares, as runc and the kubelet convert (1..10000; 0 for 0). */
uint64_t cg_weight_from_shares(uint64_t shares);
/* "max 100000" or "<quota> 100000"; "max" or bytes for memory.max and pids.max. */
void cg_format_cpu_max(int64_t quota_us, char *buf, size_t len);
void cg_format_max(int64_t v, char *buf, size_t len);

/*
 * Limits of one container (resources.limits/requests; a missing request is the limit,
 * as the API defaults it), and of a pod: the sum over its containers, at least the largest
 * init container; cpu and memory limits only when every container has one (the kubelet's
 * rule: one unlimited container makes the pod unlimited). pids is pod_pids (0 = none).
 * Returns 0, or -EINVAL with a message in err for a bad quantity.
 */
int cg_limits_from_container(const json_t *container, struct cg_limits *out, char *err,
			     size_t errlen);
int cg_limits_from_pod(const json_t *pod, int64_t pod_pids, struct cg_limits *out, char *err,
		       size_t errlen);

/* The cgroup2 mount point from /proc/mounts (-ENOENT if none). */
int cg_v2_mount(char *buf, size_t len);
/* True when /sys/fs/cgroup is itself cgroup2 (runc then uses its v2 manager). */
bool cg_unified_only(void);

/*
 * Make the cgroup REL (e.g. "kbpf.slice/pod<uid>") under the cgroup2 mount, with the
 * controllers it can have enabled for its children, and write the limits to the files of
 * every hierarchy that has the controller: cpu.max/cpu.weight/memory.max/pids.max in v2,
 * and on hybrid hosts (where cpu, memory and pids are bound to v1) cpu.cfs_quota_us,
 * cpu.shares, memory.limit_in_bytes and pids.max in the v1 hierarchies, where runc, which
 * uses its v1 manager there, puts the containers. Idempotent. 0 or -errno.
 */
int cg_create(const char *rel, const struct cg_limits *l);

/*
 * Remove REL and everything below it in every cgroup hierarchy (v2 and v1); processes
 * still inside are killed first (a half-torn-down pod). 0, or -errno of the first dir that
 * stays (-EBUSY when a process does not die).
 */
int cg_remove(const char *rel);

/* Whether REL exists in any hierarchy. */
bool cg_exists(const char *rel);

#endif /* KBPF_CGROUP_H */

/* cgroup.c — pod cgroups: Kubernetes resources as cgroup values (the kubelet's formulas),
 * made and removed in the cgroup2 hierarchy and, on hybrid hosts, in the v1 ones. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <mntent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>

#include "cgroup.h"
#include "log.h"
#include "podnet.h"
#include "quantity.h"
#include "util.h"

uint64_t cg_shares_from_milli(int64_t milli)
{
	uint64_t shares;

	if (milli <= 0)
		return CG_MIN_SHARES;
	shares = (uint64_t)milli * 1024 / 1000;
	if (shares < CG_MIN_SHARES)
		return CG_MIN_SHARES;
	return shares > CG_MAX_SHARES ? CG_MAX_SHARES : shares;
}

int64_t cg_quota_from_milli(int64_t milli)
{
	int64_t quota;

	if (milli <= 0)
		return 0;
	quota = milli * CG_CPU_PERIOD_US / 1000;
	return quota < CG_MIN_QUOTA_US ? CG_MIN_QUOTA_US : quota;
}

uint64_t cg_weight_from_shares(uint64_t shares)
{
	if (shares == 0)
		return 0;
	return 1 + ((shares - 2) * 9999) / 262142;
}

void cg_format_cpu_max(int64_t quota_us, char *buf, size_t len)
{
	if (quota_us > 0)
		snprintf(buf, len, "%" PRId64 " %d", quota_us, CG_CPU_PERIOD_US);
	else
		snprintf(buf, len, "max %d", CG_CPU_PERIOD_US);
}

void cg_format_max(int64_t v, char *buf, size_t len)
{
	if (v > 0)
		snprintf(buf, len, "%" PRId64, v);
	else
		snprintf(buf, len, "max");
}

/* One resource of a container: limit (0 = none) and request (the limit when missing). */
static int resource_of(const json_t *container, const char *name, bool milli, int64_t *limit,
		       int64_t *request, char *err, size_t errlen)
{
	const json_t *res = json_object_get(container, "resources");
	const json_t *lv = json_object_get(json_object_get(res, "limits"), name);
	const json_t *rv = json_object_get(json_object_get(res, "requests"), name);
	int ret;

	*limit = *request = 0;
	if (lv) {
		ret = milli ? quantity_json_milli(lv, limit) : quantity_json_value(lv, limit);
		if (ret)
			goto bad;
	}
	if (rv) {
		ret = milli ? quantity_json_milli(rv, request) : quantity_json_value(rv, request);
		if (ret)
			goto bad;
	} else {
		*request = *limit;
	}
	return 0;
bad:
	snprintf(err, errlen, "container %s: resources.%s.%s is not a valid quantity",
		 json_string_value(json_object_get(container, "name")) ?: "?", lv ? "limits" :
		 "requests", name);
	return -EINVAL;
}

int cg_limits_from_container(const json_t *container, struct cg_limits *out, char *err,
			     size_t errlen)
{
	int64_t cpu_lim, cpu_req, mem_lim, mem_req;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = resource_of(container, "cpu", true, &cpu_lim, &cpu_req, err, errlen);
	if (!ret)
		ret = resource_of(container, "memory", false, &mem_lim, &mem_req, err, errlen);
	if (ret)
		return ret;
	out->cpu_shares = cg_shares_from_milli(cpu_req);
	out->cpu_quota_us = cg_quota_from_milli(cpu_lim);
	out->memory_bytes = mem_lim;
	return 0;
}

/* The pod's totals over one list of containers: summed, or (init containers, which run one
 * at a time) the largest; unlimited as soon as one container has no limit. */
struct pod_sum {
	int64_t cpu_lim, cpu_req, mem_lim;
	bool cpu_unlimited, mem_unlimited;
};

static int sum_containers(const json_t *list, bool largest, struct pod_sum *s, char *err,
			  size_t errlen)
{
	int64_t l, r, ml, mr;
	const json_t *c;
	size_t i;
	int ret;

	json_array_foreach(list, i, c) {
		ret = resource_of(c, "cpu", true, &l, &r, err, errlen);
		if (!ret)
			ret = resource_of(c, "memory", false, &ml, &mr, err, errlen);
		if (ret)
			return ret;
		s->cpu_unlimited |= l == 0;
		s->mem_unlimited |= ml == 0;
		s->cpu_lim = largest ? (l > s->cpu_lim ? l : s->cpu_lim) : s->cpu_lim + l;
		s->cpu_req = largest ? (r > s->cpu_req ? r : s->cpu_req) : s->cpu_req + r;
		s->mem_lim = largest ? (ml > s->mem_lim ? ml : s->mem_lim) : s->mem_lim + ml;
	}
	return 0;
}

int cg_limits_from_pod(const json_t *pod, int64_t pod_pids, struct cg_limits *out, char *err,
		       size_t errlen)
{
	const json_t *spec = json_object_get(pod, "spec");
	struct pod_sum run = { 0 }, init = { 0 };
	int ret;

	memset(out, 0, sizeof(*out));
	ret = sum_containers(json_object_get(spec, "containers"), false, &run, err, errlen);
	if (!ret)
		ret = sum_containers(json_object_get(spec, "initContainers"), true, &init, err,
				     errlen);
	if (ret)
		return ret;
	out->cpu_shares = cg_shares_from_milli(run.cpu_req > init.cpu_req ? run.cpu_req :
					       init.cpu_req);
	out->cpu_quota_us = run.cpu_unlimited || init.cpu_unlimited ? 0 :
		cg_quota_from_milli(run.cpu_lim > init.cpu_lim ? run.cpu_lim : init.cpu_lim);
	out->memory_bytes = run.mem_unlimited || init.mem_unlimited ? 0 :
		(run.mem_lim > init.mem_lim ? run.mem_lim : init.mem_lim);
	out->pids = pod_pids;
	return 0;
}

/* Calls fn for each cgroup hierarchy: v2 (controllers NULL) and each v1 mount. */
static int for_each_hierarchy(int (*fn)(const char *mnt, const char *opts, bool v2, void *arg),
			      void *arg)
{
	struct mntent ent;
	char buf[4096];
	FILE *f = setmntent("/proc/mounts", "r");
	int ret = 0, r;

	if (!f)
		return -errno;
	while (getmntent_r(f, &ent, buf, sizeof(buf))) {
		bool v2 = !strcmp(ent.mnt_type, "cgroup2");

		if (!v2 && strcmp(ent.mnt_type, "cgroup"))
			continue;
		r = fn(ent.mnt_dir, ent.mnt_opts, v2, arg);
		if (r && !ret)
			ret = r;
	}
	endmntent(f);
	return ret;
}

static int find_v2(const char *mnt, const char *opts, bool v2, void *arg)
{
	char **out = arg;

	(void)opts;
	if (v2 && !*out)
		*out = strdup(mnt);
	return 0;
}

int cg_v2_mount(char *buf, size_t len)
{
	char *mnt = NULL;
	int ret;

	for_each_hierarchy(find_v2, &mnt);
	if (!mnt)
		return -ENOENT;
	ret = pathf(buf, len, "%s", mnt);
	free(mnt);
	return ret;
}

bool cg_unified_only(void)
{
	struct statfs st;

	return statfs("/sys/fs/cgroup", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

static int write_file(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX];
	int fd, ret = 0;

	if (pathf(path, sizeof(path), "%s/%s", dir, file))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	if (ret)
		pr_warn("writing %s to %s: %s\n", val, path, strerror(-ret));
	return ret;
}

static bool has_word(const char *list, const char *word, char sep)
{
	size_t n = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word))) {
		if ((p == list || p[-1] == sep) && (p[n] == sep || p[n] == '\0' || p[n] == '\n'))
			return true;
		p += n;
	}
	return false;
}

/* In v2: enable the controllers that the limits need on every ancestor below the mount. */
static int v2_enable(const char *mnt, const char *rel)
{
	static const char *const ctrls[] = { "cpu", "memory", "pids" };
	char dir[PATH_MAX], avail[512] = "", req[16];
	const char *p = rel;
	size_t i;
	FILE *f;

	if (pathf(dir, sizeof(dir), "%s", mnt))
		return -ENAMETOOLONG;
	for (;;) {
		char path[PATH_MAX];

		if (pathf(path, sizeof(path), "%s/cgroup.controllers", dir))
			return -ENAMETOOLONG;
		f = fopen(path, "re");
		if (!f || !fgets(avail, sizeof(avail), f))
			avail[0] = '\0';
		if (f)
			fclose(f);
		for (i = 0; i < sizeof(ctrls) / sizeof(ctrls[0]); i++) {
			if (!has_word(avail, ctrls[i], ' '))
				continue;
			snprintf(req, sizeof(req), "+%s", ctrls[i]);
			write_file(dir, "cgroup.subtree_control", req);
		}
		if (!*p)
			break;
		/* Descend one component of rel. */
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		size_t l = strlen(dir);

		if (l + 1 + n >= sizeof(dir))
			return -ENAMETOOLONG;
		dir[l] = '/';
		memcpy(dir + l + 1, p, n);
		dir[l + 1 + n] = '\0';
		p += n;
		while (*p == '/')
			p++;
	}
	return 0;
}

/* The file of each limit, per hierarchy kind: v2 files where the controller lives in v2,
 * v1 files where it is bound to a v1 hierarchy (hybrid hosts). -1 is "none" in v1. */
static void fmt_cpu_max(const struct cg_limits *l, char *b, size_t n)
{
	cg_format_cpu_max(l->cpu_quota_us, b, n);
}
static void fmt_weight(const struct cg_limits *l, char *b, size_t n)
{
	snprintf(b, n, "%" PRIu64, cg_weight_from_shares(l->cpu_shares));
}
static void fmt_memory_max(const struct cg_limits *l, char *b, size_t n)
{
	cg_format_max(l->memory_bytes, b, n);
}
static void fmt_pids_max(const struct cg_limits *l, char *b, size_t n)
{
	cg_format_max(l->pids, b, n);
}
static void fmt_period(const struct cg_limits *l, char *b, size_t n)
{
	(void)l;
	snprintf(b, n, "%d", CG_CPU_PERIOD_US);
}
static void fmt_quota_v1(const struct cg_limits *l, char *b, size_t n)
{
	snprintf(b, n, "%" PRId64, l->cpu_quota_us > 0 ? l->cpu_quota_us : -1);
}
static void fmt_shares(const struct cg_limits *l, char *b, size_t n)
{
	snprintf(b, n, "%" PRIu64, l->cpu_shares);
}
static void fmt_memory_v1(const struct cg_limits *l, char *b, size_t n)
{
	snprintf(b, n, "%" PRId64, l->memory_bytes > 0 ? l->memory_bytes : -1);
}

static const struct cg_file {
	const char *ctrl, *file;
	bool v2;
	int bit; /* which limit it carries, for cg_create's check */
	void (*fmt)(const struct cg_limits *l, char *buf, size_t len);
} cg_files[] = {
	{ "cpu", "cpu.max", true, 1, fmt_cpu_max },
	{ "cpu", "cpu.weight", true, 1, fmt_weight },
	{ "memory", "memory.max", true, 2, fmt_memory_max },
	{ "pids", "pids.max", true, 4, fmt_pids_max },
	/* period before quota: the kernel checks the quota against the period it has */
	{ "cpu", "cpu.cfs_period_us", false, 1, fmt_period },
	{ "cpu", "cpu.cfs_quota_us", false, 1, fmt_quota_v1 },
	{ "cpu", "cpu.shares", false, 1, fmt_shares },
	{ "memory", "memory.limit_in_bytes", false, 2, fmt_memory_v1 },
	{ "pids", "pids.max", false, 4, fmt_pids_max },
};

struct create_arg {
	const char *rel;
	const struct cg_limits *l;
	int written; /* limits that found a file */
};

static int create_in(const char *mnt, const char *opts, bool v2, void *arg)
{
	struct create_arg *a = arg;
	char dir[PATH_MAX], v[64], avail[512] = "";
	const char *ctrls = opts;
	char sep = ',';
	int ret;

	/* v1: only the hierarchies that carry a limit; runc makes the others itself. */
	if (!v2 && !has_word(opts, "cpu", ',') && !has_word(opts, "memory", ',') &&
	    !has_word(opts, "pids", ','))
		return 0;
	if (pathf(dir, sizeof(dir), "%s/%s", mnt, a->rel))
		return -ENAMETOOLONG;
	ret = mkdir_p(dir, 0755);
	if (ret) {
		pr_warn("making cgroup %s: %s\n", dir, strerror(-ret));
		return ret;
	}
	if (v2) {
		char path[PATH_MAX];
		FILE *f;

		v2_enable(mnt, a->rel);
		if (pathf(path, sizeof(path), "%s/cgroup.controllers", dir))
			return -ENAMETOOLONG;
		f = fopen(path, "re");
		if (f) {
			if (!fgets(avail, sizeof(avail), f))
				avail[0] = '\0';
			fclose(f);
		}
		ctrls = avail;
		sep = ' ';
	}
	for (size_t i = 0; i < sizeof(cg_files) / sizeof(cg_files[0]); i++) {
		const struct cg_file *cf = &cg_files[i];

		if (cf->v2 != v2 || !has_word(ctrls, cf->ctrl, sep))
			continue;
		cf->fmt(a->l, v, sizeof(v));
		write_file(dir, cf->file, v);
		a->written |= cf->bit;
	}
	return 0;
}

int cg_create(const char *rel, const struct cg_limits *l)
{
	struct create_arg a = { .rel = rel, .l = l };
	int ret = for_each_hierarchy(create_in, &a);

	if (ret)
		return ret;
	if ((l->cpu_quota_us && !(a.written & 1)) || (l->memory_bytes && !(a.written & 2))) {
		pr_warn("cgroup %s: no hierarchy has the cpu or memory controller; "
			"limits not set\n", rel);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* Kill what is left in DIR, then remove it (children first). */
static int remove_tree(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	int ret = 0, r, i;
	DIR *d = opendir(dir);
	FILE *f;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (pathf(path, sizeof(path), "%s/%s", dir, de->d_name))
			continue;
		r = remove_tree(path);
		if (r && !ret)
			ret = r;
	}
	closedir(d);
	for (i = 0; i < 50; i++) {
		if (!rmdir(dir) || errno == ENOENT)
			return ret;
		if (errno != EBUSY)
			break;
		/* Processes left behind by a half-torn-down pod. */
		if (pathf(path, sizeof(path), "%s/cgroup.procs", dir) == 0 &&
		    (f = fopen(path, "re"))) {
			int pid;

			while (fscanf(f, "%d", &pid) == 1)
				kill(pid, SIGKILL);
			fclose(f);
		}
		nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
	}
	r = -errno;
	pr_warn("removing cgroup %s: %s\n", dir, strerror(-r));
	return ret ? ret : r;
}

static int remove_in(const char *mnt, const char *opts, bool v2, void *arg)
{
	char dir[PATH_MAX];

	(void)opts;
	(void)v2;
	if (pathf(dir, sizeof(dir), "%s/%s", mnt, (const char *)arg))
		return -ENAMETOOLONG;
	return remove_tree(dir);
}

int cg_remove(const char *rel)
{
	if (!*rel || strstr(rel, ".."))
		return -EINVAL;
	return for_each_hierarchy(remove_in, (void *)rel);
}

static int exists_in(const char *mnt, const char *opts, bool v2, void *arg)
{
	char dir[PATH_MAX];

	(void)opts;
	(void)v2;
	if (pathf(dir, sizeof(dir), "%s/%s", mnt, (const char *)arg))
		return 0;
	return access(dir, F_OK) == 0 ? 1 : 0;
}

bool cg_exists(const char *rel)
{
	return for_each_hierarchy(exists_in, (void *)rel) == 1;
}

/* pod_runtime.c — pod sandboxes and runc containers for kbpf-agent (the kubelet's runtime):
 * OCI bundles on overlayfs, a shim per container that owns its stdio (CRI logs) and reaps
 * it (exit codes), runc create/start/kill/delete, and teardown of whatever a pod left. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pod_runtime.h"
#include "util.h"

struct pod_runtime {
	char state_dir[PATH_MAX / 2];
	char pods_dir[PATH_MAX / 2];
	char runc_root[PATH_MAX / 2];
	char log_dir[PATH_MAX / 2];
	char runc[256];
	char device_prefix[IFNAMSIZ];
	char cgroup_parent[128];
	char self_exe[PATH_MAX / 2];
	char cluster_dns[INET_ADDRSTRLEN];
	char cluster_domain[128];
	char node_ip[INET_ADDRSTRLEN];
	int64_t pod_pids_max;
	bool have_ipam;
	struct ipam ipam;
};

/* Docker's and containerd's default capability set. */
static const char *const default_caps[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
};

/* runc spec's masked and read-only paths. */
static const char *const masked_paths[] = {
	"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
	"/proc/scsi",
};
static const char *const readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

/* What every container gets (runc spec's and containerd's defaults): destination, type,
 * source, options. */
static const char *const default_mounts[][4] = {
	{ "/proc", "proc", "proc", "nosuid,noexec,nodev" },
	{ "/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k" },
	{ "/dev/pts", "devpts", "devpts",
	  "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5" },
	{ "/dev/shm", "tmpfs", "shm", "nosuid,noexec,nodev,mode=1777,size=65536k" },
	{ "/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev" },
	{ "/sys", "sysfs", "sysfs", "nosuid,noexec,nodev,ro" },
	{ "/sys/fs/cgroup", "cgroup", "cgroup", "nosuid,noexec,nodev,relatime,ro" },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- small file helpers */

static int write_atomic(const char *path, const char *data, size_t len)
{
	char tmp[PATH_MAX];
	int fd, ret = 0;

	if (pathf(tmp, sizeof(tmp), "%s.tmp", path))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, data, len) != (ssize_t)len)
		ret = errno ? -errno : -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

static int write_json(const char *path, const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	int ret;

	if (!s)
		return -ENOMEM;
	ret = write_atomic(path, s, strlen(s));
	free(s);
	return ret;
}

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int fd = open(from, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return write_atomic(to, "", 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return write_atomic(to, buf, n > 0 ? n : 0);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP ? rmdir(path) : unlink(path))
		return errno == ENOENT ? 0 : -1;
	return 0;
}

/* rm -rf that never crosses into another filesystem (a still-mounted rootfs). */
static int rm_rf(const char *path)
{
	if (access(path, F_OK))
		return 0;
	if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT))
		return -errno;
	return 0;
}

static bool valid_name(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > max || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

void pod_log_timestamp(const struct timespec *ts, char *buf, size_t len)
{
	struct tm tm;

	/* RFC 3339 with nanoseconds, always 9 digits: what the kubelet's parser reads. */
	gmtime_r(&ts->tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts->tv_nsec);
}

static void now_rfc3339(char *buf, size_t len)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	pod_log_timestamp(&ts, buf, len);
}

/* ---------------------------------------------------------------- pure: process and OCI */

/* $(VAR) expansion of the kubelet (third_party/forked/golang/expansion). */
static char *expand(const char *in, const json_t *env)
{
	size_t cap = strlen(in) + 1, len = 0;
	char *out = malloc(cap);

#define PUT(p, n)                                                               \
	do {                                                                    \
		size_t n_ = (n);                                                \
		if (len + n_ + 1 > cap) {                                       \
			cap = (len + n_ + 1) * 2;                               \
			out = realloc(out, cap);                                \
			if (!out)                                               \
				return NULL;                                    \
		}                                                               \
		memcpy(out + len, (p), n_);                                     \
		len += n_;                                                      \
	} while (0)
	if (!out)
		return NULL;
	for (const char *p = in; *p;) {
		const char *close;

		if (p[0] != '$' || !p[1]) {
			PUT(p, 1);
			p++;
		} else if (p[1] == '$') {
			PUT("$", 1);
			p += 2;
		} else if (p[1] == '(' && (close = strchr(p + 2, ')'))) {
			size_t n = close - (p + 2), i;
			const json_t *e;
			const char *val = NULL;

			json_array_foreach(env, i, e) {
				const char *kv = json_string_value(e);

				if (kv && !strncmp(kv, p + 2, n) && kv[n] == '=')
					val = kv + n + 1;
			}
			if (val)
				PUT(val, strlen(val));
			else
				PUT(p, n + 3);
			p = close + 1;
		} else {
			PUT(p, 2);
			p += 2;
		}
	}
#undef PUT
	out[len] = '\0';
	return out;
}

static int append_strings(json_t *argv, const json_t *arr, const json_t *env)
{
	const json_t *v;
	size_t i;

	json_array_foreach(arr, i, v) {
		char *s;

		if (!json_is_string(v))
			return -EINVAL;
		s = env ? expand(json_string_value(v), env) : strdup(json_string_value(v));
		if (!s)
			return -ENOMEM;
		json_array_append_new(argv, json_string(s));
		free(s);
	}
	return 0;
}

json_t *pod_container_argv(const json_t *container, const json_t *image_config,
			   const json_t *env, char *err, size_t errlen)
{
	const json_t *cmd = json_object_get(container, "command");
	const json_t *args = json_object_get(container, "args");
	const json_t *ep = json_object_get(image_config, "Entrypoint");
	const json_t *icmd = json_object_get(image_config, "Cmd");
	json_t *argv = json_array();
	int ret;

	if (json_array_size(cmd)) {
		ret = append_strings(argv, cmd, env);
		if (!ret)
			ret = append_strings(argv, args, env);
	} else if (json_array_size(args)) {
		ret = append_strings(argv, ep, NULL);
		if (!ret)
			ret = append_strings(argv, args, env);
	} else {
		ret = append_strings(argv, ep, NULL);
		if (!ret)
			ret = append_strings(argv, icmd, NULL);
	}
	if (!ret && json_array_size(argv) == 0)
		ret = -ENOENT;
	if (ret) {
		snprintf(err, errlen, ret == -ENOENT ?
			 "container %s: no command specified (neither command/args nor the "
			 "image's Entrypoint/Cmd)" : "container %s: command, args, Entrypoint "
			 "and Cmd must be arrays of strings",
			 json_string_value(json_object_get(container, "name")) ?: "?");
		json_decref(argv);
		return NULL;
	}
	return argv;
}

/* Set NAME=VALUE in env, replacing an earlier NAME in place. */
static void env_set(json_t *env, const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t n = eq ? (size_t)(eq - kv) : strlen(kv), i;
	json_t *e;

	json_array_foreach(env, i, e) {
		const char *s = json_string_value(e);

		if (!strncmp(s, kv, n) && (s[n] == '=' || s[n] == '\0')) {
			json_array_set_new(env, i, json_string(kv));
			return;
		}
	}
	json_array_append_new(env, json_string(kv));
}

json_t *pod_container_env(const json_t *container, const json_t *image_config,
			  const json_t *extra)
{
	json_t *env = json_array(), *v;
	size_t i;

	json_array_foreach(json_object_get(image_config, "Env"), i, v)
		if (json_is_string(v))
			env_set(env, json_string_value(v));
	json_array_foreach(json_object_get(container, "env"), i, v) {
		const char *name = json_string_value(json_object_get(v, "name"));
		const char *val = json_string_value(json_object_get(v, "value"));
		char *kv;

		if (!name)
			continue;
		/* The kubelet expands $(VAR) in values from the variables before them. */
		char *x = expand(val ? val : "", env);

		if (!x || asprintf(&kv, "%s=%s", name, x) < 0) {
			free(x);
			continue;
		}
		env_set(env, kv);
		free(kv);
		free(x);
	}
	json_array_foreach(extra, i, v)
		if (json_is_string(v))
			env_set(env, json_string_value(v));
	return env;
}

/* uid/gid: securityContext (container, then pod) over the image's User ("uid[:gid]"). */
static int process_user(const struct oci_params *p, json_t **out, char *err, size_t errlen)
{
	const json_t *csc = json_object_get(p->container, "securityContext");
	const char *iu = json_string_value(json_object_get(p->image_config, "User"));
	json_int_t uid = 0, gid = 0;
	const json_t *v;

	if (iu && *iu && strcmp(iu, "root")) {
		char *end;

		uid = strtoll(iu, &end, 10);
		if (end == iu || (*end && *end != ':')) {
			snprintf(err, errlen, "image user %s: only numeric users are supported",
				 iu);
			return -EINVAL;
		}
		if (*end == ':') {
			const char *g = end + 1;

			gid = strtoll(g, &end, 10);
			if (end == g || *end) {
				snprintf(err, errlen, "image user %s: only numeric groups are "
					 "supported", iu);
				return -EINVAL;
			}
		}
	}
	if ((v = json_object_get(csc, "runAsUser")) && json_is_integer(v))
		uid = json_integer_value(v);
	if ((v = json_object_get(csc, "runAsGroup")) && json_is_integer(v))
		gid = json_integer_value(v);
	*out = json_pack("{s:I,s:I}", "uid", uid, "gid", gid);
	return 0;
}

static json_t *string_array(const char *const *s, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(s[i]));
	return a;
}

static json_t *mount_entry(const char *dst, const char *type, const char *src,
			   const char *opts)
{
	json_t *m = json_pack("{s:s,s:s,s:s}", "destination", dst, "type", type, "source", src);
	json_t *o = json_array();
	char *copy = strdup(opts), *save = NULL;

	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		json_array_append_new(o, json_string(t));
	free(copy);
	json_object_set_new(m, "options", o);
	return m;
}

json_t *pod_oci_config(const struct oci_params *p, char *err, size_t errlen)
{
	const json_t *c = p->container;
	const json_t *sc = json_object_get(c, "securityContext");
	const char *wd = json_string_value(json_object_get(c, "workingDir"));
	json_t *cfg, *env, *argv, *user, *caps, *mounts, *ns, *res;
	bool host_net = p->sb->host_network;

	env = pod_container_env(c, p->image_config, NULL);
	argv = pod_container_argv(c, p->image_config, env, err, errlen);
	if (!argv || process_user(p, &user, err, errlen)) {
		json_decref(env);
		json_decref(argv);
		return NULL;
	}
	if (!wd || !*wd)
		wd = json_string_value(json_object_get(p->image_config, "WorkingDir"));
	if (!wd || !*wd)
		wd = "/";
	caps = string_array(default_caps, ARRAY_SIZE(default_caps));
	cfg = json_pack("{s:s, s:{s:b,s:o,s:o,s:o,s:s,s:{s:o,s:o,s:o}}, s:{s:s,s:b}}",
			"ociVersion", "1.0.2",
			"process", "terminal", 0, "user", user, "args", argv, "env", env,
			"cwd", wd, "capabilities", "bounding", json_deep_copy(caps),
			"effective", json_deep_copy(caps), "permitted", caps,
			"root", "path", "rootfs", "readonly",
			json_is_true(json_object_get(sc, "readOnlyRootFilesystem")));
	if (!host_net && p->hostname)
		json_object_set_new(cfg, "hostname", json_string(p->hostname));

	mounts = json_array();
	for (size_t i = 0; i < ARRAY_SIZE(default_mounts); i++)
		json_array_append_new(mounts, mount_entry(default_mounts[i][0],
							  default_mounts[i][1],
							  default_mounts[i][2],
							  default_mounts[i][3]));
	{
		const char *binds[][2] = { { "/etc/hosts", p->hosts_file },
					   { "/etc/resolv.conf", p->resolv_file },
					   { "/etc/hostname", p->hostname_file } };

		for (size_t i = 0; i < ARRAY_SIZE(binds); i++)
			if (binds[i][1])
				json_array_append_new(mounts, mount_entry(binds[i][0], "bind",
						      binds[i][1], "rbind,rprivate,rw"));
	}
	json_object_set_new(cfg, "mounts", mounts);

	ns = json_array();
	json_array_append_new(ns, json_pack("{s:s}", "type", "pid"));
	json_array_append_new(ns, json_pack("{s:s}", "type", "ipc"));
	json_array_append_new(ns, json_pack("{s:s}", "type", "mount"));
	if (!host_net) {
		char path[PATH_MAX];

		/* A hostNetwork pod keeps the node's network and UTS namespaces. */
		json_array_append_new(ns, json_pack("{s:s}", "type", "uts"));
		snprintf(path, sizeof(path), "/run/netns/%s", p->sb->netns);
		json_array_append_new(ns, json_pack("{s:s,s:s}", "type", "network", "path", path));
	}
	res = json_pack("{s:[{s:b,s:s}]}", "devices", "allow", 0, "access", "rwm");
	if (p->limits) {
		json_t *cpu = json_pack("{s:I}", "shares", (json_int_t)p->limits->cpu_shares);

		if (p->limits->cpu_quota_us > 0) {
			json_object_set_new(cpu, "quota", json_integer(p->limits->cpu_quota_us));
			json_object_set_new(cpu, "period", json_integer(CG_CPU_PERIOD_US));
		}
		json_object_set_new(res, "cpu", cpu);
		if (p->limits->memory_bytes > 0)
			json_object_set_new(res, "memory", json_pack("{s:I}", "limit",
						(json_int_t)p->limits->memory_bytes));
	}
	json_object_set_new(cfg, "linux", json_pack("{s:o,s:o,s:s,s:o,s:o}", "namespaces", ns,
			    "resources", res, "cgroupsPath", p->cgroups_path ?: "",
			    "maskedPaths", string_array(masked_paths, ARRAY_SIZE(masked_paths)),
			    "readonlyPaths", string_array(readonly_paths,
							  ARRAY_SIZE(readonly_paths))));
	return cfg;
}

/* ---------------------------------------------------------------- runtime */

int pod_runtime_open(const struct pod_runtime_cfg *cfg, struct pod_runtime **out)
{
	struct pod_runtime *rt = calloc(1, sizeof(*rt));
	char dir[PATH_MAX];
	int ret;

	if (!rt)
		return -ENOMEM;
#define SETS(field, val, def) snprintf(rt->field, sizeof(rt->field), "%s", (val) ? (val) : (def))
	SETS(state_dir, cfg->state_dir, "/run/kbpf");
	SETS(log_dir, cfg->log_dir, "/var/log/kbpf/pods");
	SETS(runc, cfg->runc, "runc");
	SETS(device_prefix, cfg->device_prefix, "kbv");
	SETS(cgroup_parent, cfg->cgroup_parent, "kbpf.slice");
	SETS(self_exe, cfg->self_exe, "/proc/self/exe");
	SETS(cluster_dns, cfg->cluster_dns, "");
	SETS(cluster_domain, cfg->cluster_domain, "cluster.local");
	SETS(node_ip, cfg->node_ip, "");
#undef SETS
	rt->pod_pids_max = cfg->pod_pids_max;
	ret = pathf(rt->pods_dir, sizeof(rt->pods_dir), "%s/pods", rt->state_dir);
	if (!ret)
		ret = pathf(rt->runc_root, sizeof(rt->runc_root), "%s/runc", rt->state_dir);
	if (!ret)
		ret = mkdir_p(rt->pods_dir, 0700);
	if (!ret)
		ret = mkdir_p(rt->runc_root, 0700);
	if (!ret && cfg->pod_cidr) {
		char name[64];

		snprintf(name, sizeof(name), "%s", cfg->pod_cidr);
		for (char *p = name; *p; p++)
			if (*p == '/')
				*p = '_';
		ret = pathf(dir, sizeof(dir), "%s/ipam/%s", rt->state_dir, name);
		if (!ret) {
			mkdir_p(dir, 0700);
			ret = ipam_open(&rt->ipam, dir, cfg->pod_cidr);
		}
		if (ret)
			pr_warn("pod CIDR %s: %s\n", cfg->pod_cidr, strerror(-ret));
		rt->have_ipam = !ret;
	}
	if (ret) {
		free(rt);
		return ret;
	}
	*out = rt;
	return 0;
}

void pod_runtime_close(struct pod_runtime *rt)
{
	free(rt);
}

static json_t *sandbox_json(const struct pod_sandbox *sb)
{
	return json_pack("{s:s,s:s,s:s,s:b,s:s,s:s,s:s,s:s}", "uid", sb->uid, "namespace", sb->ns,
			 "name", sb->name, "hostNetwork", sb->host_network, "netns", sb->netns,
			 "hostIf", sb->host_if, "ip", sb->ip, "cgroup", sb->cgroup);
}

static int sandbox_save(const struct pod_sandbox *sb)
{
	char path[PATH_MAX];
	json_t *j = sandbox_json(sb);
	int ret = pathf(path, sizeof(path), "%s/sandbox.json", sb->dir);

	if (!ret)
		ret = write_json(path, j);
	json_decref(j);
	return ret;
}

/* The names a uid gets on this node, whatever got recorded. */
static void sandbox_names(struct pod_runtime *rt, const char *uid, bool host_net,
			  struct pod_sandbox *sb)
{
	snprintf(sb->uid, sizeof(sb->uid), "%s", uid);
	sb->host_network = host_net;
	snprintf(sb->dir, sizeof(sb->dir), "%s/%s", rt->pods_dir, uid);
	snprintf(sb->cgroup, sizeof(sb->cgroup), "%s/pod%s", rt->cgroup_parent, uid);
	sb->netns[0] = sb->host_if[0] = '\0';
	if (!host_net) {
		podnet_netns_name(uid, sb->netns, sizeof(sb->netns));
		podnet_host_if(rt->device_prefix, uid, sb->host_if, sizeof(sb->host_if));
	}
}

int pod_sandbox_load(struct pod_runtime *rt, const char *uid, struct pod_sandbox *sb)
{
	char path[PATH_MAX];
	json_t *j;

	memset(sb, 0, sizeof(*sb));
	if (!valid_name(uid, 63) || pathf(path, sizeof(path), "%s/%s/sandbox.json", rt->pods_dir,
					  uid))
		return -EINVAL;
	j = json_load_file(path, 0, NULL);
	if (!j)
		return access(path, F_OK) ? -ENOENT : -EIO;
	sandbox_names(rt, uid, json_is_true(json_object_get(j, "hostNetwork")), sb);
#define GETS(field, key) snprintf(sb->field, sizeof(sb->field), "%s", \
				  json_string_value(json_object_get(j, key)) ?: "")
	GETS(ns, "namespace");
	GETS(name, "name");
	GETS(netns, "netns");
	GETS(host_if, "hostIf");
	GETS(ip, "ip");
	GETS(cgroup, "cgroup");
#undef GETS
	json_decref(j);
	return 0;
}

static int write_etc_files(struct pod_runtime *rt, const json_t *pod, const struct pod_sandbox *sb,
			   const char *hostname)
{
	const json_t *spec = json_object_get(pod, "spec");
	const char *policy = json_string_value(json_object_get(spec, "dnsPolicy")) ?:
			     "ClusterFirst";
	const char *subdomain = json_string_value(json_object_get(spec, "subdomain"));
	char path[PATH_MAX], buf[2048];
	bool cluster_dns;
	int ret, n;

	if (pathf(path, sizeof(path), "%s/hostname", sb->dir))
		return -ENAMETOOLONG;
	n = snprintf(buf, sizeof(buf), "%s\n", hostname);
	ret = write_atomic(path, buf, n);
	if (ret)
		return ret;

	if (pathf(path, sizeof(path), "%s/hosts", sb->dir))
		return -ENAMETOOLONG;
	if (sb->host_network) {
		ret = copy_file("/etc/hosts", path);
	} else {
		/* The kubelet's managed hosts file. */
		n = snprintf(buf, sizeof(buf), "# Kubernetes-managed hosts file.\n"
			     "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
			     "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\n"
			     "fe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n");
		if (subdomain && *subdomain)
			n += snprintf(buf + n, sizeof(buf) - n, "%s\t%s.%s.%s.svc.%s\t%s\n", sb->ip,
				      hostname, subdomain, sb->ns, rt->cluster_domain, hostname);
		else
			n += snprintf(buf + n, sizeof(buf) - n, "%s\t%s\n", sb->ip, hostname);
		ret = write_atomic(path, buf, n);
	}
	if (ret)
		return ret;

	if (pathf(path, sizeof(path), "%s/resolv.conf", sb->dir))
		return -ENAMETOOLONG;
	cluster_dns = *rt->cluster_dns &&
		((!strcmp(policy, "ClusterFirst") && !sb->host_network) ||
		 !strcmp(policy, "ClusterFirstWithHostNet"));
	if (!cluster_dns)
		return copy_file("/etc/resolv.conf", path);
	n = snprintf(buf, sizeof(buf),
		     "search %s.svc.%s svc.%s %s\nnameserver %s\noptions ndots:5\n",
		     sb->ns, rt->cluster_domain, rt->cluster_domain, rt->cluster_domain,
		     rt->cluster_dns);
	return write_atomic(path, buf, n);
}

static const char *pod_hostname(const json_t *pod, const struct pod_sandbox *sb)
{
	const char *h = json_string_value(json_object_get(json_object_get(pod, "spec"),
							  "hostname"));
	return h && *h ? h : sb->name;
}

int pod_sandbox_create(struct pod_runtime *rt, const json_t *pod, struct pod_sandbox *sb,
		       char *err, size_t errlen)
{
	const json_t *meta = json_object_get(pod, "metadata");
	const char *uid = json_string_value(json_object_get(meta, "uid"));
	const char *name = json_string_value(json_object_get(meta, "name"));
	const char *ns = json_string_value(json_object_get(meta, "namespace")) ?: "default";
	bool host_net = json_is_true(json_object_get(json_object_get(pod, "spec"), "hostNetwork"));
	struct cg_limits lim;
	struct in_addr addr;
	int ret;

	memset(sb, 0, sizeof(*sb));
	if (!valid_name(uid, 63) || !name || !*name) {
		snprintf(err, errlen, "pod needs metadata.name and a metadata.uid of letters, "
			 "digits, '-' and '.' (at most 63)");
		return -EINVAL;
	}
	ret = cg_limits_from_pod(pod, rt->pod_pids_max, &lim, err, errlen);
	if (ret)
		return ret;
	if (!host_net && !rt->have_ipam) {
		snprintf(err, errlen, "pod %s/%s: no pod CIDR on this node to take its IP from",
			 ns, name);
		return -EADDRNOTAVAIL;
	}
	sandbox_names(rt, uid, host_net, sb);
	snprintf(sb->ns, sizeof(sb->ns), "%s", ns);
	snprintf(sb->name, sizeof(sb->name), "%s", name);
	/* Recorded before anything is made, so that a crash in between leaves it findable. */
	ret = mkdir_p(sb->dir, 0700);
	if (!ret)
		ret = sandbox_save(sb);
	if (ret) {
		snprintf(err, errlen, "pod state %s: %s", sb->dir, strerror(-ret));
		return ret;
	}
	ret = cg_create(sb->cgroup, &lim);
	if (ret) {
		snprintf(err, errlen, "pod cgroup %s: %s", sb->cgroup, strerror(-ret));
		return ret;
	}
	if (host_net) {
		snprintf(sb->ip, sizeof(sb->ip), "%s", rt->node_ip);
	} else {
		ret = ipam_alloc(&rt->ipam, uid, &addr);
		if (ret) {
			snprintf(err, errlen, "pod IP from %s: %s", rt->ipam.dir,
				 ret == -ENOSPC ? "no address left in the pod CIDR" :
				 strerror(-ret));
			return ret;
		}
		inet_ntop(AF_INET, &addr, sb->ip, sizeof(sb->ip));
		ret = sandbox_save(sb);
		if (!ret)
			ret = podnet_create(sb->netns, sb->host_if, addr, err, errlen);
		if (ret)
			return ret;
	}
	ret = write_etc_files(rt, pod, sb, pod_hostname(pod, sb));
	if (!ret)
		ret = sandbox_save(sb);
	if (ret)
		snprintf(err, errlen, "pod files in %s: %s", sb->dir, strerror(-ret));
	return ret;
}

/* ---------------------------------------------------------------- containers */

static int ctr_dir(struct pod_runtime *rt, const char *uid, const char *name, char *buf,
		   size_t len)
{
	if (!valid_name(uid, 63) || !valid_name(name, 63))
		return -EINVAL;
	return pathf(buf, len, "%s/%s/containers/%s", rt->pods_dir, uid, name);
}

static int runc_run(struct pod_runtime *rt, char *err, size_t errlen, const char *a1,
		    const char *a2, const char *a3, const char *a4)
{
	char *argv[] = { rt->runc, "--root", rt->runc_root, (char *)a1, (char *)a2, (char *)a3,
			 (char *)a4, NULL };

	return run_cmd(argv, err, errlen);
}

/* runc state: "created", "running", "stopped", or "" when runc does not know the id. */
static void runc_state(struct pod_runtime *rt, const char *id, char *state, size_t len, int *pid)
{
	char *argv[] = { rt->runc, "--root", rt->runc_root, "state", (char *)id, NULL };
	char out[4096];
	json_t *j = NULL;

	if (!run_capture(argv, false, out, sizeof(out)))
		j = json_loads(out, 0, NULL);
	snprintf(state, len, "%s", json_string_value(json_object_get(j, "status")) ?: "");
	*pid = json_integer_value(json_object_get(j, "pid"));
	json_decref(j);
}

static bool is_mountpoint(const char *path)
{
	struct stat a, b;
	char parent[PATH_MAX];

	if (stat(path, &a) || pathf(parent, sizeof(parent), "%s/..", path) || stat(parent, &b))
		return false;
	return a.st_dev != b.st_dev;
}

/* Start the shim (detached: a grandchild, so the caller never reaps it); wait until runc
 * create has finished under it. */
static int spawn_shim(struct pod_runtime *rt, const char *id, const char *cdir,
		      const char *log_path, char *err, size_t errlen)
{
	char *argv[] = { rt->self_exe, POD_SHIM_ARG, rt->runc, rt->runc_root, (char *)id,
			 (char *)cdir, (char *)log_path, NULL };
	char msg[1024] = "";
	size_t used = 0;
	int sync[2], status;
	ssize_t n;
	pid_t pid;

	if (pipe2(sync, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(sync[0]);
		close(sync[1]);
		return -errno;
	}
	if (pid == 0) {
		/* Only async-signal-safe calls here: the caller may have threads. */
		setsid();
		if (fork() != 0)
			_exit(0);
		if (dup2(sync[1], 3) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	close(sync[1]);
	while ((n = read(sync[0], msg + used, sizeof(msg) - 1 - used)) > 0 ||
	       (n < 0 && errno == EINTR))
		used += n > 0 ? n : 0;
	msg[used] = '\0';
	close(sync[0]);
	waitpid(pid, &status, 0);
	if (!strncmp(msg, "ok", 2))
		return 0;
	snprintf(err, errlen, "runc create %s: %s", id, used ? msg : "the shim did not start");
	return -EIO;
}

int pod_container_start(struct pod_runtime *rt, const struct pod_sandbox *sb,
			const json_t *container, const struct pod_image *img, int restart,
			char *err, size_t errlen)
{
	const char *name = json_string_value(json_object_get(container, "name"));
	char cdir[PATH_MAX], path[PATH_MAX], hosts[PATH_MAX], resolv[PATH_MAX], hname[PATH_MAX];
	char log_dir[PATH_MAX], log_path[PATH_MAX], id[192], cgpath[512], hostname[256];
	char started[40], *opts = NULL;
	struct cg_limits lim;
	json_t *cfg = NULL, *meta;
	size_t used, cap;
	int ret;

	ret = ctr_dir(rt, sb->uid, name, cdir, sizeof(cdir));
	if (ret) {
		snprintf(err, errlen, "container name %s: not a valid name", name ?: "(none)");
		return ret;
	}
	if (img->n_layers == 0) {
		snprintf(err, errlen, "container %s: the image has no layers", name);
		return -EINVAL;
	}
	if (!access(cdir, F_OK)) {
		snprintf(err, errlen, "container %s of pod %s exists: remove it first", name,
			 sb->uid);
		return -EEXIST;
	}
	snprintf(id, sizeof(id), "%s_%s", sb->uid, name);
	snprintf(cgpath, sizeof(cgpath), "/%s/%s", sb->cgroup, name);
	if (pathf(log_dir, sizeof(log_dir), "%s/%s_%s_%s/%s", rt->log_dir, sb->ns, sb->name,
		  sb->uid, name) ||
	    pathf(log_path, sizeof(log_path), "%s/%d.log", log_dir, restart) ||
	    pathf(hosts, sizeof(hosts), "%s/hosts", sb->dir) ||
	    pathf(resolv, sizeof(resolv), "%s/resolv.conf", sb->dir) ||
	    pathf(hname, sizeof(hname), "%s/hostname", sb->dir)) {
		snprintf(err, errlen, "container %s: path too long", name);
		return -ENAMETOOLONG;
	}
	ret = cg_limits_from_container(container, &lim, err, errlen);
	if (ret)
		return ret;
	/* The hostname the sandbox wrote. */
	hostname[0] = '\0';
	{
		FILE *f = fopen(hname, "re");

		if (f) {
			if (fgets(hostname, sizeof(hostname), f))
				hostname[strcspn(hostname, "\n")] = '\0';
			fclose(f);
		}
	}
	struct oci_params p = {
		.container = container, .image_config = img->config, .sb = sb,
		.hostname = *hostname ? hostname : sb->name, .hosts_file = hosts,
		.resolv_file = resolv, .hostname_file = hname, .cgroups_path = cgpath,
		.limits = &lim,
	};
	cfg = pod_oci_config(&p, err, errlen);
	if (!cfg)
		return -EINVAL;

	/* The bundle: config.json, rootfs (overlay of the layers), upper/ and work/. */
	ret = mkdir_p(cdir, 0700);
	for (const char *sub = "rootfs\0upper\0work\0"; !ret && *sub; sub += strlen(sub) + 1) {
		if (pathf(path, sizeof(path), "%s/%s", cdir, sub))
			ret = -ENAMETOOLONG;
		else if (mkdir(path, 0755) && errno != EEXIST)
			ret = -errno;
	}
	if (ret) {
		snprintf(err, errlen, "bundle %s: %s", cdir, strerror(-ret));
		goto fail;
	}
	meta = json_pack("{s:s,s:s,s:i,s:s}", "name", name, "id", id, "restart", restart,
			 "logPath", log_path);
	if (pathf(path, sizeof(path), "%s/container.json", cdir) == 0)
		ret = write_json(path, meta);
	json_decref(meta);
	if (!ret && pathf(path, sizeof(path), "%s/config.json", cdir) == 0)
		ret = write_json(path, cfg);
	if (ret) {
		snprintf(err, errlen, "bundle %s: %s", cdir, strerror(-ret));
		goto fail;
	}

	/* overlayfs lists lower dirs top first. */
	cap = 64 + 2 * strlen(cdir);
	for (size_t i = 0; i < img->n_layers; i++)
		cap += strlen(img->layers[i]) + 1;
	opts = malloc(cap);
	if (!opts) {
		ret = -ENOMEM;
		goto fail;
	}
	used = snprintf(opts, cap, "lowerdir=");
	for (size_t i = img->n_layers; i-- > 0;)
		used += snprintf(opts + used, cap - used, "%s%s", img->layers[i], i ? ":" : "");
	snprintf(opts + used, cap - used, ",upperdir=%s/upper,workdir=%s/work", cdir, cdir);
	if (pathf(path, sizeof(path), "%s/rootfs", cdir) == 0 &&
	    mount("overlay", path, "overlay", 0, opts)) {
		ret = -errno;
		snprintf(err, errlen, "mounting the rootfs of %s (overlay, %zu layers): %s", name,
			 img->n_layers, strerror(-ret));
		goto fail;
	}
	ret = mkdir_p(log_dir, 0755);
	if (ret) {
		snprintf(err, errlen, "log dir %s: %s", log_dir, strerror(-ret));
		goto fail;
	}
	ret = spawn_shim(rt, id, cdir, log_path, err, errlen);
	if (ret)
		goto fail;
	ret = runc_run(rt, err, errlen, "start", id, NULL, NULL);
	if (ret)
		goto fail;
	now_rfc3339(started, sizeof(started));
	meta = json_pack("{s:s,s:s,s:i,s:s,s:s}", "name", name, "id", id, "restart", restart,
			 "logPath", log_path, "startedAt", started);
	if (pathf(path, sizeof(path), "%s/container.json", cdir) == 0)
		write_json(path, meta);
	json_decref(meta);
	free(opts);
	json_decref(cfg);
	return 0;
fail:
	free(opts);
	json_decref(cfg);
	pod_container_remove(rt, sb->uid, name);
	return ret;
}

static void read_exit(const char *cdir, struct pod_ctr_status *st, bool *have)
{
	char path[PATH_MAX];
	json_t *j;

	*have = false;
	if (pathf(path, sizeof(path), "%s/exit.json", cdir))
		return;
	j = json_load_file(path, 0, NULL);
	if (!j)
		return;
	*have = true;
	st->exit_code = json_integer_value(json_object_get(j, "exitCode"));
	st->signal = json_integer_value(json_object_get(j, "signal"));
	snprintf(st->finished_at, sizeof(st->finished_at), "%s",
		 json_string_value(json_object_get(j, "finishedAt")) ?: "");
	json_decref(j);
}

int pod_container_status(struct pod_runtime *rt, const char *uid, const char *name,
			 struct pod_ctr_status *st)
{
	char cdir[PATH_MAX], path[PATH_MAX], state[32];
	bool have_exit;
	json_t *meta;

	memset(st, 0, sizeof(*st));
	if (ctr_dir(rt, uid, name, cdir, sizeof(cdir)) ||
	    pathf(path, sizeof(path), "%s/container.json", cdir))
		return -EINVAL;
	meta = json_load_file(path, 0, NULL);
	if (!meta)
		return -ENOENT;
	st->restart = json_integer_value(json_object_get(meta, "restart"));
	snprintf(st->id, sizeof(st->id), "%s",
		 json_string_value(json_object_get(meta, "id")) ?: "");
	snprintf(st->log_path, sizeof(st->log_path), "%s",
		 json_string_value(json_object_get(meta, "logPath")) ?: "");
	snprintf(st->started_at, sizeof(st->started_at), "%s",
		 json_string_value(json_object_get(meta, "startedAt")) ?: "");
	json_decref(meta);

	read_exit(cdir, st, &have_exit);
	if (have_exit) {
		st->state = POD_CTR_EXITED;
		return 0;
	}
	runc_state(rt, st->id, state, sizeof(state), &st->pid);
	if (!strcmp(state, "running") || !strcmp(state, "paused"))
		st->state = POD_CTR_RUNNING;
	else if (!strcmp(state, "created"))
		st->state = POD_CTR_CREATED;
	else if (!strcmp(state, "stopped")) {
		/* Reaped a moment ago; the shim writes the record right after. */
		for (int i = 0; i < 20 && !have_exit; i++) {
			nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000 * 1000 }, NULL);
			read_exit(cdir, st, &have_exit);
		}
		st->state = POD_CTR_EXITED;
		if (!have_exit)
			st->exit_code = -1; /* the shim is gone: the code is lost */
	}
	/* Neither: runc does not know it (never created, or already deleted). */
	return 0;
}

static bool ctr_done(struct pod_runtime *rt, const char *uid, const char *name)
{
	struct pod_ctr_status st;

	return pod_container_status(rt, uid, name, &st) ||
	       st.state == POD_CTR_EXITED || st.state == POD_CTR_UNKNOWN;
}

static bool wait_done(struct pod_runtime *rt, const char *uid, const char *name, int ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (ctr_done(rt, uid, name))
			return true;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >= ms)
			return false;
		nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000 * 1000 }, NULL);
	}
}

int pod_container_stop(struct pod_runtime *rt, const char *uid, const char *name,
		       int grace_seconds)
{
	struct pod_ctr_status st;
	char err[512];
	int ret = pod_container_status(rt, uid, name, &st);

	if (ret)
		return ret;
	if (st.state == POD_CTR_EXITED || st.state == POD_CTR_UNKNOWN)
		return 0;
	if (grace_seconds > 0) {
		if (runc_run(rt, err, sizeof(err), "kill", st.id, "TERM", NULL))
			pr_debug("%s\n", err);
		if (wait_done(rt, uid, name, grace_seconds * 1000))
			return 0;
	}
	if (runc_run(rt, err, sizeof(err), "kill", "--all", st.id, "KILL"))
		pr_debug("%s\n", err);
	return wait_done(rt, uid, name, 10000) ? 0 : -ETIMEDOUT;
}

int pod_container_remove(struct pod_runtime *rt, const char *uid, const char *name)
{
	char cdir[PATH_MAX], path[PATH_MAX], err[512], state[32];
	struct pod_ctr_status st;
	int ret = 0, pid;

	if (ctr_dir(rt, uid, name, cdir, sizeof(cdir)))
		return -EINVAL;
	if (access(cdir, F_OK))
		return 0;
	snprintf(st.id, sizeof(st.id), "%s_%s", uid, name);
	runc_state(rt, st.id, state, sizeof(state), &pid);
	if (*state && runc_run(rt, err, sizeof(err), "delete", "--force", st.id, NULL)) {
		pr_warn("%s\n", err);
		ret = -EBUSY;
	}
	/* Let the shim write its record and go before the directory does. */
	if (pathf(path, sizeof(path), "%s/shim.pid", cdir) == 0) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		for (int i = 0; fd >= 0 && i < 100 && flock(fd, LOCK_EX | LOCK_NB); i++)
			nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
		if (fd >= 0)
			close(fd);
	}
	if (pathf(path, sizeof(path), "%s/rootfs", cdir))
		return -ENAMETOOLONG;
	if (is_mountpoint(path) && umount2(path, 0) && umount2(path, MNT_DETACH)) {
		pr_warn("unmounting %s: %s\n", path, strerror(errno));
		return -errno;
	}
	if (is_mountpoint(path))
		return -EBUSY;
	if (rm_rf(cdir)) {
		pr_warn("removing %s: %s\n", cdir, strerror(errno));
		return ret ? ret : -errno;
	}
	return ret;
}

/* ---------------------------------------------------------------- list and teardown */

static const char *state_name(enum pod_ctr_state s)
{
	switch (s) {
	case POD_CTR_CREATED: return "created";
	case POD_CTR_RUNNING: return "running";
	case POD_CTR_EXITED: return "exited";
	default: return "unknown";
	}
}

/* Calls fn for each container directory of a pod. */
static int each_container(struct pod_runtime *rt, const char *uid,
			  int (*fn)(struct pod_runtime *, const char *, const char *, void *),
			  void *arg)
{
	char dir[PATH_MAX];
	struct dirent *de;
	int ret = 0, r;
	DIR *d;

	if (pathf(dir, sizeof(dir), "%s/%s/containers", rt->pods_dir, uid))
		return -ENAMETOOLONG;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		r = fn(rt, uid, de->d_name, arg);
		if (r && !ret)
			ret = r;
	}
	closedir(d);
	return ret;
}

static int list_one(struct pod_runtime *rt, const char *uid, const char *name, void *arg)
{
	struct pod_ctr_status st;

	if (pod_container_status(rt, uid, name, &st))
		return 0;
	json_array_append_new(arg, json_pack("{s:s,s:s,s:s,s:i,s:i,s:i,s:s,s:s,s:s}",
			      "name", name, "id", st.id, "state", state_name(st.state),
			      "pid", st.pid, "exitCode", st.exit_code, "restart", st.restart,
			      "startedAt", st.started_at, "finishedAt", st.finished_at,
			      "logPath", st.log_path));
	return 0;
}

json_t *pod_sandbox_list(struct pod_runtime *rt)
{
	struct pod_sandbox sb;
	struct dirent *de;
	json_t *out = json_array(), *j, *ctrs;
	DIR *d = opendir(rt->pods_dir);

	if (!d) {
		json_decref(out);
		return NULL;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || pod_sandbox_load(rt, de->d_name, &sb))
			continue;
		j = sandbox_json(&sb);
		ctrs = json_array();
		each_container(rt, sb.uid, list_one, ctrs);
		json_object_set_new(j, "containers", ctrs);
		json_array_append_new(out, j);
	}
	closedir(d);
	return out;
}

static int remove_one(struct pod_runtime *rt, const char *uid, const char *name, void *arg)
{
	(void)arg;
	pod_container_stop(rt, uid, name, 0);
	return pod_container_remove(rt, uid, name);
}

int pod_sandbox_remove(struct pod_runtime *rt, const char *uid)
{
	struct pod_sandbox sb;
	int ret, r;

	if (!valid_name(uid, 63))
		return -EINVAL;
	/* Without a record (a crash before it was written) the names still follow from uid. */
	if (pod_sandbox_load(rt, uid, &sb))
		sandbox_names(rt, uid, false, &sb);
	ret = each_container(rt, uid, remove_one, NULL);
	r = cg_remove(sb.cgroup);
	ret = ret ? ret : r;
	if (!sb.host_network) {
		r = podnet_destroy(sb.netns, sb.host_if);
		ret = ret ? ret : r;
	}
	if (rt->have_ipam) {
		r = ipam_release(&rt->ipam, uid);
		ret = ret ? ret : r;
	}
	if (!ret) {
		r = rm_rf(sb.dir);
		ret = r;
	}
	return ret;
}

/* ---------------------------------------------------------------- the shim */

struct log_stream {
	int fd;
	const char *name;
	char buf[16384];
	size_t len;
};

static void log_emit(int log_fd, const char *stream, const char *data, size_t n, bool full)
{
	char prefix[96];
	struct timespec ts;
	struct iovec iov[3];
	int plen;

	clock_gettime(CLOCK_REALTIME, &ts);
	pod_log_timestamp(&ts, prefix, sizeof(prefix));
	plen = strlen(prefix);
	plen += snprintf(prefix + plen, sizeof(prefix) - plen, " %s %c ", stream, full ? 'F' : 'P');
	iov[0] = (struct iovec){ prefix, plen };
	iov[1] = (struct iovec){ (void *)data, n };
	iov[2] = (struct iovec){ "\n", 1 };
	if (writev(log_fd, iov, 3) < 0)
		return; /* a full disk loses lines, never the container */
}

/* Read what is there; write every complete line; a full buffer goes out as a partial line. */
static bool log_pump(struct log_stream *s, int log_fd)
{
	ssize_t n = read(s->fd, s->buf + s->len, sizeof(s->buf) - s->len);
	char *nl;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0) {
		if (s->len)
			log_emit(log_fd, s->name, s->buf, s->len, true);
		s->len = 0;
		return false;
	}
	s->len += n;
	while ((nl = memchr(s->buf, '\n', s->len))) {
		size_t line = nl - s->buf;

		log_emit(log_fd, s->name, s->buf, line, true);
		memmove(s->buf, nl + 1, s->len - line - 1);
		s->len -= line + 1;
	}
	if (s->len == sizeof(s->buf)) {
		log_emit(log_fd, s->name, s->buf, s->len, false);
		s->len = 0;
	}
	return true;
}

/* argv: self __kbpf-shim RUNC RUNC_ROOT ID BUNDLE LOG; fd 3 is the sync pipe. */
int pod_shim_main(int argc, char **argv)
{
	const char *runc, *root, *id, *bundle, *log_path;
	char path[PATH_MAX], pidfile[PATH_MAX], runc_log[PATH_MAX], msg[1024];
	struct log_stream out = { .name = "stdout" }, errs = { .name = "stderr" };
	int o[2], e[2], status, log_fd, null, cpid = 0, code = -1, sig = 0;
	bool exited = false, open_o = true, open_e = true;
	char finished[40];
	struct timespec deadline = { 0 };
	pid_t runc_pid;
	json_t *j;

	if (argc != 7)
		return 2;
	runc = argv[2];
	root = argv[3];
	id = argv[4];
	bundle = argv[5];
	log_path = argv[6];
	/* Hold none of the caller's descriptors (its listening sockets, say) past a restart. */
	close_range(4, ~0U, 0);
	/* ...and runc, which forks the container's init, none of ours. */
	fcntl(3, F_SETFD, FD_CLOEXEC);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || pathf(pidfile, sizeof(pidfile), "%s/pid", bundle) ||
	    pathf(runc_log, sizeof(runc_log), "%s/runc.log", bundle))
		return 2;
	/* Locked while the shim lives: the lock goes with the process, zombie or not, and
	 * cannot be fooled by a reused pid. */
	if (pathf(path, sizeof(path), "%s/shim.pid", bundle) == 0) {
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd >= 0 && flock(fd, LOCK_EX) == 0)
			dprintf(fd, "%d\n", getpid());
	}
	log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (log_fd < 0 || pipe2(o, O_CLOEXEC) || pipe2(e, O_CLOEXEC)) {
		dprintf(3, "error: log %s: %s", log_path, strerror(errno));
		return 1;
	}
	runc_pid = fork();
	if (runc_pid == 0) {
		/* runc create in detached mode hands its own stdio to the container. */
		dup2(null, 0);
		dup2(o[1], 1);
		dup2(e[1], 2);
		execlp(runc, runc, "--root", root, "--log", runc_log, "create", "--bundle", bundle,
		       "--pid-file", pidfile, id, (char *)NULL);
		_exit(127);
	}
	close(o[1]);
	close(e[1]);
	while (waitpid(runc_pid, &status, 0) < 0 && errno == EINTR)
		;
	fcntl(o[0], F_SETFL, O_NONBLOCK);
	fcntl(e[0], F_SETFL, O_NONBLOCK);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		ssize_t n = read(e[0], msg, sizeof(msg) - 1);

		msg[n > 0 ? n : 0] = '\0';
		/* runc prints "ERRO[0000] ..." lines; the last one says why. */
		dprintf(3, "%s", *msg ? msg : "runc create failed");
		return 1;
	}
	if (pathf(path, sizeof(path), "%s", pidfile) == 0) {
		FILE *f = fopen(path, "re");

		if (f) {
			if (fscanf(f, "%d", &cpid) != 1)
				cpid = 0;
			fclose(f);
		}
	}
	dprintf(3, "ok %d\n", cpid);
	close(3);
	dup2(null, 0);
	dup2(null, 1);
	dup2(null, 2);
	out.fd = o[0];
	errs.fd = e[0];

	for (;;) {
		struct pollfd pfd[2] = { { .fd = open_o ? out.fd : -1, .events = POLLIN },
					 { .fd = open_e ? errs.fd : -1, .events = POLLIN } };
		pid_t w;

		poll(pfd, 2, 100);
		if (open_o && pfd[0].revents)
			open_o = log_pump(&out, log_fd);
		if (open_e && pfd[1].revents)
			open_e = log_pump(&errs, log_fd);
		/* Reap everything orphaned to us; the container's init is the one that counts. */
		while ((w = waitpid(-1, &status, WNOHANG)) > 0) {
			if (w != cpid)
				continue;
			exited = true;
			code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
			clock_gettime(CLOCK_MONOTONIC, &deadline);
			deadline.tv_sec += 2;
		}
		if (w < 0 && errno == ECHILD && !exited && cpid > 0 && kill(cpid, 0) &&
		    errno == ESRCH)
			exited = true; /* not our child (should not happen): code unknown */
		if (exited) {
			struct timespec now;

			clock_gettime(CLOCK_MONOTONIC, &now);
			if ((!open_o && !open_e) || now.tv_sec > deadline.tv_sec)
				break;
		}
	}
	if (open_o)
		log_pump(&out, log_fd);
	if (open_e)
		log_pump(&errs, log_fd);
	now_rfc3339(finished, sizeof(finished));
	j = json_pack("{s:i,s:i,s:s}", "exitCode", code, "signal", sig, "finishedAt", finished);
	if (pathf(path, sizeof(path), "%s/exit.json", bundle) == 0 && access(bundle, F_OK) == 0)
		write_json(path, j);
	json_decref(j);
	return 0;
}

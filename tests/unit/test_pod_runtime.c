/* test_pod_runtime.c — unit tests of the pod runtime's pure parts: cgroup values from
 * Kubernetes resources, the kubelet's command/args/Entrypoint/Cmd combination, env, the OCI
 * config.json field by field, CRI log timestamps, and the file-backed IPAM. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cgroup.h"
#include "pod_runtime.h"
#include "podnet.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* cpu millicores -> shares, cfs quota, cpu.weight (kubelet's MilliCPUToShares/Quota and
 * runc's shares->weight conversion). */
static const struct cpu_case {
	int64_t milli;
	uint64_t shares;
	int64_t quota;
	uint64_t weight;
	const char *cpu_max;
} cpu_cases[] = {
	{ 0, 2, 0, 1, "max 100000" },		/* none: minimum shares, no quota */
	{ 1, 2, 1000, 1, "1000 100000" },	/* quota floor of 1 ms */
	{ 5, 5, 1000, 1, "1000 100000" },
	{ 10, 10, 1000, 1, "1000 100000" },
	{ 100, 102, 10000, 4, "10000 100000" },
	{ 250, 256, 25000, 10, "25000 100000" },
	{ 500, 512, 50000, 20, "50000 100000" },
	{ 1000, 1024, 100000, 39, "100000 100000" },
	{ 1500, 1536, 150000, 59, "150000 100000" },
	{ 4000, 4096, 400000, 157, "400000 100000" },
	{ 256000, 262144, 25600000, 10000, "25600000 100000" },
	{ 1000000, 262144, 100000000, 10000, "100000000 100000" }, /* shares capped */
};

static void test_cpu_values(void **state)
{
	char buf[64];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cpu_cases); i++) {
		const struct cpu_case *c = &cpu_cases[i];

		assert_int_equal(cg_shares_from_milli(c->milli), c->shares);
		assert_int_equal(cg_quota_from_milli(c->milli), c->quota);
		assert_int_equal(cg_weight_from_shares(cg_shares_from_milli(c->milli)), c->weight);
		cg_format_cpu_max(cg_quota_from_milli(c->milli), buf, sizeof(buf));
		assert_string_equal(buf, c->cpu_max);
	}
	assert_int_equal(cg_weight_from_shares(0), 0);
	assert_int_equal(cg_weight_from_shares(2), 1);
	assert_int_equal(cg_weight_from_shares(262144), 10000);
}

/* Container resources -> limits, including memory quantities and defaulted requests. */
static const struct ctr_case {
	const char *resources; /* JSON */
	uint64_t shares;
	int64_t quota;
	int64_t memory;
	int ret;
} ctr_cases[] = {
	{ "{}", 2, 0, 0, 0 },
	{ "{\"limits\":{\"cpu\":\"500m\",\"memory\":\"64Mi\"}}", 512, 50000, 67108864, 0 },
	{ "{\"limits\":{\"cpu\":\"1\",\"memory\":\"1Gi\"},\"requests\":{\"cpu\":\"100m\"}}",
	  102, 100000, 1073741824, 0 },
	{ "{\"requests\":{\"cpu\":\"250m\",\"memory\":\"10M\"}}", 256, 0, 0, 0 },
	{ "{\"limits\":{\"memory\":\"128M\"}}", 2, 0, 128000000, 0 },
	{ "{\"limits\":{\"memory\":\"1.5Gi\"}}", 2, 0, 1610612736, 0 },
	{ "{\"limits\":{\"memory\":\"100k\"}}", 2, 0, 100000, 0 },
	{ "{\"limits\":{\"cpu\":0.5}}", 512, 50000, 0, 0 }, /* a JSON number */
	{ "{\"limits\":{\"cpu\":\"2.5\"}}", 2560, 250000, 0, 0 },
	{ "{\"limits\":{\"memory\":\"lots\"}}", 0, 0, 0, -EINVAL },
	{ "{\"requests\":{\"cpu\":\"1x\"}}", 0, 0, 0, -EINVAL },
};

static void test_container_limits(void **state)
{
	struct cg_limits l;
	char err[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ctr_cases); i++) {
		const struct ctr_case *c = &ctr_cases[i];
		json_t *ctr = json_pack("{s:s,s:o}", "name", "c",
					"resources", json_loads(c->resources, 0, NULL));

		err[0] = '\0';
		assert_int_equal(cg_limits_from_container(ctr, &l, err, sizeof(err)), c->ret);
		if (c->ret) {
			assert_non_null(strstr(err, "not a valid quantity"));
		} else {
			assert_int_equal(l.cpu_shares, c->shares);
			assert_int_equal(l.cpu_quota_us, c->quota);
			assert_int_equal(l.memory_bytes, c->memory);
		}
		json_decref(ctr);
	}
}

static void test_pod_limits(void **state)
{
	struct cg_limits l;
	char err[256], buf[32];
	json_t *pod;

	(void)state;
	/* Sum of containers; the largest init container when it is larger. */
	pod = json_loads("{\"spec\":{\"containers\":["
			 "{\"name\":\"a\",\"resources\":{\"limits\":"
			 "{\"cpu\":\"500m\",\"memory\":\"64Mi\"}}},"
			 "{\"name\":\"b\",\"resources\":{\"limits\":"
			 "{\"cpu\":\"250m\",\"memory\":\"32Mi\"}}}],"
			 "\"initContainers\":[{\"name\":\"i\",\"resources\":{\"limits\":"
			 "{\"cpu\":\"2\",\"memory\":\"16Mi\"}}}]}}", 0, NULL);
	assert_int_equal(cg_limits_from_pod(pod, 100, &l, err, sizeof(err)), 0);
	assert_int_equal(l.cpu_quota_us, 200000);
	assert_int_equal(l.cpu_shares, 2048);
	assert_int_equal(l.memory_bytes, 100663296);
	assert_int_equal(l.pids, 100);
	cg_format_max(l.memory_bytes, buf, sizeof(buf));
	assert_string_equal(buf, "100663296");
	json_decref(pod);

	/* One container without a limit makes the pod unlimited; requests still add up. */
	pod = json_loads("{\"spec\":{\"containers\":["
			 "{\"name\":\"a\",\"resources\":{\"limits\":"
			 "{\"cpu\":\"500m\",\"memory\":\"64Mi\"}}},"
			 "{\"name\":\"b\",\"resources\":{\"requests\":{\"cpu\":\"250m\"}}}]}}",
			 0, NULL);
	assert_int_equal(cg_limits_from_pod(pod, 0, &l, err, sizeof(err)), 0);
	assert_int_equal(l.cpu_quota_us, 0);
	assert_int_equal(l.memory_bytes, 0);
	assert_int_equal(l.cpu_shares, 768);
	cg_format_max(l.memory_bytes, buf, sizeof(buf));
	assert_string_equal(buf, "max");
	cg_format_max(l.pids, buf, sizeof(buf));
	assert_string_equal(buf, "max");
	json_decref(pod);
}

/* command/args x Entrypoint/Cmd, as the kubelet combines them. */
static const struct argv_case {
	const char *desc, *command, *args, *entrypoint, *cmd, *want; /* JSON arrays or NULL */
} argv_cases[] = {
	{ "image only", NULL, NULL, "[\"/ep\"]", "[\"c1\",\"c2\"]", "[\"/ep\",\"c1\",\"c2\"]" },
	{ "cmd only image", NULL, NULL, NULL, "[\"sh\"]", "[\"sh\"]" },
	{ "command replaces both", "[\"/bin/x\"]", NULL, "[\"/ep\"]", "[\"c1\"]", "[\"/bin/x\"]" },
	{ "command + args", "[\"/bin/x\"]", "[\"a\"]", "[\"/ep\"]", "[\"c1\"]",
	  "[\"/bin/x\",\"a\"]" },
	{ "args replace Cmd", NULL, "[\"a\",\"b\"]", "[\"/ep\"]", "[\"c1\"]",
	  "[\"/ep\",\"a\",\"b\"]" },
	{ "args without Entrypoint", NULL, "[\"echo\",\"hi\"]", NULL, "[\"c1\"]",
	  "[\"echo\",\"hi\"]" },
	{ "empty command is unset", "[]", NULL, "[\"/ep\"]", "[\"c1\"]", "[\"/ep\",\"c1\"]" },
	{ "$(VAR) expands", "[\"echo\",\"$(GREETING) $(NAME)\"]", NULL, NULL, NULL,
	  "[\"echo\",\"hello web\"]" },
	{ "$$(VAR) escapes, unknown stays", "[\"echo\",\"$$(NAME) $(NOPE) $x $\"]", NULL, NULL,
	  NULL, "[\"echo\",\"$(NAME) $(NOPE) $x $\"]" },
	{ "no command at all", NULL, NULL, NULL, NULL, NULL },
	{ "not strings", "[1]", NULL, NULL, NULL, NULL },
};

static void test_argv(void **state)
{
	json_t *env = json_pack("[s,s]", "GREETING=hello", "NAME=web");
	char err[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(argv_cases); i++) {
		const struct argv_case *c = &argv_cases[i];
		json_t *ctr = json_pack("{s:s}", "name", "c"), *img = json_object(), *got, *want;

		if (c->command)
			json_object_set_new(ctr, "command", json_loads(c->command, 0, NULL));
		if (c->args)
			json_object_set_new(ctr, "args", json_loads(c->args, 0, NULL));
		if (c->entrypoint)
			json_object_set_new(img, "Entrypoint", json_loads(c->entrypoint, 0, NULL));
		if (c->cmd)
			json_object_set_new(img, "Cmd", json_loads(c->cmd, 0, NULL));
		got = pod_container_argv(ctr, img, env, err, sizeof(err));
		if (!c->want) {
			assert_null(got);
			assert_non_null(strstr(err, "container c:"));
		} else {
			want = json_loads(c->want, 0, NULL);
			if (!got || !json_equal(got, want)) {
				char *s = got ? json_dumps(got, 0) : NULL;

				fail_msg("%s: got %s, want %s", c->desc, s ? s : err, c->want);
			}
			json_decref(want);
		}
		json_decref(got);
		json_decref(ctr);
		json_decref(img);
	}
	json_decref(env);
}

static void test_env(void **state)
{
	json_t *img = json_loads("{\"Env\":[\"PATH=/bin\",\"A=image\",\"B=image\"]}", 0, NULL);
	json_t *ctr = json_loads("{\"env\":[{\"name\":\"B\",\"value\":\"ctr\"},"
				 "{\"name\":\"C\",\"value\":\"$(B)-x\"},{\"name\":\"D\"}]}",
				 0, NULL);
	json_t *extra = json_pack("[s]", "A=extra");
	json_t *want = json_loads("[\"PATH=/bin\",\"A=extra\",\"B=ctr\",\"C=ctr-x\",\"D=\"]", 0,
				  NULL);
	json_t *got = pod_container_env(ctr, img, extra);

	(void)state;
	assert_true(json_equal(got, want));
	json_decref(got);
	json_decref(want);
	json_decref(extra);
	json_decref(ctr);
	json_decref(img);
}

/* j equals the JSON text want. */
static bool json_is(const json_t *j, const char *want)
{
	json_t *w = json_loads(want, 0, NULL);
	bool eq = json_equal(j, w);

	json_decref(w);
	return eq;
}

static const char *mount_dest_type(const json_t *mounts, const char *dest)
{
	const json_t *m;
	size_t i;

	json_array_foreach(mounts, i, m)
		if (!strcmp(json_string_value(json_object_get(m, "destination")), dest))
			return json_string_value(json_object_get(m, "type"));
	return NULL;
}

static bool has_ns(const json_t *nss, const char *type, const char *path)
{
	const json_t *n;
	size_t i;

	json_array_foreach(nss, i, n) {
		const char *p = json_string_value(json_object_get(n, "path"));

		if (strcmp(json_string_value(json_object_get(n, "type")), type))
			continue;
		return path ? p && !strcmp(p, path) : !p;
	}
	return false;
}

static void test_oci_config(void **state)
{
	struct pod_sandbox sb = { .uid = "u1", .ns = "default", .name = "web",
				  .netns = "kbpf-pod-u1", .host_if = "kbv123",
				  .ip = "10.244.0.2", .cgroup = "kbpf.slice/podu1" };
	struct cg_limits lim = { .cpu_shares = 512, .cpu_quota_us = 50000,
				 .memory_bytes = 67108864 };
	json_t *ctr = json_loads("{\"name\":\"c\",\"args\":[\"-f\"],\"workingDir\":\"/srv\","
				 "\"env\":[{\"name\":\"X\",\"value\":\"1\"}],"
				 "\"securityContext\":{\"runAsUser\":1000,"
				 "\"readOnlyRootFilesystem\":true}}",
				 0, NULL);
	json_t *img = json_loads("{\"Entrypoint\":[\"httpd\"],\"Cmd\":[\"-h\"],"
				 "\"Env\":[\"PATH=/bin\"],\"User\":\"10:20\","
				 "\"WorkingDir\":\"/w\"}",
				 0, NULL);
	struct oci_params p = { .container = ctr, .image_config = img, .sb = &sb,
				.hostname = "web", .hosts_file = "/s/hosts",
				.resolv_file = "/s/resolv.conf", .hostname_file = "/s/hostname",
				.cgroups_path = "/kbpf.slice/podu1/c", .limits = &lim };
	json_t *cfg, *proc, *lx, *res;
	char err[256];

	(void)state;
	cfg = pod_oci_config(&p, err, sizeof(err));
	assert_non_null(cfg);
	assert_string_equal(json_string_value(json_object_get(cfg, "ociVersion")), "1.0.2");
	assert_string_equal(json_string_value(json_object_get(cfg, "hostname")), "web");
	proc = json_object_get(cfg, "process");
	assert_false(json_is_true(json_object_get(proc, "terminal")));
	assert_true(json_is(json_object_get(proc, "args"), "[\"httpd\",\"-f\"]"));
	assert_true(json_is(json_object_get(proc, "env"), "[\"PATH=/bin\",\"X=1\"]"));
	assert_string_equal(json_string_value(json_object_get(proc, "cwd")), "/srv");
	/* runAsUser wins over the image's uid; the image's gid stays. */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(proc, "user"), "uid")),
			 1000);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(proc, "user"), "gid")),
			 20);
	assert_int_equal(json_array_size(json_object_get(json_object_get(proc, "capabilities"),
							 "bounding")), 14);
	assert_string_equal(json_string_value(json_object_get(json_object_get(cfg, "root"),
							       "path")), "rootfs");
	assert_true(json_is_true(json_object_get(json_object_get(cfg, "root"), "readonly")));
	assert_string_equal(mount_dest_type(json_object_get(cfg, "mounts"), "/proc"), "proc");
	assert_string_equal(mount_dest_type(json_object_get(cfg, "mounts"), "/dev"), "tmpfs");
	assert_string_equal(mount_dest_type(json_object_get(cfg, "mounts"), "/sys"), "sysfs");
	assert_string_equal(mount_dest_type(json_object_get(cfg, "mounts"), "/etc/hosts"), "bind");
	assert_string_equal(mount_dest_type(json_object_get(cfg, "mounts"), "/etc/resolv.conf"),
			    "bind");
	assert_string_equal(mount_dest_type(json_object_get(cfg, "mounts"), "/etc/hostname"),
			    "bind");
	lx = json_object_get(cfg, "linux");
	assert_string_equal(json_string_value(json_object_get(lx, "cgroupsPath")),
			    "/kbpf.slice/podu1/c");
	assert_true(has_ns(json_object_get(lx, "namespaces"), "network", "/run/netns/kbpf-pod-u1"));
	assert_true(has_ns(json_object_get(lx, "namespaces"), "pid", NULL));
	assert_true(has_ns(json_object_get(lx, "namespaces"), "ipc", NULL));
	assert_true(has_ns(json_object_get(lx, "namespaces"), "uts", NULL));
	assert_true(has_ns(json_object_get(lx, "namespaces"), "mount", NULL));
	res = json_object_get(lx, "resources");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "memory"),
							    "limit")), 67108864);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "cpu"), "quota")),
			 50000);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "cpu"), "period")),
			 100000);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "cpu"), "shares")),
			 512);
	assert_true(json_array_size(json_object_get(lx, "maskedPaths")) > 0);
	json_decref(cfg);

	/* hostNetwork: the node's network and UTS namespaces, no hostname; image cwd. */
	sb.host_network = true;
	json_object_del(ctr, "workingDir");
	cfg = pod_oci_config(&p, err, sizeof(err));
	assert_non_null(cfg);
	lx = json_object_get(cfg, "linux");
	assert_false(has_ns(json_object_get(lx, "namespaces"), "network", NULL));
	assert_false(has_ns(json_object_get(lx, "namespaces"), "uts", NULL));
	assert_null(json_object_get(cfg, "hostname"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(cfg, "process"),
							      "cwd")), "/w");
	json_decref(cfg);

	/* A user name the runtime cannot resolve is an error, not root. */
	json_object_set_new(img, "User", json_string("nobody"));
	assert_null(pod_oci_config(&p, err, sizeof(err)));
	assert_non_null(strstr(err, "numeric"));
	json_decref(ctr);
	json_decref(img);
}

static void test_log_timestamp(void **state)
{
	struct timespec ts = { .tv_sec = 1475713029, .tv_nsec = 669794202 };
	char buf[64];

	(void)state;
	pod_log_timestamp(&ts, buf, sizeof(buf));
	assert_string_equal(buf, "2016-10-06T00:17:09.669794202Z");
	ts.tv_nsec = 5;
	pod_log_timestamp(&ts, buf, sizeof(buf));
	assert_string_equal(buf, "2016-10-06T00:17:09.000000005Z");
}

static void test_host_if(void **state)
{
	char a[IFNAMSIZ], b[IFNAMSIZ];

	(void)state;
	podnet_host_if("kbv", "0b1c2d3e-aaaa-bbbb-cccc-000000000001", a, sizeof(a));
	podnet_host_if("kbv", "0b1c2d3e-aaaa-bbbb-cccc-000000000002", b, sizeof(b));
	assert_int_equal(strlen(a), IFNAMSIZ - 1);
	assert_memory_equal(a, "kbv", 3);
	assert_string_not_equal(a, b);
	podnet_host_if("kbv", "0b1c2d3e-aaaa-bbbb-cccc-000000000001", b, sizeof(b));
	assert_string_equal(a, b); /* stable across restarts */
}

static void test_ipam(void **state)
{
	char dir[] = "/tmp/test_pod_runtime_ipam.XXXXXX", ip[INET_ADDRSTRLEN];
	struct ipam ipam, again;
	struct in_addr a, b;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(ipam_open(&ipam, dir, "10.244.3.0/29"), 0);
	/* .0 network, .1 node, .7 broadcast: .2 .. .6 */
	assert_int_equal(ipam_alloc(&ipam, "pod-a", &a), 0);
	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	assert_string_equal(ip, "10.244.3.2");
	/* Asking again gives the same address. */
	assert_int_equal(ipam_alloc(&ipam, "pod-a", &b), 0);
	assert_int_equal(a.s_addr, b.s_addr);
	/* A second instance on the same dir (a restarted agent) never reuses .2. */
	assert_int_equal(ipam_open(&again, dir, "10.244.3.0/29"), 0);
	assert_int_equal(ipam_alloc(&again, "pod-b", &b), 0);
	inet_ntop(AF_INET, &b, ip, sizeof(ip));
	assert_string_equal(ip, "10.244.3.3");
	assert_int_equal(ipam_lookup(&again, "pod-a", &b), 0);
	assert_int_equal(a.s_addr, b.s_addr);
	/* A released address is not handed out next: allocation goes round. */
	assert_int_equal(ipam_release(&ipam, "pod-a"), 0);
	assert_int_equal(ipam_lookup(&ipam, "pod-a", &b), -ENOENT);
	assert_int_equal(ipam_alloc(&ipam, "pod-c", &b), 0);
	inet_ntop(AF_INET, &b, ip, sizeof(ip));
	assert_string_equal(ip, "10.244.3.4");
	assert_int_equal(ipam_alloc(&ipam, "pod-d", &b), 0);
	assert_int_equal(ipam_alloc(&ipam, "pod-e", &b), 0);
	inet_ntop(AF_INET, &b, ip, sizeof(ip));
	assert_string_equal(ip, "10.244.3.6");
	/* Wraps round to the released .2, then the range is full. */
	assert_int_equal(ipam_alloc(&ipam, "pod-f", &b), 0);
	inet_ntop(AF_INET, &b, ip, sizeof(ip));
	assert_string_equal(ip, "10.244.3.2");
	assert_int_equal(ipam_alloc(&ipam, "pod-g", &b), -ENOSPC);
	/* Bad CIDRs. */
	assert_int_equal(ipam_open(&again, dir, "10.244.3.0"), -EINVAL);
	assert_int_equal(ipam_open(&again, dir, "10.244.3.0/33"), -EINVAL);
	assert_int_equal(ipam_open(&again, dir, "nonsense/24"), -EINVAL);
	{
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		assert_int_equal(system(cmd), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_values),
		cmocka_unit_test(test_container_limits),
		cmocka_unit_test(test_pod_limits),
		cmocka_unit_test(test_argv),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_oci_config),
		cmocka_unit_test(test_log_timestamp),
		cmocka_unit_test(test_host_if),
		cmocka_unit_test(test_ipam),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

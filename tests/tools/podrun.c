/* podrun.c — drives the pod runtime (userspace/pod_runtime.c) by hand and from
 * tests/integration/test_pod_runtime.sh: sandbox + containers of a Pod JSON file on a
 * rootfs directory, status, stop, teardown, list. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "pod_runtime.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kbpf-podrun [OPTIONS] COMMAND ...\n"
		"  run POD.json LAYER_DIR...   sandbox + every container; prints the sandbox\n"
		"  status UID CONTAINER        state, exit code, log path (JSON)\n"
		"  stop UID CONTAINER GRACE_S  SIGTERM, SIGKILL after GRACE_S; prints seconds\n"
		"  rm UID CONTAINER            remove a stopped container\n"
		"  teardown UID                remove the pod and all it holds\n"
		"  list                        every pod recorded (JSON)\n"
		"options:\n"
		"  --state-dir DIR       (default /run/kbpf)\n"
		"  --log-dir DIR         (default /var/log/kbpf/pods)\n"
		"  --pod-cidr CIDR       the node's pod CIDR\n"
		"  --cgroup-parent NAME  (default kbpf.slice)\n"
		"  --pod-device-prefix P (default kbv)\n"
		"  --pod-max-pids N      pids.max per pod\n"
		"  --image-config FILE   the image's config object (Entrypoint, Cmd, Env, ...)\n"
		"  --restart N           restart count (the log file's name) for run\n"
		"  -v                    debug logging\n");
}

static int print_json(json_t *j)
{
	if (!j)
		return 1;
	json_dumpf(j, stdout, JSON_INDENT(1) | JSON_SORT_KEYS);
	putchar('\n');
	json_decref(j);
	return 0;
}

static int cmd_run(struct pod_runtime *rt, const char *pod_file, char **layers, int n_layers,
		   const json_t *image_config, int restart)
{
	struct pod_image img = { .layers = (const char *const *)layers, .n_layers = n_layers,
				 .config = image_config };
	struct pod_sandbox sb;
	char err[1024];
	json_t *pod = json_load_file(pod_file, 0, NULL), *c;
	size_t i;
	int ret;

	if (!pod) {
		fprintf(stderr, "podrun: %s: not a JSON file\n", pod_file);
		return 1;
	}
	ret = pod_sandbox_create(rt, pod, &sb, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "podrun: sandbox: %s\n", err);
		json_decref(pod);
		return 1;
	}
	json_array_foreach(json_object_get(json_object_get(pod, "spec"), "containers"), i, c) {
		ret = pod_container_start(rt, &sb, c, &img, restart, err, sizeof(err));
		if (ret) {
			fprintf(stderr, "podrun: container: %s\n", err);
			json_decref(pod);
			return 1;
		}
	}
	json_decref(pod);
	return print_json(json_pack("{s:s,s:s,s:s,s:s,s:s}", "uid", sb.uid, "ip", sb.ip,
				    "netns", sb.netns, "hostIf", sb.host_if, "cgroup", sb.cgroup));
}

static int cmd_status(struct pod_runtime *rt, const char *uid, const char *name)
{
	static const char *const states[] = { "unknown", "created", "running", "exited" };
	struct pod_ctr_status st;
	int ret = pod_container_status(rt, uid, name, &st);

	if (ret) {
		fprintf(stderr, "podrun: %s/%s: %s\n", uid, name, strerror(-ret));
		return 1;
	}
	return print_json(json_pack("{s:s,s:i,s:i,s:i,s:s,s:s,s:s}", "state", states[st.state],
				    "pid", st.pid, "exitCode", st.exit_code, "signal", st.signal,
				    "logPath", st.log_path, "startedAt", st.started_at,
				    "finishedAt", st.finished_at));
}

int main(int argc, char **argv)
{
	enum { O_STATE = 256, O_LOG, O_CIDR, O_CGP, O_PREFIX, O_PIDS, O_IMGCFG, O_RESTART };
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, O_STATE },
		{ "log-dir", required_argument, NULL, O_LOG },
		{ "pod-cidr", required_argument, NULL, O_CIDR },
		{ "cgroup-parent", required_argument, NULL, O_CGP },
		{ "pod-device-prefix", required_argument, NULL, O_PREFIX },
		{ "pod-max-pids", required_argument, NULL, O_PIDS },
		{ "image-config", required_argument, NULL, O_IMGCFG },
		{ "restart", required_argument, NULL, O_RESTART },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct pod_runtime_cfg cfg = { 0 };
	struct pod_runtime *rt;
	json_t *image_config = NULL;
	int c, ret, restart = 0;
	const char *cmd;

	if (argc > 1 && !strcmp(argv[1], POD_SHIM_ARG))
		return pod_shim_main(argc, argv);
	while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
		switch (c) {
		case O_STATE: cfg.state_dir = optarg; break;
		case O_LOG: cfg.log_dir = optarg; break;
		case O_CIDR: cfg.pod_cidr = optarg; break;
		case O_CGP: cfg.cgroup_parent = optarg; break;
		case O_PREFIX: cfg.device_prefix = optarg; break;
		case O_PIDS: cfg.pod_pids_max = atoll(optarg); break;
		case O_RESTART: restart = atoi(optarg); break;
		case O_IMGCFG:
			image_config = json_load_file(optarg, 0, NULL);
			if (!image_config) {
				fprintf(stderr, "podrun: %s: not a JSON file\n", optarg);
				return 2;
			}
			break;
		case 'v': kbpf_log_level = LOG_LEVEL_DEBUG; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (!image_config)
		image_config = json_pack("{s:[s],s:[s]}", "Cmd", "sh", "Env",
					 "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
					 "/sbin:/bin");
	ret = pod_runtime_open(&cfg, &rt);
	if (ret) {
		fprintf(stderr, "podrun: runtime: %s\n", strerror(-ret));
		return 1;
	}
	cmd = argv[optind++];
	argc -= optind;
	argv += optind;
	if (!strcmp(cmd, "run") && argc >= 2) {
		ret = cmd_run(rt, argv[0], argv + 1, argc - 1, image_config, restart);
	} else if (!strcmp(cmd, "status") && argc == 2) {
		ret = cmd_status(rt, argv[0], argv[1]);
	} else if (!strcmp(cmd, "stop") && argc == 3) {
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		ret = pod_container_stop(rt, argv[0], argv[1], atoi(argv[2]));
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (ret)
			fprintf(stderr, "podrun: stop: %s\n", strerror(-ret));
		else
			printf("%.1f\n", t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9);
		ret = !!ret;
	} else if (!strcmp(cmd, "rm") && argc == 2) {
		ret = !!pod_container_remove(rt, argv[0], argv[1]);
	} else if (!strcmp(cmd, "teardown") && argc == 1) {
		ret = pod_sandbox_remove(rt, argv[0]);
		if (ret)
			fprintf(stderr, "podrun: teardown: %s\n", strerror(-ret));
		ret = !!ret;
	} else if (!strcmp(cmd, "list") && argc == 0) {
		ret = print_json(pod_sandbox_list(rt));
	} else {
		usage(stderr);
		ret = 2;
	}
	json_decref(image_config);
	pod_runtime_close(rt);
	return ret;
}

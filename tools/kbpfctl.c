/* kbpfctl.c — kbpf's command line: inspection of the live eBPF data plane
 * (`kbpfctl lb list`, `kbpfctl ct list`, `kbpfctl metrics`) and the node's image store
 * (`kbpfctl image import|list|rm`, userspace/images.c). Tables for people, JSON
 * (-o json) for programs; commands are dispatched from tables with prefix matching. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <jansson.h>

#include "lb4_consts.h"
#include "images.h"
#include "lb4_structs.h"
#include "lb_dataplane.h"
#include "lb_model.h"
#include "log.h"
#include "util.h"

#define KBPF_BPFFS_BASE "/sys/fs/bpf/kbpf"

static struct {
	bool json;
	const char *node;
	char root[PATH_MAX];
	const char *image_root;
} opt = { .image_root = IMAGE_ROOT_DEFAULT };

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static int usage(FILE *out);

/* bpftool-style: a unique prefix of a command name selects it. */
static int dispatch(const struct cmd *cmds, int argc, char **argv, const char *what)
{
	const struct cmd *found = NULL, *c;

	if (argc < 1) {
		fprintf(stderr, "kbpfctl: %s: a command is needed\n", what);
		return 2;
	}
	for (c = cmds; c->name; c++) {
		if (strncmp(c->name, argv[0], strlen(argv[0])))
			continue;
		if (!strcmp(c->name, argv[0])) {
			found = c;
			break;
		}
		if (found) {
			fprintf(stderr, "kbpfctl: %s: '%s' is ambiguous\n", what, argv[0]);
			return 2;
		}
		found = c;
	}
	if (!found) {
		fprintf(stderr, "kbpfctl: %s: unknown command '%s'\n", what, argv[0]);
		return 2;
	}
	return found->fn(argc - 1, argv + 1);
}

/* Errors in the output format asked for: JSON users get {"error": "..."}. */
static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (opt.json) {
		json_t *o = json_pack("{s:s}", "error", msg);

		json_dumpf(o, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(o);
	} else {
		fprintf(stderr, "kbpfctl: %s\n", msg);
	}
	return 1;
}

/* The node whose pins to read: --bpffs-root, --node, or the only node present. */
static int resolve_root(void)
{
	struct dirent *de;
	int found = 0;
	DIR *dir;

	if (opt.root[0])
		return 0;
	if (opt.node) {
		if (pathf(opt.root, sizeof(opt.root), "%s/%s", KBPF_BPFFS_BASE, opt.node))
			return fail("node name too long");
		return 0;
	}
	dir = opendir(KBPF_BPFFS_BASE);
	while (dir && (de = readdir(dir))) {
		if (de->d_name[0] == '.' || de->d_type != DT_DIR)
			continue;
		if (!pathf(opt.root, sizeof(opt.root), "%s/%s", KBPF_BPFFS_BASE, de->d_name))
			found++;
	}
	if (dir)
		closedir(dir);
	if (found == 1)
		return 0;
	opt.root[0] = 0;
	if (!found)
		return fail("no kbpf data plane under %s (is kbpf-agent running?)", KBPF_BPFFS_BASE);
	return fail("%d nodes under %s: choose one with --node NAME", found, KBPF_BPFFS_BASE);
}

static int open_map(const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (pathf(path, sizeof(path), "%s/%s", opt.root, name)) {
		fail("path too long under %s", opt.root);
		return -1;
	}
	fd = bpf_obj_get(path);
	if (fd < 0)
		fail("cannot open pinned map %s: %s", path, strerror(errno));
	return fd;
}

static const char *frontend_type(__u32 flags)
{
	if (flags & SVC_F_NODEPORT)
		return "NodePort";
	if (flags & SVC_F_LOADBALANCER)
		return "LoadBalancer";
	if (flags & SVC_F_EXTERNALIP)
		return "ExternalIP";
	return "ClusterIP";
}

static json_t *flags_json(__u32 flags)
{
	static const struct {
		__u32 bit;
		const char *name;
	} names[] = {
		{ SVC_F_AFFINITY, "ClientIPAffinity" }, { SVC_F_ETP_LOCAL, "ExternalTrafficLocal" },
		{ SVC_F_ITP_LOCAL, "InternalTrafficLocal" }, { SVC_F_EXT_DROP, "ExternalNoLocalDrop" },
		{ SVC_F_INT_DROP, "InternalNoLocalDrop" },
	};
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].bit)
			json_array_append_new(a, json_string(names[i].name));
	return a;
}

static json_t *addr_json(__be32 addr, __be16 port, __u8 proto)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &addr, ip, sizeof(ip));
	return json_pack("{s:s,s:i,s:s}", "address", ip, "port", ntohs(port), "protocol",
			 lb_proto_name(proto));
}

/* Members of one backend set, with their details. */
static json_t *set_json(int fd_slots, int fd_backends, __u32 set, __u32 count)
{
	struct lb4_slot_key k = { .set = set };
	json_t *a = json_array();

	for (k.slot = 0; set && k.slot < count; k.slot++) {
		struct lb4_backend be;
		__u32 id;
		json_t *o;

		if (bpf_map_lookup_elem(fd_slots, &k, &id) ||
		    bpf_map_lookup_elem(fd_backends, &id, &be)) {
			json_array_append_new(a, json_pack("{s:i,s:s}", "slot", k.slot, "error",
							   "missing slot or backend"));
			continue;
		}
		o = addr_json(be.addr, be.port, be.proto);
		json_object_set_new(o, "id", json_integer(id));
		json_object_set_new(o, "state", json_string(be.flags & BE_F_TERMINATING ?
								 "terminating" : "ready"));
		json_object_set_new(o, "local", json_boolean(be.flags & BE_F_LOCAL));
		json_array_append_new(a, o);
	}
	return a;
}

static int cmp_frontend(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;

	return (int)(json_integer_value(json_object_get(x, "id")) -
		     json_integer_value(json_object_get(y, "id")));
}

static json_t *lb_collect(void)
{
	int fd_svc = open_map("lb4_services"), fd_slots = open_map("lb4_slots");
	int fd_be = open_map("lb4_backends"), fd_stats = open_map("lb4_stats");
	int fd_names = open_map("lb4_names");
	int ncpus = libbpf_num_possible_cpus();
	struct lb4_stats *percpu = calloc(ncpus, sizeof(*percpu));
	struct lb4_key key, next;
	json_t *list = NULL, **items = NULL;
	size_t n = 0, i;
	void *prev = NULL;

	if (fd_svc < 0 || fd_slots < 0 || fd_be < 0 || fd_stats < 0 || fd_names < 0 || !percpu)
		goto out;
	list = json_array();
	while (!bpf_map_get_next_key(fd_svc, prev, &next)) {
		struct lb4_service v;
		struct lb4_name nm = {};
		__u64 packets = 0, bytes = 0;
		json_t *o, *ext, *intl;
		int c;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd_svc, &key, &v))
			continue;
		bpf_map_lookup_elem(fd_names, &v.id, &nm);
		if (!bpf_map_lookup_elem(fd_stats, &v.id, percpu))
			for (c = 0; c < ncpus; c++) {
				packets += percpu[c].packets;
				bytes += percpu[c].bytes;
			}
		o = json_pack("{s:i,s:o,s:s,s:s,s:o,s:I,s:I}", "id", v.id, "frontend",
			      addr_json(key.addr, key.port, key.proto), "type",
			      frontend_type(v.flags), "service", nm.name, "flags",
			      flags_json(v.flags), "packets", (json_int_t)packets, "bytes",
			      (json_int_t)bytes);
		intl = set_json(fd_slots, fd_be, v.int_set, v.int_count);
		json_object_set_new(o, "backends", intl);
		if (v.flags & SVC_F_EXTERNAL) {
			ext = set_json(fd_slots, fd_be, v.ext_set, v.ext_count);
			json_object_set_new(o, "externalBackends", ext);
		}
		if (v.flags & SVC_F_AFFINITY)
			json_object_set_new(o, "affinityTimeoutSeconds",
					    json_integer(v.affinity_timeout));
		json_array_append_new(list, o);
	}
	/* Stable order for people and tests: by frontend id. */
	n = json_array_size(list);
	items = calloc(n + 1, sizeof(*items));
	for (i = 0; items && i < n; i++)
		items[i] = json_incref(json_array_get(list, i));
	if (items) {
		qsort(items, n, sizeof(*items), cmp_frontend);
		json_array_clear(list);
		for (i = 0; i < n; i++)
			json_array_append_new(list, items[i]);
	}
out:
	free(items);
	free(percpu);
	if (fd_svc >= 0)
		close(fd_svc);
	if (fd_slots >= 0)
		close(fd_slots);
	if (fd_be >= 0)
		close(fd_be);
	if (fd_stats >= 0)
		close(fd_stats);
	if (fd_names >= 0)
		close(fd_names);
	return list;
}

static void print_backends(const json_t *set, const char *label, bool *first)
{
	const json_t *b;
	size_t i;

	json_array_foreach(set, i, b) {
		printf("%s%-6s %s:%lld/%s (%s%s)\n", *first ? "" : "    ", label,
		       json_string_value(json_object_get(b, "address")),
		       json_integer_value(json_object_get(b, "port")),
		       json_string_value(json_object_get(b, "protocol")),
		       json_string_value(json_object_get(b, "state")),
		       json_is_true(json_object_get(b, "local")) ? ", local" : "");
		*first = false;
		label = "";
	}
}

static int cmd_lb_list(int argc, char **argv)
{
	const json_t *o;
	json_t *list;
	size_t i;

	(void)argv;
	if (argc)
		return fail("lb list takes no arguments");
	if (resolve_root())
		return 1;
	list = lb_collect();
	if (!list)
		return 1;
	if (opt.json) {
		json_dumpf(list, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(list);
		return 0;
	}
	printf("%-6s %-24s %-12s %-32s %10s %12s\n", "ID", "FRONTEND", "TYPE", "SERVICE",
	       "PACKETS", "BYTES");
	json_array_foreach(list, i, o) {
		const json_t *fe = json_object_get(o, "frontend");
		const json_t *ext = json_object_get(o, "externalBackends");
		char addr[48];
		bool first = true;

		snprintf(addr, sizeof(addr), "%s:%lld/%s",
			 json_string_value(json_object_get(fe, "address")),
			 json_integer_value(json_object_get(fe, "port")),
			 json_string_value(json_object_get(fe, "protocol")));
		printf("%-6lld %-24s %-12s %-32s %10lld %12lld\n",
		       json_integer_value(json_object_get(o, "id")), addr,
		       json_string_value(json_object_get(o, "type")),
		       json_string_value(json_object_get(o, "service")),
		       json_integer_value(json_object_get(o, "packets")),
		       json_integer_value(json_object_get(o, "bytes")));
		if (ext && !json_equal(ext, json_object_get(o, "backends"))) {
			print_backends(ext, "ext =>", &first);
			first = false;
			print_backends(json_object_get(o, "backends"), "pod =>", &first);
		} else {
			first = false;
			print_backends(json_object_get(o, "backends"), "=>", &first);
		}
		if (!json_array_size(json_object_get(o, "backends")) &&
		    (!ext || !json_array_size(ext)))
			printf("    (no ready backends: new connections are rejected)\n");
	}
	json_decref(list);
	return 0;
}

static json_t *ct_json(const struct ct4_key *k, const struct ct4_entry *e, __u32 now)
{
	char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN], n[INET_ADDRSTRLEN];
	json_t *o;

	inet_ntop(AF_INET, &k->saddr, s, sizeof(s));
	inet_ntop(AF_INET, &k->daddr, d, sizeof(d));
	inet_ntop(AF_INET, &e->nat_addr, n, sizeof(n));
	o = json_pack("{s:s,s:s,s:s,s:i,s:s,s:i,s:i,s:i,s:b,s:b,s:b,s:b}", "direction",
		      k->dir == CT_DIR_FWD ? "forward" : "reply", "protocol",
		      lb_proto_name(k->proto), "source", s, "sourcePort", ntohs(k->sport),
		      "destination", d, "destinationPort", ntohs(k->dport), "frontendId",
		      e->rev_nat_id, "expiresInSeconds",
		      e->expires > now ? (int)(e->expires - now) : 0, "snat",
		      !!(e->flags & CT_F_SNAT), "hairpin", !!(e->flags & CT_F_HAIRPIN),
		      "closing", !!(e->flags & CT_F_CLOSING), "external",
		      !!(e->flags & CT_F_EXTERNAL));
	if (k->dir == CT_DIR_FWD) {
		json_object_set_new(o, "backendId", json_integer(e->backend_id));
		if (e->nat_addr) {
			json_object_set_new(o, "natSource", json_string(n));
			json_object_set_new(o, "natSourcePort",
					    json_integer(ntohs(e->nat_port ? e->nat_port : k->sport)));
		}
	} else {
		json_object_set_new(o, "client", json_string(n));
		json_object_set_new(o, "clientPort", json_integer(ntohs(e->nat_port)));
	}
	return o;
}

static int cmd_ct_list(int argc, char **argv)
{
	struct ct4_key key, next;
	struct ct4_entry e;
	__u32 now = lb_now_sec();
	void *prev = NULL;
	json_t *list, *o;
	size_t i;
	int fd;

	(void)argv;
	if (argc)
		return fail("ct list takes no arguments");
	if (resolve_root() || (fd = open_map("ct4")) < 0)
		return 1;
	list = json_array();
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &e) || e.expires <= now)
			continue;
		json_array_append_new(list, ct_json(&key, &e, now));
	}
	close(fd);
	if (opt.json) {
		json_dumpf(list, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(list);
		return 0;
	}
	printf("%-7s %-5s %-22s %-22s %-30s %8s\n", "DIR", "PROTO", "SOURCE", "DESTINATION",
	       "TRANSLATION", "EXPIRES");
	json_array_foreach(list, i, o) {
		char src[32], dst[32], tr[64] = "";
		bool fwd = !strcmp(json_string_value(json_object_get(o, "direction")), "forward");

		snprintf(src, sizeof(src), "%s:%lld", json_string_value(json_object_get(o, "source")),
			 json_integer_value(json_object_get(o, "sourcePort")));
		snprintf(dst, sizeof(dst), "%s:%lld",
			 json_string_value(json_object_get(o, "destination")),
			 json_integer_value(json_object_get(o, "destinationPort")));
		if (fwd && json_object_get(o, "natSource"))
			snprintf(tr, sizeof(tr), "backend %lld, src %s:%lld",
				 json_integer_value(json_object_get(o, "backendId")),
				 json_string_value(json_object_get(o, "natSource")),
				 json_integer_value(json_object_get(o, "natSourcePort")));
		else if (fwd)
			snprintf(tr, sizeof(tr), "backend %lld",
				 json_integer_value(json_object_get(o, "backendId")));
		else
			snprintf(tr, sizeof(tr), "to client %s:%lld",
				 json_string_value(json_object_get(o, "client")),
				 json_integer_value(json_object_get(o, "clientPort")));
		printf("%-7s %-5s %-22s %-22s %-30s %7llds\n", fwd ? "forward" : "reply",
		       json_string_value(json_object_get(o, "protocol")), src, dst, tr,
		       json_integer_value(json_object_get(o, "expiresInSeconds")));
	}
	printf("%zu entries\n", json_array_size(list));
	json_decref(list);
	return 0;
}


static int cmd_metrics(int argc, char **argv)
{
	int ncpus = libbpf_num_possible_cpus(), fd, c;
	__u64 *percpu = calloc(ncpus, sizeof(*percpu));
	json_t *o = json_object();
	__u32 m;

	(void)argv;
	if (argc)
		return fail("metrics takes no arguments");
	if (resolve_root() || (fd = open_map("kbpf_metrics")) < 0)
		return 1;
	for (m = 0; m < M_MAX; m++) {
		__u64 sum = 0;

		if (!bpf_map_lookup_elem(fd, &m, percpu))
			for (c = 0; c < ncpus; c++)
				sum += percpu[c];
		json_object_set_new(o, lb_metric_name(m), json_integer(sum));
		if (!opt.json)
			printf("%-30s %llu\n", lb_metric_name(m), (unsigned long long)sum);
	}
	close(fd);
	free(percpu);
	if (opt.json) {
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	json_decref(o);
	return 0;
}

static json_t *image_json(const struct image_info *im)
{
	char fam[IMAGE_REF_LEN];

	image_familiar(im->name, fam, sizeof(fam));
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I}", "name", im->name, "shortName", fam,
			 "tag", im->tag, "digest", im->digest, "manifest", im->manifest, "id",
			 im->config, "size", (json_int_t)im->size);
}

/* Decimal units with three significant digits, as crictl images prints them. */
static void human_size(long long n, char *out, size_t len)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB" };
	double v = n;
	int u = 0;

	while (v >= 999.5 && u < 4) {
		v /= 1000;
		u++;
	}
	snprintf(out, len, "%.3g%s", v, units[u]);
}

static int print_images(const struct image_info *ims, size_t n)
{
	char fam[IMAGE_REF_LEN], size[32];
	json_t *a;
	size_t i;

	if (opt.json) {
		a = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(a, image_json(&ims[i]));
		json_dumpf(a, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(a);
		return 0;
	}
	printf("%-40s %-16s %-20s %s\n", "NAME", "TAG", "DIGEST", "SIZE");
	for (i = 0; i < n; i++) {
		image_familiar(ims[i].name, fam, sizeof(fam));
		human_size(ims[i].size, size, sizeof(size));
		printf("%-40s %-16s %-20.19s %s\n", fam, ims[i].tag, ims[i].digest, size);
	}
	return 0;
}

static int cmd_image_import(int argc, char **argv)
{
	char err[IMAGE_ERR_LEN], note[1024];
	struct image_info *ims;
	size_t n;
	int ret;

	if (argc < 1 || argc > 2)
		return fail("usage: kbpfctl image import <oci-archive|oci-layout-dir> [NAME:TAG]");
	if (image_import(opt.image_root, argv[0], argc > 1 ? argv[1] : NULL, &ims, &n, note,
			 sizeof(note), err))
		return fail("image import: %s", err);
	if (*note)
		fprintf(stderr, "kbpfctl: %s\n", note);
	ret = print_images(ims, n);
	free(ims);
	return ret;
}

static int cmd_image_list(int argc, char **argv)
{
	char err[IMAGE_ERR_LEN];
	struct image_info *ims;
	size_t n;
	int ret;

	(void)argv;
	if (argc)
		return fail("image list takes no arguments");
	if (image_list(opt.image_root, &ims, &n, err))
		return fail("image list: %s", err);
	ret = print_images(ims, n);
	free(ims);
	return ret;
}

static int cmd_image_rm(int argc, char **argv)
{
	char err[IMAGE_ERR_LEN], full[IMAGE_REF_LEN];
	int i;

	if (argc < 1)
		return fail("usage: kbpfctl image rm NAME:TAG...");
	for (i = 0; i < argc; i++) {
		if (image_normalize(argv[i], full, sizeof(full), err) ||
		    image_remove(opt.image_root, argv[i], err))
			return fail("image rm %s: %s", argv[i], err);
		if (!opt.json)
			printf("Deleted: %s\n", full);
	}
	if (opt.json)
		printf("{}\n");
	return 0;
}

static json_t *strv_json(char **v)
{
	json_t *a = json_array();

	for (; v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

/* One image with its config and its unpacked layers (unpacking them if needed): what a
 * runtime would run, in JSON whatever -o says. */
static int cmd_image_inspect(int argc, char **argv)
{
	char err[IMAGE_ERR_LEN], lower[8192];
	struct image_config cfg;
	struct image_info im;
	char **dirs;
	json_t *o;
	size_t n;

	if (argc != 1)
		return fail("usage: kbpfctl image inspect NAME:TAG");
	if (image_lookup(opt.image_root, argv[0], &im, err) ||
	    image_config(opt.image_root, argv[0], &cfg, err))
		return fail("image inspect %s: %s", argv[0], err);
	if (image_layers(opt.image_root, argv[0], &dirs, &n, err) ||
	    image_lowerdir(opt.image_root, argv[0], lower, sizeof(lower), err)) {
		image_config_free(&cfg);
		return fail("image inspect %s: %s", argv[0], err);
	}
	o = image_json(&im);
	json_object_set_new(o, "config", json_pack("{s:o,s:o*,s:o*,s:s?,s:s?}", "Env",
			    strv_json(cfg.env), "Entrypoint",
			    cfg.entrypoint ? strv_json(cfg.entrypoint) : NULL, "Cmd",
			    cfg.cmd ? strv_json(cfg.cmd) : NULL, "WorkingDir", cfg.working_dir,
			    "User", cfg.user));
	json_object_set_new(o, "layers", strv_json(dirs));
	json_object_set_new(o, "lowerdir", json_string(lower));
	json_dumpf(o, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(o);
	image_free_strv(dirs);
	image_config_free(&cfg);
	return 0;
}

static const struct cmd image_cmds[] = {
	{ "import", cmd_image_import, "OCI archive or layout into the node's store" },
	{ "list", cmd_image_list, "images in the store" },
	{ "inspect", cmd_image_inspect, "config and unpacked layers (overlayfs lowerdir)" },
	{ "rm", cmd_image_rm, "remove names (and blobs no other name uses)" },
	{}
};

static int cmd_image(int argc, char **argv)
{
	return dispatch(image_cmds, argc, argv, "image");
}

static const struct cmd lb_cmds[] = {
	{ "list", cmd_lb_list, "frontends, their backends and counters" },
	{}
};

static const struct cmd ct_cmds[] = {
	{ "list", cmd_ct_list, "tracked flows, both directions" },
	{}
};

static int cmd_lb(int argc, char **argv)
{
	return dispatch(lb_cmds, argc, argv, "lb");
}

static int cmd_ct(int argc, char **argv)
{
	return dispatch(ct_cmds, argc, argv, "ct");
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return usage(stdout);
}

static const struct cmd top_cmds[] = {
	{ "lb", cmd_lb, "lb list: the Service load balancer's frontends and backends" },
	{ "ct", cmd_ct, "ct list: the connection tracking table" },
	{ "metrics", cmd_metrics, "metrics: what the programs decided, per reason" },
	{ "image", cmd_image, "image import|list|inspect|rm: the node's OCI image store" },
	{ "help", cmd_help, "this text" },
	{}
};

static int usage(FILE *out)
{
	const struct cmd *c;

	fprintf(out, "Usage: kbpfctl [OPTIONS] OBJECT COMMAND\n\nObjects and commands:\n");
	for (c = top_cmds; c->name; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->help);
	fprintf(out,
		"\nOptions:\n"
		"  -o, --output FORMAT   table (default) or json\n"
		"  -j, --json            same as -o json\n"
		"  --node NAME           the node whose data plane to read (default: the only one)\n"
		"  --bpffs-root DIR      read the pins under DIR instead of %s/<node>\n"
		"  --image-root DIR      the image store (default %s)\n"
		"  -h, --help            this text\n"
		"Commands may be abbreviated to a unique prefix (kbpfctl lb l).\n",
		KBPF_BPFFS_BASE, IMAGE_ROOT_DEFAULT);
	return out == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
	enum { O_NODE = 256, O_ROOT, O_IMAGE_ROOT };
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "node", required_argument, NULL, O_NODE },
		{ "bpffs-root", required_argument, NULL, O_ROOT },
		{ "image-root", required_argument, NULL, O_IMAGE_ROOT },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	kbpf_log_setup_libbpf();
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	while ((c = getopt_long(argc, argv, "o:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (!strcmp(optarg, "json"))
				opt.json = true;
			else if (strcmp(optarg, "table"))
				return fail("-o %s: the formats are table and json", optarg);
			break;
		case 'j':
			opt.json = true;
			break;
		case O_NODE:
			opt.node = optarg;
			break;
		case O_ROOT:
			snprintf(opt.root, sizeof(opt.root), "%s", optarg);
			break;
		case O_IMAGE_ROOT:
			opt.image_root = optarg;
			break;
		case 'h':
			return usage(stdout);
		default:
			return usage(stderr);
		}
	}
	if (optind >= argc)
		return usage(stderr);
	return dispatch(top_cmds, argc - optind, argv + optind, "kbpfctl");
}

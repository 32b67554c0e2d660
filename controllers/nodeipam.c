/* nodeipam.c — the node IPAM controller (kube-controller-manager's range allocator): every
 * Node without spec.podCIDR gets the next free /--node-cidr-mask-size subnet of
 * --cluster-cidr; a deleted node's subnet goes back to the pool. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "cm.h"
#include "events.h"
#include "ipam.h"
#include "log.h"

#define COMPONENT "cidrAllocator" /* kube's range allocator's event source */

/* The subnets a node holds: [first, last] of the cidrset (one, unless the node was given
 * a CIDR larger than a subnet). */
struct holder {
	char *node;
	uint32_t first, last;
	UT_hash_handle hh;
};

static struct {
	bool active;
	struct informer *nodes;
	struct workqueue *q;
	pthread_mutex_t mu; /* everything below */
	struct ipam_cidrset set;
	struct holder *holders; /* by node name */
	const char **owner;     /* subnet index -> its holder's node name, or NULL */
} ni = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* The node's IPv4 pod CIDR as the API carries it (podCIDRs[0] wins over podCIDR). */
static const char *pod_cidr(const json_t *node)
{
	const json_t *spec = json_object_get(node, "spec");
	const char *c = json_string_value(json_array_get(json_object_get(spec, "podCIDRs"), 0));

	return c && *c ? c : json_string_value(json_object_get(spec, "podCIDR"));
}

static void hold(const char *node, uint32_t first, uint32_t last)
{
	struct holder *h = calloc(1, sizeof(*h));
	uint32_t i;

	if (!h || !(h->node = strdup(node))) {
		free(h);
		return;
	}
	h->first = first;
	h->last = last;
	HASH_ADD_KEYPTR(hh, ni.holders, h->node, strlen(h->node), h);
	for (i = first; i <= last; i++) {
		ipam_bitmap_set(&ni.set.map, i);
		ni.owner[i] = h->node;
	}
}

/* Whom [first, last] (partly) belongs to other than node, or NULL. */
static const char *held_by_other(const char *node, uint32_t first, uint32_t last)
{
	uint32_t i;

	for (i = first; i <= last; i++)
		if (ni.owner[i] && strcmp(ni.owner[i], node))
			return ni.owner[i];
	return NULL;
}

static bool release(const char *node)
{
	struct holder *h;
	uint32_t i;

	HASH_FIND_STR(ni.holders, node, h);
	if (!h)
		return false;
	for (i = h->first; i <= h->last; i++) {
		ipam_bitmap_clear(&ni.set.map, i);
		ni.owner[i] = NULL;
	}
	HASH_DEL(ni.holders, h);
	free(h->node);
	free(h);
	return true;
}

static void after_release(struct cm *cm);

/*
 * Mark what node carries as used. A CIDR that does not parse, lies outside the cluster
 * CIDR or is another node's is reported and left alone (kube's allocator would stop the
 * whole controller-manager on the first two and silently share the third).
 */
static void occupy(struct cm *cm, const json_t *node, const char *cidr, bool report)
{
	const char *name = cm_str(node, "metadata", "name");
	uint32_t first, last;
	const char *other;
	struct holder *h;
	bool released;
	int err = ipam_cidrset_span(&ni.set, cidr, &first, &last);

	HASH_FIND_STR(ni.holders, name, h);
	if (h && !err && h->first == first && h->last == last)
		return; /* taken already (after_release got to it first) */
	/* Changed by someone else: what it carries now counts, the old subnets go back
	 * (after_release below, once this node holds its new ones). */
	released = h && release(name);
	if (err == -EINVAL) {
		if (report)
			event_record(cm->c, COMPONENT, NULL, node, "Warning", "InvalidPodCIDR",
				     "Node %s has podCIDR %s, which is not an IPv4 CIDR; left as is",
				     name, cidr);
	} else if (err == -ERANGE) {
		if (report)
			event_record(cm->c, COMPONENT, NULL, node, "Warning", "InvalidPodCIDR",
				     "Node %s has podCIDR %s, outside the cluster CIDR %s; left as is",
				     name, cidr, cm->cluster_cidr);
	} else if ((other = held_by_other(name, first, last))) {
		if (report)
			event_record(cm->c, COMPONENT, NULL, node, "Warning", "InvalidPodCIDR",
				     "Node %s has podCIDR %s, which node %s holds already; left as is",
				     name, cidr, other);
	} else {
		hold(name, first, last);
	}
	if (released)
		after_release(cm);
}

/* After a release: a node that was refused a subnet because another held it, or found
 * none free, may have one now. */
static void after_release(struct cm *cm)
{
	json_t **all;
	size_t n, i;

	n = informer_list(ni.nodes, &all);
	for (i = 0; i < n; i++) {
		const char *name = cm_str(all[i], "metadata", "name"), *cidr = pod_cidr(all[i]);
		struct holder *h;

		HASH_FIND_STR(ni.holders, name, h);
		if (h || cm_being_deleted(all[i]))
			continue;
		if (cidr)
			occupy(cm, all[i], cidr, false);
		else
			wq_add(ni.q, name);
	}
	informer_list_free(all, n);
}

static long patch_cidr(struct cm *cm, const json_t *node, const char *cidr)
{
	char path[512];
	json_t *patch;
	long code;

	kpath(path, sizeof(path), "v1", NULL, "nodes", cm_str(node, "metadata", "name"), NULL);
	/* The resourceVersion makes this a compare-and-swap: a podCIDR set meanwhile by
	 * someone else is never overwritten. */
	patch = json_pack("{s:{s:O*},s:{s:s,s:[s]}}", "metadata", "resourceVersion",
			  json_object_get(json_object_get(node, "metadata"), "resourceVersion"),
			  "spec", "podCIDR", cidr, "podCIDRs", cidr);
	code = kclient_patch(cm->c, path, "merge", patch, NULL);
	json_decref(patch);
	return code;
}

static int sync_node(struct cm *cm, const char *name)
{
	json_t *node = informer_get(ni.nodes, name);
	const char *cidr;
	struct holder *h;
	char buf[64];
	int64_t idx;
	long code;
	int ret = 0;

	pthread_mutex_lock(&ni.mu);
	if (!node) {
		if (release(name))
			after_release(cm);
		goto out;
	}
	HASH_FIND_STR(ni.holders, name, h);
	cidr = pod_cidr(node);
	if (cidr) {
		uint32_t first, last;

		if (h && !ipam_cidrset_span(&ni.set, cidr, &first, &last) && first == h->first &&
		    last == h->last)
			goto out;
		/* New to us, or changed by someone else: what it carries now counts. */
		occupy(cm, node, cidr, true);
		goto out;
	}
	if (h) {
		/* Ours already, but the patch did not land (or not yet visible): again. */
		idx = h->first;
	} else {
		idx = ipam_cidrset_allocate(&ni.set);
		if (idx < 0) {
			/* kube: RecordNodeStatusChange(node, "CIDRNotAvailable"). */
			event_record(cm->c, COMPONENT, NULL, node, "Normal", "CIDRNotAvailable",
				     "Node %s status is now: CIDRNotAvailable", name);
			pr_warn("node %s: no pod CIDR left in %s (all %u /%d subnets are used)\n",
				name, cm->cluster_cidr, ipam_cidrset_size(&ni.set),
				cm->node_cidr_mask);
			/* No retry loop: a release (after_release) or an update of the node
			 * brings it back. */
			goto out;
		}
		ipam_bitmap_clear(&ni.set.map, (uint32_t)idx);
		hold(name, (uint32_t)idx, (uint32_t)idx);
	}
	ipam_cidrset_format(&ni.set, (uint32_t)idx, buf, sizeof(buf));
	pthread_mutex_unlock(&ni.mu);

	code = patch_cidr(cm, node, buf);
	if (code == 200) {
		pr_info("node %s: podCIDR %s\n", name, buf);
	} else if (code == 409) {
		ret = -EAGAIN; /* the node changed: look again (our subnet stays reserved) */
	} else {
		pr_warn("node %s: setting podCIDR %s: HTTP %ld\n", name, buf, code);
		pthread_mutex_lock(&ni.mu);
		if (release(name))
			after_release(cm);
		pthread_mutex_unlock(&ni.mu);
		ret = code == 404 ? 0 : -EIO;
	}
	json_decref(node);
	return ret;
out:
	pthread_mutex_unlock(&ni.mu);
	json_decref(node);
	return ret;
}

static void on_add(void *ctx, const json_t *obj)
{
	(void)ctx;
	wq_add(ni.q, cm_str(obj, "metadata", "name") ?: "");
}

static void on_update(void *ctx, const json_t *old, const json_t *obj)
{
	const json_t *a = json_object_get(old, "spec"), *b = json_object_get(obj, "spec");

	(void)ctx;
	/* Heartbeats (status) change nodes all the time; only the pod CIDR matters here. */
	if (!pod_cidr(obj) || !json_equal(json_object_get(a, "podCIDRs") ?: json_null(),
					  json_object_get(b, "podCIDRs") ?: json_null()) ||
	    !json_equal(json_object_get(a, "podCIDR") ?: json_null(),
			json_object_get(b, "podCIDR") ?: json_null()))
		wq_add(ni.q, cm_str(obj, "metadata", "name") ?: "");
}

static int nodeipam_init(struct cm *cm)
{
	struct informer_handlers h = { .add = on_add, .update = on_update, .del = on_add };
	char err[256];

	if (!cm->allocate_node_cidrs) {
		pr_info("node IPAM is off (--allocate-node-cidrs=false): "
			"nodes keep the podCIDR they are given\n");
		return 0;
	}
	if (ipam_cidrset_init(&ni.set, cm->cluster_cidr, cm->node_cidr_mask, err, sizeof(err))) {
		fprintf(stderr, "kbpf-controller-manager: --cluster-cidr %s --node-cidr-mask-size %d: %s\n",
			cm->cluster_cidr ? cm->cluster_cidr : "", cm->node_cidr_mask, err);
		return -EINVAL;
	}
	ni.owner = calloc(ipam_cidrset_size(&ni.set), sizeof(*ni.owner));
	ni.nodes = cm_informer(cm, "/api/v1/nodes");
	ni.q = wq_new();
	if (!ni.owner || !ni.nodes || !ni.q || informer_add_handlers(ni.nodes, &h))
		return -ENOMEM;
	ni.active = true;
	return 0;
}

static int nodeipam_run(struct cm *cm)
{
	json_t **all;
	size_t n, i;

	if (!ni.active)
		return 0;
	/* Every subnet nodes carry is taken before the first allocation, so a restart never
	 * hands out one twice. (Conflicts are reported by the syncs the adds queued.) */
	pthread_mutex_lock(&ni.mu);
	n = informer_list(ni.nodes, &all);
	for (i = 0; i < n; i++) {
		const char *cidr = pod_cidr(all[i]);

		if (cidr)
			occupy(cm, all[i], cidr, false);
	}
	informer_list_free(all, n);
	pr_info("node IPAM: %u of %u /%d subnets of %s in use\n", ni.set.map.used,
		ipam_cidrset_size(&ni.set), cm->node_cidr_mask, cm->cluster_cidr);
	pthread_mutex_unlock(&ni.mu);
	return cm_run_workers(cm, ni.q, cm->workers, sync_node, "node IPAM: node");
}

static void nodeipam_stop(struct cm *cm)
{
	struct holder *h, *tmp;

	(void)cm;
	if (!ni.active)
		return;
	HASH_ITER(hh, ni.holders, h, tmp) {
		HASH_DEL(ni.holders, h);
		free(h->node);
		free(h);
	}
	free(ni.owner);
	ipam_cidrset_free(&ni.set);
	wq_free(ni.q);
	ni.active = false;
}

const struct controller nodeipam_controller = {
	.name = "nodeipam",
	.init = nodeipam_init,
	.run = nodeipam_run,
	.stop = nodeipam_stop,
};

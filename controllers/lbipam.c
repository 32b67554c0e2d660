/* lbipam.c — LoadBalancer IPAM, as MetalLB's controller does it on bare metal: Services of
 * type LoadBalancer get status.loadBalancer.ingress[].ip from --lb-ip-pool, the address
 * they ask for (spec.loadBalancerIP, or MetalLB's metallb.universe.tf/loadBalancerIPs
 * annotation) when it is free and in the pool; an address goes back to the pool when its
 * Service goes or stops being a LoadBalancer. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "cm.h"
#include "events.h"
#include "ipam.h"
#include "log.h"

#define COMPONENT "lb-ipam-controller"
#define ANN_IPS "metallb.universe.tf/loadBalancerIPs"

/* The address a Service holds, by Service key and by address. */
struct lb_holder {
	char *key;
	uint32_t ip;
	UT_hash_handle hh;    /* by key */
	UT_hash_handle hh_ip; /* by ip */
};

static struct {
	bool active;
	struct informer *svcs;
	struct workqueue *q;
	pthread_mutex_t mu; /* everything below */
	struct ipam_pool pool;
	struct lb_holder *by_key, *by_ip;
} lb = { .mu = PTHREAD_MUTEX_INITIALIZER };

static struct lb_holder *holder_of_ip(uint32_t ip)
{
	struct lb_holder *h;

	HASH_FIND(hh_ip, lb.by_ip, &ip, sizeof(ip), h);
	return h;
}

static struct lb_holder *holder_of_key(const char *key)
{
	struct lb_holder *h;

	HASH_FIND_STR(lb.by_key, key, h);
	return h;
}

static bool hold(const char *key, uint32_t ip)
{
	int64_t slot = ipam_pool_slot(&lb.pool, ip);
	struct lb_holder *h;

	if (slot < 0 || ipam_bitmap_test(&lb.pool.map, (uint32_t)slot))
		return false;
	h = calloc(1, sizeof(*h));
	if (!h || !(h->key = strdup(key))) {
		free(h);
		return false;
	}
	h->ip = ip;
	ipam_bitmap_set(&lb.pool.map, (uint32_t)slot);
	HASH_ADD_KEYPTR(hh, lb.by_key, h->key, strlen(h->key), h);
	HASH_ADD(hh_ip, lb.by_ip, ip, sizeof(h->ip), h);
	return true;
}

static bool release(const char *key)
{
	struct lb_holder *h = holder_of_key(key);

	if (!h)
		return false;
	ipam_bitmap_clear(&lb.pool.map, (uint32_t)ipam_pool_slot(&lb.pool, h->ip));
	HASH_DEL(lb.by_key, h);
	HASH_DELETE(hh_ip, lb.by_ip, h);
	free(h->key);
	free(h);
	return true;
}

static bool is_ours(const json_t *svc)
{
	const json_t *spec = json_object_get(svc, "spec");
	const char *type = json_string_value(json_object_get(spec, "type"));

	/* A loadBalancerClass names another implementation (MetalLB without --lb-class
	 * leaves those alone too). */
	return type && !strcmp(type, "LoadBalancer") &&
	       !json_string_value(json_object_get(spec, "loadBalancerClass"));
}

/* The first ingress address of the Service's status, or NULL. */
static const char *status_ip(const json_t *svc)
{
	const json_t *ing = json_object_get(json_object_get(json_object_get(svc, "status"),
							    "loadBalancer"), "ingress");

	return json_string_value(json_object_get(json_array_get(ing, 0), "ip"));
}

/*
 * The IPv4 address the Service asks for into buf: MetalLB's annotation (a comma-separated
 * list, one address per family) wins over spec.loadBalancerIP. false when it asks for none.
 */
static bool requested_ip(const json_t *svc, char *buf, size_t len)
{
	const char *ann = json_string_value(json_object_get(
		json_object_get(json_object_get(svc, "metadata"), "annotations"), ANN_IPS));
	const char *spec_ip = cm_str(svc, "spec", "loadBalancerIP");

	if (ann && *ann) {
		const char *p = ann;

		while (*p) {
			size_t n = strcspn(p, ",");

			snprintf(buf, len, "%.*s", (int)n, p);
			if (!strchr(buf, ':')) /* the IPv6 one is not ours to give */
				return true;
			p += n + (p[n] == ',');
		}
		snprintf(buf, len, "%s", ann);
		return true;
	}
	if (spec_ip && *spec_ip) {
		snprintf(buf, len, "%s", spec_ip);
		return true;
	}
	return false;
}

/* Enqueue every Service of ours that holds no address: one freed may be theirs now. */
static void requeue_waiting(void)
{
	json_t **all;
	size_t n, i;

	n = informer_list(lb.svcs, &all);
	for (i = 0; i < n; i++) {
		char key[512];

		cm_key(all[i], key, sizeof(key));
		if (is_ours(all[i]) && !holder_of_key(key))
			wq_add(lb.q, key);
	}
	informer_list_free(all, n);
}

static long patch_status(struct cm *cm, const json_t *svc, const char *ip)
{
	char path[1024];
	json_t *patch;
	long code;

	kpath(path, sizeof(path), "v1", cm_str(svc, "metadata", "namespace"), "services",
	      cm_str(svc, "metadata", "name"), "status");
	if (ip)
		patch = json_pack("{s:{s:{s:[{s:s,s:s}]}}}", "status", "loadBalancer", "ingress", "ip",
				  ip, "ipMode", "VIP");
	else
		patch = json_pack("{s:{s:{s:n}}}", "status", "loadBalancer", "ingress");
	code = kclient_patch(cm->c, path, "merge", patch, NULL);
	json_decref(patch);
	if (code != 200 && code != 404) {
		pr_warn("service %s/%s: setting status.loadBalancer: HTTP %ld\n",
			cm_str(svc, "metadata", "namespace"), cm_str(svc, "metadata", "name"), code);
		return -EIO;
	}
	return 0;
}

static void allocation_failed(struct cm *cm, const json_t *svc, const char *key, const char *fmt,
			      ...) __attribute__((format(printf, 4, 5)));
static void allocation_failed(struct cm *cm, const json_t *svc, const char *key, const char *fmt,
			      ...)
{
	char why[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	/* MetalLB's event, worded as MetalLB words it. */
	event_record(cm->c, COMPONENT, NULL, svc, "Warning", "AllocationFailed",
		     "Failed to allocate IP for \"%s\": %s", key, why);
}

/*
 * Decide the address of a Service of ours, under lb.mu: 0 and *ip set, or an error after
 * the AllocationFailed event (the Service stays <pending> until something changes).
 */
static int choose(struct cm *cm, const json_t *svc, const char *key, uint32_t *ip, bool *fresh)
{
	struct lb_holder *h = holder_of_key(key), *other;
	const char *cur = status_ip(svc);
	char want[128];
	uint32_t cur_ip;
	int64_t slot;

	*fresh = false;
	if (requested_ip(svc, want, sizeof(want))) {
		if (ipam_parse_ip4(want, ip)) {
			allocation_failed(cm, svc, key, "\"%s\" is not an IPv4 address", want);
			return -EINVAL;
		}
		if (h && h->ip == *ip)
			return 0;
		if (ipam_pool_slot(&lb.pool, *ip) < 0) {
			allocation_failed(cm, svc, key, "%s is not in the address pool (--lb-ip-pool %s)",
					  want, cm->lb_ip_pool);
			return -ERANGE;
		}
		if ((other = holder_of_ip(*ip))) {
			allocation_failed(cm, svc, key, "%s is already assigned to service \"%s\"",
					  want, other->key);
			return -EADDRINUSE;
		}
		release(key);
		*fresh = hold(key, *ip);
		return *fresh ? 0 : -ENOMEM;
	}
	if (h) {
		*ip = h->ip;
		return 0;
	}
	/* An address the Service already shows (a restart, or a pool that grew) stays. */
	if (cur && !ipam_parse_ip4(cur, &cur_ip) && hold(key, cur_ip)) {
		*ip = cur_ip;
		return 0;
	}
	slot = ipam_pool_allocate(&lb.pool);
	if (slot < 0) {
		allocation_failed(cm, svc, key, "no available IPs");
		return -ENOSPC;
	}
	ipam_bitmap_clear(&lb.pool.map, (uint32_t)slot);
	*ip = ipam_pool_ip(&lb.pool, (uint32_t)slot);
	*fresh = hold(key, *ip);
	return *fresh ? 0 : -ENOMEM;
}

static int sync_service(struct cm *cm, const char *key)
{
	json_t *svc = informer_get(lb.svcs, key);
	const char *cur;
	char ipbuf[32];
	uint32_t ip;
	bool fresh, released;
	int ret = 0, err;

	pthread_mutex_lock(&lb.mu);
	if (!svc || !is_ours(svc)) {
		released = release(key);
		if (released)
			requeue_waiting();
		pthread_mutex_unlock(&lb.mu);
		cur = svc ? status_ip(svc) : NULL;
		/* Stopped being a LoadBalancer: the address it showed goes (MetalLB clears it).
		 * One of another class is left alone. */
		if (cur && !json_string_value(json_object_get(json_object_get(svc, "spec"),
							      "loadBalancerClass")) &&
		    (released || (!ipam_parse_ip4(cur, &ip) && ipam_pool_slot(&lb.pool, ip) >= 0)))
			ret = patch_status(cm, svc, NULL);
		if (released)
			pr_info("service %s: LoadBalancer IP released\n", key);
		json_decref(svc);
		return ret;
	}
	err = choose(cm, svc, key, &ip, &fresh);
	/* A Service refused the address it asks for holds none (its old one goes back). */
	if (err && release(key))
		requeue_waiting();
	pthread_mutex_unlock(&lb.mu);
	cur = status_ip(svc);
	if (err) {
		/* Whatever it showed is not its address any more. */
		if (cur)
			ret = patch_status(cm, svc, NULL);
		json_decref(svc);
		return ret;
	}
	ipam_format_ip4(ip, ipbuf, sizeof(ipbuf));
	if (!cur || strcmp(cur, ipbuf) ||
	    json_array_size(json_object_get(json_object_get(json_object_get(svc, "status"),
							     "loadBalancer"), "ingress")) != 1)
		ret = patch_status(cm, svc, ipbuf);
	if (!ret && fresh) {
		pr_info("service %s: LoadBalancer IP %s\n", key, ipbuf);
		event_record(cm->c, COMPONENT, NULL, svc, "Normal", "IPAllocated",
			     "Assigned IP [\"%s\"]", ipbuf);
	}
	json_decref(svc);
	return ret;
}

static void on_add(void *ctx, const json_t *obj)
{
	char key[512];

	(void)ctx;
	cm_key(obj, key, sizeof(key));
	wq_add(lb.q, key);
}

static void on_update(void *ctx, const json_t *old, const json_t *obj)
{
	(void)old;
	on_add(ctx, obj);
}

static int lbipam_init(struct cm *cm)
{
	struct informer_handlers h = { .add = on_add, .update = on_update, .del = on_add };
	char err[256];

	if (!cm->lb_ip_pool) {
		pr_info("LoadBalancer IPAM is off (no --lb-ip-pool): LoadBalancer Services stay <pending>\n");
		return 0;
	}
	if (ipam_pool_parse(&lb.pool, cm->lb_ip_pool, err, sizeof(err))) {
		fprintf(stderr, "kbpf-controller-manager: --lb-ip-pool %s: %s\n", cm->lb_ip_pool, err);
		return -EINVAL;
	}
	lb.svcs = cm_informer(cm, "/api/v1/services");
	lb.q = wq_new();
	if (!lb.svcs || !lb.q || informer_add_handlers(lb.svcs, &h))
		return -ENOMEM;
	lb.active = true;
	return 0;
}

static int lbipam_run(struct cm *cm)
{
	json_t **all;
	size_t n, i;

	if (!lb.active)
		return 0;
	/* The addresses Services show are theirs before anything is handed out, so a restart
	 * never gives one twice. */
	pthread_mutex_lock(&lb.mu);
	n = informer_list(lb.svcs, &all);
	for (i = 0; i < n; i++) {
		const char *cur = status_ip(all[i]);
		char key[512], want[128];
		uint32_t ip, req;

		if (!is_ours(all[i]) || !cur || ipam_parse_ip4(cur, &ip))
			continue;
		if (requested_ip(all[i], want, sizeof(want)) &&
		    (ipam_parse_ip4(want, &req) || req != ip))
			continue;
		cm_key(all[i], key, sizeof(key));
		hold(key, ip);
	}
	informer_list_free(all, n);
	pr_info("LoadBalancer IPAM: %u of %u addresses of %s in use\n", lb.pool.map.used,
		lb.pool.map.size, cm->lb_ip_pool);
	pthread_mutex_unlock(&lb.mu);
	return cm_run_workers(cm, lb.q, cm->workers, sync_service, "LoadBalancer IPAM: service");
}

static void lbipam_stop(struct cm *cm)
{
	struct lb_holder *h, *tmp;

	(void)cm;
	if (!lb.active)
		return;
	HASH_ITER(hh, lb.by_key, h, tmp) {
		HASH_DEL(lb.by_key, h);
		HASH_DELETE(hh_ip, lb.by_ip, h);
		free(h->key);
		free(h);
	}
	ipam_pool_free(&lb.pool);
	wq_free(lb.q);
	lb.active = false;
}

const struct controller lbipam_controller = {
	.name = "lbipam",
	.init = lbipam_init,
	.run = lbipam_run,
	.stop = lbipam_stop,
};

/* eps_reconcile.c — the EndpointSlices and the Endpoints object a Service should have,
 * computed from the Service, its pods and what exists (k8s.io/endpointslice's reconciler
 * and the Endpoints controller's subsets, as of Kubernetes v1.32). */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "cm.h"
#include "eps_reconcile.h"
#include "util.h"

#define SEP "\x1f" /* inside keys: never in a label, name, address or protocol */

static json_t *jget(const json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);

	return b ? json_object_get(v, b) : v;
}

static const char *str_or(const char *s, const char *dflt)
{
	return s ? s : dflt;
}

static const json_t *pod_labels(const json_t *obj)
{
	return jget(obj, "metadata", "labels");
}

bool eps_service_selects(const json_t *svc)
{
	const json_t *sel = jget(svc, "spec", "selector");

	/* A Service stored with "selector": {} reads back without one, as from etcd. */
	return json_object_size(sel) > 0 &&
	       strcmp(str_or(cm_str(jget(svc, "spec", NULL), "type", NULL), ""), "ExternalName");
}

static bool has_ip(const json_t *pod)
{
	const char *ip = cm_str(pod, "status", "podIP");

	return (ip && *ip) || json_array_size(jget(pod, "status", "podIPs"));
}

bool eps_pod_in_endpoints(const json_t *pod, bool include_terminating)
{
	if (cm_pod_terminal(pod) || !has_ip(pod))
		return false;
	return include_terminating || !cm_being_deleted(pod);
}

void eps_pod_changed(const json_t *old, const json_t *cur, bool *changed, bool *labels_changed)
{
	const json_t *os = jget(old, "spec", NULL), *cs = jget(cur, "spec", NULL);

	*labels_changed = !json_same(pod_labels(old), pod_labels(cur)) ||
			  !json_same(json_object_get(os, "hostname"), json_object_get(cs, "hostname")) ||
			  !json_same(json_object_get(os, "subdomain"), json_object_get(cs, "subdomain"));
	*changed = cm_being_deleted(old) != cm_being_deleted(cur) ||
		   cm_pod_ready(old) != cm_pod_ready(cur) ||
		   cm_pod_terminal(old) != cm_pod_terminal(cur) ||
		   !json_same(jget(old, "status", "podIPs"), jget(cur, "status", "podIPs")) ||
		   !json_same(jget(old, "status", "podIP"), jget(cur, "status", "podIP"));
}

/* --- times --- */

double eps_pod_trigger_time(const json_t *pod)
{
	const json_t *ready = status_condition(json_object_get(pod, "status"), "Ready");
	double t = cm_time(cm_str(ready, "lastTransitionTime", NULL));

	return isnan(t) ? 0 : t;
}

/* --- pods to endpoints --- */

static bool is_ipv6(const char *ip)
{
	return strchr(ip, ':') != NULL;
}

/* ClusterIP set and not "None". */
static bool service_ip_set(const json_t *svc)
{
	const char *ip = cm_str(jget(svc, "spec", NULL), "clusterIP", NULL);

	return ip && *ip && strcmp(ip, "None");
}

static bool service_headless(const json_t *svc)
{
	return !strcmp(str_or(cm_str(jget(svc, "spec", NULL), "clusterIP", NULL), ""), "None");
}

static bool publish_not_ready(const json_t *svc)
{
	return json_is_true(jget(svc, "spec", "publishNotReadyAddresses"));
}

/* A pod address in canonical form (inet_ntop of inet_pton), NULL-terminated into buf;
 * false when it is no IP. */
static bool canonical_ip(const char *ip, char *buf, size_t len)
{
	unsigned char bin[16];
	int af = is_ipv6(ip) ? AF_INET6 : AF_INET;

	return inet_pton(af, ip, bin) == 1 && inet_ntop(af, bin, buf, len);
}

/* The pod's addresses of one family ("IPv4" or "IPv6"), from status.podIPs (podIP when a
 * writer left podIPs out). */
static json_t *pod_addresses(const json_t *pod, const char *type)
{
	const json_t *ips = jget(pod, "status", "podIPs"), *p;
	bool want6 = !strcmp(type, "IPv6");
	json_t *out = json_array();
	char buf[INET6_ADDRSTRLEN];
	size_t i;

	if (!json_array_size(ips)) {
		const char *ip = cm_str(pod, "status", "podIP");

		if (ip && is_ipv6(ip) == want6 && canonical_ip(ip, buf, sizeof(buf)))
			json_array_append_new(out, json_string(buf));
		return out;
	}
	json_array_foreach(ips, i, p) {
		const char *ip = cm_str(p, "ip", NULL);

		if (ip && is_ipv6(ip) == want6 && canonical_ip(ip, buf, sizeof(buf)))
			json_array_append_new(out, json_string(buf));
	}
	return out;
}

/* ShouldSetHostname: the pod asked for a hostname under this Service as its subdomain. */
static const char *pod_hostname_for(const json_t *pod, const json_t *svc)
{
	const json_t *spec = jget(pod, "spec", NULL);
	const char *host = cm_str(spec, "hostname", NULL), *sub = cm_str(spec, "subdomain", NULL);

	if (!host || !*host || !sub || strcmp(sub, str_or(cm_str(svc, "metadata", "name"), "")) ||
	    strcmp(str_or(cm_str(pod, "metadata", "namespace"), ""),
		   str_or(cm_str(svc, "metadata", "namespace"), "")))
		return NULL;
	return host;
}

static json_t *target_ref(const json_t *pod)
{
	return json_pack("{s:s,s:s,s:s,s:s}", "kind", "Pod", "namespace",
			 str_or(cm_str(pod, "metadata", "namespace"), ""), "name",
			 str_or(cm_str(pod, "metadata", "name"), ""), "uid",
			 str_or(cm_str(pod, "metadata", "uid"), ""));
}

/* FindPort: a numeric targetPort as it is; a named one from the pod's containers (and
 * sidecars: init containers with restartPolicy Always) by name and protocol; -1 if the
 * pod has no such port. */
static long find_port(const json_t *pod, const json_t *svc_port)
{
	const json_t *tp = json_object_get(svc_port, "targetPort");
	const char *proto = str_or(cm_str(svc_port, "protocol", NULL), "TCP"), *name;
	static const char *const lists[] = { "containers", "initContainers" };
	const json_t *c, *p;
	size_t l, i, j;

	if (!tp)
		tp = json_object_get(svc_port, "port");
	if (json_is_integer(tp))
		return json_integer_value(tp);
	if (!(name = json_string_value(tp)))
		return -1;
	for (l = 0; l < 2; l++)
		json_array_foreach(jget(pod, "spec", lists[l]), i, c) {
			if (l == 1 && strcmp(str_or(cm_str(c, "restartPolicy", NULL), ""), "Always"))
				continue;
			json_array_foreach(json_object_get(c, "ports"), j, p)
				if (!strcmp(str_or(cm_str(p, "name", NULL), ""), name) &&
				    !strcmp(str_or(cm_str(p, "protocol", NULL), "TCP"), proto))
					return json_integer_value(json_object_get(p, "containerPort"));
		}
	return -1;
}

/* One resolved port: {name, port, protocol, appProtocol}. In slices the name is always
 * there ("" for an unnamed port); in Endpoints an empty name is left out. */
static json_t *endpoint_port(const json_t *svc_port, long num, bool slice)
{
	const char *name = str_or(cm_str(svc_port, "name", NULL), "");
	json_t *p = json_object();

	if (slice || *name)
		json_object_set_new(p, "name", json_string(name));
	json_object_set_new(p, "port", json_integer(num));
	json_object_set_new(p, "protocol",
			    json_string(str_or(cm_str(svc_port, "protocol", NULL), "TCP")));
	if (json_object_get(svc_port, "appProtocol"))
		json_object_set(p, "appProtocol", json_object_get(svc_port, "appProtocol"));
	return p;
}

/* getEndpointPorts: the service's ports as this pod serves them (ports it lacks are left
 * out; a headless Service may have none). */
static json_t *slice_ports_of(const json_t *svc, const json_t *pod)
{
	const json_t *sp;
	json_t *out = json_array();
	size_t i;

	json_array_foreach(jget(svc, "spec", "ports"), i, sp) {
		long num = find_port(pod, sp);

		if (num >= 0)
			json_array_append_new(out, endpoint_port(sp, num, true));
	}
	return out;
}

/* --- keys --- */

struct strbuf {
	char *s;
	size_t len, cap;
};

static void sb_add(struct strbuf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 128;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (!(p = realloc(b->s, cap)))
			return; /* the key comes out short: at worst one extra write */
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

static char *sb_take(struct strbuf *b)
{
	return b->s ? b->s : strdup("");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A JSON value as text for keys: strings as they are, absence as "\x1e". */
static void sb_val(struct strbuf *b, const json_t *v)
{
	char num[32];

	if (!v) {
		sb_add(b, "\x1e");
	} else if (json_is_string(v)) {
		sb_add(b, json_string_value(v));
	} else {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		sb_add(b, num);
	}
}

/* One port: name, protocol, number, appProtocol. */
static char *one_port_key(const json_t *p)
{
	struct strbuf b = { 0 };

	sb_val(&b, json_object_get(p, "name"));
	sb_add(&b, SEP);
	sb_val(&b, json_object_get(p, "protocol"));
	sb_add(&b, SEP);
	sb_val(&b, json_object_get(p, "port"));
	sb_add(&b, SEP);
	sb_val(&b, json_object_get(p, "appProtocol"));
	return sb_take(&b);
}

/* NewPortMapKey: a port set whatever its order. */
static char *port_key(const json_t *ports)
{
	size_t n = json_array_size(ports), i;
	char **parts = calloc(n ? n : 1, sizeof(*parts));
	struct strbuf b = { 0 };
	const json_t *p;

	if (!parts)
		return NULL;
	json_array_foreach(ports, i, p)
		parts[i] = one_port_key(p);
	qsort(parts, n, sizeof(*parts), cmp_str);
	sb_add(&b, "[");
	for (i = 0; i < n; i++) {
		sb_add(&b, parts[i] ? parts[i] : "");
		sb_add(&b, "\x1d");
		free(parts[i]);
	}
	free(parts);
	return sb_take(&b);
}

/* hashEndpoint: what identifies an endpoint across slices (its addresses, hostname and
 * pod); everything else about it may change in place. */
static char *endpoint_key(const json_t *ep)
{
	const json_t *addrs = json_object_get(ep, "addresses"), *a;
	size_t n = json_array_size(addrs), i;
	const char **sorted = calloc(n ? n : 1, sizeof(*sorted));
	struct strbuf b = { 0 };

	if (!sorted)
		return NULL;
	json_array_foreach(addrs, i, a)
		sorted[i] = str_or(json_string_value(a), "");
	qsort(sorted, n, sizeof(*sorted), cmp_str);
	for (i = 0; i < n; i++) {
		sb_add(&b, sorted[i]);
		sb_add(&b, ",");
	}
	free(sorted);
	sb_add(&b, SEP);
	sb_add(&b, str_or(cm_str(ep, "hostname", NULL), ""));
	sb_add(&b, SEP);
	sb_add(&b, str_or(cm_str(ep, "targetRef", "namespace"), ""));
	sb_add(&b, "/");
	sb_add(&b, str_or(cm_str(ep, "targetRef", "name"), ""));
	return sb_take(&b);
}

/* Two objects equal but for one key (a targetRef's resourceVersion). */
static bool equal_except(const json_t *a, const json_t *b, const char *skip)
{
	const char *k;
	json_t *v;

	if (!a || !b)
		return a == b;
	json_object_foreach((json_t *)a, k, v)
		if (strcmp(k, skip) && !json_same(v, json_object_get(b, k)))
			return false;
	json_object_foreach((json_t *)b, k, v)
		if (strcmp(k, skip) && !json_object_get(a, k))
			return false;
	return true;
}

/* EndpointsEqualBeyondHash. */
static bool endpoint_same(const json_t *a, const json_t *b)
{
	static const char *const conds[] = { "ready", "serving", "terminating" };
	size_t i;

	if (!json_same(json_object_get(a, "nodeName"), json_object_get(b, "nodeName")) ||
	    !json_same(json_object_get(a, "zone"), json_object_get(b, "zone")))
		return false;
	for (i = 0; i < 3; i++)
		if (!json_same(jget(a, "conditions", conds[i]), jget(b, "conditions", conds[i])))
			return false;
	return equal_except(json_object_get(a, "targetRef"), json_object_get(b, "targetRef"),
			    "resourceVersion");
}

/* --- labels and new slices --- */

static bool reserved_label(const char *k)
{
	return !strcmp(k, EPS_LABEL_SERVICE_NAME) || !strcmp(k, EPS_LABEL_MANAGED_BY) ||
	       !strcmp(k, EPS_LABEL_HEADLESS);
}

static json_t *unreserved(const json_t *labels)
{
	json_t *out = json_object(), *v;
	const char *k;

	json_object_foreach((json_t *)labels, k, v)
		if (!reserved_label(k))
			json_object_set(out, k, v);
	return out;
}

/* setEndpointSliceLabels: the Service's labels, the headless label for a Service without
 * a ClusterIP, and the two the controller finds its slices by. *changed: the slice's own
 * (unreserved) labels differ from the Service's. */
static json_t *slice_labels(const json_t *slice, const json_t *svc, bool *changed)
{
	json_t *have = unreserved(jget(slice, "metadata", "labels"));
	json_t *want = unreserved(jget(svc, "metadata", "labels"));

	if (changed)
		*changed = !json_equal(have, want);
	json_decref(have);
	if (!service_ip_set(svc))
		json_object_set_new(want, EPS_LABEL_HEADLESS, json_string(""));
	json_object_set_new(want, EPS_LABEL_SERVICE_NAME,
			    json_string(str_or(cm_str(svc, "metadata", "name"), "")));
	json_object_set_new(want, EPS_LABEL_MANAGED_BY, json_string(EPS_CONTROLLER_NAME));
	return want;
}

static bool owned_by(const json_t *slice, const json_t *svc)
{
	const char *uid = str_or(cm_str(svc, "metadata", "uid"), "");
	const json_t *r;
	size_t i;

	json_array_foreach(jget(slice, "metadata", "ownerReferences"), i, r)
		if (!strcmp(str_or(cm_str(r, "uid", NULL), ""), uid) &&
		    !strcmp(str_or(cm_str(r, "kind", NULL), ""), "Service") &&
		    !strcmp(str_or(cm_str(r, "apiVersion", NULL), ""), "v1"))
			return true;
	return false;
}

static json_t *new_slice(const json_t *svc, const json_t *ports, const char *type)
{
	const char *name = str_or(cm_str(svc, "metadata", "name"), "");
	char prefix[300];
	json_t *s;

	snprintf(prefix, sizeof(prefix), "%s-", name);
	s = json_pack("{s:s,s:s,s:{s:s,s:s,s:o,s:[{s:s,s:s,s:s,s:s,s:b,s:b}]},s:s,s:[],s:O}",
		      "apiVersion", "discovery.k8s.io/v1", "kind", "EndpointSlice", "metadata",
		      "generateName", prefix, "namespace",
		      str_or(cm_str(svc, "metadata", "namespace"), ""), "labels",
		      slice_labels(NULL, svc, NULL), "ownerReferences", "apiVersion", "v1", "kind",
		      "Service", "name", name, "uid", str_or(cm_str(svc, "metadata", "uid"), ""),
		      "controller", 1, "blockOwnerDeletion", 1, "addressType", type, "endpoints",
		      "ports", ports);
	return s;
}

static json_t *pod_endpoint(const json_t *svc, const json_t *pod, const char *type,
			    const char *zone)
{
	json_t *addrs = pod_addresses(pod, type), *ep;
	bool serving = cm_pod_ready(pod), terminating = cm_being_deleted(pod);
	/* Never ready while terminating, for older consumers, unless the Service publishes
	 * every address. */
	bool ready = publish_not_ready(svc) || (serving && !terminating);
	const char *node = cm_str(pod, "spec", "nodeName"), *host = pod_hostname_for(pod, svc);

	if (!json_array_size(addrs)) {
		json_decref(addrs);
		return NULL;
	}
	ep = json_pack("{s:o,s:{s:b,s:b,s:b}}", "addresses", addrs, "conditions", "ready", ready,
		       "serving", serving, "terminating", terminating);
	if (host)
		json_object_set_new(ep, "hostname", json_string(host));
	json_object_set_new(ep, "targetRef", target_ref(pod));
	if (node && *node)
		json_object_set_new(ep, "nodeName", json_string(node));
	if (zone && *zone)
		json_object_set_new(ep, "zone", json_string(zone));
	return ep;
}

/* --- slices --- */

struct want {
	char *key;   /* endpoint_key */
	json_t *ep;
	UT_hash_handle hh;
};

/* The endpoints resolving the Service's ports the same way, and the slices of that port
 * set. */
struct group {
	char *key;        /* port_key */
	json_t *ports;    /* desired ports, in the Service's order (NULL: no pod has them) */
	struct want *wants;
	json_t *existing;
	UT_hash_handle hh;
};

enum { W_UNCHANGED, W_UPDATE, W_DELETE };

struct work {
	const json_t *orig;
	json_t *obj; /* the slice as it will be written (W_UPDATE) */
	int state;
};

static void free_wants(struct want **wants)
{
	struct want *w, *tmp;

	HASH_ITER(hh, *wants, w, tmp) {
		HASH_DEL(*wants, w);
		json_decref(w->ep);
		free(w->key);
		free(w);
	}
}

/* Take w out of the set, handing its endpoint over. */
static json_t *take_want(struct want **wants, struct want *w)
{
	json_t *ep = w->ep;

	HASH_DEL(*wants, w);
	free(w->key);
	free(w);
	return ep;
}

/* The oldest remaining endpoint (insertion order: pods sorted by name). */
static json_t *pop_want(struct want **wants)
{
	return take_want(wants, *wants);
}

static size_t n_endpoints(const json_t *slice)
{
	return json_array_size(json_object_get(slice, "endpoints"));
}

static int cmp_work_fullest(const void *a, const void *b)
{
	size_t x = n_endpoints((*(struct work *const *)a)->obj);
	size_t y = n_endpoints((*(struct work *const *)b)->obj);

	return x > y ? -1 : x < y;
}

static void fill(json_t *slice, struct want **wants, size_t max)
{
	json_t *eps = json_object_get(slice, "endpoints");

	if (!json_is_array(eps)) {
		eps = json_array();
		json_object_set_new(slice, "endpoints", eps);
	}
	while (*wants && json_array_size(eps) < max)
		json_array_append_new(eps, pop_want(wants));
}

/* reconcileByPortMapping, for one group with desired ports. */
static int plan_group(const json_t *svc, const char *type, struct group *g, size_t max,
		      json_t *create, json_t *update, json_t *del)
{
	size_t n = json_array_size(g->existing), i, j, n_upd = 0;
	struct work *works = calloc(n ? n : 1, sizeof(*works)), **upd;
	const json_t *s, *ep;

	upd = calloc(n ? n : 1, sizeof(*upd));
	if (!works || !upd) {
		free(works);
		free(upd);
		return -ENOMEM;
	}
	/* 1. Keep what is still wanted where it is; note what changed. */
	json_array_foreach(g->existing, i, s) {
		json_t *keep = json_array(), *labels;
		bool updated = false, labels_changed;

		works[i].orig = s;
		json_array_foreach(json_object_get(s, "endpoints"), j, ep) {
			char *key = endpoint_key(ep);
			struct want *w = NULL;

			if (key)
				HASH_FIND_STR(g->wants, key, w);
			free(key);
			if (!w)
				continue;
			if (!endpoint_same(w->ep, ep))
				updated = true;
			json_array_append_new(keep, take_want(&g->wants, w));
		}
		labels = slice_labels(s, svc, &labels_changed);
		if (updated || json_array_size(keep) != n_endpoints(s)) {
			if (!json_array_size(keep)) {
				works[i].state = W_DELETE;
			} else {
				works[i].obj = json_deep_copy(s);
				json_object_set(works[i].obj, "endpoints", keep);
				json_object_set(json_object_get(works[i].obj, "metadata"), "labels", labels);
				works[i].state = W_UPDATE;
				upd[n_upd++] = &works[i];
			}
		} else if (labels_changed) {
			works[i].obj = json_deep_copy(s);
			json_object_set(json_object_get(works[i].obj, "metadata"), "labels", labels);
			works[i].state = W_UPDATE;
			upd[n_upd++] = &works[i];
		}
		json_decref(keep);
		json_decref(labels);
	}
	/* 2. New endpoints go first into the slices written anyway, fullest first. */
	if (g->wants && n_upd) {
		qsort(upd, n_upd, sizeof(*upd), cmp_work_fullest);
		for (i = 0; i < n_upd && g->wants; i++)
			fill(upd[i]->obj, &g->wants, max);
	}
	/* 3. Then into the unchanged slice they fit best, then into new slices. */
	while (g->wants) {
		size_t left = HASH_COUNT(g->wants), best_gap = max;
		struct work *best = NULL;
		json_t *slice;

		for (i = 0; left < max && i < n; i++) {
			size_t have = n_endpoints(works[i].orig);

			if (works[i].state != W_UNCHANGED || have + left > max)
				continue;
			if (max - (have + left) < best_gap) {
				best_gap = max - (have + left);
				best = &works[i];
			}
		}
		if (best) {
			best->obj = json_deep_copy(best->orig);
			best->state = W_UPDATE;
			fill(best->obj, &g->wants, max);
			continue;
		}
		slice = new_slice(svc, g->ports, type);
		fill(slice, &g->wants, max);
		json_array_append_new(create, slice);
	}
	for (i = 0; i < n; i++) {
		if (works[i].state == W_UPDATE)
			json_array_append_new(update, works[i].obj);
		else if (works[i].state == W_DELETE)
			json_array_append(del, (json_t *)works[i].orig);
	}
	free(works);
	free(upd);
	return 0;
}

static struct group *group_get(struct group **groups, const char *key)
{
	struct group *g;

	if (!key)
		return NULL;
	HASH_FIND_STR(*groups, key, g);
	if (g)
		return g;
	g = calloc(1, sizeof(*g));
	if (!g || !(g->key = strdup(key)) || !(g->existing = json_array())) {
		if (g)
			free(g->key);
		free(g);
		return NULL;
	}
	HASH_ADD_KEYPTR(hh, *groups, g->key, strlen(g->key), g);
	return g;
}

static void free_groups(struct group **groups)
{
	struct group *g, *tmp;

	HASH_ITER(hh, *groups, g, tmp) {
		HASH_DEL(*groups, g);
		free_wants(&g->wants);
		json_decref(g->ports);
		json_decref(g->existing);
		free(g->key);
		free(g);
	}
}

/* getAddressTypesForService: the Service's IP families; without them (an older
 * apiserver), its ClusterIP's family, or both for a headless Service. */
static int address_types(const json_t *svc, const char *types[2])
{
	const json_t *f;
	int n = 0;
	size_t i;

	json_array_foreach(jget(svc, "spec", "ipFamilies"), i, f) {
		const char *t = json_string_value(f);

		if (t && (!strcmp(t, "IPv4") || !strcmp(t, "IPv6")) &&
		    !(n == 1 && !strcmp(types[0], t)) && n < 2)
			types[n++] = !strcmp(t, "IPv4") ? "IPv4" : "IPv6";
	}
	if (n)
		return n;
	if (service_ip_set(svc)) {
		types[0] = is_ipv6(cm_str(jget(svc, "spec", NULL), "clusterIP", NULL)) ? "IPv6" : "IPv4";
		return 1;
	}
	types[0] = "IPv4";
	types[1] = "IPv6";
	return 2;
}

static const json_t *labels_or_empty(const json_t *obj, json_t *empty)
{
	const json_t *l = jget(obj, "metadata", "labels");

	return json_is_object(l) ? l : empty;
}

/* placeholderSliceCompare: the existing slice is the placeholder the Service would get. */
static bool placeholder_same(const json_t *s, const json_t *ph)
{
	json_t *empty = json_object();
	bool same = json_same(jget(s, "metadata", "namespace"), jget(ph, "metadata", "namespace")) &&
		    json_equal(labels_or_empty(s, empty), labels_or_empty(ph, empty)) &&
		    json_same(json_object_get(s, "addressType"), json_object_get(ph, "addressType")) &&
		    !n_endpoints(s) && !json_array_size(json_object_get(s, "ports"));

	json_decref(empty);
	return same;
}

static int cmp_pod_name(const void *a, const void *b)
{
	return strcmp(str_or(cm_str(*(const json_t *const *)a, "metadata", "name"), ""),
		      str_or(cm_str(*(const json_t *const *)b, "metadata", "name"), ""));
}

/* The desired endpoints of one address type, grouped by port set. */
static int want_endpoints(const struct eps_slices_in *in, const char *type,
			  const json_t *const *pods, struct group **groups, struct eps_plan *plan)
{
	const json_t *svc = in->svc;
	size_t i;

	for (i = 0; i < in->n_pods; i++) {
		const json_t *pod = pods[i];
		const char *node = str_or(cm_str(pod, "spec", "nodeName"), "");
		char zone[128] = "", *key;
		struct group *g;
		struct want *w;
		json_t *ports, *ep;

		if (!eps_pod_in_endpoints(pod, true))
			continue;
		ports = slice_ports_of(svc, pod);
		key = port_key(ports);
		g = group_get(groups, key);
		free(key);
		if (!g) {
			json_decref(ports);
			return -ENOMEM;
		}
		if (!g->ports)
			g->ports = ports;
		else
			json_decref(ports);
		/* A pod on a node that does not exist (yet) is left out and the Service synced
		 * again later, so that a missing node cannot hold the others back. */
		if (in->node && !in->node(in->node_ctx, node, zone, sizeof(zone)) &&
		    !publish_not_ready(svc)) {
			if (!plan->skipped++)
				snprintf(plan->skipped_msg, sizeof(plan->skipped_msg),
					 "skipping Pod %s for Service %s/%s: Node %s Not Found",
					 str_or(cm_str(pod, "metadata", "name"), ""),
					 str_or(cm_str(svc, "metadata", "namespace"), ""),
					 str_or(cm_str(svc, "metadata", "name"), ""), node);
			continue;
		}
		if (!(ep = pod_endpoint(svc, pod, type, zone)))
			continue;
		if (!(key = endpoint_key(ep))) {
			json_decref(ep);
			return -ENOMEM;
		}
		HASH_FIND_STR(g->wants, key, w);
		if (w) {
			json_decref(w->ep);
			w->ep = ep;
			free(key);
			continue;
		}
		if (!(w = calloc(1, sizeof(*w)))) {
			json_decref(ep);
			free(key);
			return -ENOMEM;
		}
		w->key = key;
		w->ep = ep;
		HASH_ADD_KEYPTR(hh, g->wants, w->key, strlen(w->key), w);
	}
	return 0;
}

/* reconcileByAddressType and finalize's reuse of slices, for one address type. */
static int plan_type(const struct eps_slices_in *in, const char *type, const json_t *const *pods,
		     const json_t *existing, size_t max, struct eps_plan *plan)
{
	json_t *create = json_array(), *update = json_array(), *del = json_array();
	const json_t *svc = in->svc, *s;
	struct group *groups = NULL, *g, *tmp;
	size_t i;
	int err = 0;

	json_array_foreach(existing, i, s) {
		char *key;

		if (!owned_by(s, svc)) {
			/* A slice of an older Service of the same name. */
			json_array_append(del, (json_t *)s);
			continue;
		}
		key = port_key(json_object_get(s, "ports"));
		g = group_get(&groups, key);
		free(key);
		if (!g) {
			err = -ENOMEM;
			goto out;
		}
		json_array_append(g->existing, (json_t *)s);
	}
	err = want_endpoints(in, type, pods, &groups, plan);
	if (err)
		goto out;
	HASH_ITER(hh, groups, g, tmp) {
		if (!g->ports)
			json_array_extend(del, g->existing); /* a port set no pod has now */
		else if ((err = plan_group(svc, type, g, max, create, update, del)))
			goto out;
	}
	/* A Service without endpoints keeps one empty slice, so that consumers can tell "no
	 * endpoints" from "not processed yet". */
	if (json_array_size(existing) == json_array_size(del) && !json_array_size(create)) {
		json_t *no_ports = json_array(), *ph = new_slice(svc, no_ports, type);

		json_decref(no_ports);
		if (json_array_size(del) == 1 && placeholder_same(json_array_get(del, 0), ph)) {
			json_array_clear(del);
			json_decref(ph);
		} else {
			json_array_append_new(create, ph);
		}
	}
	/* A slice about to be deleted is rewritten as one about to be created instead. */
	for (i = 0; i < json_array_size(del) && json_array_size(create);) {
		const json_t *d = json_array_get(del, i);
		size_t last = json_array_size(create) - 1;
		json_t *c = json_array_get(create, last), *meta = json_object_get(c, "metadata");

		if (!json_same(json_object_get(d, "addressType"), json_object_get(c, "addressType")) ||
		    !owned_by(d, svc)) {
			i++;
			continue;
		}
		json_object_set(meta, "name", jget(d, "metadata", "name"));
		if (jget(d, "metadata", "resourceVersion"))
			json_object_set(meta, "resourceVersion", jget(d, "metadata", "resourceVersion"));
		json_array_append(update, c);
		json_array_remove(create, last);
		json_array_remove(del, i);
	}
	json_array_extend(plan->create, create);
	json_array_extend(plan->update, update);
	json_array_extend(plan->del, del);
out:
	free_groups(&groups);
	json_decref(create);
	json_decref(update);
	json_decref(del);
	return err;
}

static void set_annotation(json_t *obj, const char *key, const char *value)
{
	json_t *meta = json_object_get(obj, "metadata"), *ann = json_object_get(meta, "annotations");

	if (value) {
		if (!json_is_object(ann)) {
			ann = json_object();
			json_object_set_new(meta, "annotations", ann);
		}
		json_object_set_new(ann, key, json_string(value));
	} else if (json_is_object(ann)) {
		json_object_del(ann, key);
		if (!json_object_size(ann))
			json_object_del(meta, "annotations");
	}
}

int eps_plan_slices(const struct eps_slices_in *in, struct eps_plan *plan)
{
	size_t max = in->max_per_slice > 0 ? (size_t)in->max_per_slice : EPS_MAX_ENDPOINTS_PER_SLICE;
	const json_t **pods = calloc(in->n_pods ? in->n_pods : 1, sizeof(*pods));
	json_t *by_type[2] = { json_array(), json_array() }, *s;
	const char *types[2];
	int n_types = address_types(in->svc, types), t, err = 0;
	size_t i;

	memset(plan, 0, sizeof(*plan));
	plan->create = json_array();
	plan->update = json_array();
	plan->del = json_array();
	if (!pods || !plan->create || !plan->update || !plan->del || !by_type[0] || !by_type[1]) {
		err = -ENOMEM;
		goto out;
	}
	/* In name order, so that new slices fill the same way every time. */
	memcpy(pods, in->pods, in->n_pods * sizeof(*pods));
	qsort(pods, in->n_pods, sizeof(*pods), cmp_pod_name);
	for (i = 0; i < in->n_slices; i++) {
		const char *at = str_or(cm_str(in->slices[i], "addressType", NULL), "");

		for (t = 0; t < n_types && strcmp(types[t], at); t++)
			;
		/* Slices of an address type the Service no longer has go. */
		json_array_append(t < n_types ? by_type[t] : plan->del, (json_t *)in->slices[i]);
	}
	for (t = 0; t < n_types && !err; t++)
		err = plan_type(in, types[t], pods, by_type[t], max, plan);
	/* No new slices for a Service on its way out: they would race its garbage collection. */
	if (cm_being_deleted(in->svc))
		json_array_clear(plan->create);
	json_array_foreach(plan->create, i, s)
		set_annotation(s, EPS_ANN_TRIGGER_TIME, in->trigger_time);
	json_array_foreach(plan->update, i, s)
		set_annotation(s, EPS_ANN_TRIGGER_TIME, in->trigger_time);
out:
	free(pods);
	json_decref(by_type[0]);
	json_decref(by_type[1]);
	if (err)
		eps_plan_free(plan);
	return err;
}

void eps_plan_free(struct eps_plan *plan)
{
	json_decref(plan->create);
	json_decref(plan->update);
	json_decref(plan->del);
	plan->create = plan->update = plan->del = NULL;
}

/* --- Endpoints --- */

/* One pod's address, the ports it serves, and whether it is ready. */
struct ep_addr {
	json_t *addr;
	json_t *ports; /* EndpointPorts; NULL: the headless sentinel (no ports) */
	bool ready;
};

/* A distinct port, and the addresses serving it (indexes, in address order). */
struct ep_port {
	char *key;
	const json_t *port; /* NULL for the sentinel */
	size_t *addrs, n, cap;
	char *sig;
	int subset;
};

static int cmp_addr(const void *a, const void *b)
{
	const struct ep_addr *x = a, *y = b;
	int c = strcmp(str_or(cm_str(x->addr, "ip", NULL), ""), str_or(cm_str(y->addr, "ip", NULL), ""));

	return c ? c : strcmp(str_or(cm_str(x->addr, "targetRef", "uid"), ""),
			      str_or(cm_str(y->addr, "targetRef", "uid"), ""));
}

static int cmp_port(const void *a, const void *b)
{
	return strcmp(((const struct ep_port *)a)->key, ((const struct ep_port *)b)->key);
}

/* The EndpointAddress of a pod for the Service's (first) IP family; NULL without one. */
static json_t *endpoint_address(const json_t *svc, const json_t *pod)
{
	const char *fam = json_string_value(json_array_get(jget(svc, "spec", "ipFamilies"), 0));
	const char *node = cm_str(pod, "spec", "nodeName"), *host = pod_hostname_for(pod, svc);
	json_t *ips, *addr;

	if (!fam) {
		const char *ip = service_ip_set(svc) ? cm_str(jget(svc, "spec", NULL), "clusterIP", NULL)
						     : cm_str(pod, "status", "podIP");

		fam = ip && is_ipv6(ip) ? "IPv6" : "IPv4";
	}
	ips = pod_addresses(pod, fam);
	if (!json_array_size(ips)) {
		json_decref(ips);
		return NULL;
	}
	addr = json_pack("{s:O}", "ip", json_array_get(ips, 0));
	json_decref(ips);
	if (host)
		json_object_set_new(addr, "hostname", json_string(host));
	if (node && *node)
		json_object_set_new(addr, "nodeName", json_string(node));
	json_object_set_new(addr, "targetRef", target_ref(pod));
	return addr;
}

/* The ports each pod serves; n_out addresses, sorted by IP then pod UID. */
static struct ep_addr *collect_addresses(const json_t *svc, const json_t *const *pods, size_t n,
					 size_t *n_out)
{
	const json_t *svc_ports = jget(svc, "spec", "ports"), *sp;
	bool publish = publish_not_ready(svc);
	struct ep_addr *addrs = calloc(n ? n : 1, sizeof(*addrs));
	size_t i, j, k = 0;

	if (!addrs)
		return NULL;
	for (i = 0; i < n; i++) {
		json_t *addr, *ports = NULL;

		if (!eps_pod_in_endpoints(pods[i], publish))
			continue;
		if (!(addr = endpoint_address(svc, pods[i])))
			continue;
		if (json_array_size(svc_ports)) {
			ports = json_array();
			json_array_foreach(svc_ports, j, sp) {
				long num = find_port(pods[i], sp);

				if (num >= 0)
					json_array_append_new(ports, endpoint_port(sp, num, false));
			}
		} else if (!service_headless(svc)) {
			/* Only a headless Service may go without ports. */
			json_decref(addr);
			continue;
		}
		addrs[k].addr = addr;
		addrs[k].ports = ports;
		addrs[k++].ready = publish || cm_pod_ready(pods[i]);
	}
	qsort(addrs, k, sizeof(*addrs), cmp_addr);
	*n_out = k;
	return addrs;
}

static void free_addresses(struct ep_addr *addrs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		json_decref(addrs[i].addr);
		json_decref(addrs[i].ports);
	}
	free(addrs);
}

/* Add address i to port p (by key) of the table; -ENOMEM. */
static int port_add(struct ep_port **tab, size_t *n_tab, const json_t *port, size_t i)
{
	char *key = port ? one_port_key(port) : strdup("");
	struct ep_port *p = NULL;
	size_t j;

	if (!key)
		return -ENOMEM;
	for (j = 0; j < *n_tab; j++)
		if (!strcmp((*tab)[j].key, key)) {
			p = &(*tab)[j];
			free(key);
			break;
		}
	if (!p) {
		struct ep_port *grown = realloc(*tab, (*n_tab + 1) * sizeof(**tab));

		if (!grown) {
			free(key);
			return -ENOMEM;
		}
		*tab = grown;
		p = &(*tab)[(*n_tab)++];
		memset(p, 0, sizeof(*p));
		p->key = key;
		p->port = port;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 8, *grown = realloc(p->addrs, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		p->addrs = grown;
		p->cap = cap;
	}
	p->addrs[p->n++] = i;
	return 0;
}

/* RepackSubsets: ports served by exactly the same addresses (and readiness) share a
 * subset; addresses sorted by IP, ports by key, subsets by their first port. */
static json_t *repack(struct ep_addr *addrs, size_t n_addrs)
{
	struct ep_port *tab = NULL;
	size_t n_tab = 0, i, j;
	json_t *subsets = json_array(), *p;
	int n_sub = 0;

	for (i = 0; i < n_addrs; i++) {
		if (!addrs[i].ports) {
			if (port_add(&tab, &n_tab, NULL, i))
				goto fail;
			continue;
		}
		json_array_foreach(addrs[i].ports, j, p)
			if (port_add(&tab, &n_tab, p, i))
				goto fail;
	}
	if (n_tab) /* tab is NULL without addresses */
		qsort(tab, n_tab, sizeof(*tab), cmp_port);
	for (i = 0; i < n_tab; i++) {
		struct strbuf b = { 0 };

		for (j = 0; j < tab[i].n; j++) {
			const struct ep_addr *a = &addrs[tab[i].addrs[j]];

			sb_add(&b, str_or(cm_str(a->addr, "ip", NULL), ""));
			sb_add(&b, SEP);
			sb_add(&b, str_or(cm_str(a->addr, "targetRef", "uid"), ""));
			sb_add(&b, a->ready ? "+" : "-");
		}
		tab[i].sig = sb_take(&b);
		tab[i].subset = -1;
		for (j = 0; j < i; j++)
			if (!strcmp(tab[j].sig, tab[i].sig)) {
				tab[i].subset = tab[j].subset;
				break;
			}
		if (tab[i].subset < 0) {
			json_t *ss = json_object(), *ready = json_array(), *not_ready = json_array();
			size_t k;

			tab[i].subset = n_sub++;
			for (k = 0; k < tab[i].n; k++) {
				const struct ep_addr *a = &addrs[tab[i].addrs[k]];

				json_array_append(a->ready ? ready : not_ready, a->addr);
			}
			if (json_array_size(ready))
				json_object_set(ss, "addresses", ready);
			if (json_array_size(not_ready))
				json_object_set(ss, "notReadyAddresses", not_ready);
			json_decref(ready);
			json_decref(not_ready);
			json_array_append_new(subsets, ss);
		}
		if (tab[i].port) {
			json_t *ss = json_array_get(subsets, tab[i].subset), *ports;

			if (!(ports = json_object_get(ss, "ports"))) {
				ports = json_array();
				json_object_set_new(ss, "ports", ports);
			}
			json_array_append(ports, (json_t *)tab[i].port);
		}
	}
	goto out;
fail:
	json_decref(subsets);
	subsets = NULL;
out:
	for (i = 0; i < n_tab; i++) {
		free(tab[i].key);
		free(tab[i].addrs);
		free(tab[i].sig);
	}
	free(tab);
	return subsets;
}

/* truncateEndpoints: at most EPS_ENDPOINTS_MAX_CAPACITY addresses, ready ones first,
 * shared out among subsets in proportion to their size. true if anything was cut. */
static bool truncate_subsets(json_t *subsets)
{
	size_t total_ready = 0, total_not = 0, max, num_total, can_add, i;
	bool cut_ready;
	json_t *ss;

	json_array_foreach(subsets, i, ss) {
		total_ready += json_array_size(json_object_get(ss, "addresses"));
		total_not += json_array_size(json_object_get(ss, "notReadyAddresses"));
	}
	if (total_ready + total_not <= EPS_ENDPOINTS_MAX_CAPACITY)
		return false;
	cut_ready = total_ready > EPS_ENDPOINTS_MAX_CAPACITY;
	max = cut_ready ? EPS_ENDPOINTS_MAX_CAPACITY : EPS_ENDPOINTS_MAX_CAPACITY - total_ready;
	num_total = cut_ready ? total_ready : total_not;
	can_add = max;
	json_array_foreach(subsets, i, ss) {
		const char *field = cut_ready ? "addresses" : "notReadyAddresses";
		json_t *list = json_object_get(ss, field);
		size_t in = json_array_size(list);
		size_t keep = (in * max + num_total - 1) / num_total; /* rounded up */

		if (keep > can_add)
			keep = can_add;
		while (json_array_size(list) > keep)
			json_array_remove(list, json_array_size(list) - 1);
		if (cut_ready)
			json_object_del(ss, "notReadyAddresses");
		if (list && !json_array_size(list))
			json_object_del(ss, field);
		can_add -= keep < in ? keep : in;
	}
	return true;
}

static json_t *subsets_of(const json_t *ep)
{
	json_t *s = json_object_get(ep, "subsets");

	return json_is_array(s) ? json_incref(s) : json_array();
}

int eps_plan_endpoints(const json_t *svc, const json_t *const *pods, size_t n_pods,
		       const json_t *current, const char *trigger_time, json_t **out)
{
	json_t *svc_labels, *have_labels, *subsets, *have, *obj, *meta, *labels;
	struct ep_addr *addrs;
	size_t n_addrs = 0;
	bool cut, marked, same;

	*out = NULL;
	addrs = collect_addresses(svc, pods, n_pods, &n_addrs);
	if (!addrs)
		return -ENOMEM;
	subsets = repack(addrs, n_addrs);
	free_addresses(addrs, n_addrs);
	if (!subsets)
		return -ENOMEM;
	cut = truncate_subsets(subsets);
	/* Compare the way the Endpoints controller does: subsets, the Service's labels (the
	 * headless label aside) and the over-capacity annotation. */
	svc_labels = json_is_object(jget(svc, "metadata", "labels"))
			     ? json_deep_copy(jget(svc, "metadata", "labels")) : json_object();
	have_labels = json_is_object(jget(current, "metadata", "labels"))
			      ? json_deep_copy(jget(current, "metadata", "labels")) : json_object();
	json_object_del(have_labels, EPS_LABEL_HEADLESS);
	have = subsets_of(current);
	marked = json_object_get(jget(current, "metadata", "annotations"), EPS_ANN_OVER_CAPACITY);
	same = current && cm_str(current, "metadata", "resourceVersion") &&
	       json_equal(have, subsets) && json_equal(have_labels, svc_labels) && marked == cut;
	json_decref(have);
	json_decref(have_labels);
	if (same) {
		json_decref(subsets);
		json_decref(svc_labels);
		return 0;
	}
	if (current) {
		obj = json_deep_copy(current);
	} else {
		obj = json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion", "v1", "kind", "Endpoints",
				"metadata", "name", str_or(cm_str(svc, "metadata", "name"), ""),
				"namespace", str_or(cm_str(svc, "metadata", "namespace"), ""));
	}
	meta = json_object_get(obj, "metadata");
	if (json_array_size(subsets))
		json_object_set(obj, "subsets", subsets);
	else
		json_object_del(obj, "subsets");
	json_decref(subsets);
	labels = svc_labels;
	if (!service_ip_set(svc))
		json_object_set_new(labels, EPS_LABEL_HEADLESS, json_string(""));
	else
		json_object_del(labels, EPS_LABEL_HEADLESS);
	if (json_object_size(labels))
		json_object_set(meta, "labels", labels);
	else
		json_object_del(meta, "labels");
	json_decref(labels);
	set_annotation(obj, EPS_ANN_TRIGGER_TIME, trigger_time);
	set_annotation(obj, EPS_ANN_OVER_CAPACITY, cut ? "truncated" : NULL);
	*out = obj;
	return 0;
}

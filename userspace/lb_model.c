/* lb_model.c — Kubernetes Service/EndpointSlice semantics (kube-proxy's) computed into
 * frontends and backend sets for the eBPF load balancer. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "lb_model.h"

/* Kubernetes label that ties an EndpointSlice to its Service. */
#define SERVICE_NAME_LABEL "kubernetes.io/service-name"

struct backend_index {
	struct lb_backend_spec key; /* flags zeroed */
	__u32 idx;
	UT_hash_handle hh;
};

/* Which frontend holds a key: a lookup per emitted frontend, not a scan of all of them. */
struct frontend_index {
	struct lb4_key key;
	size_t idx;
	UT_hash_handle hh;
};

/* One endpoint address seen for a Service port, with its merged conditions. */
struct endpoint {
	__u32 backend; /* index into desired backends */
	bool ready, serving, terminating, local;
};

static void warnf(struct lb_desired *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void warnf(struct lb_desired *d, const char *fmt, ...)
{
	char **w = realloc(d->warnings, (d->n_warnings + 1) * sizeof(*w));
	va_list ap;
	char *msg;

	if (!w)
		return;
	d->warnings = w;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg)
		d->warnings[d->n_warnings++] = msg;
}

const char *lb_proto_name(__u8 proto)
{
	return proto == IPPROTO_TCP ? "TCP" : proto == IPPROTO_UDP ? "UDP" : "?";
}

const char *lb_fmt_addr(char *buf, size_t len, __be32 addr, __be16 port, __u8 proto)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &addr, ip, sizeof(ip));
	snprintf(buf, len, "%s:%u/%s", ip, ntohs(port), lb_proto_name(proto));
	return buf;
}

static int parse_proto(const json_t *v, __u8 *proto)
{
	const char *s = v ? json_string_value(v) : "TCP";

	if (!s)
		return -1;
	if (!strcmp(s, "TCP"))
		*proto = IPPROTO_TCP;
	else if (!strcmp(s, "UDP"))
		*proto = IPPROTO_UDP;
	else
		return -1;
	return 0;
}

static int parse_ipv4(const json_t *v, __be32 *addr)
{
	const char *s = json_string_value(v);
	struct in_addr in;

	if (!s || inet_pton(AF_INET, s, &in) != 1)
		return -1;
	*addr = in.s_addr;
	return 0;
}

static int parse_port(const json_t *v, __be16 *port)
{
	json_int_t p;

	if (!json_is_integer(v))
		return -1;
	p = json_integer_value(v);
	if (p < 1 || p > 65535)
		return -1;
	*port = htons((__u16)p);
	return 0;
}

static const char *str_or(const json_t *obj, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : dflt;
}

/* A condition that is absent takes dflt (EndpointConditions: ready nil means ready). */
static bool cond_or(const json_t *conds, const char *key, bool dflt)
{
	const json_t *v = json_object_get(conds, key);

	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static int add_backend(struct lb_desired *d, __be32 addr, __be16 port, __u8 proto, __u32 *idx)
{
	struct backend_index *bi, **index = (struct backend_index **)&d->index_;
	struct lb_backend_spec key = { .addr = addr, .port = port, .proto = proto };

	HASH_FIND(hh, *index, &key, sizeof(key), bi);
	if (bi) {
		*idx = bi->idx;
		return 0;
	}
	if (d->n_backends == d->cap_backends_) {
		size_t cap = d->cap_backends_ ? d->cap_backends_ * 2 : 64;
		struct lb_backend_spec *b = realloc(d->backends, cap * sizeof(*b));

		if (!b)
			return -ENOMEM;
		d->backends = b;
		d->cap_backends_ = cap;
	}
	bi = calloc(1, sizeof(*bi));
	if (!bi)
		return -ENOMEM;
	bi->key = key;
	bi->idx = d->n_backends;
	HASH_ADD(hh, *index, key, sizeof(key), bi);
	d->backends[d->n_backends] = key;
	d->backends[d->n_backends].flags = BE_F_TERMINATING;
	*idx = d->n_backends++;
	return 0;
}

static struct lb_frontend_spec *add_frontend(struct lb_desired *d)
{
	if (d->n_frontends == d->cap_frontends_) {
		size_t cap = d->cap_frontends_ ? d->cap_frontends_ * 2 : 64;
		struct lb_frontend_spec *f = realloc(d->frontends, cap * sizeof(*f));

		if (!f)
			return NULL;
		d->frontends = f;
		d->cap_frontends_ = cap;
	}
	memset(&d->frontends[d->n_frontends], 0, sizeof(d->frontends[0]));
	return &d->frontends[d->n_frontends++];
}

static const char *meta_ns(const json_t *obj)
{
	return str_or(json_object_get(obj, "metadata"), "namespace", "default");
}

static const char *meta_name(const json_t *obj)
{
	return str_or(json_object_get(obj, "metadata"), "name", NULL);
}

static int cmp_backend_idx(const void *a, const void *b, void *ctx)
{
	const struct lb_backend_spec *bs = ctx;
	const struct lb_backend_spec *x = &bs[*(const __u32 *)a], *y = &bs[*(const __u32 *)b];
	__u32 xa = ntohl(x->addr), ya = ntohl(y->addr);

	if (xa != ya)
		return xa < ya ? -1 : 1;
	return (int)ntohs(x->port) - (int)ntohs(y->port);
}

/* Endpoints usable for new flows: ready ones, else serving-terminating ones (KEP-1669). */
static __u32 *pick_set(const struct endpoint *eps, size_t n, bool local_only,
		       const struct lb_backend_spec *backends, __u32 *count)
{
	__u32 *set = calloc(n ? n : 1, sizeof(*set));
	__u32 c = 0;
	size_t i;

	if (!set)
		return NULL;
	for (i = 0; i < n; i++)
		if (eps[i].ready && (!local_only || eps[i].local))
			set[c++] = eps[i].backend;
	if (!c)
		for (i = 0; i < n; i++)
			if (eps[i].serving && eps[i].terminating && (!local_only || eps[i].local))
				set[c++] = eps[i].backend;
	qsort_r(set, c, sizeof(*set), cmp_backend_idx, (void *)backends);
	*count = c;
	return set;
}

/* Collect the endpoints of one Service port from the Service's EndpointSlices. */
static int collect_endpoints(struct lb_desired *d, const struct lb_node *node,
			     json_t *const *slices, size_t n_slices, const char *port_name,
			     __u8 proto, struct endpoint **out, size_t *n_out)
{
	struct endpoint *eps = NULL;
	size_t n = 0, cap = 0, s, i, j, k;

	for (s = 0; s < n_slices; s++) {
		const json_t *ports = json_object_get(slices[s], "ports");
		const json_t *endpoints = json_object_get(slices[s], "endpoints");
		const json_t *sp;
		__be16 port = 0;

		json_array_foreach(ports, i, sp) {
			__u8 sproto;

			if (strcmp(str_or(sp, "name", ""), port_name))
				continue;
			if (parse_proto(json_object_get(sp, "protocol"), &sproto) || sproto != proto)
				continue;
			if (parse_port(json_object_get(sp, "port"), &port))
				port = 0;
			break;
		}
		if (!port)
			continue;

		const json_t *ep;

		json_array_foreach(endpoints, i, ep) {
			const json_t *conds = json_object_get(ep, "conditions");
			const char *ep_node = str_or(ep, "nodeName", NULL);
			bool ready = cond_or(conds, "ready", true);
			bool serving = cond_or(conds, "serving", ready);
			bool terminating = cond_or(conds, "terminating", false);
			bool local = ep_node && node->name && !strcmp(ep_node, node->name);
			const json_t *a;

			json_array_foreach(json_object_get(ep, "addresses"), j, a) {
				__be32 addr;
				__u32 idx;

				if (parse_ipv4(a, &addr)) {
					warnf(d, "EndpointSlice %s/%s: endpoint address %s is not IPv4, skipped",
					      meta_ns(slices[s]), meta_name(slices[s]) ?: "?",
					      json_string_value(a) ?: "(not a string)");
					continue;
				}
				if (add_backend(d, addr, port, proto, &idx))
					goto nomem;
				for (k = 0; k < n; k++)
					if (eps[k].backend == idx)
						break;
				if (k == n) {
					if (n == cap) {
						struct endpoint *e;

						cap = cap ? cap * 2 : 16;
						e = realloc(eps, cap * sizeof(*e));
						if (!e)
							goto nomem;
						eps = e;
					}
					memset(&eps[n], 0, sizeof(eps[n]));
					eps[n++].backend = idx;
				}
				/* The same address in two slices (during a move): best state wins. */
				eps[k].ready |= ready;
				eps[k].serving |= serving;
				eps[k].terminating |= terminating && !ready;
				eps[k].local |= local;
			}
		}
	}
	*out = eps;
	*n_out = n;
	return 0;
nomem:
	free(eps);
	return -ENOMEM;
}

struct svc_ctx {
	const json_t *svc;
	const char *ns, *name;
	json_t **slices;
	size_t n_slices, cap_slices;
};

static int cmp_svc(const void *a, const void *b)
{
	const struct svc_ctx *x = a, *y = b;
	int r = strcmp(x->ns, y->ns);

	return r ? r : strcmp(x->name, y->name);
}

static bool frontend_taken(struct lb_desired *d, const struct lb4_key *key, const char *who)
{
	struct frontend_index *fi, **index = (struct frontend_index **)&d->fe_index_;
	char buf[64];

	HASH_FIND(hh, *index, key, sizeof(*key), fi);
	if (!fi)
		return false;
	warnf(d, "Service %s: frontend %s already belongs to %s, skipped", who,
	      lb_fmt_addr(buf, sizeof(buf), key->addr, key->port, key->proto),
	      d->frontends[fi->idx].name);
	return true;
}

/* Backend lists of one Service port. */
struct port_sets {
	const __u32 *ext, *intl, *all;
	__u32 n_ext, n_intl, n_all;
};

static __u32 *dup_ids(const __u32 *ids, __u32 n)
{
	__u32 *c = malloc((n ? n : 1) * sizeof(*c));

	if (c)
		memcpy(c, ids, n * sizeof(*c));
	return c;
}

static int emit_frontend(struct lb_desired *d, const char *who, const char *port_label,
			 __be32 addr, __be16 port, __u8 proto, __u32 flags, __u32 affinity,
			 const struct port_sets *ps)
{
	struct lb4_key key = { .addr = addr, .port = port, .proto = proto };
	struct lb_frontend_spec *f;
	struct frontend_index *fi;

	if (frontend_taken(d, &key, who))
		return 0;
	fi = calloc(1, sizeof(*fi));
	f = fi ? add_frontend(d) : NULL;
	if (!f) {
		free(fi);
		return -ENOMEM;
	}
	fi->key = key;
	fi->idx = d->n_frontends - 1;
	HASH_ADD(hh, *(struct frontend_index **)&d->fe_index_, key, sizeof(fi->key), fi);
	f->key = key;
	f->flags = flags;
	f->affinity_timeout = affinity;
	snprintf(f->name, sizeof(f->name), "%s:%s", who, port_label);
	snprintf(f->owner, sizeof(f->owner), "%s", who);
	f->ext = dup_ids(ps->ext, ps->n_ext);
	f->intl = dup_ids(ps->intl, ps->n_intl);
	f->all = dup_ids(ps->all, ps->n_all);
	if (!f->ext || !f->intl || !f->all)
		return -ENOMEM;
	f->n_ext = ps->n_ext;
	f->n_intl = ps->n_intl;
	f->n_all = ps->n_all;
	return 0;
}

/* All frontends of one Service port. */
static int service_port(struct lb_desired *d, const struct lb_node *node,
			const struct svc_ctx *sc, const json_t *sp, const char *who, __be32 cip)
{
	const json_t *spec = json_object_get(sc->svc, "spec");
	const char *type = str_or(spec, "type", "ClusterIP");
	bool etp_local = !strcmp(str_or(spec, "externalTrafficPolicy", "Cluster"), "Local");
	bool itp_local = !strcmp(str_or(spec, "internalTrafficPolicy", "Cluster"), "Local");
	bool node_port_type = !strcmp(type, "NodePort") || !strcmp(type, "LoadBalancer");
	const char *pname = str_or(sp, "name", "");
	__u32 *cluster = NULL, *local = NULL, *all = NULL, n_cluster, n_local, base = 0;
	__u32 affinity = 0, cip_flags, ext_flags;
	struct port_sets ext_ps, clusterip_ps;
	struct endpoint *eps = NULL;
	size_t n_eps = 0, i;
	char label[16];
	__be16 port, node_port = 0;
	__be32 addr;
	__u8 proto;
	int err = 0;
	const json_t *v;

	if (parse_proto(json_object_get(sp, "protocol"), &proto)) {
		warnf(d, "Service %s: port %s has protocol %s, only TCP and UDP are served; skipped",
		      who, pname, str_or(sp, "protocol", "(not a string)"));
		return 0;
	}
	if (parse_port(json_object_get(sp, "port"), &port)) {
		warnf(d, "Service %s: port %s has no valid port number (1-65535); skipped", who,
		      pname);
		return 0;
	}
	if (json_object_get(sp, "nodePort") &&
	    parse_port(json_object_get(sp, "nodePort"), &node_port)) {
		warnf(d, "Service %s: port %s has an invalid nodePort; NodePort skipped", who,
		      pname);
		node_port = 0;
	}
	/* Frontends are named after the port: its name, or its number when unnamed. */
	if (*pname)
		snprintf(label, sizeof(label), "%.15s", pname);
	else
		snprintf(label, sizeof(label), "%u", ntohs(port));

	if (!strcmp(str_or(spec, "sessionAffinity", "None"), "ClientIP")) {
		json_int_t t = json_integer_value(json_object_get(
			json_object_get(json_object_get(spec, "sessionAffinityConfig"), "clientIP"),
			"timeoutSeconds"));

		affinity = t > 0 && t <= 86400 ? (__u32)t : AFFINITY_TIMEOUT_DEFAULT;
		base |= SVC_F_AFFINITY;
	}
	if (etp_local)
		base |= SVC_F_ETP_LOCAL;
	if (itp_local)
		base |= SVC_F_ITP_LOCAL;

	err = collect_endpoints(d, node, sc->slices, sc->n_slices, pname, proto, &eps, &n_eps);
	if (err)
		return err;
	for (i = 0; i < n_eps; i++) {
		struct lb_backend_spec *b = &d->backends[eps[i].backend];

		/* Backends start out terminating; ready for any Service makes them ready. */
		if (eps[i].local)
			b->flags |= BE_F_LOCAL;
		if (eps[i].ready)
			b->flags &= ~BE_F_TERMINATING;
	}
	cluster = pick_set(eps, n_eps, false, d->backends, &n_cluster);
	local = pick_set(eps, n_eps, true, d->backends, &n_local);
	all = calloc(n_eps ? n_eps : 1, sizeof(*all));
	if (!cluster || !local || !all) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n_eps; i++)
		all[i] = eps[i].backend;
	/* A Local policy with endpoints elsewhere only drops; no endpoints at all rejects. */
	if (etp_local && !n_local && n_cluster)
		base |= SVC_F_EXT_DROP;
	if (itp_local && !n_local && n_cluster)
		base |= SVC_F_INT_DROP;

	/*
	 * ClusterIPs serve pods only, under internalTrafficPolicy. External frontends serve
	 * outside traffic under externalTrafficPolicy, and pods reaching them under neither
	 * policy: all endpoints (kube-proxy).
	 */
	clusterip_ps = (struct port_sets){
		.intl = itp_local ? local : cluster, .n_intl = itp_local ? n_local : n_cluster,
		.all = all, .n_all = n_eps,
	};
	clusterip_ps.ext = clusterip_ps.intl;
	clusterip_ps.n_ext = clusterip_ps.n_intl;
	ext_ps = (struct port_sets){
		.ext = etp_local ? local : cluster, .n_ext = etp_local ? n_local : n_cluster,
		.intl = cluster, .n_intl = n_cluster, .all = all, .n_all = n_eps,
	};
	cip_flags = base & ~(SVC_F_ETP_LOCAL | SVC_F_EXT_DROP);
	ext_flags = base & ~(SVC_F_ITP_LOCAL | SVC_F_INT_DROP);
	if ((err = emit_frontend(d, who, label, cip, port, proto, cip_flags | SVC_F_CLUSTERIP,
				 affinity, &clusterip_ps)))
		goto out;
	if (node_port_type && node_port) {
		for (i = 0; i < node->n_ips; i++)
			if ((err = emit_frontend(d, who, label, node->ips[i], node_port, proto,
						 ext_flags | SVC_F_NODEPORT, affinity, &ext_ps)))
				goto out;
	}
	json_array_foreach(json_object_get(spec, "externalIPs"), i, v) {
		if (parse_ipv4(v, &addr)) {
			warnf(d, "Service %s: externalIP %s is not IPv4; skipped", who,
			      json_string_value(v) ?: "(not a string)");
			continue;
		}
		if ((err = emit_frontend(d, who, label, addr, port, proto,
					 ext_flags | SVC_F_EXTERNALIP, affinity, &ext_ps)))
			goto out;
	}
	if (!strcmp(type, "LoadBalancer")) {
		const json_t *ingress = json_object_get(
			json_object_get(json_object_get(sc->svc, "status"), "loadBalancer"),
			"ingress");

		json_array_foreach(ingress, i, v) {
			if (!json_object_get(v, "ip"))
				continue; /* hostname-only ingress: nothing to serve here */
			if (parse_ipv4(json_object_get(v, "ip"), &addr)) {
				warnf(d, "Service %s: load balancer ingress %s is not IPv4; skipped",
				      who, str_or(v, "ip", "(not a string)"));
				continue;
			}
			if ((err = emit_frontend(d, who, label, addr, port, proto,
						 ext_flags | SVC_F_LOADBALANCER, affinity, &ext_ps)))
				goto out;
		}
	}
out:
	free(all);
	free(cluster);
	free(local);
	free(eps);
	return err;
}

static int service(struct lb_desired *d, const struct lb_node *node, const struct svc_ctx *sc)
{
	const json_t *spec = json_object_get(sc->svc, "spec");
	const char *type = str_or(spec, "type", "ClusterIP");
	const json_t *sp;
	char who[LB4_NAME_LEN];
	__be32 cip;
	size_t i;
	int err;

	snprintf(who, sizeof(who), "%s/%s", sc->ns, sc->name);
	if (!strcmp(type, "ExternalName"))
		return 0; /* DNS only: nothing for the data plane */
	/* Like kube-proxy: a headless Service is DNS only, one without a ClusterIP was never
	 * allocated one (the apiserver always does); neither is served, and so every served
	 * port has a frontend and its endpoints are worth keeping. */
	if (!strcmp(str_or(spec, "clusterIP", ""), "None"))
		return 0;
	if (!*str_or(spec, "clusterIP", "")) {
		warnf(d, "Service %s: no spec.clusterIP; skipped", who);
		return 0;
	}
	if (parse_ipv4(json_object_get(spec, "clusterIP"), &cip)) {
		warnf(d, "Service %s: clusterIP %s is not IPv4; skipped", who,
		      str_or(spec, "clusterIP", "(not a string)"));
		return 0;
	}
	if (strcmp(type, "ClusterIP") && strcmp(type, "NodePort") &&
	    strcmp(type, "LoadBalancer")) {
		warnf(d, "Service %s: unknown type %s; skipped", who, type);
		return 0;
	}
	if (!json_is_array(json_object_get(spec, "ports"))) {
		warnf(d, "Service %s: spec.ports is missing or not a list; skipped", who);
		return 0;
	}
	json_array_foreach(json_object_get(spec, "ports"), i, sp) {
		if (!json_is_object(sp)) {
			warnf(d, "Service %s: spec.ports[%zu] is not an object; skipped", who, i);
			continue;
		}
		err = service_port(d, node, sc, sp, who, cip);
		if (err)
			return err;
	}
	return 0;
}

void lb_desired_free(struct lb_desired *d)
{
	struct backend_index *bi, *tmp, *index = d->index_;
	struct frontend_index *fi, *ftmp, *fe_index = d->fe_index_;
	size_t i;

	for (i = 0; i < d->n_frontends; i++) {
		free(d->frontends[i].ext);
		free(d->frontends[i].intl);
		free(d->frontends[i].all);
	}
	free(d->frontends);
	free(d->backends);
	for (i = 0; i < d->n_warnings; i++)
		free(d->warnings[i]);
	free(d->warnings);
	HASH_ITER(hh, index, bi, tmp) {
		HASH_DEL(index, bi);
		free(bi);
	}
	HASH_ITER(hh, fe_index, fi, ftmp) {
		HASH_DEL(fe_index, fi);
		free(fi);
	}
	memset(d, 0, sizeof(*d));
}

static int add_slice(struct svc_ctx *sc, json_t *slice)
{
	if (sc->n_slices == sc->cap_slices) {
		size_t cap = sc->cap_slices ? sc->cap_slices * 2 : 4;
		json_t **s = realloc(sc->slices, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		sc->slices = s;
		sc->cap_slices = cap;
	}
	sc->slices[sc->n_slices++] = slice;
	return 0;
}

int lb_desired_from_json(const json_t *doc, const struct lb_node *node,
			 struct lb_desired *out, char *err, size_t err_len)
{
	struct lb_desired d = {};
	struct svc_ctx *svcs = NULL;
	size_t n_svcs = 0, i, j;
	const json_t *items, *obj;
	json_t *single = NULL;
	int ret = 0;

	if (!json_is_object(doc)) {
		snprintf(err, err_len, "the document is not a JSON object");
		return -EINVAL;
	}
	items = json_object_get(doc, "items");
	if (!strcmp(str_or(doc, "kind", ""), "List") || str_or(doc, "kind", "")[0] == 0 ||
	    strstr(str_or(doc, "kind", ""), "List")) {
		if (!json_is_array(items)) {
			snprintf(err, err_len, "a %s needs an \"items\" array",
				 str_or(doc, "kind", "List"));
			return -EINVAL;
		}
	} else {
		single = json_array();
		json_array_append(single, (json_t *)doc);
		items = single;
	}

	svcs = calloc(json_array_size(items) + 1, sizeof(*svcs));
	if (!svcs) {
		ret = -ENOMEM;
		goto out;
	}
	json_array_foreach(items, i, obj) {
		const char *kind = str_or(obj, "kind", "");

		if (strcmp(kind, "Service"))
			continue;
		if (!meta_name(obj)) {
			warnf(&d, "items[%zu]: Service without metadata.name; skipped", i);
			continue;
		}
		if (!json_is_object(json_object_get(obj, "spec"))) {
			warnf(&d, "Service %s/%s: spec is missing; skipped", meta_ns(obj),
			      meta_name(obj));
			continue;
		}
		svcs[n_svcs].svc = obj;
		svcs[n_svcs].ns = meta_ns(obj);
		svcs[n_svcs].name = meta_name(obj);
		n_svcs++;
	}
	qsort(svcs, n_svcs, sizeof(*svcs), cmp_svc);
	json_array_foreach(items, i, obj) {
		const char *kind = str_or(obj, "kind", "");
		const char *svc_name;
		struct svc_ctx key;
		struct svc_ctx *sc;

		if (strcmp(kind, "EndpointSlice")) {
			if (strcmp(kind, "Service"))
				warnf(&d, "items[%zu]: kind %s is not used by the load balancer; ignored",
				      i, *kind ? kind : "(none)");
			continue;
		}
		svc_name = json_string_value(json_object_get(
			json_object_get(json_object_get(obj, "metadata"), "labels"),
			SERVICE_NAME_LABEL));
		if (!svc_name) {
			warnf(&d, "EndpointSlice %s/%s: no %s label; skipped", meta_ns(obj),
			      meta_name(obj) ?: "?", SERVICE_NAME_LABEL);
			continue;
		}
		if (strcmp(str_or(obj, "addressType", ""), "IPv4"))
			continue; /* IPv6 and FQDN slices: not served by the IPv4 data plane */
		key.ns = meta_ns(obj);
		key.name = svc_name;
		sc = bsearch(&key, svcs, n_svcs, sizeof(*svcs), cmp_svc);
		if (!sc)
			continue; /* endpoints of a Service we do not have (yet) */
		if ((ret = add_slice(sc, (json_t *)obj)))
			goto out;
	}
	for (j = 0; j < n_svcs; j++)
		if ((ret = service(&d, node, &svcs[j])))
			goto out;
out:
	for (j = 0; svcs && j < n_svcs; j++)
		free(svcs[j].slices);
	free(svcs);
	json_decref(single);
	if (ret) {
		snprintf(err, err_len, "%s", strerror(-ret));
		lb_desired_free(&d);
		return ret;
	}
	*out = d;
	return 0;
}

int lb_desired_from_file(const char *path, const struct lb_node *node,
			 struct lb_desired *out, char *err, size_t err_len)
{
	json_error_t jerr;
	json_t *doc;
	int ret;

	doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		snprintf(err, err_len, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
		return -EINVAL;
	}
	ret = lb_desired_from_json(doc, node, out, err, err_len);
	json_decref(doc);
	return ret;
}

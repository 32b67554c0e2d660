/* sched_pod.c — a pod read once per attempt: requests, ports, tolerations, affinity, spread. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quantity.h"
#include "sched_int.h"

static const json_t *jget(const json_t *o, const char *k)
{
	return json_is_object(o) ? json_object_get(o, k) : NULL;
}

static const char *jstr(const json_t *o, const char *k, const char *dflt)
{
	const json_t *v = jget(o, k);

	return json_is_string(v) ? json_string_value(v) : dflt;
}

/* Present, and not JSON null (which the API reads as absent). */
static bool present(const json_t *v)
{
	return v && !json_is_null(v);
}

static void set_err(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

const char *pod_ns(const json_t *pod)
{
	const char *ns = jstr(jget(pod, "metadata"), "namespace", "");

	/* A pod the apiserver stored always has one; "default" is what it would give. */
	return *ns ? ns : "default";
}

const char *pod_name(const json_t *pod)
{
	return jstr(jget(pod, "metadata"), "name", "");
}

/* --- resources --- */

static int res_ext_find(const struct res_vec *r, const char *name)
{
	unsigned int i;

	for (i = 0; i < r->n_ext; i++)
		if (!strcmp(r->ext[i].name, name))
			return i;
	return -1;
}

/* The slot of extended resource name in r, added at zero; NULL when r is full. */
static int64_t *res_ext_slot(struct res_vec *r, const char *name)
{
	int i = res_ext_find(r, name);

	if (i >= 0)
		return &r->ext[i].value;
	if (r->n_ext == SCHED_MAX_EXT || strlen(name) >= SCHED_EXT_NAME)
		return NULL;
	strcpy(r->ext[r->n_ext].name, name);
	r->ext[r->n_ext].value = 0;
	return &r->ext[r->n_ext++].value;
}

int64_t res_ext_get(const struct res_vec *r, const char *name)
{
	int i = res_ext_find(r, name);

	return i < 0 ? 0 : r->ext[i].value;
}

/* dst += sign * src; for node bookkeeping, where a full table can only drop a name. */
void res_add(struct res_vec *dst, const struct res_vec *src, int sign)
{
	unsigned int i;
	int64_t *slot;

	dst->cpu_milli += sign * src->cpu_milli;
	dst->mem_bytes += sign * src->mem_bytes;
	dst->pods += sign * src->pods;
	dst->ephemeral_bytes += sign * src->ephemeral_bytes;
	for (i = 0; i < src->n_ext; i++) {
		slot = res_ext_slot(dst, src->ext[i].name);
		if (slot)
			*slot += sign * src->ext[i].value;
	}
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* dst = dst + src, or max(dst, src) per resource; -E2BIG when the names do not fit. */
static int res_merge(struct res_vec *dst, const struct res_vec *src, bool max)
{
	unsigned int i;
	int64_t *slot;

	if (max) {
		dst->cpu_milli = max64(dst->cpu_milli, src->cpu_milli);
		dst->mem_bytes = max64(dst->mem_bytes, src->mem_bytes);
		dst->ephemeral_bytes = max64(dst->ephemeral_bytes, src->ephemeral_bytes);
	} else {
		dst->cpu_milli += src->cpu_milli;
		dst->mem_bytes += src->mem_bytes;
		dst->ephemeral_bytes += src->ephemeral_bytes;
	}
	for (i = 0; i < src->n_ext; i++) {
		slot = res_ext_slot(dst, src->ext[i].name);
		if (!slot)
			return -E2BIG;
		*slot = max ? max64(*slot, src->ext[i].value) : *slot + src->ext[i].value;
	}
	return 0;
}

/* The quantity as the pod wrote it, for an error message. */
static const char *qty_text(const json_t *v, char *buf, size_t len)
{
	char *s;

	if (json_is_string(v))
		return json_string_value(v);
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	snprintf(buf, len, "%s", s ? s : "?");
	free(s);
	return buf;
}

/*
 * One ResourceList (requests, limits, overhead) into r; names in skip are left out (the
 * limits that requests already state). has_cpu/has_mem say which were given.
 */
static int res_list(const json_t *list, const json_t *skip, const char *path, struct res_vec *r,
		    bool *has_cpu, bool *has_mem, char *err, size_t err_len)
{
	const char *name;
	const json_t *v;
	char text[64];
	int64_t val, *slot;
	int ret;

	if (!present(list))
		return 0;
	if (!json_is_object(list)) {
		set_err(err, err_len, "%s: must be an object of quantities", path);
		return -EINVAL;
	}
	json_object_foreach((json_t *)list, name, v) {
		if (skip && json_object_get(skip, name))
			continue;
		if (!strcmp(name, "cpu"))
			ret = quantity_json_milli(v, &val);
		else
			ret = quantity_json_value(v, &val);
		if (ret == -ERANGE) {
			set_err(err, err_len, "%s[%s]: quantity \"%s\" is out of range", path, name,
				qty_text(v, text, sizeof(text)));
			return -EINVAL;
		}
		if (ret || val < 0) {
			set_err(err, err_len, "%s[%s]: invalid quantity \"%s\"", path, name,
				qty_text(v, text, sizeof(text)));
			return -EINVAL;
		}
		if (!strcmp(name, "cpu")) {
			r->cpu_milli = val;
			*has_cpu = true;
		} else if (!strcmp(name, "memory")) {
			r->mem_bytes = val;
			*has_mem = true;
		} else if (!strcmp(name, "ephemeral-storage")) {
			r->ephemeral_bytes = val;
		} else if (strcmp(name, "pods")) {
			slot = res_ext_slot(r, name);
			if (!slot) {
				set_err(err, err_len,
					"%s[%s]: more than %d extended resources, or a name "
					"longer than %d", path, name, SCHED_MAX_EXT,
					SCHED_EXT_NAME - 1);
				return -E2BIG;
			}
			*slot = val;
		}
	}
	return 0;
}

/*
 * A container's requests, with limits standing in for requests it lacks (the apiserver's
 * defaulting); nz has cpu and memory with the non-zero defaults for the missing ones.
 */
static int ctr_requests(const json_t *ctr, const char *path, struct res_vec *r,
			struct res_vec *nz, char *err, size_t err_len)
{
	const json_t *res = jget(ctr, "resources");
	const json_t *reqs = jget(res, "requests"), *lims = jget(res, "limits");
	bool has_cpu = false, has_mem = false;
	char p[96];
	int ret;

	memset(r, 0, sizeof(*r));
	memset(nz, 0, sizeof(*nz));
	snprintf(p, sizeof(p), "%s.resources.requests", path);
	ret = res_list(reqs, NULL, p, r, &has_cpu, &has_mem, err, err_len);
	if (ret)
		return ret;
	snprintf(p, sizeof(p), "%s.resources.limits", path);
	ret = res_list(lims, json_is_object(reqs) ? reqs : NULL, p, r, &has_cpu, &has_mem, err,
		       err_len);
	if (ret)
		return ret;
	nz->cpu_milli = has_cpu ? r->cpu_milli : NZ_CPU_MILLI;
	nz->mem_bytes = has_mem ? r->mem_bytes : NZ_MEM_BYTES;
	return 0;
}

static int too_many(char *err, size_t err_len)
{
	set_err(err, err_len, "spec: more than %d extended resources requested", SCHED_MAX_EXT);
	return -E2BIG;
}

int pod_requests(const json_t *pod, struct res_vec *req, int64_t *nz_cpu, int64_t *nz_mem,
		 char *err, size_t err_len)
{
	const json_t *spec = jget(pod, "spec"), *ctrs, *ctr;
	struct res_vec c, cnz, sum = { 0 }, sumnz = { 0 }, side = { 0 }, sidenz = { 0 };
	struct res_vec init = { 0 }, initnz = { 0 }, cur, curnz, over = { 0 };
	bool has_cpu = false, has_mem = false;
	char path[48];
	size_t i;
	int ret;

	ctrs = jget(spec, "containers");
	json_array_foreach(ctrs, i, ctr) {
		snprintf(path, sizeof(path), "spec.containers[%zu]", i);
		ret = ctr_requests(ctr, path, &c, &cnz, err, err_len);
		if (ret)
			return ret;
		if (res_merge(&sum, &c, false))
			return too_many(err, err_len);
		res_merge(&sumnz, &cnz, false);
	}
	/*
	 * Init containers run one at a time, each beside the sidecars (restartPolicy Always)
	 * started before it; sidecars also run for the pod's whole life.
	 */
	ctrs = jget(spec, "initContainers");
	json_array_foreach(ctrs, i, ctr) {
		snprintf(path, sizeof(path), "spec.initContainers[%zu]", i);
		ret = ctr_requests(ctr, path, &c, &cnz, err, err_len);
		if (ret)
			return ret;
		if (!strcmp(jstr(ctr, "restartPolicy", ""), "Always")) {
			if (res_merge(&sum, &c, false) || res_merge(&side, &c, false))
				return too_many(err, err_len);
			res_merge(&sumnz, &cnz, false);
			res_merge(&sidenz, &cnz, false);
			cur = side;
			curnz = sidenz;
		} else {
			cur = c;
			curnz = cnz;
			if (res_merge(&cur, &side, false))
				return too_many(err, err_len);
			res_merge(&curnz, &sidenz, false);
		}
		if (res_merge(&init, &cur, true))
			return too_many(err, err_len);
		res_merge(&initnz, &curnz, true);
	}
	if (res_merge(&sum, &init, true))
		return too_many(err, err_len);
	res_merge(&sumnz, &initnz, true);

	ret = res_list(jget(spec, "overhead"), NULL, "spec.overhead", &over, &has_cpu, &has_mem,
		       err, err_len);
	if (ret)
		return ret;
	if (res_merge(&sum, &over, false))
		return too_many(err, err_len);
	sum.pods = 1;
	*req = sum;
	*nz_cpu = sumnz.cpu_milli + over.cpu_milli;
	*nz_mem = sumnz.mem_bytes + over.mem_bytes;
	return 0;
}

/* --- host ports --- */

int pod_host_ports(const json_t *pod, struct sched_hostport **out, size_t *n)
{
	const json_t *ctrs = jget(jget(pod, "spec"), "containers"), *ctr, *port, *hp;
	struct sched_hostport *ports = NULL, *hpp;
	size_t i, j, cnt = 0;

	*out = NULL;
	*n = 0;
	json_array_foreach(ctrs, i, ctr)
		json_array_foreach(jget(ctr, "ports"), j, port) {
			hp = jget(port, "hostPort");
			cnt += json_is_integer(hp) && json_integer_value(hp) > 0;
		}
	if (!cnt)
		return 0;
	ports = calloc(cnt, sizeof(*ports));
	if (!ports)
		return -ENOMEM;
	cnt = 0;
	json_array_foreach(ctrs, i, ctr)
		json_array_foreach(jget(ctr, "ports"), j, port) {
			const char *ip = jstr(port, "hostIP", "");
			const char *proto = jstr(port, "protocol", "");

			hp = jget(port, "hostPort");
			if (!json_is_integer(hp) || json_integer_value(hp) <= 0)
				continue;
			hpp = &ports[cnt++];
			/* HostPortInfo's sanitize: no address is every address, no protocol TCP. */
			snprintf(hpp->ip, sizeof(hpp->ip), "%s", *ip ? ip : "0.0.0.0");
			snprintf(hpp->proto, sizeof(hpp->proto), "%s", *proto ? proto : "TCP");
			hpp->port = (int)json_integer_value(hp);
		}
	*out = ports;
	*n = cnt;
	return 0;
}

/* --- tolerations --- */

static int parse_tolerations(const json_t *spec, struct pod_priv *pp, char *err, size_t err_len)
{
	const json_t *tols = jget(spec, "tolerations"), *t;
	const char *op;
	size_t i;

	if (!present(tols))
		return 0;
	if (!json_is_array(tols)) {
		set_err(err, err_len, "spec.tolerations: must be an array");
		return -EINVAL;
	}
	if (!json_array_size(tols))
		return 0;
	pp->tols = calloc(json_array_size(tols), sizeof(*pp->tols));
	if (!pp->tols)
		return -ENOMEM;
	json_array_foreach(tols, i, t) {
		struct tol *tl = &pp->tols[pp->n_tols++];

		tl->key = jstr(t, "key", "");
		tl->value = jstr(t, "value", "");
		tl->effect = jstr(t, "effect", "");
		op = jstr(t, "operator", "");
		/* An empty operator is Equal; one the API does not know tolerates nothing. */
		tl->op = !*op || !strcmp(op, "Equal") ? TOL_EQUAL :
			 !strcmp(op, "Exists")        ? TOL_EXISTS : TOL_BAD;
	}
	return 0;
}

/* v1.Toleration.ToleratesTaint over the pod's tolerations. */
bool tolerates(const struct pod_priv *pp, const char *key, const char *value, const char *effect)
{
	const struct tol *t;
	size_t i;

	for (i = 0; i < pp->n_tols; i++) {
		t = &pp->tols[i];
		if (*t->effect && strcmp(t->effect, effect))
			continue;
		if (*t->key && strcmp(t->key, key))
			continue;
		if (t->op == TOL_EXISTS || (t->op == TOL_EQUAL && !strcmp(t->value, value)))
			return true;
	}
	return false;
}

/* --- node affinity --- */

/* strconv.ParseInt(s, 10, 64): what Gt and Lt compare. */
int parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!*s || (*s != '-' && *s != '+' && (*s < '0' || *s > '9')))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end || errno)
		return -EINVAL;
	*out = v;
	return 0;
}

static const struct {
	const char *name;
	enum nsel_op op;
} nsel_ops[] = {
	{ "In", NSEL_IN },	   { "NotIn", NSEL_NOT_IN }, { "Exists", NSEL_EXISTS },
	{ "DoesNotExist", NSEL_DNE }, { "Gt", NSEL_GT },	     { "Lt", NSEL_LT },
};

/* One NodeSelectorRequirement, checked as nodeSelectorRequirementsAsSelector does. */
static int nsel_req_parse(const json_t *e, bool field, const char *path, struct nsel_req *r,
			  char *err, size_t err_len)
{
	const char *op = jstr(e, "operator", "");
	const json_t *vals = jget(e, "values"), *v;
	size_t i, nv;

	r->key.s = jstr(e, "key", "");
	r->key.h = str_hash(r->key.s);
	r->field = field;
	for (i = 0; i < sizeof(nsel_ops) / sizeof(nsel_ops[0]); i++)
		if (!strcmp(op, nsel_ops[i].name))
			break;
	if (i == sizeof(nsel_ops) / sizeof(nsel_ops[0]) ||
	    (field && nsel_ops[i].op != NSEL_IN && nsel_ops[i].op != NSEL_NOT_IN)) {
		set_err(err, err_len, "%s.operator: \"%s\" is not a valid node %sselector operator",
			path, op, field ? "field " : "");
		return -EINVAL;
	}
	r->op = nsel_ops[i].op;
	if (present(vals) && !json_is_array(vals)) {
		set_err(err, err_len, "%s.values: must be an array of strings", path);
		return -EINVAL;
	}
	json_array_foreach(vals, i, v)
		if (!json_is_string(v)) {
			set_err(err, err_len, "%s.values[%zu]: must be a string", path, i);
			return -EINVAL;
		}
	r->values = json_is_array(vals) ? vals : NULL;
	nv = json_array_size(vals);
	if (field) {
		if (strcmp(r->key.s, "metadata.name")) {
			set_err(err, err_len, "%s.key: \"%s\" is not a valid node field selector "
				"key (only metadata.name)", path, r->key.s);
			return -EINVAL;
		}
		if (nv != 1) {
			set_err(err, err_len,
				"%s.values: unexpected number of value (%zu) for node field "
				"selector operator \"%s\"", path, nv, op);
			return -EINVAL;
		}
		return 0;
	}
	if (!*r->key.s) {
		set_err(err, err_len, "%s.key: Required value", path);
		return -EINVAL;
	}
	switch (r->op) {
	case NSEL_IN:
	case NSEL_NOT_IN:
		if (!nv) {
			set_err(err, err_len, "%s.values: Required value: must be specified when "
				"`operator` is 'In' or 'NotIn'", path);
			return -EINVAL;
		}
		break;
	case NSEL_EXISTS:
	case NSEL_DNE:
		if (nv) {
			set_err(err, err_len, "%s.values: Forbidden: may not be specified when "
				"`operator` is 'Exists' or 'DoesNotExist'", path);
			return -EINVAL;
		}
		break;
	case NSEL_GT:
	case NSEL_LT:
		if (nv != 1 || parse_i64(json_string_value(json_array_get(vals, 0)), &r->num)) {
			set_err(err, err_len, "%s.values: must be a single integer for 'Gt' and "
				"'Lt'", path);
			return -EINVAL;
		}
		break;
	}
	return 0;
}

/* A NodeSelectorTerm; an empty one (t->n == 0) selects no node and is dropped by callers. */
static int nsel_term_parse(const json_t *term, const char *path, struct nsel_term *t,
			   char *err, size_t err_len)
{
	const json_t *exprs = jget(term, "matchExpressions"), *fields = jget(term, "matchFields");
	const json_t *e;
	char p[160];
	size_t i, n;
	int ret;

	if ((present(exprs) && !json_is_array(exprs)) ||
	    (present(fields) && !json_is_array(fields))) {
		set_err(err, err_len, "%s: matchExpressions and matchFields must be arrays", path);
		return -EINVAL;
	}
	n = json_array_size(exprs) + json_array_size(fields);
	if (!n)
		return 0;
	t->reqs = calloc(n, sizeof(*t->reqs));
	if (!t->reqs)
		return -ENOMEM;
	json_array_foreach(exprs, i, e) {
		snprintf(p, sizeof(p), "%s.matchExpressions[%zu]", path, i);
		ret = nsel_req_parse(e, false, p, &t->reqs[t->n++], err, err_len);
		if (ret)
			return ret;
	}
	json_array_foreach(fields, i, e) {
		snprintf(p, sizeof(p), "%s.matchFields[%zu]", path, i);
		ret = nsel_req_parse(e, true, p, &t->reqs[t->n++], err, err_len);
		if (ret)
			return ret;
	}
	return 0;
}

static void nsel_terms_free(struct nsel_term *t, size_t n)
{
	size_t i;

	for (i = 0; t && i < n; i++)
		free(t[i].reqs);
	free(t);
}

static int parse_node_affinity(const json_t *na, struct pod_priv *pp, char *err, size_t err_len)
{
	static const char req_path[] =
		"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution";
	static const char pref_path[] =
		"spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution";
	const json_t *req = jget(na, "requiredDuringSchedulingIgnoredDuringExecution");
	const json_t *pref = jget(na, "preferredDuringSchedulingIgnoredDuringExecution");
	const json_t *terms = jget(req, "nodeSelectorTerms"), *t, *w;
	struct nsel_term term;
	char p[192];
	size_t i;
	int ret;

	if (present(req)) {
		pp->has_required = true;
		if (json_array_size(terms)) {
			pp->req_terms = calloc(json_array_size(terms), sizeof(*pp->req_terms));
			if (!pp->req_terms)
				return -ENOMEM;
		}
		json_array_foreach(terms, i, t) {
			memset(&term, 0, sizeof(term));
			snprintf(p, sizeof(p), "%s.nodeSelectorTerms[%zu]", req_path, i);
			ret = nsel_term_parse(t, p, &term, err, err_len);
			if (ret) {
				free(term.reqs);
				return ret;
			}
			/* "nil or empty term selects no objects" */
			if (term.n)
				pp->req_terms[pp->n_req_terms++] = term;
		}
	}
	if (!json_array_size(pref))
		return 0;
	pp->pref_terms = calloc(json_array_size(pref), sizeof(*pp->pref_terms));
	if (!pp->pref_terms)
		return -ENOMEM;
	json_array_foreach(pref, i, t) {
		memset(&term, 0, sizeof(term));
		snprintf(p, sizeof(p), "%s[%zu].preference", pref_path, i);
		ret = nsel_term_parse(jget(t, "preference"), p, &term, err, err_len);
		if (ret) {
			free(term.reqs);
			return ret;
		}
		w = jget(t, "weight");
		term.weight = json_is_integer(w) ? (int32_t)json_integer_value(w) : 0;
		/* A zero weight or an empty preference counts for nothing. */
		if (term.weight && term.n)
			pp->pref_terms[pp->n_pref_terms++] = term;
		else
			free(term.reqs);
	}
	return 0;
}

/* --- pod affinity terms --- */

static int aff_term_parse(const json_t *t, int32_t weight, const char *own_ns,
			  const char *path, struct aff_term *a, char *err, size_t err_len)
{
	const json_t *nss = jget(t, "namespaceSelector"), *names = jget(t, "namespaces"), *v;
	struct label_selector *check;
	char e[512];
	size_t i;

	a->own_ns = own_ns;
	a->own_ns_h = str_hash(own_ns);
	a->weight = weight;
	a->key.s = jstr(t, "topologyKey", "");
	a->key.h = str_hash(a->key.s);
	if (!*a->key.s) {
		set_err(err, err_len, "%s.topologyKey: Required value: can not be empty", path);
		return -EINVAL;
	}
	/* lib/selector validates and words the errors; the hot path uses the compiled form. */
	if (label_selector_from_json(jget(t, "labelSelector"), &check, e, sizeof(e))) {
		set_err(err, err_len, "%s.labelSelector: %s", path, e);
		return -EINVAL;
	}
	label_selector_free(check);
	if (csel_compile(jget(t, "labelSelector"), &a->sel))
		return -ENOMEM;
	if (present(names) && !json_is_array(names)) {
		set_err(err, err_len, "%s.namespaces: must be an array of strings", path);
		return -EINVAL;
	}
	json_array_foreach(names, i, v)
		if (!json_is_string(v)) {
			set_err(err, err_len, "%s.namespaces[%zu]: must be a string", path, i);
			return -EINVAL;
		}
	a->namespaces = json_array_size(names) ? names : NULL;
	if (present(nss)) {
		if (label_selector_from_json(nss, &a->ns_sel, e, sizeof(e))) {
			set_err(err, err_len, "%s.namespaceSelector: %s", path, e);
			return -EINVAL;
		}
		a->ns_scratch = json_object();
		if (!a->ns_scratch)
			return -ENOMEM;
	}
	return 0;
}

static void aff_list_free(struct aff_term *t, size_t n)
{
	size_t i;

	for (i = 0; t && i < n; i++) {
		csel_free(t[i].sel);
		label_selector_free(t[i].ns_sel);
		json_decref(t[i].ns_scratch);
	}
	free(t);
}

void aff_terms_free(struct aff_terms *a)
{
	aff_list_free(a->req_aff, a->n_req_aff);
	aff_list_free(a->req_anti, a->n_req_anti);
	aff_list_free(a->pref_aff, a->n_pref_aff);
	aff_list_free(a->pref_anti, a->n_pref_anti);
	memset(a, 0, sizeof(*a));
}

bool aff_terms_any(const struct aff_terms *a)
{
	return a->n_req_aff || a->n_req_anti || a->n_pref_aff || a->n_pref_anti;
}

/* One list: required terms are PodAffinityTerms, preferred ones wrap them with a weight. */
static int aff_list_parse(const json_t *list, bool preferred, const char *own_ns,
			  const char *path, struct aff_term **out, size_t *n, char *err,
			  size_t err_len)
{
	const json_t *t, *w;
	char p[160];
	size_t i;
	int ret;

	if (!present(list))
		return 0;
	if (!json_is_array(list)) {
		set_err(err, err_len, "%s: must be an array", path);
		return -EINVAL;
	}
	if (!json_array_size(list))
		return 0;
	*out = calloc(json_array_size(list), sizeof(**out));
	if (!*out)
		return -ENOMEM;
	json_array_foreach(list, i, t) {
		int32_t weight = 1;

		if (preferred) {
			snprintf(p, sizeof(p), "%s[%zu].podAffinityTerm", path, i);
			w = jget(t, "weight");
			weight = json_is_integer(w) ? (int32_t)json_integer_value(w) : 0;
			t = jget(t, "podAffinityTerm");
		} else {
			snprintf(p, sizeof(p), "%s[%zu]", path, i);
		}
		ret = aff_term_parse(t, weight, own_ns, p, &(*out)[(*n)++], err, err_len);
		if (ret)
			return ret;
	}
	return 0;
}

int aff_terms_parse(const json_t *affinity, const char *own_ns, struct aff_terms *a,
		    char *err, size_t err_len)
{
	static const char *const kinds[] = { "podAffinity", "podAntiAffinity" };
	static const char req[] = "requiredDuringSchedulingIgnoredDuringExecution";
	static const char pref[] = "preferredDuringSchedulingIgnoredDuringExecution";
	const json_t *k;
	char path[128];
	int i, ret;

	for (i = 0; i < 2; i++) {
		k = jget(affinity, kinds[i]);
		snprintf(path, sizeof(path), "spec.affinity.%s.%s", kinds[i], req);
		ret = aff_list_parse(jget(k, req), false, own_ns, path,
				     i ? &a->req_anti : &a->req_aff,
				     i ? &a->n_req_anti : &a->n_req_aff, err, err_len);
		if (ret)
			return ret;
		snprintf(path, sizeof(path), "spec.affinity.%s.%s", kinds[i], pref);
		ret = aff_list_parse(jget(k, pref), true, own_ns, path,
				     i ? &a->pref_anti : &a->pref_aff,
				     i ? &a->n_pref_anti : &a->n_pref_aff, err, err_len);
		if (ret)
			return ret;
	}
	return 0;
}

static bool ns_matches(const struct aff_term *t, const char *ns, uint64_t ns_h,
		       const struct sched_cluster *c)
{
	const json_t *labels, *v;
	size_t i;

	if (!t->namespaces && !t->ns_sel)
		return t->own_ns_h == ns_h && !strcmp(t->own_ns, ns);
	json_array_foreach(t->namespaces, i, v)
		if (!strcmp(json_string_value(v), ns))
			return true;
	if (!t->ns_sel)
		return false;
	if (label_selector_empty(t->ns_sel))
		return true;
	labels = c && c->ns_labels ? json_object_get(c->ns_labels, ns) : NULL;
	if (!json_is_object(labels)) {
		/* Every namespace carries its name as a label; that much is always known. */
		if (json_object_set_new(t->ns_scratch, LABEL_NS_NAME, json_string(ns)))
			return false;
		labels = t->ns_scratch;
	}
	return label_selector_matches(t->ns_sel, labels);
}

bool aff_term_matches(const struct aff_term *t, const char *ns, uint64_t ns_h,
		      const struct lbls *labels, const struct sched_cluster *c)
{
	return ns_matches(t, ns, ns_h, c) && csel_matches(t->sel, labels);
}

/* --- topology spread constraints --- */

/*
 * The constraint's selector with matchLabelKeys folded in (key In [the pod's value]), as
 * kube-scheduler 1.32 does; a nil labelSelector stays nil and selects nothing.
 */
static int spread_selector(const json_t *tsc, const json_t *pod_labels, const char *path,
			   struct csel **out, char *err, size_t err_len)
{
	struct label_selector *check;
	const json_t *ls = jget(tsc, "labelSelector"), *keys = jget(tsc, "matchLabelKeys"), *k, *v;
	json_t *copy = NULL, *me, *req;
	char e[512];
	size_t i;
	int ret = -ENOMEM;

	if (present(ls) && json_array_size(keys)) {
		copy = json_deep_copy(ls);
		if (!copy)
			return -ENOMEM;
		me = json_object_get(copy, "matchExpressions");
		if (!json_is_array(me)) {
			me = json_array();
			if (!me || json_object_set_new(copy, "matchExpressions", me))
				goto out;
		}
		json_array_foreach(keys, i, k) {
			v = json_is_string(k) ? jget(pod_labels, json_string_value(k)) : NULL;
			if (!json_is_string(v))
				continue;
			req = json_pack("{s:O,s:s,s:[O]}", "key", k, "operator", "In", "values", v);
			if (!req || json_array_append_new(me, req))
				goto out;
		}
		ls = copy;
	}
	if (label_selector_from_json(ls, &check, e, sizeof(e))) {
		set_err(err, err_len, "%s.labelSelector: %s", path, e);
		ret = -EINVAL;
		goto out;
	}
	label_selector_free(check);
	ret = csel_compile(ls, out);
out:
	json_decref(copy);
	return ret;
}

static int parse_spread(const json_t *spec, const json_t *pod_labels, struct pod_priv *pp,
			char *err, size_t err_len)
{
	const json_t *list = jget(spec, "topologySpreadConstraints"), *t, *v;
	const char *when, *pol;
	char path[64];
	size_t i;
	int ret;

	if (!present(list))
		return 0;
	if (!json_is_array(list)) {
		set_err(err, err_len, "spec.topologySpreadConstraints: must be an array");
		return -EINVAL;
	}
	if (!json_array_size(list))
		return 0;
	pp->spread = calloc(json_array_size(list), sizeof(*pp->spread));
	if (!pp->spread)
		return -ENOMEM;
	json_array_foreach(list, i, t) {
		struct spread *s = &pp->spread[pp->n_spread++];

		snprintf(path, sizeof(path), "spec.topologySpreadConstraints[%zu]", i);
		v = jget(t, "maxSkew");
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > INT32_MAX) {
			set_err(err, err_len,
				"%s.maxSkew: Invalid value: must be greater than zero", path);
			return -EINVAL;
		}
		s->max_skew = (int32_t)json_integer_value(v);
		s->key.s = jstr(t, "topologyKey", "");
		s->key.h = str_hash(s->key.s);
		if (!*s->key.s) {
			set_err(err, err_len, "%s.topologyKey: Required value: can not be empty",
				path);
			return -EINVAL;
		}
		when = jstr(t, "whenUnsatisfiable", "");
		if (strcmp(when, "DoNotSchedule") && strcmp(when, "ScheduleAnyway")) {
			set_err(err, err_len,
				"%s.whenUnsatisfiable: Unsupported value: \"%s\": supported "
				"values: \"DoNotSchedule\", \"ScheduleAnyway\"", path, when);
			return -EINVAL;
		}
		s->hard = !strcmp(when, "DoNotSchedule");
		v = jget(t, "minDomains");
		s->min_domains = 1;
		if (present(v)) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > INT32_MAX || !s->hard) {
				set_err(err, err_len,
					"%s.minDomains: Invalid value: must be greater than 0, "
					"with whenUnsatisfiable DoNotSchedule", path);
				return -EINVAL;
			}
			s->min_domains = (int32_t)json_integer_value(v);
		}
		pol = jstr(t, "nodeAffinityPolicy", "Honor");
		s->honor_affinity = !strcmp(pol, "Honor");
		if (!s->honor_affinity && strcmp(pol, "Ignore")) {
			set_err(err, err_len, "%s.nodeAffinityPolicy: Unsupported value: \"%s\"",
				path, pol);
			return -EINVAL;
		}
		pol = jstr(t, "nodeTaintsPolicy", "Ignore");
		s->honor_taints = !strcmp(pol, "Honor");
		if (!s->honor_taints && strcmp(pol, "Ignore")) {
			set_err(err, err_len, "%s.nodeTaintsPolicy: Unsupported value: \"%s\"",
				path, pol);
			return -EINVAL;
		}
		ret = spread_selector(t, pod_labels, path, &s->sel, err, err_len);
		if (ret)
			return ret;
		s->self_match = csel_matches(s->sel, pp->labels);
		if (s->hard)
			pp->n_hard++;
		else
			pp->n_soft++;
	}
	return 0;
}

/* --- the pod --- */

int sched_pod_parse(const json_t *pod, struct sched_pod *p)
{
	const json_t *meta = jget(pod, "metadata"), *spec = jget(pod, "spec"), *ns, *v;
	struct pod_priv *pp;
	const char *k;
	int ret;
	size_t i;

	memset(p, 0, sizeof(*p));
	p->pod = pod;
	p->ns = pod_ns(pod);
	p->name = pod_name(pod);
	p->labels = json_is_object(jget(meta, "labels")) ? jget(meta, "labels") : NULL;
	pp = calloc(1, sizeof(*pp));
	if (!pp) {
		ret = -ENOMEM;
		goto fail;
	}
	p->priv = pp;
	pp->ns_h = str_hash(p->ns);
	ret = lbls_build(p->labels, &pp->labels);
	if (ret)
		goto fail;
	if (!json_is_object(spec)) {
		set_err(p->error, sizeof(p->error), "spec: Required value");
		return -EINVAL;
	}
	ret = pod_requests(pod, &p->req, &pp->nz_cpu, &pp->nz_mem, p->error, sizeof(p->error));
	if (ret)
		goto fail;
	ret = pod_host_ports(pod, &p->ports, &p->n_ports);
	if (ret)
		goto fail;
	ret = parse_tolerations(spec, pp, p->error, sizeof(p->error));
	if (ret)
		goto fail;
	pp->node_name = jstr(spec, "nodeName", NULL);
	if (pp->node_name && !*pp->node_name)
		pp->node_name = NULL;

	ns = jget(spec, "nodeSelector");
	if (present(ns) && !json_is_object(ns)) {
		set_err(p->error, sizeof(p->error),
			"spec.nodeSelector: must be an object of strings");
		ret = -EINVAL;
		goto fail;
	}
	json_object_foreach((json_t *)ns, k, v)
		if (!json_is_string(v)) {
			set_err(p->error, sizeof(p->error),
				"spec.nodeSelector[%s]: must be a string", k);
			ret = -EINVAL;
			goto fail;
		}
	if (json_object_size(ns)) {
		pp->nsel = calloc(json_object_size(ns), sizeof(*pp->nsel));
		if (!pp->nsel) {
			ret = -ENOMEM;
			goto fail;
		}
		i = 0;
		json_object_foreach((json_t *)ns, k, v) {
			pp->nsel[i].key.s = k;
			pp->nsel[i].key.h = str_hash(k);
			pp->nsel[i++].val = json_string_value(v);
		}
		pp->n_nsel = i;
	}

	ret = parse_node_affinity(jget(jget(spec, "affinity"), "nodeAffinity"), pp, p->error,
				  sizeof(p->error));
	if (ret)
		goto fail;
	ret = aff_terms_parse(jget(spec, "affinity"), p->ns, &pp->aff, p->error, sizeof(p->error));
	if (ret)
		goto fail;
	ret = parse_spread(spec, p->labels, pp, p->error, sizeof(p->error));
	if (ret)
		goto fail;
	return 0;
fail:
	if (!p->error[0])
		set_err(p->error, sizeof(p->error), "parsing the pod: %s", strerror(-ret));
	return ret == -E2BIG ? -EINVAL : ret;
}

void sched_pod_release(struct sched_pod *p)
{
	struct pod_priv *pp = p->priv;
	size_t i;

	free(p->ports);
	p->ports = NULL;
	p->n_ports = 0;
	if (!pp)
		return;
	free(pp->tols);
	free(pp->labels);
	free(pp->nsel);
	nsel_terms_free(pp->req_terms, pp->n_req_terms);
	nsel_terms_free(pp->pref_terms, pp->n_pref_terms);
	aff_terms_free(&pp->aff);
	for (i = 0; i < pp->n_spread; i++)
		csel_free(pp->spread[i].sel);
	free(pp->spread);
	free(pp);
	p->priv = NULL;
}

/* kinds.c — the served resources: Kubernetes' defaulting and validation for each kind,
 * ClusterIP and NodePort allocation, and the Table columns kubectl prints. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_internal.h"
#include "kinds.h"
#include "util.h"

#define PATH_MAX_ 256

/* --- small helpers --- */

/* err_invalid with a value made for the message only. */
#define err_invalid_new(e, field, value, ...)                                              \
	do {                                                                               \
		json_t *v_ = (value);                                                      \
		err_invalid(e, field, v_, __VA_ARGS__);                                    \
		json_decref(v_);                                                           \
	} while (0)

static json_t *jset_default(json_t *obj, const char *key, json_t *value)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v)) {
		json_object_set_new(obj, key, value);
		return json_object_get(obj, key);
	}
	json_decref(value);
	return v;
}

static const char *str_or(const json_t *obj, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : dflt;
}

static bool one_of(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(s, *set))
			return true;
	return false;
}

static void age_cell(const json_t *obj, json_t *cells)
{
	char buf[32];
	time_t t = parse_rfc3339(jstr(obj, "metadata.creationTimestamp"));

	if (!t)
		snprintf(buf, sizeof(buf), "<unknown>");
	else
		human_duration(buf, sizeof(buf), (int64_t)(time(NULL) - t));
	json_array_append_new(cells, json_string(buf));
}

static void name_cell(const json_t *obj, json_t *cells)
{
	const char *n = jstr(obj, "metadata.name");

	json_array_append_new(cells, json_string(n ? n : ""));
}

static char *join_strings(const json_t *arr, const char *key, const char *sep)
{
	size_t len = 1, i;
	const json_t *v;
	char *out;

	json_array_foreach(arr, i, v) {
		const char *s = key ? str_or(v, key, "") : json_string_value(v);

		len += (s ? strlen(s) : 0) + strlen(sep);
	}
	out = calloc(1, len);
	if (!out)
		return NULL;
	json_array_foreach(arr, i, v) {
		const char *s = key ? str_or(v, key, "") : json_string_value(v);

		if (i)
			strcat(out, sep);
		strcat(out, s ? s : "");
	}
	return out;
}

static void string_cell(json_t *cells, const char *s)
{
	json_array_append_new(cells, json_string(s && *s ? s : "<none>"));
}

static void owned_cell(json_t *cells, char *s)
{
	string_cell(cells, s);
	free(s);
}

/* "app=web,tier=fe" from a label map. */
static char *map_string(const json_t *map)
{
	const char *k;
	json_t *v;
	size_t len = 1;
	char *out;

	json_object_foreach((json_t *)map, k, v)
		len += strlen(k) + strlen(json_string_value(v) ? json_string_value(v) : "") + 2;
	out = calloc(1, len);
	if (!out)
		return NULL;
	json_object_foreach((json_t *)map, k, v) {
		if (*out)
			strcat(out, ",");
		strcat(out, k);
		strcat(out, "=");
		strcat(out, json_string_value(v) ? json_string_value(v) : "");
	}
	return out;
}

/* --- labels and metadata --- */

/* Label keys: an optional DNS subdomain prefix and "/", then a qualified name. */
static bool qualified_name(const char *s)
{
	const char *slash = strchr(s, '/'), *name = slash ? slash + 1 : s;
	size_t n = strlen(name), i;

	if (slash) {
		char prefix[254];
		size_t pl = slash - s;

		if (!pl || pl > 253)
			return false;
		memcpy(prefix, s, pl);
		prefix[pl] = 0;
		if (!dns1123_subdomain(prefix))
			return false;
	}
	if (!n || n > 63 || !isalnum((unsigned char)name[0]) || !isalnum((unsigned char)name[n - 1]))
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("-_.", name[i]))
			return false;
	return true;
}

static bool label_value(const char *s)
{
	size_t n = strlen(s), i;

	if (!n)
		return true;
	if (n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return false;
	return true;
}

static void validate_labels(const json_t *labels, const char *path, struct errlist *e)
{
	char field[PATH_MAX_];
	const char *k;
	json_t *v;

	if (!labels)
		return;
	if (!json_is_object(labels)) {
		err_invalid(e, path, labels, "must be a map of strings");
		return;
	}
	json_object_foreach((json_t *)labels, k, v) {
		fieldf(field, sizeof(field), "%s", path);
		if (!qualified_name(k))
			err_invalid_new(e, field, json_string(k),
				    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
		else if (!json_is_string(v) || !label_value(json_string_value(v)))
			err_invalid(e, field, v,
				    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
	}
}

/* Shared by every kind: metadata.labels and annotations keys. */
static void validate_meta(const json_t *obj, struct errlist *e)
{
	const json_t *ann = jpath(obj, "metadata.annotations");
	const char *k;
	json_t *v;

	validate_labels(jpath(obj, "metadata.labels"), "metadata.labels", e);
	if (ann && !json_is_object(ann)) {
		err_invalid(e, "metadata.annotations", ann, "must be a map of strings");
		return;
	}
	json_object_foreach((json_t *)ann, k, v) {
		if (!qualified_name(k))
			err_invalid_new(e, "metadata.annotations", json_string(k),
				    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
		else if (!json_is_string(v))
			err_invalid(e, "metadata.annotations", v, "must be a string");
	}
}

/* --- quantities (cpu "100m", memory "128Mi") --- */

static bool quantity(const json_t *v)
{
	const char *s = json_string_value(v), *p;
	static const char *const suffixes[] = { "", "m", "k", "M", "G", "T", "P", "E", "Ki",
						 "Mi", "Gi", "Ti", "Pi", "Ei", NULL };
	char *end;

	if (json_is_number(v))
		return json_number_value(v) >= 0;
	if (!s || !*s)
		return false;
	strtod(s, &end);
	if (end == s)
		return false;
	p = end;
	if (*p == 'e' || *p == 'E') {
		/* An exponent form: 1e3. Anything else starting with e/E is E (exa). */
		const char *q = p + 1;

		if (*q == '+' || *q == '-')
			q++;
		if (isdigit((unsigned char)*q)) {
			while (isdigit((unsigned char)*q))
				q++;
			return !*q;
		}
	}
	return one_of(p, suffixes);
}

static void validate_resources(const json_t *res, const char *path, struct errlist *e)
{
	static const char *const parts[] = { "limits", "requests" };
	char field[PATH_MAX_];
	size_t i;

	for (i = 0; i < 2; i++) {
		const json_t *m = json_object_get(res, parts[i]);
		const char *k;
		json_t *v;

		json_object_foreach((json_t *)m, k, v) {
			fieldf(field, sizeof(field), "%s.%s[%s]", path, parts[i], k);
			if (!quantity(v))
				err_invalid(e, field, v,
					    "must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
		}
	}
}

/* --- pods --- */

static const char *const protocols[] = { "TCP", "UDP", "SCTP", NULL };

static void container_defaults(json_t *c)
{
	const char *image = str_or(c, "image", "");
	const char *colon = strrchr(image, ':'), *slash = strrchr(image, '/');
	bool latest = !strchr(image, '@') && (!colon || (slash && colon < slash) ||
					      !strcmp(colon, ":latest"));
	const json_t *p;
	size_t i;

	jset_default(c, "terminationMessagePath", json_string("/dev/termination-log"));
	jset_default(c, "terminationMessagePolicy", json_string("File"));
	jset_default(c, "imagePullPolicy", json_string(latest ? "Always" : "IfNotPresent"));
	jset_default(c, "resources", json_object());
	json_array_foreach(json_object_get(c, "ports"), i, p)
		jset_default((json_t *)p, "protocol", json_string("TCP"));
}

/* DefaultTolerationSeconds (admission): pods tolerate a not-ready or unreachable node
 * for five minutes, then the node lifecycle controller evicts them. */
static void default_tolerations(json_t *spec)
{
	static const char *const keys[] = { "node.kubernetes.io/not-ready",
					     "node.kubernetes.io/unreachable" };
	json_t *tols = json_object_get(spec, "tolerations");
	size_t i, k;
	json_t *t;

	if (!json_is_array(tols)) {
		tols = json_array();
		json_object_set_new(spec, "tolerations", tols);
	}
	for (k = 0; k < 2; k++) {
		bool have = false;

		json_array_foreach(tols, i, t)
			if (!strcmp(str_or(t, "key", ""), keys[k]) &&
			    (!json_object_get(t, "effect") ||
			     !strcmp(str_or(t, "effect", ""), "NoExecute")))
				have = true;
		if (!have)
			json_array_append_new(tols, json_pack("{s:s,s:s,s:s,s:i}", "key", keys[k],
							      "operator", "Exists", "effect",
							      "NoExecute", "tolerationSeconds", 300));
	}
}

static void pod_spec_defaults(json_t *spec)
{
	const char *lists[] = { "containers", "initContainers" };
	size_t i, l;
	json_t *c;

	jset_default(spec, "restartPolicy", json_string("Always"));
	jset_default(spec, "dnsPolicy", json_string("ClusterFirst"));
	jset_default(spec, "terminationGracePeriodSeconds", json_integer(30));
	jset_default(spec, "schedulerName", json_string("default-scheduler"));
	jset_default(spec, "securityContext", json_object());
	jset_default(spec, "enableServiceLinks", json_true());
	jset_default(spec, "priority", json_integer(0));
	for (l = 0; l < 2; l++)
		json_array_foreach(json_object_get(spec, lists[l]), i, c)
			if (json_is_object(c))
				container_defaults(c);
}

/* Guaranteed when every container has equal cpu and memory limits and requests, BestEffort
 * when none has any, Burstable otherwise (the kubelet's QoS classes). */
static const char *qos_class(const json_t *spec)
{
	bool any = false, guaranteed = true;
	const json_t *c;
	size_t i;

	json_array_foreach(json_object_get(spec, "containers"), i, c) {
		const json_t *lim = jpath(c, "resources.limits"), *req = jpath(c, "resources.requests");
		const char *r[] = { "cpu", "memory" };
		size_t k;

		if (json_object_size(lim) || json_object_size(req))
			any = true;
		for (k = 0; k < 2; k++) {
			const json_t *l = json_object_get(lim, r[k]), *q = json_object_get(req, r[k]);

			if (!l || (q && !json_equal(l, q)))
				guaranteed = false;
		}
	}
	return !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
}

static void pod_defaults(struct api *api, json_t *obj, const json_t *old)
{
	json_t *spec = json_object_get(obj, "spec");

	(void)api;
	if (!json_is_object(spec))
		return;
	pod_spec_defaults(spec);
	default_tolerations(spec);
	if (!old) {
		json_t *status = jobj(obj, "status");

		jset_default(status, "phase", json_string("Pending"));
		json_object_set_new(status, "qosClass", json_string(qos_class(spec)));
	}
}

static void validate_container(const json_t *c, const char *path, json_t *names,
			       struct errlist *e)
{
	char field[PATH_MAX_];
	const json_t *p, *env;
	size_t i;

	fieldf(field, sizeof(field), "%s.name", path);
	if (!json_string_value(json_object_get(c, "name")))
		err_required(e, field);
	else if (!dns1123_label(str_or(c, "name", "")))
		err_invalid(e, field, json_object_get(c, "name"),
			    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
	else if (json_object_get(names, str_or(c, "name", "")))
		err_duplicate(e, field, json_object_get(c, "name"));
	else
		json_object_set_new(names, str_or(c, "name", ""), json_true());
	fieldf(field, sizeof(field), "%s.image", path);
	if (!*str_or(c, "image", ""))
		err_required(e, field);
	json_array_foreach(json_object_get(c, "ports"), i, p) {
		json_t *cp = json_object_get(p, "containerPort"), *hp = json_object_get(p, "hostPort");
		const char *proto = str_or(p, "protocol", "TCP");

		fieldf(field, sizeof(field), "%s.ports[%zu].containerPort", path, i);
		if (!cp)
			err_required(e, field);
		else if (!json_is_integer(cp) || json_integer_value(cp) < 1 ||
			 json_integer_value(cp) > 65535)
			err_invalid(e, field, cp, "must be between 1 and 65535, inclusive");
		fieldf(field, sizeof(field), "%s.ports[%zu].hostPort", path, i);
		if (hp && (!json_is_integer(hp) || json_integer_value(hp) < 0 ||
			   json_integer_value(hp) > 65535))
			err_invalid(e, field, hp, "must be between 1 and 65535, inclusive");
		fieldf(field, sizeof(field), "%s.ports[%zu].protocol", path, i);
		if (!one_of(proto, protocols))
			err_unsupported(e, field, proto, protocols);
	}
	json_array_foreach(json_object_get(c, "env"), i, env) {
		fieldf(field, sizeof(field), "%s.env[%zu].name", path, i);
		if (!*str_or(env, "name", ""))
			err_required(e, field);
	}
	fieldf(field, sizeof(field), "%s.resources", path);
	validate_resources(json_object_get(c, "resources"), field, e);
}

static void validate_pod_spec(const json_t *spec, const char *path, struct errlist *e)
{
	static const char *const restart[] = { "Always", "OnFailure", "Never", NULL };
	static const char *const dns[] = { "ClusterFirstWithHostNet", "ClusterFirst", "Default",
					   "None", NULL };
	const char *lists[] = { "containers", "initContainers" };
	json_t *names = json_object();
	char field[PATH_MAX_];
	const json_t *c;
	size_t i, l;

	if (!json_is_object(spec)) {
		err_required(e, path);
		json_decref(names);
		return;
	}
	fieldf(field, sizeof(field), "%s.containers", path);
	if (!json_array_size(json_object_get(spec, "containers")))
		err_required(e, field);
	for (l = 0; l < 2; l++)
		json_array_foreach(json_object_get(spec, lists[l]), i, c) {
			fieldf(field, sizeof(field), "%s.%s[%zu]", path, lists[l], i);
			validate_container(c, field, names, e);
		}
	json_decref(names);
	fieldf(field, sizeof(field), "%s.restartPolicy", path);
	if (!one_of(str_or(spec, "restartPolicy", "Always"), restart))
		err_unsupported(e, field, str_or(spec, "restartPolicy", ""), restart);
	fieldf(field, sizeof(field), "%s.dnsPolicy", path);
	if (!one_of(str_or(spec, "dnsPolicy", "ClusterFirst"), dns))
		err_unsupported(e, field, str_or(spec, "dnsPolicy", ""), dns);
	fieldf(field, sizeof(field), "%s.nodeName", path);
	if (*str_or(spec, "nodeName", "") && !dns1123_subdomain(str_or(spec, "nodeName", "")))
		err_invalid(e, field, json_object_get(spec, "nodeName"),
			    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'");
	if (json_object_get(spec, "terminationGracePeriodSeconds") &&
	    json_integer_value(json_object_get(spec, "terminationGracePeriodSeconds")) < 0) {
		fieldf(field, sizeof(field), "%s.terminationGracePeriodSeconds", path);
		err_invalid(e, field, json_object_get(spec, "terminationGracePeriodSeconds"),
			    "must be greater than or equal to 0");
	}
}

/* A pod's spec may change only in images, activeDeadlineSeconds, tolerations (added) and
 * terminationGracePeriodSeconds (the API's pod update rules). */
static bool pod_spec_update_allowed(const json_t *new_spec, const json_t *old_spec)
{
	json_t *a = json_deep_copy(new_spec), *b = json_deep_copy(old_spec);
	const char *lists[] = { "containers", "initContainers" };
	const char *mutable[] = { "activeDeadlineSeconds", "terminationGracePeriodSeconds",
				  "tolerations" };
	bool same;
	size_t i, l;
	json_t *c;

	for (l = 0; l < 2; l++) {
		json_array_foreach(json_object_get(a, lists[l]), i, c)
			json_object_del(c, "image");
		json_array_foreach(json_object_get(b, lists[l]), i, c)
			json_object_del(c, "image");
	}
	for (i = 0; i < 3; i++) {
		json_object_del(a, mutable[i]);
		json_object_del(b, mutable[i]);
	}
	/* nodeName is set through the binding subresource, not by an update. */
	same = json_equal(a, b);
	json_decref(a);
	json_decref(b);
	return same;
}

static void pod_validate(struct api *api, const json_t *obj, const json_t *old, struct errlist *e)
{
	const json_t *spec = json_object_get(obj, "spec");

	(void)api;
	validate_pod_spec(spec, "spec", e);
	if (old && json_is_object(spec) &&
	    !pod_spec_update_allowed(spec, json_object_get(old, "spec")))
		err_forbidden(e, "spec",
			      "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)");
}

/* kubectl's pod STATUS column: the reason that best says what the pod is doing. */
static void pod_status_text(const json_t *pod, char *buf, size_t len, int *ready, int *total,
			    int *restarts)
{
	const json_t *status = json_object_get(pod, "status"), *cs;
	const char *reason = str_or(status, "reason", str_or(status, "phase", "Pending"));
	size_t i;
	bool init_done = true;

	*ready = 0;
	*restarts = 0;
	*total = json_array_size(jpath(pod, "spec.containers"));
	json_array_foreach(json_object_get(status, "initContainerStatuses"), i, cs) {
		const char *w = jstr(cs, "state.waiting.reason");
		json_t *term = jpath(cs, "state.terminated");

		*restarts += json_integer_value(json_object_get(cs, "restartCount"));
		if (term && json_integer_value(json_object_get(term, "exitCode")) == 0)
			continue;
		init_done = false;
		if (term)
			snprintf(buf, len, "Init:%s", str_or(term, "reason", "Error"));
		else if (w && *w && strcmp(w, "PodInitializing"))
			snprintf(buf, len, "Init:%s", w);
		else
			snprintf(buf, len, "Init:%zu/%zu", i,
				 json_array_size(jpath(pod, "spec.initContainers")));
		reason = buf;
		break;
	}
	if (init_done) {
		snprintf(buf, len, "%s", reason);
		json_array_foreach(json_object_get(status, "containerStatuses"), i, cs) {
			const char *w = jstr(cs, "state.waiting.reason");
			const json_t *term = jpath(cs, "state.terminated");

			*restarts += json_integer_value(json_object_get(cs, "restartCount"));
			if (json_is_true(json_object_get(cs, "ready")) && jpath(cs, "state.running"))
				(*ready)++;
			if (w && *w)
				snprintf(buf, len, "%s", w);
			else if (term && jstr(term, "reason"))
				snprintf(buf, len, "%s", jstr(term, "reason"));
			else if (term)
				snprintf(buf, len, "%s:%lld",
					 json_integer_value(json_object_get(term, "signal")) ?
						 "Signal" : "ExitCode",
					 json_integer_value(json_object_get(term, "signal")) ?
						 json_integer_value(json_object_get(term, "signal")) :
						 json_integer_value(json_object_get(term, "exitCode")));
		}
		if (!strcmp(str_or(status, "phase", ""), "Running") && *ready == *total)
			snprintf(buf, len, "Running");
		if (!strcmp(str_or(status, "phase", ""), "Succeeded"))
			snprintf(buf, len, "Completed");
	}
	if (jpath(pod, "metadata.deletionTimestamp"))
		snprintf(buf, len, "%s",
			 !strcmp(str_or(status, "reason", ""), "NodeLost") ? "Unknown" : "Terminating");
}

static void pod_row(const json_t *pod, json_t *cells)
{
	char status[128], ready[32], restarts[32];
	int r, t, n;
	const char *ip = jstr(pod, "status.podIP"), *node = jstr(pod, "spec.nodeName");
	const char *nominated = jstr(pod, "status.nominatedNodeName");
	size_t gates = json_array_size(jpath(pod, "spec.readinessGates"));

	pod_status_text(pod, status, sizeof(status), &r, &t, &n);
	snprintf(ready, sizeof(ready), "%d/%d", r, t);
	snprintf(restarts, sizeof(restarts), "%d", n);
	name_cell(pod, cells);
	json_array_append_new(cells, json_string(ready));
	json_array_append_new(cells, json_string(status));
	json_array_append_new(cells, json_string(restarts));
	age_cell(pod, cells);
	string_cell(cells, ip);
	string_cell(cells, node);
	string_cell(cells, nominated);
	if (gates) {
		snprintf(ready, sizeof(ready), "0/%zu", gates);
		json_array_append_new(cells, json_string(ready));
	} else {
		string_cell(cells, NULL);
	}
}

/* --- services, and ClusterIP / NodePort allocation --- */

static const char *const service_types[] = { "ClusterIP", "NodePort", "LoadBalancer",
					     "ExternalName", NULL };

static bool service_has_node_ports(const json_t *svc)
{
	const char *type = str_or(json_object_get(svc, "spec"), "type", "ClusterIP");

	return !strcmp(type, "NodePort") || !strcmp(type, "LoadBalancer");
}

static void service_defaults(struct api *api, json_t *obj, const json_t *old)
{
	json_t *spec = json_object_get(obj, "spec"), *p;
	const char *type;
	size_t i;

	(void)api;
	if (!json_is_object(spec))
		return;
	type = json_string_value(jset_default(spec, "type", json_string("ClusterIP")));
	jset_default(spec, "sessionAffinity", json_string("None"));
	if (!strcmp(str_or(spec, "sessionAffinity", ""), "ClientIP")) {
		json_t *cfg = jobj(jobj(spec, "sessionAffinityConfig"), "clientIP");

		jset_default(cfg, "timeoutSeconds", json_integer(10800));
	}
	if (strcmp(type ? type : "", "ExternalName")) {
		jset_default(spec, "internalTrafficPolicy", json_string("Cluster"));
		jset_default(spec, "ipFamilies", json_pack("[s]", "IPv4"));
		jset_default(spec, "ipFamilyPolicy", json_string("SingleStack"));
	}
	if (service_has_node_ports(obj))
		jset_default(spec, "externalTrafficPolicy", json_string("Cluster"));
	json_array_foreach(json_object_get(spec, "ports"), i, p) {
		jset_default(p, "protocol", json_string("TCP"));
		if (json_object_get(p, "port"))
			jset_default(p, "targetPort", json_deep_copy(json_object_get(p, "port")));
	}
	/* The ClusterIP never changes: an update without it keeps the stored one. */
	if (old && !*str_or(spec, "clusterIP", "") && jstr(old, "spec.clusterIP")) {
		json_object_set(spec, "clusterIP", jpath(old, "spec.clusterIP"));
		json_object_set(spec, "clusterIPs", jpath(old, "spec.clusterIPs"));
	}
	if (old && service_has_node_ports(old) && !service_has_node_ports(obj)) {
		/* A type change away from NodePort/LoadBalancer clears what came with the old
		 * type unless the request changed it (Kubernetes' dropTypeDependentFields). */
		const json_t *op;
		size_t j;

		json_array_foreach(json_object_get(spec, "ports"), i, p)
			json_array_foreach(jpath(old, "spec.ports"), j, op)
				if (json_integer_value(json_object_get(p, "nodePort")) &&
				    json_equal(json_object_get(p, "nodePort"), json_object_get(op, "nodePort")))
					json_object_del(p, "nodePort");
		if (json_equal(json_object_get(spec, "externalTrafficPolicy"),
			       jpath(old, "spec.externalTrafficPolicy")))
			json_object_del(spec, "externalTrafficPolicy");
	}
	if (old && service_has_node_ports(obj)) {
		/* Ports that kept their number keep their NodePort unless one is given. */
		const json_t *op;
		size_t j;

		json_array_foreach(json_object_get(spec, "ports"), i, p) {
			if (json_integer_value(json_object_get(p, "nodePort")))
				continue;
			json_array_foreach(jpath(old, "spec.ports"), j, op)
				if (json_same(json_object_get(op, "port"), json_object_get(p, "port")) &&
				    json_same(json_object_get(op, "protocol"), json_object_get(p, "protocol")) &&
				    json_integer_value(json_object_get(op, "nodePort")))
					json_object_set(p, "nodePort", json_object_get(op, "nodePort"));
		}
	}
	if (!old)
		jset_default(obj, "status", json_pack("{s:{}}", "loadBalancer"));
}

static void service_validate(struct api *api, const json_t *obj, const json_t *old,
			     struct errlist *e)
{
	const json_t *spec = json_object_get(obj, "spec"), *p;
	const char *type = str_or(spec, "type", "ClusterIP");
	const char *cip = str_or(spec, "clusterIP", "");
	json_t *names = json_object(), *seen = json_object();
	char field[PATH_MAX_], key[64];
	size_t i;

	(void)api;
	if (!json_is_object(spec)) {
		err_required(e, "spec");
		goto out;
	}
	if (!one_of(type, service_types)) {
		err_unsupported(e, "spec.type", type, service_types);
		goto out;
	}
	if (!strcmp(type, "ExternalName")) {
		if (!dns1123_subdomain(str_or(spec, "externalName", "")))
			err_required(e, "spec.externalName");
		goto out;
	}
	if (!json_array_size(json_object_get(spec, "ports")) && strcmp(cip, "None"))
		err_required(e, "spec.ports");
	json_array_foreach(json_object_get(spec, "ports"), i, p) {
		json_t *port = json_object_get(p, "port"), *np = json_object_get(p, "nodePort");
		const char *proto = str_or(p, "protocol", "TCP"), *name = str_or(p, "name", "");

		fieldf(field, sizeof(field), "spec.ports[%zu].name", i);
		if (json_array_size(json_object_get(spec, "ports")) > 1 && !*name)
			err_required(e, field);
		else if (*name && json_object_get(names, name))
			err_duplicate(e, field, json_object_get(p, "name"));
		else if (*name)
			json_object_set_new(names, name, json_true());
		fieldf(field, sizeof(field), "spec.ports[%zu].port", i);
		if (!port)
			err_required(e, field);
		else if (!json_is_integer(port) || json_integer_value(port) < 1 ||
			 json_integer_value(port) > 65535)
			err_invalid(e, field, port, "must be between 1 and 65535, inclusive");
		fieldf(field, sizeof(field), "spec.ports[%zu].protocol", i);
		if (!one_of(proto, protocols))
			err_unsupported(e, field, proto, protocols);
		snprintf(key, sizeof(key), "%lld/%s", json_integer_value(port), proto);
		if (json_object_get(seen, key)) {
			fieldf(field, sizeof(field), "spec.ports[%zu]", i);
			err_duplicate(e, field, p);
		}
		json_object_set_new(seen, key, json_true());
		fieldf(field, sizeof(field), "spec.ports[%zu].nodePort", i);
		if (json_integer_value(np) && !service_has_node_ports(obj))
			err_forbidden(e, field, "may not be used when `type` is '%s'", type);
	}
	if (*cip && strcmp(cip, "None")) {
		struct in_addr a;

		if (inet_pton(AF_INET, cip, &a) != 1)
			err_invalid_new(e, "spec.clusterIPs[0]", json_string(cip),
				    "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
	}
	if (old) {
		const char *ocip = jstr(old, "spec.clusterIP");

		if (ocip && *ocip && strcmp(ocip, cip))
			err_invalid_new(e, "spec.clusterIPs[0]", json_string(cip), "may not change once set");
	}
	if (strcmp(str_or(spec, "sessionAffinity", "None"), "None") &&
	    strcmp(str_or(spec, "sessionAffinity", "None"), "ClientIP")) {
		static const char *const aff[] = { "ClientIP", "None", NULL };

		err_unsupported(e, "spec.sessionAffinity", str_or(spec, "sessionAffinity", ""), aff);
	}
	if (json_object_get(spec, "externalTrafficPolicy")) {
		static const char *const pol[] = { "Cluster", "Local", NULL };
		const char *etp = str_or(spec, "externalTrafficPolicy", "");

		if (!service_has_node_ports(obj) && !json_array_size(json_object_get(spec, "externalIPs")))
			err_invalid(e, "spec.externalTrafficPolicy", json_object_get(spec, "externalTrafficPolicy"),
				    "may only be set for externally-accessible services");
		else if (!one_of(etp, pol))
			err_unsupported(e, "spec.externalTrafficPolicy", etp, pol);
	}
	validate_labels(json_object_get(spec, "selector"), "spec.selector", e);
out:
	json_decref(names);
	json_decref(seen);
}

static uint32_t ip_host(const char *s)
{
	struct in_addr a;

	return inet_pton(AF_INET, s, &a) == 1 ? ntohl(a.s_addr) : 0;
}

static bool ip_mark(struct ip_alloc *ips, uint32_t ip, bool used)
{
	uint32_t i = ip - ips->base;

	if (ip < ips->base || i >= ips->size)
		return false;
	if (used && ips->used[i])
		return false;
	ips->used[i] = used;
	return true;
}

static bool port_mark(struct port_alloc *pa, int port, bool used)
{
	if (port < pa->min || port > pa->max)
		return false;
	if (used && pa->used[port - pa->min])
		return false;
	pa->used[port - pa->min] = used;
	return true;
}

int alloc_init(struct api *api, const char *cidr, int np_min, int np_max)
{
	char buf[64], *slash;
	int bits;

	snprintf(buf, sizeof(buf), "%s", cidr);
	slash = strchr(buf, '/');
	if (!slash)
		return -1;
	*slash = 0;
	bits = atoi(slash + 1);
	if (bits < 8 || bits > 30 || !ip_host(buf))
		return -1;
	api->ips.size = 1u << (32 - bits);
	api->ips.base = ip_host(buf) & ~(api->ips.size - 1);
	api->ips.used = calloc(api->ips.size, 1);
	/* The network and broadcast addresses are never handed out. */
	api->ips.used[0] = api->ips.used[api->ips.size - 1] = 1;
	api->ips.next = 2; /* .1 is the kubernetes Service's, allocated at bootstrap */
	api->ports.min = np_min;
	api->ports.max = np_max;
	api->ports.used = calloc(np_max - np_min + 1, 1);
	api->ports.next = np_min;
	return api->ips.used && api->ports.used ? 0 : -1;
}

void alloc_free(struct api *api)
{
	free(api->ips.used);
	free(api->ports.used);
}

void alloc_reserve_service(struct api *api, const json_t *svc)
{
	const json_t *p;
	size_t i;

	pthread_mutex_lock(&api->alloc_mu);
	if (jstr(svc, "spec.clusterIP"))
		ip_mark(&api->ips, ip_host(jstr(svc, "spec.clusterIP")), true);
	json_array_foreach(jpath(svc, "spec.ports"), i, p)
		if (json_integer_value(json_object_get(p, "nodePort")))
			port_mark(&api->ports, json_integer_value(json_object_get(p, "nodePort")), true);
	pthread_mutex_unlock(&api->alloc_mu);
}

static void ip_string(uint32_t ip, char *buf, size_t len)
{
	struct in_addr a = { .s_addr = htonl(ip) };

	inet_ntop(AF_INET, &a, buf, len);
}

static void service_allocate(struct api *api, json_t *obj, const json_t *old, struct errlist *e)
{
	json_t *spec = json_object_get(obj, "spec"), *p;
	const char *cip = str_or(spec, "clusterIP", "");
	bool had_ip = old && jstr(old, "spec.clusterIP") && *jstr(old, "spec.clusterIP");
	char field[PATH_MAX_], buf[32];
	size_t i, j;

	uint32_t took_ip = 0;
	int took_ports[64], n_took = 0;
	size_t errs_before = e->n;

	if (!strcmp(str_or(spec, "type", ""), "ExternalName"))
		return;
	pthread_mutex_lock(&api->alloc_mu);
	if (!had_ip && !*cip) {
		uint32_t n;

		for (n = 0; n < api->ips.size; n++) {
			uint32_t idx = (api->ips.next + n) % api->ips.size;

			if (!api->ips.used[idx]) {
				api->ips.used[idx] = 1;
				api->ips.next = idx + 1;
				took_ip = api->ips.base + idx;
				ip_string(api->ips.base + idx, buf, sizeof(buf));
				json_object_set_new(spec, "clusterIP", json_string(buf));
				break;
			}
		}
		if (n == api->ips.size)
			err_forbidden(e, "spec.clusterIPs", "failed to allocate IP: range is full");
	} else if (!had_ip && strcmp(cip, "None")) {
		uint32_t ip = ip_host(cip);

		if (ip < api->ips.base || ip - api->ips.base >= api->ips.size)
			err_invalid_new(e, "spec.clusterIPs", json_pack("[s]", cip),
				    "failed to allocate IP %s: the provided IP (%s) is not in the valid range. The range of valid IPs is %s",
				    cip, cip, api->cfg.service_cidr);
		else if (!ip_mark(&api->ips, ip, true))
			err_invalid_new(e, "spec.clusterIPs", json_pack("[s]", cip),
				    "failed to allocate IP %s: provided IP is already allocated", cip);
		else
			took_ip = ip;
	}
	if (jstr(obj, "spec.clusterIP"))
		json_object_set_new(spec, "clusterIPs", json_pack("[s]", jstr(obj, "spec.clusterIP")));
	if (service_has_node_ports(obj))
		json_array_foreach(json_object_get(spec, "ports"), i, p) {
			json_int_t np = json_integer_value(json_object_get(p, "nodePort"));
			bool mine = false;
			const json_t *op;

			/* A NodePort this Service already holds stays its own. */
			json_array_foreach(jpath(old, "spec.ports"), j, op)
				if (np && json_integer_value(json_object_get(op, "nodePort")) == np)
					mine = true;
			fieldf(field, sizeof(field), "spec.ports[%zu].nodePort", i);
			if (np && !mine) {
				if (np < api->ports.min || np > api->ports.max)
					err_invalid(e, field, json_object_get(p, "nodePort"),
						    "provided port is not in the valid range. The range of valid ports is %d-%d",
						    api->ports.min, api->ports.max);
				else if (!port_mark(&api->ports, np, true))
					err_invalid(e, field, json_object_get(p, "nodePort"),
						    "provided port is already allocated");
				else if (n_took < 64)
					took_ports[n_took++] = np;
			} else if (!np) {
				int n, range = api->ports.max - api->ports.min + 1;

				for (n = 0; n < range; n++) {
					int port = api->ports.min +
						   (api->ports.next - api->ports.min + n) % range;

					if (port_mark(&api->ports, port, true)) {
						api->ports.next = port + 1;
						json_object_set_new(p, "nodePort", json_integer(port));
						if (n_took < 64)
							took_ports[n_took++] = port;
						break;
					}
				}
				if (n == range)
					err_forbidden(e, field, "failed to allocate a nodePort: range is full");
			}
		}
	/* Refused: give back what this call took, and only that (what the request asked for
	 * may be someone else's). */
	if (e->n > errs_before) {
		if (took_ip)
			ip_mark(&api->ips, took_ip, false);
		while (n_took--)
			port_mark(&api->ports, took_ports[n_took], false);
	}
	pthread_mutex_unlock(&api->alloc_mu);
}

/* Give back what obj holds and keep does not (keep: the object that stays, or NULL). */
static void service_release(struct api *api, const json_t *obj, const json_t *keep)
{
	const char *cip = jstr(obj, "spec.clusterIP");
	const json_t *p, *kp;
	size_t i, j;

	pthread_mutex_lock(&api->alloc_mu);
	if (cip && *cip && strcmp(cip, "None") &&
	    !(keep && jstr(keep, "spec.clusterIP") && !strcmp(jstr(keep, "spec.clusterIP"), cip)))
		ip_mark(&api->ips, ip_host(cip), false);
	json_array_foreach(jpath(obj, "spec.ports"), i, p) {
		json_int_t np = json_integer_value(json_object_get(p, "nodePort"));
		bool kept = false;

		if (!np)
			continue;
		if (keep && service_has_node_ports(keep))
			json_array_foreach(jpath(keep, "spec.ports"), j, kp)
				if (json_integer_value(json_object_get(kp, "nodePort")) == np)
					kept = true;
		if (!kept)
			port_mark(&api->ports, np, false);
	}
	pthread_mutex_unlock(&api->alloc_mu);
}

static void service_row(const json_t *svc, json_t *cells)
{
	const json_t *spec = json_object_get(svc, "spec"), *p;
	const char *type = str_or(spec, "type", "ClusterIP");
	char ports[1024] = "", ext[512] = "";
	size_t i, n = 0;

	name_cell(svc, cells);
	json_array_append_new(cells, json_string(type));
	string_cell(cells, str_or(spec, "clusterIP", ""));
	if (!strcmp(type, "ExternalName")) {
		snprintf(ext, sizeof(ext), "%s", str_or(spec, "externalName", ""));
	} else {
		char *eips = join_strings(json_object_get(spec, "externalIPs"), NULL, ",");
		char *lbs = join_strings(jpath(svc, "status.loadBalancer.ingress"), "ip", ",");

		if (lbs && *lbs)
			snprintf(ext, sizeof(ext), "%s%s%s", lbs, eips && *eips ? "," : "",
				 eips ? eips : "");
		else if (eips && *eips)
			snprintf(ext, sizeof(ext), "%s", eips);
		else if (!strcmp(type, "LoadBalancer"))
			snprintf(ext, sizeof(ext), "<pending>");
		free(eips);
		free(lbs);
	}
	string_cell(cells, ext);
	json_array_foreach(json_object_get(spec, "ports"), i, p) {
		json_int_t np = json_integer_value(json_object_get(p, "nodePort"));

		if (np)
			n += snprintf(ports + n, n < sizeof(ports) ? sizeof(ports) - n : 0,
				      "%s%lld:%lld/%s", i ? "," : "",
				      json_integer_value(json_object_get(p, "port")), np,
				      str_or(p, "protocol", "TCP"));
		else
			n += snprintf(ports + n, n < sizeof(ports) ? sizeof(ports) - n : 0,
				      "%s%lld/%s", i ? "," : "",
				      json_integer_value(json_object_get(p, "port")),
				      str_or(p, "protocol", "TCP"));
	}
	string_cell(cells, ports);
	age_cell(svc, cells);
	owned_cell(cells, map_string(json_object_get(spec, "selector")));
}

/* --- deployments and replicasets --- */

static void workload_defaults(struct api *api, json_t *obj, const json_t *old, bool deployment)
{
	json_t *spec = json_object_get(obj, "spec"), *tspec;

	(void)api;
	(void)old;
	if (!json_is_object(spec))
		return;
	jset_default(spec, "replicas", json_integer(1));
	if (deployment) {
		json_t *strategy = jset_default(spec, "strategy", json_object());

		if (!strcmp(str_or(strategy, "type", "RollingUpdate"), "RollingUpdate")) {
			json_t *ru;

			jset_default(strategy, "type", json_string("RollingUpdate"));
			ru = jset_default(strategy, "rollingUpdate", json_object());
			jset_default(ru, "maxUnavailable", json_string("25%"));
			jset_default(ru, "maxSurge", json_string("25%"));
		}
		jset_default(spec, "revisionHistoryLimit", json_integer(10));
		jset_default(spec, "progressDeadlineSeconds", json_integer(600));
	}
	tspec = jpath(spec, "template.spec");
	if (json_is_object(tspec))
		pod_spec_defaults(tspec);
}

static void deployment_defaults(struct api *api, json_t *obj, const json_t *old)
{
	workload_defaults(api, obj, old, true);
}

static void replicaset_defaults(struct api *api, json_t *obj, const json_t *old)
{
	workload_defaults(api, obj, old, false);
}

/* ValidatePositiveIntOrPercent: the value (a percentage's number, *pct set), or -1 when
 * it is neither a non-negative integer nor "N%" (reported). Absent is 0. */
static int int_or_percent(const json_t *v, const char *field, bool *pct, struct errlist *e)
{
	const char *s = json_string_value(v);
	size_t n = s ? strlen(s) : 0;

	*pct = false;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		if (json_integer_value(v) >= 0)
			return (int)json_integer_value(v);
		err_invalid(e, field, v, "must be greater than or equal to 0");
		return -1;
	}
	if (!s) {
		err_invalid(e, field, v, "must be an integer or percentage (e.g '5%%')");
		return -1;
	}
	if (n >= 2 && s[n - 1] == '%' && strspn(s, "0123456789") == n - 1) {
		*pct = true;
		return atoi(s);
	}
	err_invalid(e, field, v,
		    "a valid percent string must be a numeric string followed by an ending '%%' "
		    "(e.g. '1%%',  or '93%%', regex used for validation is '[0-9]+%%')");
	return -1;
}

/* A Deployment's strategy and progress deadline (ValidateDeploymentSpec): the controller
 * could not roll out with what these refuse. */
static void deployment_spec_validate(const json_t *spec, struct errlist *e)
{
	const json_t *strategy = json_object_get(spec, "strategy");
	const json_t *ru = json_object_get(strategy, "rollingUpdate");
	const json_t *pds = json_object_get(spec, "progressDeadlineSeconds");
	const char *mu = "spec.strategy.rollingUpdate.maxUnavailable";
	int surge, unavailable;
	bool surge_pct, unavailable_pct;

	if (!strcmp(str_or(strategy, "type", "RollingUpdate"), "Recreate")) {
		if (ru && !json_is_null(ru))
			err_forbidden(e, "spec.strategy.rollingUpdate",
				      "may not be specified when strategy `type` is 'Recreate'");
	} else if (json_is_object(ru)) {
		unavailable = int_or_percent(json_object_get(ru, "maxUnavailable"), mu,
					     &unavailable_pct, e);
		surge = int_or_percent(json_object_get(ru, "maxSurge"),
				       "spec.strategy.rollingUpdate.maxSurge", &surge_pct, e);
		if (!unavailable && !surge)
			err_invalid(e, mu, json_object_get(ru, "maxUnavailable"),
				    "may not be 0 when `maxSurge` is 0");
		if (unavailable_pct && unavailable > 100)
			err_invalid(e, mu, json_object_get(ru, "maxUnavailable"),
				    "must not be greater than 100%%");
	}
	if (json_is_integer(pds) &&
	    json_integer_value(pds) <= json_integer_value(json_object_get(spec, "minReadySeconds")))
		err_invalid(e, "spec.progressDeadlineSeconds", pds,
			    "must be greater than minReadySeconds");
}

/* matchLabels must select the template's labels (matchExpressions are checked by the
 * controllers that use them). */
static void workload_validate(struct api *api, const json_t *obj, const json_t *old,
			      struct errlist *e)
{
	const json_t *spec = json_object_get(obj, "spec");
	const json_t *sel = json_object_get(spec, "selector");
	const json_t *ml = json_object_get(sel, "matchLabels");
	const json_t *tl = jpath(spec, "template.metadata.labels"), *rep;
	const char *k;
	json_t *v;

	(void)api;
	if (!json_is_object(spec)) {
		err_required(e, "spec");
		return;
	}
	if (!json_is_object(sel) || (!json_object_size(ml) &&
				     !json_array_size(json_object_get(sel, "matchExpressions")))) {
		err_required(e, "spec.selector");
	} else {
		validate_labels(ml, "spec.selector.matchLabels", e);
		json_object_foreach((json_t *)ml, k, v)
			if (!json_equal(json_object_get(tl, k), v)) {
				err_invalid(e, "spec.template.metadata.labels", tl,
					    "`selector` does not match template `labels`");
				break;
			}
	}
	rep = json_object_get(spec, "replicas");
	if (rep && (!json_is_integer(rep) || json_integer_value(rep) < 0))
		err_invalid(e, "spec.replicas", rep, "must be greater than or equal to 0");
	validate_labels(tl, "spec.template.metadata.labels", e);
	validate_pod_spec(jpath(spec, "template.spec"), "spec.template.spec", e);
	if (old && !json_equal(sel, jpath(old, "spec.selector")))
		err_invalid(e, "spec.selector", sel, "field is immutable");
	if (json_object_get(spec, "strategy")) {
		static const char *const types[] = { "Recreate", "RollingUpdate", NULL };
		const char *t = str_or(json_object_get(spec, "strategy"), "type", "RollingUpdate");

		if (!one_of(t, types))
			err_unsupported(e, "spec.strategy.type", t, types);
		deployment_spec_validate(spec, e);
	}
}

static char *containers_of(const json_t *obj, const char *key)
{
	return join_strings(jpath(obj, "spec.template.spec.containers"), key, ",");
}

static char *selector_of(const json_t *obj)
{
	return map_string(jpath(obj, "spec.selector.matchLabels"));
}

static void deployment_row(const json_t *d, json_t *cells)
{
	char ready[32];

	name_cell(d, cells);
	snprintf(ready, sizeof(ready), "%lld/%lld",
		 json_integer_value(jpath(d, "status.readyReplicas")),
		 json_integer_value(jpath(d, "spec.replicas")));
	json_array_append_new(cells, json_string(ready));
	json_array_append_new(cells, json_integer(json_integer_value(jpath(d, "status.updatedReplicas"))));
	json_array_append_new(cells, json_integer(json_integer_value(jpath(d, "status.availableReplicas"))));
	age_cell(d, cells);
	owned_cell(cells, containers_of(d, "name"));
	owned_cell(cells, containers_of(d, "image"));
	owned_cell(cells, selector_of(d));
}

static void replicaset_row(const json_t *rs, json_t *cells)
{
	name_cell(rs, cells);
	json_array_append_new(cells, json_integer(json_integer_value(jpath(rs, "spec.replicas"))));
	json_array_append_new(cells, json_integer(json_integer_value(jpath(rs, "status.replicas"))));
	json_array_append_new(cells, json_integer(json_integer_value(jpath(rs, "status.readyReplicas"))));
	age_cell(rs, cells);
	owned_cell(cells, containers_of(rs, "name"));
	owned_cell(cells, containers_of(rs, "image"));
	owned_cell(cells, selector_of(rs));
}

/* --- namespaces and nodes --- */

static void namespace_defaults(struct api *api, json_t *obj, const json_t *old)
{
	json_t *spec = jobj(obj, "spec");

	(void)api;
	if (!old)
		jset_default(spec, "finalizers", json_pack("[s]", "kubernetes"));
	jset_default(jobj(obj, "status"), "phase", json_string("Active"));
	/* Every namespace carries its own name as a label (NamespaceDefaultLabelName). */
	json_object_set_new(jobj(jobj(obj, "metadata"), "labels"), "kubernetes.io/metadata.name",
			    json_string(jstr(obj, "metadata.name") ? jstr(obj, "metadata.name") : ""));
}

static void namespace_validate(struct api *api, const json_t *obj, const json_t *old,
			       struct errlist *e)
{
	(void)api;
	(void)old;
	if (!dns1123_label(jstr(obj, "metadata.name")))
		err_invalid(e, "metadata.name", jpath(obj, "metadata.name"),
			    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
}

static void namespace_row(const json_t *ns, json_t *cells)
{
	name_cell(ns, cells);
	string_cell(cells, jstr(ns, "status.phase"));
	age_cell(ns, cells);
}

static void node_row(const json_t *node, json_t *cells)
{
	const json_t *c, *a;
	char status[128] = "Unknown", roles[256] = "";
	const char *internal = NULL, *external = NULL, *k;
	json_t *v;
	size_t i, n = 0;

	json_array_foreach(jpath(node, "status.conditions"), i, c)
		if (!strcmp(str_or(c, "type", ""), "Ready"))
			snprintf(status, sizeof(status), "%s",
				 !strcmp(str_or(c, "status", ""), "True") ? "Ready" :
				 !strcmp(str_or(c, "status", ""), "False") ? "NotReady" : "Unknown");
	if (json_is_true(jpath(node, "spec.unschedulable")))
		strncat(status, ",SchedulingDisabled", sizeof(status) - strlen(status) - 1);
	json_object_foreach(jpath(node, "metadata.labels"), k, v)
		if (!strncmp(k, "node-role.kubernetes.io/", 24) && k[24])
			n += snprintf(roles + n, n < sizeof(roles) ? sizeof(roles) - n : 0, "%s%s",
				      n ? "," : "", k + 24);
	json_array_foreach(jpath(node, "status.addresses"), i, a) {
		if (!strcmp(str_or(a, "type", ""), "InternalIP") && !internal)
			internal = str_or(a, "address", "");
		if (!strcmp(str_or(a, "type", ""), "ExternalIP") && !external)
			external = str_or(a, "address", "");
	}
	name_cell(node, cells);
	json_array_append_new(cells, json_string(status));
	string_cell(cells, roles);
	age_cell(node, cells);
	json_array_append_new(cells, json_string(str_or(jpath(node, "status.nodeInfo"), "kubeletVersion", "")));
	string_cell(cells, internal);
	string_cell(cells, external);
	string_cell(cells, jstr(node, "status.nodeInfo.osImage"));
	string_cell(cells, jstr(node, "status.nodeInfo.kernelVersion"));
	string_cell(cells, jstr(node, "status.nodeInfo.containerRuntimeVersion"));
}

static void node_validate(struct api *api, const json_t *obj, const json_t *old, struct errlist *e)
{
	(void)api;
	(void)old;
	validate_labels(jpath(obj, "metadata.labels"), "metadata.labels", e);
	if (!dns1123_subdomain(jstr(obj, "metadata.name")))
		err_invalid(e, "metadata.name", jpath(obj, "metadata.name"),
			    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character");
}

/* --- configmaps and secrets --- */

static bool config_key(const char *k)
{
	size_t n = strlen(k), i;

	if (!n || n > 253 || !strcmp(k, ".") || !strcmp(k, ".."))
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)k[i]) && !strchr("-._", k[i]))
			return false;
	return true;
}

static void validate_data_keys(const json_t *data, const char *path, struct errlist *e)
{
	char field[PATH_MAX_];
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)data, k, v) {
		fieldf(field, sizeof(field), "%s[%s]", path, k);
		if (!config_key(k))
			err_invalid_new(e, field, json_string(k),
				    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
	}
}

static void immutable_data(const json_t *obj, const json_t *old, struct errlist *e)
{
	static const char *const parts[] = { "data", "binaryData", "stringData" };
	size_t i;

	if (!old || !json_is_true(json_object_get(old, "immutable")))
		return;
	for (i = 0; i < 3; i++)
		if (!json_same(json_object_get(obj, parts[i]), json_object_get(old, parts[i]))) {
			char field[32];

			fieldf(field, sizeof(field), "%s", parts[i]);
			err_forbidden(e, field, "field is immutable when `immutable` is set");
		}
	if (!json_is_true(json_object_get(obj, "immutable")))
		err_forbidden(e, "immutable", "field is immutable when `immutable` is set");
}

static void configmap_validate(struct api *api, const json_t *obj, const json_t *old,
			       struct errlist *e)
{
	(void)api;
	validate_data_keys(json_object_get(obj, "data"), "data", e);
	validate_data_keys(json_object_get(obj, "binaryData"), "binaryData", e);
	immutable_data(obj, old, e);
}

static void configmap_row(const json_t *cm, json_t *cells)
{
	name_cell(cm, cells);
	json_array_append_new(cells, json_integer(json_object_size(json_object_get(cm, "data")) +
						  json_object_size(json_object_get(cm, "binaryData"))));
	age_cell(cm, cells);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *base64(const unsigned char *in, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1), *p = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i + 2 < len; i += 3) {
		*p++ = b64[in[i] >> 2];
		*p++ = b64[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*p++ = b64[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		*p++ = b64[in[i + 2] & 63];
	}
	if (i < len) {
		*p++ = b64[in[i] >> 2];
		if (i + 1 < len) {
			*p++ = b64[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
			*p++ = b64[(in[i + 1] & 15) << 2];
		} else {
			*p++ = b64[(in[i] & 3) << 4];
			*p++ = '=';
		}
		*p++ = '=';
	}
	*p = 0;
	return out;
}

static bool is_base64(const char *s)
{
	size_t n = strlen(s), i, pad = 0;

	if (n % 4)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] == '=') {
			pad++;
			continue;
		}
		if (pad || !strchr(b64, s[i]))
			return false;
	}
	return pad <= 2;
}

static void secret_defaults(struct api *api, json_t *obj, const json_t *old)
{
	json_t *sd = json_object_get(obj, "stringData"), *data;
	const char *k;
	json_t *v;

	(void)api;
	(void)old;
	jset_default(obj, "type", json_string("Opaque"));
	/* stringData is write-only: merged into data, base64-encoded. */
	if (json_is_object(sd)) {
		data = jobj(obj, "data");
		json_object_foreach(sd, k, v) {
			const char *s = json_string_value(v);
			char *enc = base64((const unsigned char *)(s ? s : ""), s ? strlen(s) : 0);

			json_object_set_new(data, k, json_string(enc ? enc : ""));
			free(enc);
		}
		json_object_del(obj, "stringData");
	}
}

static void secret_validate(struct api *api, const json_t *obj, const json_t *old,
			    struct errlist *e)
{
	char field[PATH_MAX_];
	const char *k;
	json_t *v;

	(void)api;
	validate_data_keys(json_object_get(obj, "data"), "data", e);
	json_object_foreach(json_object_get(obj, "data"), k, v) {
		fieldf(field, sizeof(field), "data[%s]", k);
		if (!json_is_string(v) || !is_base64(json_string_value(v)))
			err_invalid(e, field, v, "must be base64-encoded");
	}
	immutable_data(obj, old, e);
	if (old && !json_equal(json_object_get(obj, "type"), json_object_get(old, "type")))
		err_invalid(e, "type", json_object_get(obj, "type"), "field is immutable");
}

static void secret_row(const json_t *s, json_t *cells)
{
	name_cell(s, cells);
	json_array_append_new(cells, json_string(str_or(s, "type", "Opaque")));
	json_array_append_new(cells, json_integer(json_object_size(json_object_get(s, "data"))));
	age_cell(s, cells);
}

/* --- endpoints, endpointslices, events, leases --- */

static void endpoints_row(const json_t *ep, json_t *cells)
{
	char buf[512] = "";
	size_t n = 0, i, j, k, shown = 0, total = 0;
	const json_t *sub, *a, *p;

	json_array_foreach(json_object_get(ep, "subsets"), i, sub)
		json_array_foreach(json_object_get(sub, "addresses"), j, a) {
			size_t np = json_array_size(json_object_get(sub, "ports"));

			json_array_foreach(json_object_get(sub, "ports"), k, p) {
				total++;
				if (shown < 3) {
					n += snprintf(buf + n, n < sizeof(buf) ? sizeof(buf) - n : 0,
						      "%s%s:%lld", shown ? "," : "", str_or(a, "ip", ""),
						      json_integer_value(json_object_get(p, "port")));
					shown++;
				}
			}
			if (!np) {
				total++;
				if (shown < 3) {
					n += snprintf(buf + n, n < sizeof(buf) ? sizeof(buf) - n : 0,
						      "%s%s", shown ? "," : "", str_or(a, "ip", ""));
					shown++;
				}
			}
		}
	if (total > shown)
		snprintf(buf + n, n < sizeof(buf) ? sizeof(buf) - n : 0, " + %zu more...",
			 total - shown);
	name_cell(ep, cells);
	string_cell(cells, buf);
	age_cell(ep, cells);
}

static void endpointslice_validate(struct api *api, const json_t *obj, const json_t *old,
				   struct errlist *e)
{
	static const char *const types[] = { "IPv4", "IPv6", "FQDN", NULL };
	const char *at = jstr(obj, "addressType");
	char field[PATH_MAX_];
	const json_t *ep;
	size_t i;

	(void)api;
	if (!at)
		err_required(e, "addressType");
	else if (!one_of(at, types))
		err_unsupported(e, "addressType", at, types);
	if (old && at && !json_equal(json_object_get(obj, "addressType"),
				     json_object_get(old, "addressType")))
		err_invalid(e, "addressType", json_object_get(obj, "addressType"), "field is immutable");
	json_array_foreach(json_object_get(obj, "endpoints"), i, ep) {
		size_t n = json_array_size(json_object_get(ep, "addresses"));

		fieldf(field, sizeof(field), "endpoints[%zu].addresses", i);
		if (n < 1 || n > 100)
			err_invalid(e, field, json_object_get(ep, "addresses"),
				    "must have at least 1 and at most 100 addresses");
	}
	if (json_array_size(json_object_get(obj, "endpoints")) > 1000)
		err_invalid(e, "endpoints", NULL, "must have at most 1000 items");
}

/* listWithMoreString of kube's printers: the first 3, "+ N more...", "<unset>" for none. */
static void more_cell(json_t *cells, char *buf, size_t n, size_t shown, size_t total, size_t len)
{
	if (total > shown)
		snprintf(buf + n, n < len ? len - n : 0, " + %zu more...", total - shown);
	string_cell(cells, *buf ? buf : "<unset>");
}

static void endpointslice_row(const json_t *s, json_t *cells)
{
	char ports[256] = "", eps[512] = "";
	const json_t *ep, *a, *p;
	size_t i, j, n = 0, shown = 0, total = 0;

	json_array_foreach(json_object_get(s, "ports"), i, p) {
		const json_t *port = json_object_get(p, "port"), *name = json_object_get(p, "name");

		total++;
		if (shown == 3)
			continue;
		if (json_is_integer(port))
			n += snprintf(ports + n, n < sizeof(ports) ? sizeof(ports) - n : 0, "%s%lld",
				      shown ? "," : "", (long long)json_integer_value(port));
		else
			n += snprintf(ports + n, n < sizeof(ports) ? sizeof(ports) - n : 0, "%s%s",
				      shown ? "," : "",
				      json_string_value(name) ? json_string_value(name) : "*");
		shown++;
	}
	name_cell(s, cells);
	string_cell(cells, jstr(s, "addressType"));
	more_cell(cells, ports, n, shown, total, sizeof(ports));
	n = shown = total = 0;
	json_array_foreach(json_object_get(s, "endpoints"), i, ep)
		json_array_foreach(json_object_get(ep, "addresses"), j, a) {
			total++;
			if (shown < 3) {
				n += snprintf(eps + n, n < sizeof(eps) ? sizeof(eps) - n : 0, "%s%s",
					      shown ? "," : "", json_string_value(a));
				shown++;
			}
		}
	more_cell(cells, eps, n, shown, total, sizeof(eps));
	age_cell(s, cells);
}

static void event_defaults(struct api *api, json_t *obj, const json_t *old)
{
	char now[32];

	(void)api;
	(void)old;
	rfc3339(now, sizeof(now), time(NULL));
	jset_default(obj, "type", json_string("Normal"));
	jset_default(obj, "count", json_integer(1));
	if (!json_string_value(json_object_get(obj, "firstTimestamp")) &&
	    !json_string_value(json_object_get(obj, "eventTime")))
		json_object_set_new(obj, "firstTimestamp", json_string(now));
	if (!json_string_value(json_object_get(obj, "lastTimestamp")) &&
	    !json_string_value(json_object_get(obj, "eventTime")))
		json_object_set_new(obj, "lastTimestamp", json_string(now));
}

static void event_validate(struct api *api, const json_t *obj, const json_t *old,
			   struct errlist *e)
{
	(void)api;
	(void)old;
	if (!json_is_object(json_object_get(obj, "involvedObject")))
		err_required(e, "involvedObject");
}

static void event_row(const json_t *ev, json_t *cells)
{
	const char *last = jstr(ev, "lastTimestamp") ? jstr(ev, "lastTimestamp") : jstr(ev, "eventTime");
	const char *first = jstr(ev, "firstTimestamp") ? jstr(ev, "firstTimestamp") : last;
	const json_t *io = json_object_get(ev, "involvedObject");
	char age[32], fage[32], obj[256], lower[64], source[256];
	size_t i;

	human_duration(age, sizeof(age), last ? (int64_t)(time(NULL) - parse_rfc3339(last)) : -2);
	human_duration(fage, sizeof(fage), first ? (int64_t)(time(NULL) - parse_rfc3339(first)) : -2);
	snprintf(lower, sizeof(lower), "%s", str_or(io, "kind", ""));
	for (i = 0; lower[i]; i++)
		lower[i] = tolower((unsigned char)lower[i]);
	snprintf(obj, sizeof(obj), "%s/%s", lower, str_or(io, "name", ""));
	snprintf(source, sizeof(source), "%s%s%s", jstr(ev, "source.component") ?: "",
		 jstr(ev, "source.host") ? ", " : "", jstr(ev, "source.host") ?: "");
	json_array_append_new(cells, json_string(age));
	json_array_append_new(cells, json_string(str_or(ev, "type", "")));
	json_array_append_new(cells, json_string(str_or(ev, "reason", "")));
	json_array_append_new(cells, json_string(obj));
	string_cell(cells, str_or(io, "fieldPath", ""));
	string_cell(cells, source);
	json_array_append_new(cells, json_string(str_or(ev, "message", "")));
	json_array_append_new(cells, json_string(fage));
	json_array_append_new(cells, json_integer(json_integer_value(json_object_get(ev, "count"))));
	name_cell(ev, cells);
}

static void lease_row(const json_t *l, json_t *cells)
{
	name_cell(l, cells);
	string_cell(cells, jstr(l, "spec.holderIdentity"));
	age_cell(l, cells);
}

/* --- the table of resources --- */

#define COL(n, t, f, p, d) { n, t, f, p, d }
#define NAME_COL COL("Name", "string", "name", 0, "Name must be unique within a namespace.")
#define AGE_COL COL("Age", "string", "", 0, "CreationTimestamp is a timestamp representing the server time when this object was created.")
#define N(a) (sizeof(a) / sizeof(a[0]))

static const struct column pod_cols[] = {
	NAME_COL,
	COL("Ready", "string", "", 0, "The aggregate readiness state of this pod for accepting traffic."),
	COL("Status", "string", "", 0, "The aggregate status of the containers in this pod."),
	COL("Restarts", "string", "", 0, "The number of times the containers in this pod have been restarted."),
	AGE_COL,
	COL("IP", "string", "", 1, "IP address allocated to the pod."),
	COL("Node", "string", "", 1, "Name of the node the pod is assigned to."),
	COL("Nominated Node", "string", "", 1, "Name of the node the pod is nominated for."),
	COL("Readiness Gates", "string", "", 1, "Pod readiness gates."),
};
static const struct column service_cols[] = {
	NAME_COL,
	COL("Type", "string", "", 0, "The type of the service."),
	COL("Cluster-IP", "string", "", 0, "The cluster IP of the service."),
	COL("External-IP", "string", "", 0, "The external IP of the service."),
	COL("Port(s)", "string", "", 0, "The ports of the service."),
	AGE_COL,
	COL("Selector", "string", "", 1, "The label selector of the service."),
};
static const struct column node_cols[] = {
	NAME_COL,
	COL("Status", "string", "", 0, "The status of the node."),
	COL("Roles", "string", "", 0, "The roles of the node."),
	AGE_COL,
	COL("Version", "string", "", 0, "Kubelet Version reported by the node."),
	COL("Internal-IP", "string", "", 1, "List of internal IPs of the node."),
	COL("External-IP", "string", "", 1, "List of external IPs of the node."),
	COL("OS-Image", "string", "", 1, "OS Image reported by the node."),
	COL("Kernel-Version", "string", "", 1, "Kernel Version reported by the node."),
	COL("Container-Runtime", "string", "", 1, "Container Runtime Version reported by the node."),
};
static const struct column deployment_cols[] = {
	NAME_COL,
	COL("Ready", "string", "", 0, "Number of the pod with ready state."),
	COL("Up-to-date", "integer", "", 0, "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
	COL("Available", "integer", "", 0, "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
	AGE_COL,
	COL("Containers", "string", "", 1, "Names of each container in the template."),
	COL("Images", "string", "", 1, "Images referenced by each container in the template."),
	COL("Selector", "string", "", 1, "Label selector for pods."),
};
static const struct column replicaset_cols[] = {
	NAME_COL,
	COL("Desired", "integer", "", 0, "Number of desired pods."),
	COL("Current", "integer", "", 0, "Number of actual replicas."),
	COL("Ready", "integer", "", 0, "The number of ready replicas for this replica set."),
	AGE_COL,
	COL("Containers", "string", "", 1, "Names of each container in the template."),
	COL("Images", "string", "", 1, "Images referenced by each container in the template."),
	COL("Selector", "string", "", 1, "Label selector for pods."),
};
static const struct column namespace_cols[] = {
	NAME_COL,
	COL("Status", "string", "", 0, "The status of the namespace"),
	AGE_COL,
};
static const struct column configmap_cols[] = {
	NAME_COL,
	COL("Data", "string", "", 0, "Number of data entries."),
	AGE_COL,
};
static const struct column secret_cols[] = {
	NAME_COL,
	COL("Type", "string", "", 0, "The type of the secret"),
	COL("Data", "string", "", 0, "The number of entries in the data field."),
	AGE_COL,
};
static const struct column endpoints_cols[] = {
	NAME_COL,
	COL("Endpoints", "string", "", 0, "Endpoints of the service"),
	AGE_COL,
};
static const struct column endpointslice_cols[] = {
	NAME_COL,
	COL("AddressType", "string", "", 0, "The type of addresses in this EndpointSlice."),
	COL("Ports", "string", "", 0, "The ports of this EndpointSlice."),
	COL("Endpoints", "string", "", 0, "The endpoints of this EndpointSlice."),
	AGE_COL,
};
static const struct column event_cols[] = {
	COL("Last Seen", "string", "", 0, "Time when last event occurred"),
	COL("Type", "string", "", 0, "Type of the event"),
	COL("Reason", "string", "", 0, "Reason of the event"),
	COL("Object", "string", "", 0, "Object the event is about"),
	COL("Subobject", "string", "", 1, "Subobject of the object the event is about"),
	COL("Source", "string", "", 1, "Source of the event"),
	COL("Message", "string", "", 0, "Message of the event"),
	COL("First Seen", "string", "", 1, "Time when first event occurred"),
	COL("Count", "string", "", 1, "Number of times the event occurred"),
	COL("Name", "string", "name", 1, "Name of the event"),
};
static const struct column lease_cols[] = {
	NAME_COL,
	COL("Holder", "string", "", 0, "The holder of the lease"),
	AGE_COL,
};
static const struct column generic_cols[] = { NAME_COL, AGE_COL };

static void generic_row(const json_t *obj, json_t *cells)
{
	name_cell(obj, cells);
	age_cell(obj, cells);
}

static void namespace_validate_all(struct api *api, const json_t *obj, const json_t *old,
				   struct errlist *e)
{
	validate_meta(obj, e);
	namespace_validate(api, obj, old, e);
}

/* Every kind validates its metadata; these wrap the kind-specific checks. */
#define WITH_META(fn)                                                                        \
	static void fn##_m(struct api *api, const json_t *obj, const json_t *old,            \
			   struct errlist *e)                                                \
	{                                                                                    \
		validate_meta(obj, e);                                                       \
		fn(api, obj, old, e);                                                        \
	}
WITH_META(pod_validate)
WITH_META(service_validate)
WITH_META(workload_validate)
WITH_META(configmap_validate)
WITH_META(secret_validate)
WITH_META(endpointslice_validate)
WITH_META(event_validate)
WITH_META(node_validate)

static void meta_only_validate(struct api *api, const json_t *obj, const json_t *old,
			       struct errlist *e)
{
	(void)api;
	(void)old;
	validate_meta(obj, e);
}

static const struct kind_ops pod_ops = { pod_defaults, pod_validate_m, NULL, NULL, pod_row };
static const struct kind_ops service_ops = { service_defaults, service_validate_m,
					     service_allocate, service_release, service_row };
static const struct kind_ops deployment_ops = { deployment_defaults, workload_validate_m, NULL,
						NULL, deployment_row };
static const struct kind_ops replicaset_ops = { replicaset_defaults, workload_validate_m, NULL,
						NULL, replicaset_row };
static const struct kind_ops namespace_ops = { namespace_defaults, namespace_validate_all, NULL,
					       NULL, namespace_row };
static const struct kind_ops node_ops = { NULL, node_validate_m, NULL, NULL, node_row };
static const struct kind_ops configmap_ops = { NULL, configmap_validate_m, NULL, NULL,
					       configmap_row };
static const struct kind_ops secret_ops = { secret_defaults, secret_validate_m, NULL, NULL,
					    secret_row };
static const struct kind_ops endpoints_ops = { NULL, meta_only_validate, NULL, NULL,
					       endpoints_row };
static const struct kind_ops endpointslice_ops = { NULL, endpointslice_validate_m, NULL, NULL,
						   endpointslice_row };
static const struct kind_ops event_ops = { event_defaults, event_validate_m, NULL, NULL,
					   event_row };
static const struct kind_ops lease_ops = { NULL, meta_only_validate, NULL, NULL, lease_row };
static const struct kind_ops binding_ops = { NULL, NULL, NULL, NULL, generic_row };

static const char *const pod_fields[] = { "spec.nodeName", "spec.restartPolicy",
					  "spec.schedulerName", "spec.serviceAccountName",
					  "spec.hostNetwork", "status.phase", "status.podIP",
					  "status.nominatedNodeName", NULL };
static const char *const event_fields[] = { "involvedObject.kind", "involvedObject.namespace",
					    "involvedObject.name", "involvedObject.uid",
					    "involvedObject.apiVersion",
					    "involvedObject.resourceVersion",
					    "involvedObject.fieldPath", "reason", "reportingComponent",
					    "source", "type", NULL };
static const char *const secret_fields[] = { "type", NULL };
static const char *const node_fields[] = { "spec.unschedulable", NULL };
static const char *const namespace_fields[] = { "status.phase", NULL };
static const char *const rs_fields[] = { "status.replicas", NULL };

#define RES(g, v, k, p, s, ns, ...) .group = g, .version = v, .kind = k, .plural = p, .singular = s, \
	.namespaced = ns, __VA_ARGS__

static const struct resource res_namespaces = {
	RES("", "v1", "Namespace", "namespaces", "namespace", false, .short_names = { "ns" },
	    .verbs = V_ALL & ~V_DELETECOLLECTION, .has_status = true,
	    .schema_type = "io.k8s.api.core.v1.Namespace", .field_selectors = namespace_fields,
	    .columns = namespace_cols, .n_columns = N(namespace_cols), .ops = &namespace_ops)
};
static const struct resource res_nodes = {
	RES("", "v1", "Node", "nodes", "node", false, .short_names = { "no" }, .verbs = V_ALL,
	    .has_status = true, .keep_status_on_create = true,
	    .schema_type = "io.k8s.api.core.v1.Node", .field_selectors = node_fields,
	    .columns = node_cols, .n_columns = N(node_cols), .ops = &node_ops)
};
static const struct resource res_pods = {
	RES("", "v1", "Pod", "pods", "pod", true, .short_names = { "po" }, .category_all = true,
	    .verbs = V_ALL, .has_status = true, .schema_type = "io.k8s.api.core.v1.Pod",
	    .field_selectors = pod_fields, .columns = pod_cols, .n_columns = N(pod_cols),
	    .ops = &pod_ops)
};
static const struct resource res_bindings = {
	RES("", "v1", "Binding", "bindings", "binding", true, .verbs = V_CREATE,
	    .schema_type = "io.k8s.api.core.v1.Binding", .columns = generic_cols,
	    .n_columns = N(generic_cols), .ops = &binding_ops)
};
static const struct resource res_services = {
	RES("", "v1", "Service", "services", "service", true, .short_names = { "svc" },
	    .category_all = true, .verbs = V_ALL, .has_status = true,
	    .schema_type = "io.k8s.api.core.v1.Service", .columns = service_cols,
	    .n_columns = N(service_cols), .ops = &service_ops)
};
static const struct resource res_endpoints = {
	RES("", "v1", "Endpoints", "endpoints", "endpoints", true, .short_names = { "ep" },
	    .verbs = V_ALL, .keep_status_on_create = true,
	    .schema_type = "io.k8s.api.core.v1.Endpoints", .columns = endpoints_cols,
	    .n_columns = N(endpoints_cols), .ops = &endpoints_ops)
};
static const struct resource res_events = {
	RES("", "v1", "Event", "events", "event", true, .short_names = { "ev" }, .verbs = V_ALL,
	    .keep_status_on_create = true, .schema_type = "io.k8s.api.core.v1.Event",
	    .field_selectors = event_fields, .columns = event_cols, .n_columns = N(event_cols),
	    .ops = &event_ops)
};
static const struct resource res_configmaps = {
	RES("", "v1", "ConfigMap", "configmaps", "configmap", true, .short_names = { "cm" },
	    .verbs = V_ALL, .keep_status_on_create = true,
	    .schema_type = "io.k8s.api.core.v1.ConfigMap", .columns = configmap_cols,
	    .n_columns = N(configmap_cols), .ops = &configmap_ops)
};
static const struct resource res_secrets = {
	RES("", "v1", "Secret", "secrets", "secret", true, .verbs = V_ALL,
	    .keep_status_on_create = true, .schema_type = "io.k8s.api.core.v1.Secret",
	    .field_selectors = secret_fields, .columns = secret_cols, .n_columns = N(secret_cols),
	    .ops = &secret_ops)
};
static const struct resource res_endpointslices = {
	RES("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", "endpointslice", true,
	    .verbs = V_ALL, .keep_status_on_create = true,
	    .schema_type = "io.k8s.api.discovery.v1.EndpointSlice", .columns = endpointslice_cols,
	    .n_columns = N(endpointslice_cols), .ops = &endpointslice_ops)
};
static const struct resource res_deployments = {
	RES("apps", "v1", "Deployment", "deployments", "deployment", true,
	    .short_names = { "deploy" }, .category_all = true, .verbs = V_ALL, .has_status = true,
	    .has_scale = true, .has_generation = true,
	    .schema_type = "io.k8s.api.apps.v1.Deployment", .columns = deployment_cols,
	    .n_columns = N(deployment_cols), .ops = &deployment_ops)
};
static const struct resource res_replicasets = {
	RES("apps", "v1", "ReplicaSet", "replicasets", "replicaset", true, .short_names = { "rs" },
	    .category_all = true, .verbs = V_ALL, .has_status = true, .has_scale = true,
	    .has_generation = true, .schema_type = "io.k8s.api.apps.v1.ReplicaSet",
	    .field_selectors = rs_fields, .columns = replicaset_cols,
	    .n_columns = N(replicaset_cols), .ops = &replicaset_ops)
};
static const struct resource res_leases = {
	RES("coordination.k8s.io", "v1", "Lease", "leases", "lease", true, .verbs = V_ALL,
	    .keep_status_on_create = true, .schema_type = "io.k8s.api.coordination.v1.Lease",
	    .columns = lease_cols, .n_columns = N(lease_cols), .ops = &lease_ops)
};

const struct resource *const resources[] = {
	&res_namespaces, &res_nodes, &res_pods, &res_bindings, &res_services, &res_endpoints,
	&res_events, &res_configmaps, &res_secrets, &res_endpointslices, &res_deployments,
	&res_replicasets, &res_leases,
};
const unsigned n_resources = N(resources);

const struct resource *resource_find(const char *group, const char *version, const char *plural)
{
	unsigned i;

	for (i = 0; i < n_resources; i++)
		if (!strcmp(resources[i]->group, group) && !strcmp(resources[i]->version, version) &&
		    !strcmp(resources[i]->plural, plural))
			return resources[i];
	return NULL;
}

const struct resource *resource_by_kind(const char *group, const char *kind)
{
	unsigned i;

	for (i = 0; i < n_resources; i++)
		if (!strcmp(resources[i]->group, group) && !strcmp(resources[i]->kind, kind))
			return resources[i];
	return NULL;
}

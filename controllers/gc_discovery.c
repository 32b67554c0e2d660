/* gc_discovery.c — the API's resources from its discovery documents, as client-go's
 * ServerPreferredResources reads them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gc_discovery.h"
#include "kclient.h"

static unsigned verbs_of(const json_t *res)
{
	static const struct {
		const char *name;
		unsigned bit;
	} known[] = {
		{ "get", API_VERB_GET },
		{ "list", API_VERB_LIST },
		{ "watch", API_VERB_WATCH },
		{ "delete", API_VERB_DELETE },
		{ "deletecollection", API_VERB_DELETECOLLECTION },
	};
	const json_t *v;
	unsigned verbs = 0;
	size_t i, k;

	json_array_foreach(json_object_get(res, "verbs"), i, v)
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (!strcmp(json_string_value(v) ?: "", known[k].name))
				verbs |= known[k].bit;
	return verbs;
}

static void note_failure(struct api_resources *out, const char *gv, const char *why)
{
	size_t len = strlen(out->failed);

	if (!out->n_failed++)
		len = snprintf(out->failed, sizeof(out->failed),
			       "unable to retrieve the complete list of server APIs: ");
	else if (len < sizeof(out->failed))
		len += snprintf(out->failed + len, sizeof(out->failed) - len, ", ");
	if (len < sizeof(out->failed))
		snprintf(out->failed + len, sizeof(out->failed) - len, "%s: %s", gv, why);
}

/* GET path into *doc; on failure note it under gv and return -EIO. */
static int get_doc(struct kclient *c, const char *path, const char *gv, struct api_resources *out,
		   json_t **doc)
{
	char msg[256];
	long code;

	*doc = NULL;
	code = kclient_get(c, path, doc);
	if (code == 200 && json_is_object(*doc))
		return 0;
	note_failure(out, gv, kstatus_message(*doc, code, msg, sizeof(msg)));
	json_decref(*doc);
	*doc = NULL;
	return -EIO;
}

/* Append the top-level resources of one APIResourceList. */
static int add_list(struct api_resources *out, const json_t *list, const char *group,
		    const char *gv)
{
	const json_t *res = json_object_get(list, "resources"), *r;
	struct api_resource *v;
	size_t i;

	v = realloc(out->v, (out->n + json_array_size(res) + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	out->v = v;
	json_array_foreach(res, i, r) {
		const char *name = json_string_value(json_object_get(r, "name"));
		const char *kind = json_string_value(json_object_get(r, "kind"));
		struct api_resource *e = &out->v[out->n];

		if (!name || !kind || strchr(name, '/'))
			continue;
		memset(e, 0, sizeof(*e));
		snprintf(e->group, sizeof(e->group), "%s", group);
		snprintf(e->api_version, sizeof(e->api_version), "%s", gv);
		snprintf(e->kind, sizeof(e->kind), "%s", kind);
		snprintf(e->plural, sizeof(e->plural), "%s", name);
		e->namespaced = json_is_true(json_object_get(r, "namespaced"));
		e->verbs = verbs_of(r);
		out->n++;
	}
	return 0;
}

int api_discover(struct kclient *c, struct api_resources *out)
{
	const json_t *groups, *g;
	json_t *doc = NULL, *apis = NULL;
	bool any = false;
	size_t i;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (!get_doc(c, "/api/v1", "v1", out, &doc)) {
		any = true;
		err = add_list(out, doc, "", "v1");
		json_decref(doc);
	}
	if (!err && !get_doc(c, "/apis", "apis", out, &apis)) {
		any = true;
		groups = json_object_get(apis, "groups");
		json_array_foreach(groups, i, g) {
			const char *name = json_string_value(json_object_get(g, "name"));
			const char *gv = json_string_value(
				json_object_get(json_object_get(g, "preferredVersion"), "groupVersion"));
			char path[512];

			if (!name || !gv)
				continue;
			snprintf(path, sizeof(path), "/apis/%s", gv);
			if (get_doc(c, path, gv, out, &doc))
				continue;
			err = add_list(out, doc, name, gv);
			json_decref(doc);
			if (err)
				break;
		}
		json_decref(apis);
	}
	if (!err && !any)
		err = -EIO;
	if (err && err != -EIO) {
		api_resources_free(out);
		snprintf(out->failed, sizeof(out->failed), "%s", strerror(-err));
	}
	return err;
}

void api_resources_free(struct api_resources *r)
{
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

const struct api_resource *api_resource_of(const struct api_resources *r, const char *api_version,
					   const char *kind)
{
	size_t i;

	if (!api_version || !kind)
		return NULL;
	for (i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].kind, kind) && !strcmp(r->v[i].api_version, api_version))
			return &r->v[i];
	return NULL;
}

void api_resource_path(const struct api_resource *r, const char *ns, const char *name, char *buf,
		       size_t len)
{
	kpath(buf, len, r->api_version, r->namespaced ? ns : NULL, r->plural, name, NULL);
}

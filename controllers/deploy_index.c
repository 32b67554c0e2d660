/* deploy_index.c — objects of an informer by controller uid and by namespace. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cm.h"
#include "deploy_index.h"
#include "keyindex.h"
#include "log.h"

struct owner_index {
	char *path;
	struct informer *inf;
	pthread_mutex_t mu;
	struct keyindex by_owner, by_ns; /* keys by controller uid, by namespace */
};

#define MAX_INDEXES 8

static struct owner_index *indexes[MAX_INDEXES];
static int n_indexes;
static pthread_mutex_t indexes_mu = PTHREAD_MUTEX_INITIALIZER;

static void index_add(struct keyindex *x, const char *ikey, const char *key)
{
	if (keyindex_add(x, ikey, key))
		pr_warn("owner index: out of memory\n");
}

static const char *owner_uid(const json_t *obj)
{
	return json_string_value(json_object_get(cm_controller_ref(obj), "uid"));
}

static const char *ns_of(const json_t *obj)
{
	return cm_str(json_object_get(obj, "metadata"), "namespace", NULL) ?: "";
}

/* File obj under its controller and namespace (add), or take it out. */
static void index_change(struct owner_index *x, const json_t *obj, bool add)
{
	void (*change)(struct keyindex *x, const char *ikey, const char *key) =
		add ? index_add : keyindex_del;
	const char *uid = owner_uid(obj);
	char key[512];

	cm_key(obj, key, sizeof(key));
	pthread_mutex_lock(&x->mu);
	if (uid)
		change(&x->by_owner, uid, key);
	change(&x->by_ns, ns_of(obj), key);
	pthread_mutex_unlock(&x->mu);
}

static void on_add(void *ctx, const json_t *obj)
{
	index_change(ctx, obj, true);
}

static void on_del(void *ctx, const json_t *obj)
{
	index_change(ctx, obj, false);
}

static void on_update(void *ctx, const json_t *old, const json_t *obj)
{
	const char *a = owner_uid(old), *b = owner_uid(obj);

	if ((a && b && !strcmp(a, b)) || (!a && !b))
		return; /* same controller; name and namespace never change */
	on_del(ctx, old);
	on_add(ctx, obj);
}

struct owner_index *owner_index_get(struct cm *cm, const char *path)
{
	struct informer_handlers h = { .add = on_add, .update = on_update, .del = on_del };
	struct owner_index *x = NULL;
	struct informer *inf;
	int i;

	pthread_mutex_lock(&indexes_mu);
	for (i = 0; i < n_indexes; i++)
		if (!strcmp(indexes[i]->path, path)) {
			x = indexes[i];
			goto out;
		}
	inf = cm_informer(cm, path);
	if (!inf || n_indexes == MAX_INDEXES)
		goto out;
	x = calloc(1, sizeof(*x));
	if (!x || !(x->path = strdup(path))) {
		free(x);
		x = NULL;
		goto out;
	}
	x->inf = inf;
	pthread_mutex_init(&x->mu, NULL);
	h.ctx = x;
	if (informer_add_handlers(inf, &h)) {
		free(x->path);
		free(x);
		x = NULL;
		goto out;
	}
	/* Lives as long as the process: the informer calls into it until the very end. */
	indexes[n_indexes++] = x;
out:
	pthread_mutex_unlock(&indexes_mu);
	return x;
}

struct informer *owner_index_informer(struct owner_index *x)
{
	return x->inf;
}

static size_t lookup(struct owner_index *x, struct keyindex *index, const char *ikey,
		     json_t ***out)
{
	char **keys;
	size_t n = 0, i, got = 0;

	*out = NULL;
	pthread_mutex_lock(&x->mu);
	keys = keyindex_keys(index, ikey, &n);
	pthread_mutex_unlock(&x->mu);
	if (!keys)
		return 0;
	*out = calloc(n, sizeof(**out));
	for (i = 0; i < n && *out; i++) {
		json_t *obj = informer_get(x->inf, keys[i]);

		if (obj)
			(*out)[got++] = obj;
	}
	keyindex_keys_free(keys, n);
	return got;
}

size_t owner_index_owned(struct owner_index *x, const char *uid, json_t ***out)
{
	return lookup(x, &x->by_owner, uid, out);
}

size_t owner_index_in_namespace(struct owner_index *x, const char *ns, json_t ***out)
{
	return lookup(x, &x->by_ns, ns, out);
}

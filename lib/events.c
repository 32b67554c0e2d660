/* events.c — the event recorder: core/v1 Events with aggregation of repeats. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uthash.h>

#include "events.h"
#include "kclient.h"
#include "log.h"
#include "util.h"

#define AGGREGATE_SECONDS 600
#define RECENT_MAX 4096 /* client-go's event correlator keeps an LRU of this size */

struct recent {
	char *key;     /* uid|reason|message */
	char name[300];
	char ns[256];
	int count;
	time_t last;
	UT_hash_handle hh;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct recent *recents;

/* The table is in least-recently-used order (a hit is moved to the end): forget from the
 * front what is too old to aggregate into, or beyond RECENT_MAX. O(1) per event. */
static void expire(time_t now)
{
	struct recent *r, *tmp;

	HASH_ITER(hh, recents, r, tmp) {
		if (now - r->last <= AGGREGATE_SECONDS && HASH_COUNT(recents) <= RECENT_MAX)
			break;
		HASH_DEL(recents, r);
		free(r->key);
		free(r);
	}
}

void event_record(struct kclient *c, const char *component, const char *host,
		  const json_t *obj, const char *type, const char *reason, const char *fmt, ...)
{
	const json_t *meta = json_object_get(obj, "metadata");
	const char *ns = json_string_value(json_object_get(meta, "namespace"));
	const char *name = json_string_value(json_object_get(meta, "name"));
	const char *uid = json_string_value(json_object_get(meta, "uid"));
	char msg[1024], key[1400], now[32], path[512];
	struct recent *r;
	json_t *ev;
	va_list ap;
	time_t t = time(NULL);

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!ns || !*ns)
		ns = "default"; /* events about cluster-scoped objects live in default */
	rfc3339_now(now, sizeof(now), false);
	snprintf(key, sizeof(key), "%s|%s|%s", uid ? uid : name ? name : "", reason, msg);

	pthread_mutex_lock(&mu);
	expire(t);
	HASH_FIND_STR(recents, key, r);
	if (r) {
		json_t *patch;
		long code;

		r->count++;
		r->last = t;
		HASH_DEL(recents, r); /* to the end: most recently used */
		HASH_ADD_KEYPTR(hh, recents, r->key, strlen(r->key), r);
		kpath(path, sizeof(path), "v1", r->ns, "events", r->name, NULL);
		patch = json_pack("{s:i,s:s}", "count", r->count, "lastTimestamp", now);
		pthread_mutex_unlock(&mu);
		code = kclient_patch(c, path, "merge", patch, NULL);
		json_decref(patch);
		if (code == 200)
			return;
		pthread_mutex_lock(&mu); /* gone (deleted): write a new one */
		HASH_FIND_STR(recents, key, r);
		if (r) {
			HASH_DEL(recents, r);
			free(r->key);
			free(r);
		}
	}
	r = calloc(1, sizeof(*r));
	if (r) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		r->key = strdup(key);
		snprintf(r->name, sizeof(r->name), "%.200s.%llx", name ? name : "object",
			 (unsigned long long)ts.tv_sec * 1000000000ULL + ts.tv_nsec);
		snprintf(r->ns, sizeof(r->ns), "%s", ns);
		r->count = 1;
		r->last = t;
		HASH_ADD_KEYPTR(hh, recents, r->key, strlen(r->key), r);
	}
	pthread_mutex_unlock(&mu);
	if (!r)
		return;
	ev = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s*,s:s*,s:s*,s:s*,s:s*,s:O*},s:s,s:s,s:s,s:{s:s,s:s*},s:s,s:s,s:i,s:s,s:s*}",
		       "apiVersion", "v1", "kind", "Event", "metadata", "name", r->name, "namespace",
		       ns, "involvedObject", "kind", json_string_value(json_object_get(obj, "kind")),
		       "apiVersion", json_string_value(json_object_get(obj, "apiVersion")),
		       "namespace", json_string_value(json_object_get(meta, "namespace")), "name",
		       name, "uid", uid, "resourceVersion", json_object_get(meta, "resourceVersion"),
		       "type", type, "reason", reason, "message", msg, "source", "component",
		       component, "host", host, "firstTimestamp", now, "lastTimestamp", now,
		       "count", 1, "reportingComponent", component, "reportingInstance", host);
	kpath(path, sizeof(path), "v1", ns, "events", NULL, NULL);
	if (ev) {
		long code = kclient_post(c, path, ev, NULL);

		if (code != 201)
			pr_debug("recording event %s on %s: HTTP %ld\n", reason, name ? name : "?", code);
	}
	json_decref(ev);
}

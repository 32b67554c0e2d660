/* leader.c — Lease-based leader election: create or take over the Lease with optimistic
 * concurrency, renew it from a thread, judge a holder dead by the local time since its
 * record last changed (never by comparing clocks across machines). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kclient.h"
#include "leader.h"
#include "log.h"
#include "util.h"

struct leader {
	struct kclient *c;
	struct leader_opts o;
	char ns[64], name[128], identity[256];
	void (*on_lost)(void *ctx);
	void *ctx;
	pthread_t thread;
	volatile bool stop;
	char path[512];
};

/* metav1.MicroTime: RFC 3339 with microseconds. */
static json_t *lease_body(struct leader *l, const json_t *cur, bool take)
{
	char now[40];
	json_t *lease = cur ? json_deep_copy(cur) : json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion",
							       "coordination.k8s.io/v1", "kind", "Lease",
							       "metadata", "name", l->name,
							       "namespace", l->ns);
	json_t *spec = json_object_get(lease, "spec");

	if (!json_is_object(spec)) {
		spec = json_object();
		json_object_set_new(lease, "spec", spec);
	}
	rfc3339_now(now, sizeof(now), true);
	json_object_set_new(spec, "holderIdentity", json_string(l->identity));
	json_object_set_new(spec, "leaseDurationSeconds", json_integer(l->o.lease_seconds));
	json_object_set_new(spec, "renewTime", json_string(now));
	if (take) {
		json_object_set_new(spec, "acquireTime", json_string(now));
		json_object_set_new(spec, "leaseTransitions",
				    json_integer(json_integer_value(json_object_get(spec, "leaseTransitions")) +
						 (cur ? 1 : 0)));
	}
	return lease;
}

/* What a holder last wrote, and when we saw it change. */
struct observed {
	char record[512];
	double at;
};

/* One attempt: 1 when we hold the Lease after it, 0 when someone else does, <0 on error. */
static int try_acquire_or_renew(struct leader *l, struct observed *seen)
{
	json_t *cur = NULL, *body, *out = NULL;
	const char *holder, *renew;
	char record[512];
	long code;
	int ret;

	code = kclient_get(l->c, l->path, &cur);
	if (code == 404) {
		json_decref(cur);
		body = lease_body(l, NULL, true);
		{
			char coll[512];

			kpath(coll, sizeof(coll), "coordination.k8s.io/v1", l->ns, "leases", NULL, NULL);
			code = kclient_post(l->c, coll, body, NULL);
		}
		json_decref(body);
		return code == 201 ? 1 : code == 409 ? 0 : -EIO;
	}
	if (code != 200) {
		json_decref(cur);
		return -EIO;
	}
	holder = json_string_value(json_object_get(json_object_get(cur, "spec"), "holderIdentity"));
	renew = json_string_value(json_object_get(json_object_get(cur, "spec"), "renewTime"));
	snprintf(record, sizeof(record), "%s|%s", holder ? holder : "", renew ? renew : "");
	if (strcmp(record, seen->record)) {
		snprintf(seen->record, sizeof(seen->record), "%s", record);
		seen->at = mono_now();
	}
	if (holder && *holder && strcmp(holder, l->identity)) {
		json_int_t dur = json_integer_value(json_object_get(json_object_get(cur, "spec"),
								    "leaseDurationSeconds"));

		if (mono_now() - seen->at < (dur > 0 ? dur : l->o.lease_seconds)) {
			json_decref(cur);
			return 0; /* held, and renewed recently as far as we can tell */
		}
	}
	/* Ours to renew, free, or expired: write it with the revision we read, so that of two
	 * contenders only one wins. */
	body = lease_body(l, cur, !holder || strcmp(holder, l->identity));
	code = kclient_put(l->c, l->path, body, &out);
	ret = code == 200 ? 1 : code == 409 ? 0 : -EIO;
	json_decref(body);
	json_decref(out);
	json_decref(cur);
	return ret;
}

static void *renew_loop(void *arg)
{
	struct leader *l = arg;
	struct observed seen = { "", 0 };
	double last_ok = mono_now();

	while (!l->stop) {
		int r;

		sleep(l->o.retry_seconds);
		if (l->stop)
			break;
		r = try_acquire_or_renew(l, &seen);
		if (r == 1) {
			last_ok = mono_now();
			continue;
		}
		if (r == 0 || mono_now() - last_ok >= l->o.renew_seconds) {
			pr_warn("lost the lease %s/%s (%s)\n", l->ns, l->name,
				r == 0 ? "another holder" : "could not renew in time");
			if (l->on_lost)
				l->on_lost(l->ctx);
			return NULL;
		}
	}
	return NULL;
}

int leader_acquire(struct kclient *c, const struct leader_opts *o, void (*on_lost)(void *ctx),
		   void *ctx, volatile bool *stop, struct leader **out)
{
	struct leader *l = calloc(1, sizeof(*l));
	struct observed seen = { "", 0 };
	bool announced = false;

	if (!l)
		return -ENOMEM;
	l->c = c;
	l->o = *o;
	snprintf(l->ns, sizeof(l->ns), "%s", o->ns);
	snprintf(l->name, sizeof(l->name), "%s", o->name);
	snprintf(l->identity, sizeof(l->identity), "%s", o->identity);
	l->o.ns = l->ns;
	l->o.name = l->name;
	l->o.identity = l->identity;
	if (l->o.lease_seconds <= 0)
		l->o.lease_seconds = 15;
	if (l->o.renew_seconds <= 0)
		l->o.renew_seconds = 10;
	if (l->o.retry_seconds <= 0)
		l->o.retry_seconds = 2;
	l->on_lost = on_lost;
	l->ctx = ctx;
	kpath(l->path, sizeof(l->path), "coordination.k8s.io/v1", l->ns, "leases", l->name, NULL);
	for (;;) {
		int r = try_acquire_or_renew(l, &seen);

		if (r == 1)
			break;
		if (stop && *stop) {
			free(l);
			return -ECANCELED;
		}
		if (!announced) {
			pr_info("waiting for the lease %s/%s (held by another instance)\n", l->ns, l->name);
			announced = true;
		}
		sleep(l->o.retry_seconds);
	}
	pr_info("became leader: lease %s/%s as %s\n", l->ns, l->name, l->identity);
	if (pthread_create(&l->thread, NULL, renew_loop, l)) {
		free(l);
		return -errno;
	}
	*out = l;
	return 0;
}

void leader_release(struct leader *l)
{
	json_t *cur = NULL;

	if (!l)
		return;
	l->stop = true;
	pthread_join(l->thread, NULL);
	if (kclient_get(l->c, l->path, &cur) == 200) {
		const char *holder = json_string_value(json_object_get(json_object_get(cur, "spec"),
								       "holderIdentity"));

		if (holder && !strcmp(holder, l->identity)) {
			json_t *spec = json_object_get(cur, "spec");

			/* As client-go's ReleaseOnCancel: no holder, and a one-second lease. */
			json_object_set_new(spec, "holderIdentity", json_string(""));
			json_object_set_new(spec, "leaseDurationSeconds", json_integer(1));
			kclient_put(l->c, l->path, cur, NULL);
		}
	}
	json_decref(cur);
	free(l);
}

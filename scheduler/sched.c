/* sched.c — one scheduling decision: filter a sample, score, pick; or say why no node fits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sched_int.h"

/* kube-scheduler's minFeasibleNodesToFind and minFeasibleNodesPercentageToFind. */
#define MIN_FEASIBLE_NODES      100
#define MIN_FEASIBLE_PERCENTAGE 5

size_t sched_nodes_to_find(size_t n_nodes)
{
	size_t pct, n;

	if (n_nodes < MIN_FEASIBLE_NODES)
		return n_nodes;
	/* The adaptive default: 50% at 0 nodes, down 1% per 125 nodes, at least 5%. */
	pct = n_nodes / 125 >= 50 - MIN_FEASIBLE_PERCENTAGE ? MIN_FEASIBLE_PERCENTAGE :
							       50 - n_nodes / 125;
	n = n_nodes * pct / 100;
	return n < MIN_FEASIBLE_NODES ? MIN_FEASIBLE_NODES : n;
}

/* xorshift64*, per thread, seeded once: ties need fairness, not secrecy. */
static uint64_t rand_next(void)
{
	static __thread uint64_t state;

	if (!state)
		state = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid() ^
			(uint64_t)(uintptr_t)&state ^ 0x9e3779b97f4a7c15ULL;
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return state * 0x2545f4914f6cdd1dULL;
}

/* --- why no node fits: kube-scheduler's FitError --- */

/* The reasons seen so far, counted as the NodeToStatusMap histogram would be. */
struct tally {
	size_t fixed[RSN_COUNT];
	size_t res[RES_EXT0 + SCHED_MAX_EXT];
	struct topo_map taints; /* taint key -> value -> nodes */
};

static void tally_add(struct tally *t, const struct verdict *v)
{
	unsigned int i;

	switch (v->r) {
	case RSN_OK:
		return;
	case RSN_TAINT: {
		struct hkey k = { v->taint->key, str_hash(v->taint->key) };
		struct lbl val = { .val = v->taint->value, .vh = str_hash(v->taint->value) };

		/* Out of memory here only makes the count short. */
		topo_add(&t->taints, &k, &val, 1);
		return;
	}
	case RSN_RESOURCES:
		for (i = 0; i < RES_EXT0 + SCHED_MAX_EXT; i++)
			t->res[i] += !!(v->res & (1u << i));
		return;
	default:
		t->fixed[v->r]++;
	}
}

struct line {
	char *s;
};

static int cmp_line(const void *a, const void *b)
{
	return strcmp(((const struct line *)a)->s, ((const struct line *)b)->s);
}

static int add_line(struct line **l, size_t *n, size_t count, const char *reason)
{
	struct line *nl = realloc(*l, (*n + 1) * sizeof(**l));

	if (!nl)
		return -ENOMEM;
	*l = nl;
	if (asprintf(&nl[*n].s, "%zu %s", count, reason) < 0)
		return -ENOMEM;
	(*n)++;
	return 0;
}

/*
 * "0/N nodes are available: " and each "<count> <reason>", sorted as strings (Go's
 * sort.Strings, count included), joined by ", ", ended by ".".
 */
static void summarize(const struct sched_pod *p, const struct tally *t, size_t total,
		      char *buf, size_t len)
{
	static const char *const res_names[RES_EXT0] = { "Too many pods", "Insufficient cpu",
							 "Insufficient memory",
							 "Insufficient ephemeral-storage" };
	struct line *l = NULL;
	const struct topo_slot *k;
	char reason[1024];
	size_t n = 0, i, j, off;
	int ret = 0;

	for (i = RSN_OK + 1; i < RSN_COUNT && !ret; i++)
		if (t->fixed[i])
			ret = add_line(&l, &n, t->fixed[i], reason_text(i));
	for (i = 0; i < RES_EXT0 + SCHED_MAX_EXT && !ret; i++) {
		if (!t->res[i])
			continue;
		if (i < RES_EXT0)
			snprintf(reason, sizeof(reason), "%s", res_names[i]);
		else
			snprintf(reason, sizeof(reason), "Insufficient %s",
				 p->req.ext[i - RES_EXT0].name);
		ret = add_line(&l, &n, t->res[i], reason);
	}
	for (i = 0; i < t->taints.n && !ret; i++) {
		k = &t->taints.k[i];
		for (j = 0; j < k->t.cap && !ret; j++) {
			if (!k->t.e[j].val)
				continue;
			snprintf(reason, sizeof(reason), "node(s) had untolerated taint {%s: %s}",
				 k->key.s, k->t.e[j].val);
			ret = add_line(&l, &n, k->t.e[j].n, reason);
		}
	}
	qsort(l, n, sizeof(*l), cmp_line);
	off = snprintf(buf, len, "0/%zu nodes are available:", total);
	for (i = 0; i < n && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? ", " : " ", l[i].s);
	if (off < len)
		snprintf(buf + off, len - off, ".");
	if (ret)
		pr_warn("pod %s/%s: summary incomplete: out of memory", p->ns, p->name);
	for (i = 0; i < n; i++)
		free(l[i].s);
	free(l);
}

/* --- the decision --- */

void sched_schedule(const struct sched_pod *p, struct sched_cluster *c, struct sched_result *r)
{
	struct sched_node **feasible = NULL, *n;
	struct tally t = { 0 };
	int64_t *scores = NULL, best;
	size_t want, found = 0, i, start, cnt, sel;
	struct verdict v;
	struct cycle cy;
	int ret;

	memset(r, 0, sizeof(*r));
	if (p->error[0] || !p->priv) {
		snprintf(r->summary, sizeof(r->summary), "%s",
			 p->error[0] ? p->error : "pod not parsed");
		return;
	}
	if (!c->n_nodes) {
		snprintf(r->summary, sizeof(r->summary), "no nodes available to schedule pods");
		return;
	}
	ret = cycle_prepare(&cy, p, c);
	want = sched_nodes_to_find(c->n_nodes);
	feasible = malloc(want * sizeof(*feasible));
	if (ret || !feasible) {
		snprintf(r->summary, sizeof(r->summary), "scheduling %s/%s: %s", p->ns, p->name,
			 strerror(ret ? -ret : ENOMEM));
		goto out;
	}
	/* Start where the last attempt stopped, so that every node gets its turn. */
	start = c->rotate % c->n_nodes;
	for (i = 0; i < c->n_nodes && found < want; i++) {
		n = c->nodes[(start + i) % c->n_nodes];
		filter_node(&cy, n, &v);
		if (v.r == RSN_OK)
			feasible[found++] = n;
		else
			tally_add(&t, &v);
	}
	r->evaluated = i;
	r->feasible = found;
	c->rotate = (start + i) % c->n_nodes;
	if (!found) {
		summarize(p, &t, c->n_nodes, r->summary, sizeof(r->summary));
		goto out;
	}
	if (found == 1) {
		r->node = feasible[0];
		goto out;
	}
	scores = malloc(found * sizeof(*scores));
	if (!scores) {
		/* Still a valid choice: every feasible node fits. */
		r->node = feasible[rand_next() % found];
		goto out;
	}
	sched_score(p, c, feasible, found, scores);
	/* selectHost: the best score, ties broken uniformly by reservoir sampling. */
	best = scores[0];
	sel = 0;
	cnt = 1;
	for (i = 1; i < found; i++) {
		if (scores[i] > best) {
			best = scores[i];
			sel = i;
			cnt = 1;
		} else if (scores[i] == best && rand_next() % ++cnt == 0) {
			sel = i;
		}
	}
	r->node = feasible[sel];
out:
	free(scores);
	free(feasible);
	topo_free(&t.taints);
	cycle_release(&cy);
}

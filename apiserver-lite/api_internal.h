/* api_internal.h — state of the API layer shared by its files (api.c, kinds.c, views.c). */
#ifndef KBPF_API_INTERNAL_H
#define KBPF_API_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "api.h"
#include "kinds.h"

struct ip_alloc {
	uint32_t base; /* host order */
	uint32_t size;
	uint8_t *used;
	uint32_t next;
};

struct port_alloc {
	int min, max;
	uint8_t *used;
	int next;
};

#define METRIC_VERBS 10
#define METRIC_CODES 14
#define LATENCY_BUCKETS 12

struct api_metrics {
	pthread_mutex_t mu;
	/* requests[resource index (n_resources = other)][verb][code class] */
	uint64_t (*requests)[METRIC_VERBS][METRIC_CODES];
	uint64_t latency[METRIC_VERBS][LATENCY_BUCKETS + 1];
	double latency_sum[METRIC_VERBS];
	uint64_t latency_count[METRIC_VERBS];
	int64_t watches;
};

struct api {
	struct store *store;
	struct api_config cfg;
	pthread_mutex_t alloc_mu;
	struct ip_alloc ips;
	struct port_alloc ports;
	struct api_metrics metrics;
	char openapi_hash[32];
};

/* Per-object data the store keeps for selectors (api_store_hooks). */
struct obj_meta {
	const struct resource *res;
	char *ns;
	char *name;
	json_t *labels;   /* object or NULL */
	char **fields;    /* values of res->field_selectors, in order (NULL: absent) */
};

#endif /* KBPF_API_INTERNAL_H */

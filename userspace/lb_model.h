/* lb_model.h — Kubernetes Services and EndpointSlices turned into the load balancer's
 * desired state: frontends, each with its backend sets, and the backends they use. */
#ifndef KBPF_LB_MODEL_H
#define KBPF_LB_MODEL_H

#include <stddef.h>
#include <linux/types.h>
#include <jansson.h>

#include "lb4_consts.h"
#include "lb4_structs.h"

/* A backend: one endpoint address and port. flags are BE_F_*. */
struct lb_backend_spec {
	__be32 addr;
	__be16 port;
	__u8 proto;
	__u8 flags;
};

/* A frontend and the backends it sends new flows to (indexes into lb_desired.backends,
 * sorted by address and port so that slot order is stable). */
struct lb_frontend_spec {
	struct lb4_key key;
	__u32 flags;            /* SVC_F_* */
	__u32 affinity_timeout; /* seconds, with SVC_F_AFFINITY */
	char name[LB4_NAME_LEN];  /* "namespace/name:port" */
	char owner[LB4_NAME_LEN]; /* "namespace/name": the Service, unit of partial syncs */
	__u32 *ext;             /* backends for new flows from outside the node */
	__u32 n_ext;
	__u32 *intl;            /* backends for new flows from pods */
	__u32 n_intl;
	__u32 *all;             /* every endpoint of the port, ready or not: kept for flows */
	__u32 n_all;
};

struct lb_desired {
	struct lb_frontend_spec *frontends;
	size_t n_frontends;
	struct lb_backend_spec *backends; /* unique (addr, port, proto), ready or not */
	size_t n_backends;
	char **warnings; /* objects or fields that were skipped, and why */
	size_t n_warnings;
	void *index_;    /* backend dedup index, internal */
	void *fe_index_; /* frontend key index, internal */
	size_t cap_frontends_, cap_backends_;
};

/* The node the desired state is computed for. */
struct lb_node {
	const char *name;  /* endpoints with this nodeName are local */
	const __be32 *ips; /* NodePort frontends are opened on these addresses */
	size_t n_ips;
};

/*
 * Compute the desired state from a Kubernetes "List" (or a single object) of Services
 * and EndpointSlices. Objects that cannot be used are skipped with a warning in
 * out->warnings; other kinds are ignored. Returns 0, or -EINVAL with a message in err
 * when the document itself is not usable.
 */
int lb_desired_from_json(const json_t *doc, const struct lb_node *node,
			 struct lb_desired *out, char *err, size_t err_len);

/* Read and parse a JSON file, then lb_desired_from_json. Nothing changes in out on error. */
int lb_desired_from_file(const char *path, const struct lb_node *node,
			 struct lb_desired *out, char *err, size_t err_len);

void lb_desired_free(struct lb_desired *d);

/* "10.96.0.1:80/TCP" into buf. */
const char *lb_fmt_addr(char *buf, size_t len, __be32 addr, __be16 port, __u8 proto);
const char *lb_proto_name(__u8 proto);

#endif /* KBPF_LB_MODEL_H */

/* k8s_proto.h — Kubernetes protobuf request bodies (what kubectl's typed clients send) decoded into JSON. */
#ifndef KBPF_K8S_PROTO_H
#define KBPF_K8S_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define K8S_PROTOBUF_CONTENT_TYPE "application/vnd.kubernetes.protobuf"

/* Messages nested deeper than this are refused. The built-in kinds nest about a dozen
 * deep at most (a ReplicaSetList down to a pod's affinity terms); the limit is for
 * hostile input and for types that may one day refer to themselves. */
#ifndef K8S_PROTO_MAX_DEPTH
#define K8S_PROTO_MAX_DEPTH 32
#endif

/*
 * Decode a Kubernetes protobuf body: the 4-byte magic "k8s\0" followed by a
 * runtime.Unknown message (typeMeta{apiVersion,kind}, raw = the object's protobuf,
 * contentEncoding, contentType). Returns the object as JSON (with apiVersion and kind
 * from typeMeta) exactly as the JSON encoding of the same object would be (field names,
 * omitted empty/zero fields as Go's omitempty would, int-or-string, quantity, time as
 * RFC 3339 "2024-01-02T03:04:05Z", []byte as base64, maps, nested lists), or NULL with a
 * reason in err: bad magic, truncated varint, length past the end, wrong wire type for
 * a field, unknown kind, recursion too deep, etc. Unknown field numbers are skipped
 * (protobuf semantics). Never reads past len; never recurses without bound; never
 * allocates unbounded memory for hostile input (it will be fuzzed with libFuzzer).
 *
 * The kind is looked up in k8s_schema (k8s_kind_type()): any kind the schema has, Lists
 * included. Details, as Kubernetes' Go code does them:
 *   - a field is in the JSON when it is on the wire, except a zero scalar ("", 0, false,
 *     empty bytes) of an omitempty non-pointer field: Kubernetes' marshallers write
 *     those, and encoding/json drops them. Non-pointer structs are always on the wire,
 *     so "spec": {} and "resources": {} appear as they do in kubectl's JSON;
 *   - a zero metav1.Time (an empty message) is null: "creationTimestamp": null. Time
 *     has whole seconds; MicroTime has six fractional digits ("...T03:04:05.123456Z");
 *   - a field that occurs twice: scalars take the last value, messages merge, lists
 *     and maps append (last value wins for a repeated key);
 *   - strings with invalid UTF-8 get U+FFFD for each bad byte, as encoding/json does;
 *   - a non-empty contentEncoding (compressed raw) is refused.
 * Memory is linear in len: at most one JSON value per input byte.
 */
json_t *k8s_proto_decode(const void *buf, size_t len, char *err, size_t err_len);

/*
 * Decode one bare message (no magic, no envelope) as a value of type, an OpenAPI name
 * ("io.k8s.api.core.v1.PodSpec"), nesting at most max_depth messages deep. The result
 * has no apiVersion or kind. NULL with a reason in err, as above; also for a type that
 * has no protobuf table.
 */
json_t *k8s_proto_decode_message(const char *type, const void *buf, size_t len,
				 unsigned int max_depth, char *err, size_t err_len);

/* --- the tables, from scripts/gen-k8s-proto.py (lib/k8s_proto_gen.c) --- */

#define K8S_PROTO_NO_MSG       0xffff
#define K8S_PROTO_F_KEEP_ZERO  (1 << 0) /* Go pointer or no omitempty: "" and 0 stay */
#define K8S_PROTO_F_INLINE     (1 << 1) /* json:",inline": the message's fields are
					 * members of this object */

struct k8s_proto_field {
	uint32_t name;       /* JSON name, an offset into k8s_proto_strings; 0 for inline */
	uint16_t inline_msg; /* K8S_PROTO_F_INLINE: index in k8s_proto_msgs of the embedded
			      * message; K8S_PROTO_NO_MSG otherwise */
	uint8_t number;      /* protobuf field number */
	uint8_t flags;       /* K8S_PROTO_F_* */
};

/* A message: the schema type of the same name, or a struct embedded inline in one. */
struct k8s_proto_msg {
	uint32_t name;        /* OpenAPI-style name: "io.k8s.api.core.v1.PodSpec" */
	uint16_t first_field; /* k8s_proto_fields[first_field..+n_fields), by number */
	uint16_t n_fields;
};

extern const char k8s_proto_strings[];
extern const size_t k8s_proto_strings_size;
extern const struct k8s_proto_field k8s_proto_fields[];
extern const size_t k8s_proto_n_fields;
extern const struct k8s_proto_msg k8s_proto_msgs[]; /* sorted by name */
extern const size_t k8s_proto_n_msgs;

/* The message named name, or NULL. */
const struct k8s_proto_msg *k8s_proto_msg_find(const char *name);

/* Field number of m, or NULL. */
const struct k8s_proto_field *k8s_proto_msg_field(const struct k8s_proto_msg *m,
						  uint32_t number);

#endif /* KBPF_K8S_PROTO_H */

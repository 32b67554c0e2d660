/* selector.h — Kubernetes label selectors and field selectors: parse, match, print. */
#ifndef KBPF_SELECTOR_H
#define KBPF_SELECTOR_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/*
 * Label selectors, as k8s.io/apimachinery/pkg/labels: a list of requirements that must
 * all hold (AND), kept sorted by key so that String() is canonical. A selector is one of
 *   - everything: no requirements ("" or a LabelSelector {}); matches every object;
 *   - nothing:    a nil LabelSelector, or a Service with no selector; matches no object;
 *   - a list of requirements.
 * Labels are a JSON object of string values, or NULL for an object without labels; a
 * label whose value is not a string counts as absent (the apiserver never stores one).
 */
struct label_selector;

/*
 * The query-string form of ?labelSelector= and kubectl -l:
 *   "a=b,c==d,e!=f,g in (x,y),h notin (z),i,!j,k>1,l<9"
 * Whitespace (space, tab, CR, LF) may surround tokens; "" selects everything. The
 * grammar, its quirks ("x in ()" is x in (""), "x=" is x equal to "") and its error
 * texts are Kubernetes' labels.Parse, e.g. "unable to parse requirement: found '',
 * expected: ',' or ')'". Keys are qualified names (optional DNS-1123 subdomain prefix
 * of at most 253 characters and "/", then a name of at most 63 characters of
 * [A-Za-z0-9-_.] that starts and ends alphanumeric); values are empty or names.
 * Returns 0, -EINVAL with the reason in err, or -ENOMEM.
 */
int label_selector_parse(const char *s, struct label_selector **out, char *err, size_t err_len);

/*
 * A metav1.LabelSelector as in Deployment, ReplicaSet and NetworkPolicy specs:
 *   {"matchLabels":{"app":"web"},
 *    "matchExpressions":[{"key":"tier","operator":"In","values":["fe","be"]}]}
 * Operators In, NotIn, Exists, DoesNotExist. As metav1.LabelSelectorAsSelector:
 * NULL or JSON null (a nil LabelSelector) selects nothing, {} selects everything.
 * Returns 0, -EINVAL with the reason in err, or -ENOMEM.
 */
int label_selector_from_json(const json_t *ls, struct label_selector **out, char *err,
			     size_t err_len);

/*
 * A Service's spec.selector, {"app":"web"}: equality on every pair. A NULL or empty map
 * selects NOTHING: such a Service has its endpoints managed by someone else, and
 * Kubernetes gives it none. Keys and values are taken as they are (the apiserver
 * validated them on write). Returns 0, -EINVAL if map is not an object of strings, or
 * -ENOMEM.
 */
int label_selector_from_map(const json_t *map, struct label_selector **out);

/*
 * The same for maps where empty means "no constraint" (labels.SelectorFromSet: a Pod's
 * nodeSelector, a ReplicationController's selector): NULL or {} selects EVERYTHING.
 */
int label_selector_from_set(const json_t *map, struct label_selector **out);

/* Whether labels (a JSON object, or NULL) satisfy sel. A NULL sel matches nothing. */
bool label_selector_matches(const struct label_selector *sel, const json_t *labels);

/* Whether sel can match no object at all (a nil LabelSelector, an empty Service map). */
bool label_selector_matches_nothing(const struct label_selector *sel);

/* Whether sel matches every object (no requirements): lets a lister skip filtering. */
bool label_selector_empty(const struct label_selector *sel);

/*
 * The canonical string, as labels.Selector.String(): requirements sorted by key, values
 * of in/notin sorted, "a=b,c in (x,y),!d". Both "everything" and "nothing" print as "",
 * as in Kubernetes. For Scale status.selector and kubectl's SELECTOR column. Returns a
 * string the caller frees, or NULL when out of memory.
 */
char *label_selector_string(const struct label_selector *sel);

void label_selector_free(struct label_selector *sel);

/*
 * Whether labels hold every pair of a Service-style selector map. Service semantics: a
 * NULL or empty selector_map matches nothing (see label_selector_from_map); a non-string
 * value in the map matches nothing either.
 */
bool labels_match_map(const json_t *selector_map, const json_t *labels);

/*
 * Field selectors, as k8s.io/apimachinery/pkg/fields.ParseSelector:
 *   "metadata.name=x,spec.nodeName!=,status.phase==Running"
 * Terms are split at unescaped commas, each at its first "!=", "==" or "="; nothing is
 * trimmed. In a value, "\\", "\," and "\=" stand for \ , and =; any other escape, or a
 * bare "," or "=" in a value, is an error. Empty terms are skipped and "" selects
 * everything. Returns 0, -EINVAL with the reason in err, or -ENOMEM.
 */
struct field_selector;

int field_selector_parse(const char *s, struct field_selector **out, char *err, size_t err_len);

/*
 * 0 if sel uses only fields in allowed[0..n_allowed), else -EINVAL with err as the
 * apiserver says it: "field label not supported: spec.foo".
 */
int field_selector_check(const struct field_selector *sel, const char *const *allowed,
			 size_t n_allowed, char *err, size_t err_len);

/* Value of a field of the object being matched, or NULL when absent (absent compares as ""). */
typedef const char *(*field_value_fn)(const char *field, void *ctx);

/* Whether the object behind value(field, ctx) satisfies every term. A NULL sel matches all. */
bool field_selector_matches(const struct field_selector *sel, field_value_fn value, void *ctx);

/*
 * The value an exact "field=value" (or "==") term requires, or NULL when no such term
 * exists: lets a server look an index up (e.g. pods by spec.nodeName). "field=" gives
 * "", not NULL. With several such terms, the first in sorted term order, as Kubernetes.
 */
const char *field_selector_required(const struct field_selector *sel, const char *field);

/* Whether sel has no terms and so matches every object. */
bool field_selector_empty(const struct field_selector *sel);

void field_selector_free(struct field_selector *sel);

#endif /* KBPF_SELECTOR_H */

/* quantity.h — Kubernetes resource.Quantity ("100m", "2Gi", "1e3") read as integers, for the scheduler and kubelet. */
#ifndef KBPF_QUANTITY_H
#define KBPF_QUANTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/*
 * The grammar is apimachinery's (k8s.io/apimachinery/pkg/api/resource):
 *   <quantity>  ::= <sign>? <number> <suffix>
 *   <number>    ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
 *   <suffix>    ::= "" | n | u | m | k | M | G | T | P | E        (10^-9 .. 10^18)
 *                 | Ki | Mi | Gi | Ti | Pi | Ei                   (2^10 .. 2^60)
 *                 | (e|E) <sign>? <digits>                        (10^exponent)
 * No whitespace anywhere ("1 " is invalid). Values are exact: no floating point is
 * involved, and a value finer than the unit asked for is rounded up, away from zero, as
 * Quantity.Value() and MilliValue() do ("1m" is 1 unit, "0.1m" is 1 milli, "-1.5m" is
 * -2 milli). Two differences with Go, both on purpose:
 *   - a number without a digit ("Gi", "m", "-", ".") is invalid, as the grammar says;
 *     ParseQuantity's scanner lets such strings through as zero (apimachinery#165);
 *   - a value that does not fit an int64 in the unit asked for is -ERANGE, where Go caps
 *     binary quantities at 2^63-1 and lets Value()/MilliValue() wrap silently.
 * Every function returns 0, -EINVAL for bad syntax or -ERANGE on overflow.
 */

/* Value in milli-units (cpu: "100m" -> 100; memory: "1Ki" -> 1024000), rounded up. */
int quantity_milli(const char *s, int64_t *out);

/* Value in units, rounded up like Value(): "100m" -> 1, "1Ki" -> 1024. */
int quantity_value(const char *s, int64_t *out);

/*
 * The same from a JSON value as the API carries it: a string (surrounding whitespace
 * trimmed, as Quantity.UnmarshalJSON does), or a JSON number ("cpu": 0.5, read by its
 * shortest decimal form, so 0.1 is 100m and not 100.000000000000005m). JSON null is
 * zero, as UnmarshalJSON makes it; NULL (a missing member) is -ENOENT.
 */
int quantity_json_milli(const json_t *v, int64_t *out);
int quantity_json_value(const json_t *v, int64_t *out);

/*
 * kubernetes.io/ingress-bandwidth and egress-bandwidth annotations: bits per second,
 * "10M" = 10,000,000. As the kubelet's bandwidth helper, values outside 1k..1P are
 * -ERANGE ("unreasonably small (< 1kbit)" / "unreasonably large (> 1Pbit)").
 */
int quantity_bits_per_second(const char *s, uint64_t *out);

/*
 * Canonical string of a value in milli-units, as Quantity.String() prints it:
 * decimal (binary false): the largest of m, "", k, M, G, T, P, E that keeps an integer
 * ("100m", "1500m", "2", "12k", "1G"); binary: Ki..Ei when the value is a whole number
 * of bytes of magnitude 1024 or more ("1Gi", "1536Mi", "1025"), else as decimal.
 * "0" for zero. Truncated (always NUL-terminated) if len is too short; 24 is enough.
 */
void quantity_format(int64_t milli, bool binary, char *buf, size_t len);

/*
 * Why s is not a quantity, in Kubernetes' words ("quantities must match the regular
 * expression ...", "unable to parse quantity's suffix"), or NULL if it parses. Range is
 * not checked: "10E" parses here and is -ERANGE from quantity_value().
 */
const char *quantity_parse_error(const char *s);

#endif /* KBPF_QUANTITY_H */

/* events.h — Events about objects (what `kubectl describe` lists), as client-go's event
 * recorder writes them: the same object, reason and message within ten minutes make one
 * Event whose count grows. */
#ifndef KBPF_EVENTS_H
#define KBPF_EVENTS_H

#include <jansson.h>

struct kclient;

/* Record an Event about obj (any object with metadata). type: "Normal" or "Warning".
 * component: "default-scheduler", "deployment-controller"; host may be NULL. Failures
 * are logged, never fatal. Thread-safe. */
void event_record(struct kclient *c, const char *component, const char *host,
		  const json_t *obj, const char *type, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

#endif /* KBPF_EVENTS_H */

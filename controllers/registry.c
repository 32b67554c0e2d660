/* registry.c — the controllers kbpf-controller-manager runs, in start order. Each is
 * defined in its own file; a weak reference keeps the list valid while one is absent from
 * a build (e.g. a unit test linking a subset). */
#include <stddef.h>

#include "cm.h"

extern const struct controller nodeipam_controller __attribute__((weak));
extern const struct controller nodelifecycle_controller __attribute__((weak));
extern const struct controller endpointslice_controller __attribute__((weak));
extern const struct controller replicaset_controller __attribute__((weak));
extern const struct controller deployment_controller __attribute__((weak));
extern const struct controller gc_controller __attribute__((weak));
extern const struct controller namespace_controller __attribute__((weak));
extern const struct controller lbipam_controller __attribute__((weak));

const struct controller *const controllers[] = {
	&nodeipam_controller,      &nodelifecycle_controller, &endpointslice_controller,
	&replicaset_controller,    &deployment_controller,    &gc_controller,
	&namespace_controller,     &lbipam_controller,
};
const unsigned n_controllers = sizeof(controllers) / sizeof(controllers[0]);

/* registry.c — the controllers kbpf-controller-manager runs, in start order. Each is
 * defined in its own file. */
#include <stddef.h>

#include "cm.h"

extern const struct controller nodeipam_controller;
extern const struct controller nodelifecycle_controller;
extern const struct controller endpointslice_controller;
extern const struct controller replicaset_controller;
extern const struct controller deployment_controller;
extern const struct controller gc_controller;
extern const struct controller namespace_controller;
extern const struct controller lbipam_controller;

const struct controller *const controllers[] = {
	&nodeipam_controller,      &nodelifecycle_controller, &endpointslice_controller,
	&replicaset_controller,    &deployment_controller,    &gc_controller,
	&namespace_controller,     &lbipam_controller,
};
const unsigned n_controllers = sizeof(controllers) / sizeof(controllers[0]);

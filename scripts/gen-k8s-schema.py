#!/usr/bin/python3
# gen-k8s-schema.py — writes lib/k8s_schema_gen.c, the schema of the built-in kinds kbpf serves.
#
# Usage: /usr/bin/python3 scripts/gen-k8s-schema.py > lib/k8s_schema_gen.c
#
# The source of truth is Debian's python3-kubernetes 22.6.0 (the Kubernetes 1.22 API):
# each model class gives its fields (openapi_types, attribute_map), their descriptions
# (property docstrings) and which are required (setters that refuse None). What the
# python models do not carry is written here by hand, in the marked tables below:
#   - which group each type belongs to (the models drop it);
#   - which "object" fields are IntOrString and which "str" fields are Quantity;
#   - integer widths (int64 where Go says int64; int32 otherwise);
#   - strategic-merge-patch metadata (Go struct tags patchStrategy/patchMergeKey);
#   - descriptions of types (the models only describe fields), and of fields whose value
#     is another type (the models drop those);
#   - the fields added to these kinds between 1.22 and 1.32, so that what kubectl 1.32
#     sends is accepted, and the one field removed since (metadata.clusterName).
# Every table entry is checked against the models: a misspelt type or field stops the
# generator instead of silently describing nothing.

import re
import sys

sys.path.insert(0, "/usr/lib/python3/dist-packages")
import kubernetes.client.models as M  # noqa: E402

# --- naming -----------------------------------------------------------------------------

# Short group prefixes used in the tables below, and the OpenAPI prefix each stands for.
PREFIX = {
    "core.v1": "io.k8s.api.core.v1",
    "apps.v1": "io.k8s.api.apps.v1",
    "discovery.v1": "io.k8s.api.discovery.v1",
    "coordination.v1": "io.k8s.api.coordination.v1",
    "autoscaling.v1": "io.k8s.api.autoscaling.v1",
    "meta.v1": "io.k8s.apimachinery.pkg.apis.meta.v1",
    "resource": "io.k8s.apimachinery.pkg.api.resource",
    "intstr": "io.k8s.apimachinery.pkg.util.intstr",
}


def full(short):
    """'core.v1.PodSpec' -> 'io.k8s.api.core.v1.PodSpec'."""
    group, _, name = short.rpartition(".")
    return PREFIX[group] + "." + name


# Root kinds: python class, OpenAPI name, group/version/kind. Their List kinds are found
# by name (V1PodList...) and added with the same group and version.
ROOTS = [
    ("V1Namespace", "core.v1.Namespace", ("", "v1")),
    ("V1Node", "core.v1.Node", ("", "v1")),
    ("V1Pod", "core.v1.Pod", ("", "v1")),
    ("V1Binding", "core.v1.Binding", ("", "v1")),
    ("V1Service", "core.v1.Service", ("", "v1")),
    ("V1Endpoints", "core.v1.Endpoints", ("", "v1")),
    ("CoreV1Event", "core.v1.Event", ("", "v1")),
    ("V1ConfigMap", "core.v1.ConfigMap", ("", "v1")),
    ("V1Secret", "core.v1.Secret", ("", "v1")),
    ("V1EndpointSlice", "discovery.v1.EndpointSlice", ("discovery.k8s.io", "v1")),
    ("V1Deployment", "apps.v1.Deployment", ("apps", "v1")),
    ("V1ReplicaSet", "apps.v1.ReplicaSet", ("apps", "v1")),
    ("V1Scale", "autoscaling.v1.Scale", ("autoscaling", "v1")),
    ("V1Lease", "coordination.v1.Lease", ("coordination.k8s.io", "v1")),
    ("V1Status", "meta.v1.Status", ("", "v1")),
    ("V1DeleteOptions", "meta.v1.DeleteOptions", ("", "v1")),
    ("V1ListMeta", "meta.v1.ListMeta", None),  # a type, not a kind
]

# DeleteOptions is registered in every API group (Kubernetes lists each in its
# x-kubernetes-group-version-kind); these are the groups kbpf serves.
EXTRA_GVKS = {
    "meta.v1.DeleteOptions": [("apps", "v1"), ("autoscaling", "v1"),
                  ("coordination.k8s.io", "v1"), ("discovery.k8s.io", "v1")],
}

# The python client names types without their group. Everything reached from the roots
# is core/v1 unless listed here. The generator fails if a type reached only through a
# non-core root is missing from these lists (PodTemplateSpec, reached only through
# Deployment and ReplicaSet, is core and listed in CORE_VIA_OTHERS).
GROUP_OF = {
    "meta.v1": ["V1ObjectMeta", "V1ListMeta", "V1LabelSelector", "V1LabelSelectorRequirement",
            "V1OwnerReference", "V1ManagedFieldsEntry", "V1Status", "V1StatusDetails",
            "V1StatusCause", "V1DeleteOptions", "V1Preconditions", "V1Condition"],
    "apps.v1": ["V1Deployment", "V1DeploymentList", "V1DeploymentSpec", "V1DeploymentStatus",
            "V1DeploymentStrategy", "V1DeploymentCondition", "V1RollingUpdateDeployment",
            "V1ReplicaSet", "V1ReplicaSetList", "V1ReplicaSetSpec", "V1ReplicaSetStatus",
            "V1ReplicaSetCondition"],
    "discovery.v1": ["V1EndpointSlice", "V1EndpointSliceList", "V1Endpoint",
             "V1EndpointConditions", "V1EndpointHints", "V1ForZone",
             "DiscoveryV1EndpointPort"],
    "coordination.v1": ["V1Lease", "V1LeaseList", "V1LeaseSpec"],
    "autoscaling.v1": ["V1Scale", "V1ScaleSpec", "V1ScaleStatus"],
}
CORE_VIA_OTHERS = {"V1PodTemplateSpec"}

# Python class names that differ from the Kubernetes type name of 1.32.
RENAMES = {
    "V1Handler": "LifecycleHandler",  # renamed in 1.23 (Probe got its own ProbeHandler)
}

# Types the python models have no class for.
SCALAR_TYPES = {
    "meta.v1.Time": "datetime",
    "meta.v1.MicroTime": "datetime",
    "resource.Quantity": "quantity",
    "intstr.IntOrString": "intstr",
    "meta.v1.FieldsV1": "any",
}

# ---------------------------------------------------------------------------------------
# HAND-WRITTEN TABLES — facts from Kubernetes' Go types (k8s.io/api, k8s.io/apimachinery).
# ---------------------------------------------------------------------------------------

# "object" in the python models: IntOrString, or a free-form value.
INT_OR_STRING = {
    "core.v1.HTTPGetAction.port", "core.v1.TCPSocketAction.port",
    "core.v1.ServicePort.targetPort",
    "apps.v1.RollingUpdateDeployment.maxSurge", "apps.v1.RollingUpdateDeployment.maxUnavailable",
}
FREE_FORM = {
    "meta.v1.ManagedFieldsEntry.fieldsV1": "meta.v1.FieldsV1",
}

# "str" (or "dict(str, str)") in the python models that are resource.Quantity in Go.
QUANTITY = {
    "core.v1.ResourceRequirements.limits", "core.v1.ResourceRequirements.requests",
    "core.v1.NodeStatus.capacity", "core.v1.NodeStatus.allocatable",
    "core.v1.PodSpec.overhead", "core.v1.EmptyDirVolumeSource.sizeLimit",
    "core.v1.ResourceFieldSelector.divisor",
}

# metav1.MicroTime rather than metav1.Time ("datetime" in the python models).
MICROTIME = {
    "core.v1.Event.eventTime", "core.v1.EventSeries.lastObservedTime",
    "coordination.v1.LeaseSpec.acquireTime", "coordination.v1.LeaseSpec.renewTime",
}

# []byte values: base64 strings ("format": "byte").
BYTES = {"core.v1.Secret.data", "core.v1.ConfigMap.binaryData"}

# int64 in Go (every other integer is int32).
INT64 = {
    "core.v1.PodSpec.activeDeadlineSeconds", "core.v1.PodSpec.terminationGracePeriodSeconds",
    "core.v1.Probe.terminationGracePeriodSeconds", "core.v1.Toleration.tolerationSeconds",
    "core.v1.PodSecurityContext.runAsUser", "core.v1.PodSecurityContext.runAsGroup",
    "core.v1.PodSecurityContext.fsGroup", "core.v1.PodSecurityContext.supplementalGroups",
    "core.v1.SecurityContext.runAsUser", "core.v1.SecurityContext.runAsGroup",
    "core.v1.ServiceAccountTokenProjection.expirationSeconds",
    "core.v1.ContainerImage.sizeBytes",
    "meta.v1.ObjectMeta.generation", "meta.v1.ObjectMeta.deletionGracePeriodSeconds",
    "meta.v1.ListMeta.remainingItemCount", "meta.v1.DeleteOptions.gracePeriodSeconds",
    "meta.v1.Condition.observedGeneration",
    "apps.v1.DeploymentStatus.observedGeneration", "apps.v1.ReplicaSetStatus.observedGeneration",
}

# Strategic-merge-patch metadata: field -> (patchMergeKey or None, patchStrategy).
PATCH = {
    "core.v1.PodSpec.volumes": ("name", "merge,retainKeys"),
    "core.v1.PodSpec.initContainers": ("name", "merge"),
    "core.v1.PodSpec.containers": ("name", "merge"),
    "core.v1.PodSpec.ephemeralContainers": ("name", "merge"),
    "core.v1.PodSpec.imagePullSecrets": ("name", "merge"),
    "core.v1.PodSpec.hostAliases": ("ip", "merge"),
    "core.v1.PodSpec.topologySpreadConstraints": ("topologyKey", "merge"),
    "core.v1.PodSpec.schedulingGates": ("name", "merge"),
    "core.v1.PodSpec.resourceClaims": ("name", "merge,retainKeys"),
    "core.v1.Container.ports": ("containerPort", "merge"),
    "core.v1.Container.env": ("name", "merge"),
    "core.v1.Container.volumeMounts": ("mountPath", "merge"),
    "core.v1.Container.volumeDevices": ("devicePath", "merge"),
    "core.v1.EphemeralContainer.ports": ("containerPort", "merge"),
    "core.v1.EphemeralContainer.env": ("name", "merge"),
    "core.v1.EphemeralContainer.volumeMounts": ("mountPath", "merge"),
    "core.v1.EphemeralContainer.volumeDevices": ("devicePath", "merge"),
    "core.v1.ContainerStatus.volumeMounts": ("mountPath", "merge"),
    "core.v1.ContainerStatus.allocatedResourcesStatus": ("name", "merge"),
    "core.v1.PodStatus.conditions": ("type", "merge"),
    "core.v1.PodStatus.podIPs": ("ip", "merge"),
    "core.v1.PodStatus.hostIPs": ("ip", "merge"),
    "core.v1.PodStatus.resourceClaimStatuses": ("name", "merge,retainKeys"),
    "core.v1.ServiceSpec.ports": ("port", "merge"),
    "core.v1.ServiceStatus.conditions": ("type", "merge"),
    "core.v1.NodeSpec.podCIDRs": (None, "merge"),
    "core.v1.NodeStatus.conditions": ("type", "merge"),
    "core.v1.NodeStatus.addresses": ("type", "merge"),
    "core.v1.NamespaceStatus.conditions": ("type", "merge"),
    "meta.v1.ObjectMeta.finalizers": (None, "merge"),
    "meta.v1.ObjectMeta.ownerReferences": ("uid", "merge"),
    "apps.v1.DeploymentSpec.strategy": (None, "retainKeys"),
    "apps.v1.DeploymentStatus.conditions": ("type", "merge"),
    "apps.v1.ReplicaSetStatus.conditions": ("type", "merge"),
}

# Fields added to these kinds between Kubernetes 1.22 and 1.32, in the notation of
# table_spec() ("string", "int64", "ref:core.v1.X", "list:...", "map:quantity"); the
# release that added each is in a comment. Where each was checked:
#   - k8s.io/api core/v1 types.go, kubernetes/kubernetes staging tree of the 1.31 cycle
#     (commit 815c3d8f): every core/v1 type and field below unless listed next;
#   - ResourceClaim.request, PodSpec.resources, ResourceStatus and ResourceHealth
#     (1.31/1.32): the generated clients' API docs (k8s-openapi, kubernetes-models);
#   - PodSecurityContext.seLinuxChangePolicy (1.32): types.go of the 1.32 cycle;
#   - LeaseSpec.strategy/preferredHolder (1.31): kubernetes.io API reference, Lease v1;
#   - DeleteOptions.ignoreStoreReadErrorWithClusterBreakingPotential (1.32):
#     kubernetes.io API reference, DeleteOptions;
#   - metadata.clusterName removal: kubernetes/kubernetes#108717 (gone in 1.25).
# Fields of 1.33 and later (stopSignal, PodCondition.observedGeneration, EndpointHints.
# forNodes, terminatingReplicas, ...) are left out: kubectl 1.32 does not send them.
ADDED_TYPES = {
    "core.v1.PodOS": ("PodOS defines the OS parameters of a pod.", {
        "name": ("string", "Name is the name of the operating system. The currently supported values are linux and windows. Additional value may be defined in future and can be one of: https://github.com/opencontainers/runtime-spec/blob/master/config.md#platform-specific-configuration Clients should expect to handle additional values and treat unrecognized values in this field as os: null", True),
    }),
    "core.v1.PodSchedulingGate": ("PodSchedulingGate is associated to a Pod to guard its scheduling.", {
        "name": ("string", "Name of the scheduling gate. Each scheduling gate must have a unique name field.", True),
    }),
    "core.v1.PodResourceClaim": ("PodResourceClaim references exactly one ResourceClaim, either directly or by naming a ResourceClaimTemplate which is then turned into a ResourceClaim for the pod.\n\nIt adds a name to it that uniquely identifies the ResourceClaim inside the Pod. Containers that need access to the ResourceClaim reference it with this name.", {
        "name": ("string", "Name uniquely identifies this resource claim inside the pod. This must be a DNS_LABEL.", True),
        "resourceClaimName": ("string", "ResourceClaimName is the name of a ResourceClaim object in the same namespace as this pod.\n\nExactly one of ResourceClaimName and ResourceClaimTemplateName must be set.", False),
        "resourceClaimTemplateName": ("string", "ResourceClaimTemplateName is the name of a ResourceClaimTemplate object in the same namespace as this pod.\n\nThe template will be used to create a new ResourceClaim, which will be bound to this pod. When this pod is deleted, the ResourceClaim will also be deleted.\n\nExactly one of ResourceClaimName and ResourceClaimTemplateName must be set.", False),
    }),
    "core.v1.PodResourceClaimStatus": ("PodResourceClaimStatus is stored in the PodStatus for each PodResourceClaim which references a ResourceClaimTemplate. It stores the generated name for the corresponding ResourceClaim.", {
        "name": ("string", "Name uniquely identifies this resource claim inside the pod. This must match the name of an entry in pod.spec.resourceClaims, which implies that the string must be a DNS_LABEL.", True),
        "resourceClaimName": ("string", "ResourceClaimName is the name of the ResourceClaim that was generated for the Pod in the namespace of the Pod. If this is unset, then generating a ResourceClaim was not necessary.", False),
    }),
    "core.v1.ContainerResizePolicy": ("ContainerResizePolicy represents resource resize policy for the container.", {
        "resourceName": ("string", "Name of the resource to which this resource resize policy applies. Supported values: cpu, memory.", True),
        "restartPolicy": ("string", "Restart policy to apply when specified resource is resized. If not specified, it defaults to NotRequired.", True),
    }),
    "core.v1.GRPCAction": ("GRPCAction specifies an action involving a GRPC service.", {
        "port": ("int32", "Port number of the gRPC service. Number must be in the range 1 to 65535.", True),
        "service": ("string", "Service is the name of the service to place in the gRPC HealthCheckRequest (see https://github.com/grpc/grpc/blob/master/doc/health-checking.md).\n\nIf this is not specified, the default behavior is defined by gRPC.", False),
    }),
    "core.v1.SleepAction": ("SleepAction describes a \"sleep\" action.", {
        "seconds": ("int64", "Seconds is the number of seconds to sleep.", True),
    }),
    "core.v1.ResourceClaim": ("ResourceClaim references one entry in PodSpec.ResourceClaims.", {
        "name": ("string", "Name must match the name of one entry in pod.spec.resourceClaims of the Pod where this field is used. It makes that resource available inside a container.", True),
        "request": ("string", "Request is the name chosen for a request in the referenced claim. If empty, everything from the claim is made available, otherwise only the result of this request.", False),
    }),
    "core.v1.HostIP": ("HostIP represents a single IP address allocated to the host.", {
        "ip": ("string", "IP is the IP address assigned to the host", True),
    }),
    "core.v1.VolumeMountStatus": ("VolumeMountStatus shows status of volume mounts.", {
        "name": ("string", "Name corresponds to the name of the original VolumeMount.", True),
        "mountPath": ("string", "MountPath corresponds to the original VolumeMount.", True),
        "readOnly": ("boolean", "ReadOnly corresponds to the original VolumeMount.", False),
        "recursiveReadOnly": ("string", "RecursiveReadOnly must be set to Disabled, Enabled, or unspecified (for non-readonly mounts). An IfPossible value in the original VolumeMount must be translated to Disabled or Enabled, depending on the mount result.", False),
    }),
    "core.v1.ContainerUser": ("ContainerUser represents user identity information", {
        "linux": ("ref:core.v1.LinuxContainerUser", "Linux holds user identity information initially attached to the first process of the containers in Linux. Note that the actual running identity can be changed if the process has enough privilege to do so.", False),
    }),
    "core.v1.LinuxContainerUser": ("LinuxContainerUser represents user identity information in Linux containers", {
        "uid": ("int64", "UID is the primary uid initially attached to the first process in the container", True),
        "gid": ("int64", "GID is the primary gid initially attached to the first process in the container", True),
        "supplementalGroups": ("list:int64", "SupplementalGroups are the supplemental groups initially attached to the first process in the container", False),
    }),
    "core.v1.ResourceStatus": ("ResourceStatus represents the status of a single resource allocated to a Pod.", {
        "name": ("string", "Name of the resource. Must be unique within the pod and in case of non-DRA resource, match one of the resources from the pod spec. For DRA resources, the value must be \"claim:<claim_name>/<request>\". When this status is reported about a container, the \"claim_name\" and \"request\" must match one of the claims of this container.", True),
        "resources": ("list:ref:core.v1.ResourceHealth", "List of unique resources health. Each element in the list contains an unique resource ID and its health. At a minimum, for the lifetime of a Pod, resource ID must uniquely identify the resource allocated to the Pod on the Node. If other Pod on the same Node reports the status with the same resource ID, it must be the same resource they share.", False),
    }),
    "core.v1.ResourceHealth": ("ResourceHealth represents the health of a resource. It has the latest device health information. This is a part of KEP https://kep.k8s.io/4680.", {
        "resourceID": ("string", "ResourceID is the unique identifier of the resource. See the ResourceID type for more information.", True),
        "health": ("string", "Health of the resource. can be one of:\n - Healthy: operates as normal\n - Unhealthy: reported unhealthy. We consider this a temporary health issue\n              since we do not have a mechanism today to distinguish\n              temporary and permanent issues.\n - Unknown: The status cannot be determined.\n            For example, Device Plugin got unregistered and hasn't been re-registered since.\n\nIn future we may want to introduce the PermanentlyUnhealthy Status.", False),
    }),
    "core.v1.AppArmorProfile": ("AppArmorProfile defines a pod or container's AppArmor settings.", {
        "type": ("string", "type indicates which kind of AppArmor profile will be applied. Valid options are:\n  Localhost - a profile pre-loaded on the node.\n  RuntimeDefault - the container runtime's default profile.\n  Unconfined - no AppArmor enforcement.", True),
        "localhostProfile": ("string", "localhostProfile indicates a profile loaded on the node that should be used. The profile must be preconfigured on the node to work. Must match the loaded name of the profile. Must be set if and only if type is \"Localhost\".", False),
    }),
    "core.v1.ImageVolumeSource": ("ImageVolumeSource represents a image volume resource.", {
        "reference": ("string", "Required: Image or artifact reference to be used. Behaves in the same way as pod.spec.containers[*].image. Pull secrets will be assembled in the same way as for the container image by looking up node credentials, SA image pull secrets, and pod spec image pull secrets. More info: https://kubernetes.io/docs/concepts/containers/images", False),
        "pullPolicy": ("string", "Policy for pulling OCI objects. Possible values are: Always, Never, IfNotPresent. Defaults to Always if :latest tag is specified, or IfNotPresent otherwise.", False),
    }),
    "core.v1.ClusterTrustBundleProjection": ("ClusterTrustBundleProjection describes how to select a set of ClusterTrustBundle objects and project their contents into the pod filesystem.", {
        "name": ("string", "Select a single ClusterTrustBundle by object name.  Mutually-exclusive with signerName and labelSelector.", False),
        "signerName": ("string", "Select all ClusterTrustBundles that match this signer name. Mutually-exclusive with name.  The contents of all selected ClusterTrustBundles will be unified and deduplicated.", False),
        "labelSelector": ("ref:meta.v1.LabelSelector", "Select all ClusterTrustBundles that match this label selector.  Only has effect if signerName is set.  Mutually-exclusive with name.  If unset, interpreted as \"match nothing\".  If set but empty, interpreted as \"match everything\".", False),
        "optional": ("boolean", "If true, don't block pod startup if the referenced ClusterTrustBundle(s) aren't available.", False),
        "path": ("string", "Relative path from the volume root to write the bundle.", True),
    }),
    "core.v1.TypedObjectReference": ("TypedObjectReference contains enough information to let you locate the typed referenced object", {
        "apiGroup": ("string", "APIGroup is the group for the resource being referenced. If APIGroup is not specified, the specified Kind must be in the core API group. For any other third-party types, APIGroup is required.", False),
        "kind": ("string", "Kind is the type of resource being referenced", True),
        "name": ("string", "Name is the name of resource being referenced", True),
        "namespace": ("string", "Namespace is the namespace of resource being referenced Note that when a namespace is specified, a gateway.networking.k8s.io/ReferenceGrant object is required in the referent namespace to allow that namespace's owner to accept the reference.", False),
    }),
    "core.v1.VolumeResourceRequirements": ("VolumeResourceRequirements describes the storage resource requirements for a volume.", {
        "limits": ("map:quantity", "Limits describes the maximum amount of compute resources allowed. More info: https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/", False),
        "requests": ("map:quantity", "Requests describes the minimum amount of compute resources required. If Requests is omitted for a container, it defaults to Limits if that is explicitly specified, otherwise to an implementation-defined value. Requests cannot exceed Limits. More info: https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/", False),
    }),
    "core.v1.NodeRuntimeHandler": ("NodeRuntimeHandler is a set of runtime handler information.", {
        "name": ("string", "Runtime handler name. Empty for the default runtime handler.", False),
        "features": ("ref:core.v1.NodeRuntimeHandlerFeatures", "Supported features.", False),
    }),
    "core.v1.NodeRuntimeHandlerFeatures": ("NodeRuntimeHandlerFeatures is a set of features implemented by the runtime handler.", {
        "recursiveReadOnlyMounts": ("boolean", "RecursiveReadOnlyMounts is set to true if the runtime handler supports RecursiveReadOnlyMounts.", False),
        "userNamespaces": ("boolean", "UserNamespaces is set to true if the runtime handler supports UserNamespaces, including for volumes.", False),
    }),
    "core.v1.NodeFeatures": ("NodeFeatures describes the set of features implemented by the CRI implementation. The features contained in the NodeFeatures should depend only on the cri implementation independent of runtime handlers.", {
        "supplementalGroupsPolicy": ("boolean", "SupplementalGroupsPolicy is set to true if the runtime supports SupplementalGroupsPolicy and ContainerUser.", False),
    }),
}

# field -> (spec, description). The release that added each is in the comment.
_CONTAINER_ADDED = {
    # 1.27
    "resizePolicy": ("list:ref:core.v1.ContainerResizePolicy", "Resources resize policy for the container."),
    # 1.28 (sidecar containers)
    "restartPolicy": ("string", "RestartPolicy defines the restart behavior of individual containers in a pod. This field may only be set for init containers, and the only allowed value is \"Always\". For non-init containers or when this field is not specified, the restart behavior is defined by the Pod's restart policy and the container type. Setting the RestartPolicy as \"Always\" for the init container will have the following effect: this init container will be continually restarted on exit until all regular containers have terminated. Once all regular containers have completed, all init containers with restartPolicy \"Always\" will be shut down. This lifecycle differs from normal init containers and is often referred to as a \"sidecar\" container."),
}
ADDED_FIELDS = {
    "core.v1.PodSpec": {
        "os": ("ref:core.v1.PodOS", "Specifies the OS of the containers in the pod. Some pod and container fields are restricted if this is set.\n\nIf the OS field is set to linux, the following fields must be unset: -securityContext.windowsOptions\n\nIf the OS field is set to windows, following fields must be unset: - spec.hostPID - spec.hostIPC - spec.hostUsers - spec.securityContext.appArmorProfile - spec.securityContext.seLinuxOptions - spec.securityContext.seccompProfile - spec.securityContext.fsGroup - spec.securityContext.fsGroupChangePolicy - spec.securityContext.sysctls - spec.shareProcessNamespace - spec.securityContext.runAsUser - spec.securityContext.runAsGroup - spec.securityContext.supplementalGroups - spec.securityContext.supplementalGroupsPolicy - spec.containers[*].securityContext.appArmorProfile - spec.containers[*].securityContext.seLinuxOptions - spec.containers[*].securityContext.seccompProfile - spec.containers[*].securityContext.capabilities - spec.containers[*].securityContext.readOnlyRootFilesystem - spec.containers[*].securityContext.privileged - spec.containers[*].securityContext.allowPrivilegeEscalation - spec.containers[*].securityContext.procMount - spec.containers[*].securityContext.runAsUser - spec.containers[*].securityContext.runAsGroup"),  # 1.23
        "hostUsers": ("boolean", "Use the host's user namespace. Optional: Default to true. If set to true or not present, the pod will be run in the host user namespace, useful for when the pod needs a feature only available to the host user namespace, such as loading a kernel module with CAP_SYS_MODULE. When set to false, a new userns is created for the pod. Setting false is useful for mitigating container breakout vulnerabilities even allowing users to run their containers as root without actually having root privileges on the host. This field is alpha-level and is only honored by servers that enable the UserNamespacesSupport feature."),  # 1.25
        "schedulingGates": ("list:ref:core.v1.PodSchedulingGate", "SchedulingGates is an opaque list of values that if specified will block scheduling the pod. If schedulingGates is not empty, the pod will stay in the SchedulingGated state and the scheduler will not attempt to schedule the pod.\n\nSchedulingGates can only be set at pod creation time, and be removed only afterwards."),  # 1.26
        "resourceClaims": ("list:ref:core.v1.PodResourceClaim", "ResourceClaims defines which ResourceClaims must be allocated and reserved before the Pod is allowed to start. The resources will be made available to those containers which consume them by name.\n\nThis is an alpha field and requires enabling the DynamicResourceAllocation feature gate.\n\nThis field is immutable."),  # 1.26
        "resources": ("ref:core.v1.ResourceRequirements", "Resources is the total amount of CPU and Memory resources required by all containers in the pod. It supports specifying Requests and Limits for \"cpu\" and \"memory\" resource names only. ResourceClaims are not supported.\n\nThis field enables fine-grained control over resource allocation for the entire pod, allowing resource sharing among containers in a pod.\n\nThis is an alpha field and requires enabling the PodLevelResources feature gate."),  # 1.32
    },
    "core.v1.PodSecurityContext": {
        "appArmorProfile": ("ref:core.v1.AppArmorProfile", "appArmorProfile is the AppArmor options to use by the containers in this pod. Note that this field cannot be set when spec.os.name is windows."),  # 1.30
        "supplementalGroupsPolicy": ("string", "Defines how supplemental groups of the first container processes are calculated. Valid values are \"Merge\" and \"Strict\". If not specified, \"Merge\" is used. (Alpha) Using the field requires the SupplementalGroupsPolicy feature gate to be enabled and the container runtime must implement support for this feature. Note that this field cannot be set when spec.os.name is windows."),  # 1.31
        "seLinuxChangePolicy": ("string", "seLinuxChangePolicy defines how the container's SELinux label is applied to all volumes used by the Pod. It has no effect on nodes that do not support SELinux or to volumes does not support SELinux. Valid values are \"MountOption\" and \"Recursive\". Note that this field cannot be set when spec.os.name is windows."),  # 1.32
    },
    "core.v1.SecurityContext": {
        "appArmorProfile": ("ref:core.v1.AppArmorProfile", "appArmorProfile is the AppArmor options to use by this container. If set, this profile overrides the pod's appArmorProfile. Note that this field cannot be set when spec.os.name is windows."),  # 1.30
    },
    "core.v1.Container": dict(_CONTAINER_ADDED),
    "core.v1.EphemeralContainer": dict(_CONTAINER_ADDED),
    "core.v1.Probe": {
        "grpc": ("ref:core.v1.GRPCAction", "GRPC specifies an action involving a GRPC port."),  # 1.23
    },
    "core.v1.LifecycleHandler": {
        "sleep": ("ref:core.v1.SleepAction", "Sleep represents the duration that the container should sleep before being terminated."),  # 1.29
    },
    "core.v1.VolumeMount": {
        "recursiveReadOnly": ("string", "RecursiveReadOnly specifies whether read-only mounts should be handled recursively.\n\nIf ReadOnly is false, this field has no meaning and must be unspecified.\n\nIf ReadOnly is true, and this field is set to Disabled, the mount is not made recursively read-only.  If this field is set to IfPossible, the mount is made recursively read-only, if it is supported by the container runtime.  If this field is set to Enabled, the mount is made recursively read-only if it is supported by the container runtime, otherwise the pod will not be started and an error will be generated to indicate the reason.\n\nIf this field is set to IfPossible or Enabled, MountPropagation must be set to None (or be unspecified, which defaults to None).\n\nIf this field is not specified, it is treated as an equivalent of Disabled."),  # 1.30
    },
    "core.v1.ResourceRequirements": {
        "claims": ("list:ref:core.v1.ResourceClaim", "Claims lists the names of resources, defined in spec.resourceClaims, that are used by this container.\n\nThis is an alpha field and requires enabling the DynamicResourceAllocation feature gate.\n\nThis field is immutable. It can only be set for containers."),  # 1.26
    },
    "core.v1.Volume": {
        "image": ("ref:core.v1.ImageVolumeSource", "image represents an OCI object (a container image or artifact) pulled and mounted on the kubelet's host machine. The volume is resolved at pod startup depending on which PullPolicy value is provided: Always, Never or IfNotPresent. The volume will be mounted read-only (ro) and non-executable files (noexec). Sub path mounts for containers are not supported."),  # 1.31
    },
    "core.v1.VolumeProjection": {
        "clusterTrustBundle": ("ref:core.v1.ClusterTrustBundleProjection", "ClusterTrustBundle allows a pod to access the `.spec.trustBundle` field of ClusterTrustBundle objects in an auto-updating file.\n\nAlpha, gated by the ClusterTrustBundleProjection feature gate.\n\nClusterTrustBundle objects can either be selected by name, or by the combination of signer name and a label selector."),  # 1.29
    },
    "core.v1.PersistentVolumeClaimSpec": {
        "volumeAttributesClassName": ("string", "volumeAttributesClassName may be used to set the VolumeAttributesClass used by this claim. If specified, the CSI driver will create or update the volume with the attributes defined in the corresponding VolumeAttributesClass. This has a different purpose than storageClassName, it can be changed after the claim is created. More info: https://kubernetes.io/docs/concepts/storage/volume-attributes-classes/"),  # 1.29
    },
    "core.v1.TopologySpreadConstraint": {
        "minDomains": ("int32", "MinDomains indicates a minimum number of eligible domains. When the number of eligible domains with matching topology keys is less than minDomains, Pod Topology Spread treats \"global minimum\" as 0, and then the calculation of Skew is performed. If value is nil, the constraint behaves as if MinDomains is equal to 1. Valid values are integers greater than 0. When value is not nil, WhenUnsatisfiable must be DoNotSchedule."),  # 1.24
        "nodeAffinityPolicy": ("string", "NodeAffinityPolicy indicates how we will treat Pod's nodeAffinity/nodeSelector when calculating pod topology spread skew. Options are: - Honor: only nodes matching nodeAffinity/nodeSelector are included in the calculations. - Ignore: nodeAffinity/nodeSelector are ignored. All nodes are included in the calculations.\n\nIf this value is nil, the behavior is equivalent to the Honor policy."),  # 1.25
        "nodeTaintsPolicy": ("string", "NodeTaintsPolicy indicates how we will treat node taints when calculating pod topology spread skew. Options are: - Honor: nodes without taints, along with tainted nodes for which the incoming pod has a toleration, are included. - Ignore: node taints are ignored. All nodes are included.\n\nIf this value is nil, the behavior is equivalent to the Ignore policy."),  # 1.25
        "matchLabelKeys": ("list:string", "MatchLabelKeys is a set of pod label keys to select the pods over which spreading will be calculated. The keys are used to lookup values from the incoming pod labels, those key-value labels are ANDed with labelSelector to select the group of existing pods over which spreading will be calculated for the incoming pod. The same key is forbidden to exist in both MatchLabelKeys and LabelSelector. MatchLabelKeys cannot be set when LabelSelector isn't set. Keys that don't exist in the incoming pod labels will be ignored. A null or empty list means only match against labelSelector."),  # 1.25
    },
    "core.v1.PodAffinityTerm": {
        "matchLabelKeys": ("list:string", "MatchLabelKeys is a set of pod label keys to select which pods will be taken into consideration. The keys are used to lookup values from the incoming pod labels, those key-value labels are merged with `labelSelector` as `key in (value)` to select the group of existing pods which pods will be taken into consideration for the incoming pod's pod (anti) affinity. Keys that don't exist in the incoming pod labels will be ignored. The default value is empty. The same key is forbidden to exist in both matchLabelKeys and labelSelector. Also, matchLabelKeys cannot be set when labelSelector isn't set."),  # 1.29
        "mismatchLabelKeys": ("list:string", "MismatchLabelKeys is a set of pod label keys to select which pods will be taken into consideration. The keys are used to lookup values from the incoming pod labels, those key-value labels are merged with `labelSelector` as `key notin (value)` to select the group of existing pods which pods will be taken into consideration for the incoming pod's pod (anti) affinity. Keys that don't exist in the incoming pod labels will be ignored. The default value is empty. The same key is forbidden to exist in both mismatchLabelKeys and labelSelector. Also, mismatchLabelKeys cannot be set when labelSelector isn't set."),  # 1.29
    },
    "core.v1.PodStatus": {
        "hostIPs": ("list:ref:core.v1.HostIP", "hostIPs holds the IP addresses allocated to the host. If this field is specified, the first entry must match the hostIP field. This list is empty if the pod has not started yet. A pod can be assigned to a node that has a problem in kubelet which in turns means that HostIPs will not be updated even if there is a node is assigned to this pod."),  # 1.28
        "resize": ("string", "Status of resources resize desired for pod's containers. It is empty if no resources resize is pending. Any changes to container resources will automatically set this to \"Proposed\""),  # 1.27
        "resourceClaimStatuses": ("list:ref:core.v1.PodResourceClaimStatus", "Status of resource claims."),  # 1.28
    },
    "core.v1.ContainerStatus": {
        "allocatedResources": ("map:quantity", "AllocatedResources represents the compute resources allocated for this container by the node. Kubelet sets this value to Container.Resources.Requests upon successful pod admission and after successfully admitting desired pod resize."),  # 1.27
        "resources": ("ref:core.v1.ResourceRequirements", "Resources represents the compute resource requests and limits that have been successfully enacted on the running container after it has been started or has been successfully resized."),  # 1.27
        "volumeMounts": ("list:ref:core.v1.VolumeMountStatus", "Status of volume mounts."),  # 1.30
        "user": ("ref:core.v1.ContainerUser", "User represents user identity information initially attached to the first process of the container"),  # 1.31
        "allocatedResourcesStatus": ("list:ref:core.v1.ResourceStatus", "AllocatedResourcesStatus represents the status of various resources allocated for this Pod."),  # 1.31
    },
    "core.v1.ServiceSpec": {
        "trafficDistribution": ("string", "TrafficDistribution offers a way to express preferences for how traffic is distributed to Service endpoints. Implementations can use this field as a hint, but are not required to guarantee strict adherence. If the field is not set, the implementation will apply its default routing strategy. If set to \"PreferClose\", implementations should prioritize endpoints that are topologically close (e.g., same zone)."),  # 1.30
    },
    "core.v1.LoadBalancerIngress": {
        "ipMode": ("string", "IPMode specifies how the load-balancer IP behaves, and may only be specified when the ip field is specified. Setting this to \"VIP\" indicates that traffic is delivered to the node with the destination set to the load-balancer's IP and port. Setting this to \"Proxy\" indicates that traffic is delivered to the node or pod with the destination set to the node's IP and node port or the pod's IP and port. Service implementations may use this information to adjust traffic routing."),  # 1.29
    },
    "core.v1.NodeStatus": {
        "runtimeHandlers": ("list:ref:core.v1.NodeRuntimeHandler", "The available runtime handlers."),  # 1.30
        "features": ("ref:core.v1.NodeFeatures", "Features describes the set of features implemented by the CRI implementation."),  # 1.31
    },
    "coordination.v1.LeaseSpec": {
        "strategy": ("string", "Strategy indicates the strategy for picking the leader for coordinated leader election. If the field is not specified, there is no active coordination for this lease. (Alpha) Using this field requires the CoordinatedLeaderElection feature gate to be enabled."),  # 1.31
        "preferredHolder": ("string", "PreferredHolder signals to a lease holder that the lease has a more optimal holder and should be given up. This field can only be set if Strategy is also set."),  # 1.31
    },
    "meta.v1.DeleteOptions": {
        "ignoreStoreReadErrorWithClusterBreakingPotential": ("boolean", "if set to true, it will trigger an unsafe deletion of the resource in case the normal deletion flow fails with a corrupt object error. A resource is considered corrupt if it can not be retrieved from the underlying storage successfully because of a) its data can not be transformed e.g. decryption failure, or b) it fails to decode into an object. NOTE: unsafe deletion ignores finalizer constraints, skips precondition checks, and removes the object from the storage. WARNING: This may potentially break the cluster if the workload associated with the resource being unsafe-deleted relies on normal deletion flow. Use only if you REALLY know what you are doing. The default value is false, and the user must opt in to enable it"),  # 1.32
    },
}

# Fields whose type changed since 1.22: field -> (spec, description or None to keep).
RETYPED = {
    # 1.29: volumes got their own type, without the container-only "claims".
    "core.v1.PersistentVolumeClaimSpec.resources": ("ref:core.v1.VolumeResourceRequirements", None),
    # 1.26: may name an object in another namespace.
    "core.v1.PersistentVolumeClaimSpec.dataSourceRef": ("ref:core.v1.TypedObjectReference", None),
}

# Fields removed since 1.22: the apiserver rejects them as unknown.
REMOVED = {
    "meta.v1.ObjectMeta.clusterName",  # 1.24 deprecated, 1.25 gone (kubernetes#108717)
}

# Descriptions of fields whose type is another object: the python models drop them (the
# OpenAPI generator discards a $ref's sibling description). From the Go doc comments.
# Every "metadata" field without one gets the standard text (MORE_INFO below).
MORE_INFO = "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md"
OBJECT_METADATA = "Standard object's metadata. More info: " + MORE_INFO + "#metadata"
LIST_METADATA = "Standard list metadata. More info: " + MORE_INFO + "#types-kinds"
SPEC_STATUS = "More info: " + MORE_INFO + "#spec-and-status"
_PROBE_INFO = "More info: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle#container-probes"
_CONTAINER_REFS = {
    "lifecycle": "Actions that the management system should take in response to container lifecycle events. Cannot be updated.",
    "livenessProbe": "Periodic probe of container liveness. Container will be restarted if the probe fails. Cannot be updated. " + _PROBE_INFO,
    "readinessProbe": "Periodic probe of container service readiness. Container will be removed from service endpoints if the probe fails. Cannot be updated. " + _PROBE_INFO,
    "startupProbe": "StartupProbe indicates that the Pod has successfully initialized. If specified, no other probes are executed until this completes successfully. If this probe fails, the Pod will be restarted, just as if the livenessProbe failed. This can be used to provide different probe parameters at the beginning of a Pod's lifecycle, when it might take a long time to load data or warm a cache, than during steady-state operation. This cannot be updated. " + _PROBE_INFO,
    "resources": "Compute Resources required by this container. Cannot be updated. More info: https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
    "securityContext": "SecurityContext defines the security options the container should be run with. If set, the fields of SecurityContext override the equivalent fields of PodSecurityContext. More info: https://kubernetes.io/docs/tasks/configure-pod-container/security-context/",
}
_HANDLER = {
    "exec": "Exec specifies the action to take.",
    "httpGet": "HTTPGet specifies the http request to perform.",
}
FIELD_DESCRIPTIONS = {
    "apps.v1.Deployment": {
        "spec": "Specification of the desired behavior of the Deployment.",
        "status": "Most recently observed status of the Deployment.",
    },
    "apps.v1.DeploymentSpec": {
        "selector": "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. It must match the pod template's labels.",
        "strategy": "The deployment strategy to use to replace existing pods with new ones.",
        "template": "Template describes the pods that will be created. The only allowed template.spec.restartPolicy value is \"Always\".",
    },
    "apps.v1.DeploymentStrategy": {
        "rollingUpdate": "Rolling update config params. Present only if DeploymentStrategyType = RollingUpdate.",
    },
    "apps.v1.ReplicaSet": {
        "spec": "Spec defines the specification of the desired behavior of the ReplicaSet. " + SPEC_STATUS,
        "status": "Status is the most recently observed status of the ReplicaSet. This data may be out of date by some window of time. Populated by the system. Read-only. " + SPEC_STATUS,
    },
    "apps.v1.ReplicaSetSpec": {
        "selector": "Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
        "template": "Template is the object that describes the pod that will be created if insufficient replicas are detected. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#pod-template",
    },
    "autoscaling.v1.Scale": {
        "spec": "spec defines the behavior of the scale. " + SPEC_STATUS + ".",
        "status": "status is the current status of the scale. " + SPEC_STATUS + ". Read-only.",
    },
    "coordination.v1.Lease": {
        "spec": "spec contains the specification of the Lease. " + SPEC_STATUS,
    },
    "core.v1.Affinity": {
        "nodeAffinity": "Describes node affinity scheduling rules for the pod.",
        "podAffinity": "Describes pod affinity scheduling rules (e.g. co-locate this pod in the same node, zone, etc. as some other pod(s)).",
        "podAntiAffinity": "Describes pod anti-affinity scheduling rules (e.g. avoid putting this pod in the same node, zone, etc. as some other pod(s)).",
    },
    "core.v1.Binding": {
        "target": "The target object that you want to bind to the standard object.",
    },
    "core.v1.CSIVolumeSource": {
        "nodePublishSecretRef": "nodePublishSecretRef is a reference to the secret object containing sensitive information to pass to the CSI driver to complete the CSI NodePublishVolume and NodeUnpublishVolume calls. This field is optional, and  may be empty if no secret is required. If the secret object contains more than one secret, all secret references are passed.",
    },
    "core.v1.CephFSVolumeSource": {
        "secretRef": "secretRef is Optional: SecretRef is reference to the authentication secret for User, default is empty. More info: https://examples.k8s.io/volumes/cephfs/README.md#how-to-use-it",
    },
    "core.v1.CinderVolumeSource": {
        "secretRef": "secretRef is optional: points to a secret object containing parameters used to connect to OpenStack.",
    },
    "core.v1.FlexVolumeSource": {
        "secretRef": "secretRef is Optional: secretRef is reference to the secret object containing sensitive information to pass to the plugin scripts. This may be empty if no secret object is specified. If the secret object contains more than one secret, all secrets are passed to the plugin scripts.",
    },
    "core.v1.ISCSIVolumeSource": {
        "secretRef": "secretRef is the CHAP Secret for iSCSI target and initiator authentication",
    },
    "core.v1.RBDVolumeSource": {
        "secretRef": "secretRef is name of the authentication secret for RBDUser. If provided overrides keyring. Default is nil. More info: https://examples.k8s.io/volumes/rbd/README.md#how-to-use-it",
    },
    "core.v1.ScaleIOVolumeSource": {
        "secretRef": "secretRef references to the secret for ScaleIO user and other sensitive information. If this is not provided, Login operation will fail.",
    },
    "core.v1.StorageOSVolumeSource": {
        "secretRef": "secretRef specifies the secret to use for obtaining the StorageOS API credentials.  If not specified, default values will be attempted.",
    },
    "core.v1.Container": dict(_CONTAINER_REFS),
    "core.v1.EphemeralContainer": {
        "lifecycle": "Lifecycle is not allowed for ephemeral containers.",
        "livenessProbe": "Probes are not allowed for ephemeral containers.",
        "readinessProbe": "Probes are not allowed for ephemeral containers.",
        "startupProbe": "Probes are not allowed for ephemeral containers.",
        "resources": "Resources are not allowed for ephemeral containers. Ephemeral containers use spare resources already allocated to the pod.",
        "securityContext": "Optional: SecurityContext defines the security options the ephemeral container should be run with. If set, the fields of SecurityContext override the equivalent fields of PodSecurityContext.",
    },
    "core.v1.ContainerState": {
        "running": "Details about a running container",
        "terminated": "Details about a terminated container",
        "waiting": "Details about a waiting container",
    },
    "core.v1.ContainerStatus": {
        "lastState": "LastTerminationState holds the last termination state of the container to help debug container crashes and restarts. This field is not populated if the container is still running and RestartCount is 0.",
        "state": "State holds details about the container's current condition.",
    },
    "core.v1.DownwardAPIVolumeFile": {
        "fieldRef": "Required: Selects a field of the pod: only annotations, labels, name, namespace and uid are supported.",
        "resourceFieldRef": "Selects a resource of the container: only resources limits and requests (limits.cpu, limits.memory, requests.cpu and requests.memory) are currently supported.",
    },
    "core.v1.EndpointAddress": {
        "targetRef": "Reference to object providing the endpoint.",
    },
    "core.v1.EnvFromSource": {
        "configMapRef": "The ConfigMap to select from",
        "secretRef": "The Secret to select from",
    },
    "core.v1.EnvVar": {
        "valueFrom": "Source for the environment variable's value. Cannot be used if value is not empty.",
    },
    "core.v1.EnvVarSource": {
        "configMapKeyRef": "Selects a key of a ConfigMap.",
        "fieldRef": "Selects a field of the pod: supports metadata.name, metadata.namespace, `metadata.labels['<KEY>']`, `metadata.annotations['<KEY>']`, spec.nodeName, spec.serviceAccountName, status.hostIP, status.podIP, status.podIPs.",
        "resourceFieldRef": "Selects a resource of the container: only resources limits and requests (limits.cpu, limits.memory, limits.ephemeral-storage, requests.cpu, requests.memory and requests.ephemeral-storage) are currently supported.",
        "secretKeyRef": "Selects a key of a secret in the pod's namespace",
    },
    "core.v1.EphemeralVolumeSource": {
        "volumeClaimTemplate": "Will be used to create a stand-alone PVC to provision the volume. The pod in which this EphemeralVolumeSource is embedded will be the owner of the PVC, i.e. the PVC will be deleted together with the pod.  The name of the PVC will be `<pod name>-<volume name>` where `<volume name>` is the name from the `PodSpec.Volumes` array entry. Pod validation will reject the pod if the concatenated name is not valid for a PVC (for example, too long).\n\nThis field is read-only and no changes will be made by Kubernetes to the PVC after it has been created.\n\nRequired, must not be nil.",
    },
    "core.v1.Event": {
        "involvedObject": "The object that this event is about.",
        "related": "Optional secondary object for more complex actions.",
        "series": "Data about the Event series this event represents or nil if it's a singleton Event.",
        "source": "The component reporting this event. Should be a short machine understandable string.",
    },
    "core.v1.Lifecycle": {
        "postStart": "PostStart is called immediately after a container is created. If the handler fails, the container is terminated and restarted according to its restart policy. Other management of the container blocks until the hook completes. More info: https://kubernetes.io/docs/concepts/containers/container-lifecycle-hooks/#container-hooks",
        "preStop": "PreStop is called immediately before a container is terminated due to an API request or management event such as liveness/startup probe failure, preemption, resource contention, etc. The handler is not called if the container crashes or exits. The Pod's termination grace period countdown begins before the PreStop hook is executed. Regardless of the outcome of the handler, the container will eventually terminate within the Pod's termination grace period (unless delayed by finalizers). Other management of the container blocks until the hook completes or until the termination grace period is reached. More info: https://kubernetes.io/docs/concepts/containers/container-lifecycle-hooks/#container-hooks",
    },
    "core.v1.LifecycleHandler": dict(_HANDLER, tcpSocket="Deprecated. TCPSocket is NOT supported as a LifecycleHandler and kept for the backward compatibility. There are no validation of this field and lifecycle hooks will fail in runtime when tcp handler is specified."),
    "core.v1.Probe": dict(_HANDLER, tcpSocket="TCPSocket specifies an action involving a TCP port."),
    "core.v1.Namespace": {
        "spec": "Spec defines the behavior of the Namespace. " + SPEC_STATUS,
        "status": "Status describes the current status of a Namespace. " + SPEC_STATUS,
    },
    "core.v1.Node": {
        "spec": "Spec defines the behavior of a node. " + MORE_INFO + "#spec-and-status",
        "status": "Most recently observed status of the node. Populated by the system. Read-only. " + SPEC_STATUS,
    },
    "core.v1.NodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": "If the affinity requirements specified by this field are not met at scheduling time, the pod will not be scheduled onto the node. If the affinity requirements specified by this field cease to be met at some point during pod execution (e.g. due to an update), the system may or may not try to eventually evict the pod from its node.",
    },
    "core.v1.NodeConfigSource": {
        "configMap": "ConfigMap is a reference to a Node's ConfigMap",
    },
    "core.v1.NodeConfigStatus": {
        "active": "Active reports the checkpointed config the node is actively using. Active will represent either the current version of the Assigned config, or the current LastKnownGood config, depending on whether attempting to use the Assigned config results in an error.",
        "assigned": "Assigned reports the checkpointed config the node will try to use. When Node.Spec.ConfigSource is updated, the node checkpoints the associated config payload to local disk, along with a record indicating intended config. The node refers to this record to choose its config checkpoint, and reports this record in Assigned.",
        "lastKnownGood": "LastKnownGood reports the checkpointed config the node will fall back to when it encounters an error attempting to use the Assigned config.",
    },
    "core.v1.NodeDaemonEndpoints": {
        "kubeletEndpoint": "Endpoint on which Kubelet is listening.",
    },
    "core.v1.NodeSpec": {
        "configSource": "Deprecated: Previously used to specify the source of the node's configuration for the DynamicKubeletConfig feature. This feature is removed.",
    },
    "core.v1.NodeStatus": {
        "config": "Status of the config assigned to the node via the dynamic Kubelet config feature.",
        "daemonEndpoints": "Endpoints of daemons running on the Node.",
        "nodeInfo": "Set of ids/uuids to uniquely identify the node. More info: https://kubernetes.io/docs/concepts/nodes/node/#info",
    },
    "core.v1.PersistentVolumeClaimSpec": {
        "dataSource": "dataSource field can be used to specify either: * An existing VolumeSnapshot object (snapshot.storage.k8s.io/VolumeSnapshot) * An existing PVC (PersistentVolumeClaim) If the provisioner or an external controller can support the specified data source, it will create a new volume based on the contents of the specified data source.",
        "dataSourceRef": "dataSourceRef specifies the object from which to populate the volume with data, if a non-empty volume is desired. This may be any object from a non-empty API group (non core object) or a PersistentVolumeClaim object. When this field is specified, volume binding will only succeed if the type of the specified object matches some installed volume populator or dynamic provisioner.",
        "resources": "resources represents the minimum resources the volume should have. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#resources",
        "selector": "selector is a label query over volumes to consider for binding.",
    },
    "core.v1.PersistentVolumeClaimTemplate": {
        "metadata": "May contain labels and annotations that will be copied into the PVC when creating it. No other fields are allowed and will be rejected during validation.",
        "spec": "The specification for the PersistentVolumeClaim. The entire content is copied unchanged into the PVC that gets created from this template. The same fields as in a PersistentVolumeClaim are also valid here.",
    },
    "core.v1.Pod": {
        "spec": "Specification of the desired behavior of the pod. " + SPEC_STATUS,
        "status": "Most recently observed status of the pod. This data may not be up to date. Populated by the system. Read-only. " + SPEC_STATUS,
    },
    "core.v1.PodAffinityTerm": {
        "labelSelector": "A label query over a set of resources, in this case pods. If it's null, this PodAffinityTerm matches with no Pods.",
        "namespaceSelector": "A label query over the set of namespaces that the term applies to. The term is applied to the union of the namespaces selected by this field and the ones listed in the namespaces field. null selector and null or empty namespaces list means \"this pod's namespace\". An empty selector ({}) matches all namespaces.",
    },
    "core.v1.PodSecurityContext": {
        "seLinuxOptions": "The SELinux context to be applied to all containers. If unspecified, the container runtime will allocate a random SELinux context for each container.  May also be set in SecurityContext.  If set in both SecurityContext and PodSecurityContext, the value specified in SecurityContext takes precedence for that container. Note that this field cannot be set when spec.os.name is windows.",
        "seccompProfile": "The seccomp options to use by the containers in this pod. Note that this field cannot be set when spec.os.name is windows.",
        "windowsOptions": "The Windows specific settings applied to all containers. If unspecified, the options within a container's SecurityContext will be used. If set in both SecurityContext and PodSecurityContext, the value specified in SecurityContext takes precedence. Note that this field cannot be set when spec.os.name is linux.",
    },
    "core.v1.PodSpec": {
        "affinity": "If specified, the pod's scheduling constraints",
        "dnsConfig": "Specifies the DNS parameters of a pod. Parameters specified here will be merged to the generated DNS configuration based on DNSPolicy.",
        "securityContext": "SecurityContext holds pod-level security attributes and common container settings. Optional: Defaults to empty.  See type description for default values of each field.",
    },
    "core.v1.PodTemplateSpec": {
        "spec": "Specification of the desired behavior of the pod. " + SPEC_STATUS,
    },
    "core.v1.PreferredSchedulingTerm": {
        "preference": "A node selector term, associated with the corresponding weight.",
    },
    "core.v1.SecurityContext": {
        "capabilities": "The capabilities to add/drop when running containers. Defaults to the default set of capabilities granted by the container runtime. Note that this field cannot be set when spec.os.name is windows.",
        "seLinuxOptions": "The SELinux context to be applied to the container. If unspecified, the container runtime will allocate a random SELinux context for each container.  May also be set in PodSecurityContext.  If set in both SecurityContext and PodSecurityContext, the value specified in SecurityContext takes precedence. Note that this field cannot be set when spec.os.name is windows.",
        "seccompProfile": "The seccomp options to use by this container. If seccomp options are provided at both the pod & container level, the container options override the pod options. Note that this field cannot be set when spec.os.name is windows.",
        "windowsOptions": "The Windows specific settings applied to all containers. If unspecified, the options from the PodSecurityContext will be used. If set in both SecurityContext and PodSecurityContext, the value specified in SecurityContext takes precedence. Note that this field cannot be set when spec.os.name is linux.",
    },
    "core.v1.Service": {
        "spec": "Spec defines the behavior of a service. " + MORE_INFO + "#spec-and-status",
        "status": "Most recently observed status of the service. Populated by the system. Read-only. " + SPEC_STATUS,
    },
    "core.v1.ServiceSpec": {
        "sessionAffinityConfig": "sessionAffinityConfig contains the configurations of session affinity.",
    },
    "core.v1.ServiceStatus": {
        "loadBalancer": "LoadBalancer contains the current status of the load-balancer, if one is present.",
    },
    "core.v1.SessionAffinityConfig": {
        "clientIP": "clientIP contains the configurations of Client IP based session affinity.",
    },
    "core.v1.TopologySpreadConstraint": {
        "labelSelector": "LabelSelector is used to find matching pods. Pods that match this label selector are counted to determine the number of pods in their corresponding topology domain.",
    },
    "core.v1.Volume": {
        "awsElasticBlockStore": "awsElasticBlockStore represents an AWS Disk resource that is attached to a kubelet's host machine and then exposed to the pod. More info: https://kubernetes.io/docs/concepts/storage/volumes#awselasticblockstore",
        "azureDisk": "azureDisk represents an Azure Data Disk mount on the host and bind mount to the pod.",
        "azureFile": "azureFile represents an Azure File Service mount on the host and bind mount to the pod.",
        "cephfs": "cephFS represents a Ceph FS mount on the host that shares a pod's lifetime",
        "cinder": "cinder represents a cinder volume attached and mounted on kubelets host machine. More info: https://examples.k8s.io/mysql-cinder-pd/README.md",
        "configMap": "configMap represents a configMap that should populate this volume",
        "csi": "csi (Container Storage Interface) represents ephemeral storage that is handled by certain external CSI drivers (Beta feature).",
        "downwardAPI": "downwardAPI represents downward API about the pod that should populate this volume",
        "emptyDir": "emptyDir represents a temporary directory that shares a pod's lifetime. More info: https://kubernetes.io/docs/concepts/storage/volumes#emptydir",
        "ephemeral": "ephemeral represents a volume that is handled by a cluster storage driver. The volume's lifecycle is tied to the pod that defines it - it will be created before the pod starts, and deleted when the pod is removed.\n\nUse this if: a) the volume is only needed while the pod runs, b) features of normal volumes like restoring from snapshot or capacity tracking are needed, c) the storage driver is specified through a storage class, and d) the storage driver supports dynamic volume provisioning through a PersistentVolumeClaim (see EphemeralVolumeSource for more information on the connection between this volume type and PersistentVolumeClaim).\n\nUse PersistentVolumeClaim or one of the vendor-specific APIs for volumes that persist for longer than the lifecycle of an individual pod.\n\nUse CSI for light-weight local ephemeral volumes if the CSI driver is meant to be used that way - see the documentation of the driver for more information.\n\nA pod can use both types of ephemeral volumes and persistent volumes at the same time.",
        "fc": "fc represents a Fibre Channel resource that is attached to a kubelet's host machine and then exposed to the pod.",
        "flexVolume": "flexVolume represents a generic volume resource that is provisioned/attached using an exec based plugin.",
        "flocker": "flocker represents a Flocker volume attached to a kubelet's host machine. This depends on the Flocker control service being running",
        "gcePersistentDisk": "gcePersistentDisk represents a GCE Disk resource that is attached to a kubelet's host machine and then exposed to the pod. More info: https://kubernetes.io/docs/concepts/storage/volumes#gcepersistentdisk",
        "gitRepo": "gitRepo represents a git repository at a particular revision. DEPRECATED: GitRepo is deprecated. To provision a container with a git repo, mount an EmptyDir into an InitContainer that clones the repo using git, then mount the EmptyDir into the Pod's container.",
        "glusterfs": "glusterfs represents a Glusterfs mount on the host that shares a pod's lifetime. More info: https://examples.k8s.io/volumes/glusterfs/README.md",
        "hostPath": "hostPath represents a pre-existing file or directory on the host machine that is directly exposed to the container. This is generally used for system agents or other privileged things that are allowed to see the host machine. Most containers will NOT need this. More info: https://kubernetes.io/docs/concepts/storage/volumes#hostpath",
        "iscsi": "iscsi represents an ISCSI Disk resource that is attached to a kubelet's host machine and then exposed to the pod. More info: https://examples.k8s.io/volumes/iscsi/README.md",
        "nfs": "nfs represents an NFS mount on the host that shares a pod's lifetime More info: https://kubernetes.io/docs/concepts/storage/volumes#nfs",
        "persistentVolumeClaim": "persistentVolumeClaimVolumeSource represents a reference to a PersistentVolumeClaim in the same namespace. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#persistentvolumeclaims",
        "photonPersistentDisk": "photonPersistentDisk represents a PhotonController persistent disk attached and mounted on kubelets host machine",
        "portworxVolume": "portworxVolume represents a portworx volume attached and mounted on kubelets host machine",
        "projected": "projected items for all in one resources secrets, configmaps, and downward API",
        "quobyte": "quobyte represents a Quobyte mount on the host that shares a pod's lifetime",
        "rbd": "rbd represents a Rados Block Device mount on the host that shares a pod's lifetime. More info: https://examples.k8s.io/volumes/rbd/README.md",
        "scaleIO": "scaleIO represents a ScaleIO persistent volume attached and mounted on Kubernetes nodes.",
        "secret": "secret represents a secret that should populate this volume. More info: https://kubernetes.io/docs/concepts/storage/volumes#secret",
        "storageos": "storageOS represents a StorageOS volume attached and mounted on Kubernetes nodes.",
        "vsphereVolume": "vsphereVolume represents a vSphere volume attached and mounted on kubelets host machine",
    },
    "core.v1.VolumeProjection": {
        "configMap": "configMap information about the configMap data to project",
        "downwardAPI": "downwardAPI information about the downwardAPI data to project",
        "secret": "secret information about the secret data to project",
        "serviceAccountToken": "serviceAccountToken is information about the serviceAccountToken data to project",
    },
    "core.v1.WeightedPodAffinityTerm": {
        "podAffinityTerm": "Required. A pod affinity term, associated with the corresponding weight.",
    },
    "discovery.v1.Endpoint": {
        "conditions": "conditions contains information about the current status of the endpoint.",
        "hints": "hints contains information associated with how an endpoint should be consumed.",
        "targetRef": "targetRef is a reference to a Kubernetes object that represents this endpoint.",
    },
    "meta.v1.DeleteOptions": {
        "preconditions": "Must be fulfilled before a deletion is carried out. If not possible, a 409 Conflict status will be returned.",
    },
    "meta.v1.Status": {
        "details": "Extended data associated with the reason.  Each reason may define its own extended details. This field is optional and the data returned is not guaranteed to conform to any schema except that defined by the reason type.",
    },
}

# Type descriptions (the python models describe fields only). From the doc comments of
# the Go types; types not listed here have no description.
TYPE_DESCRIPTIONS = {
    "core.v1.Pod": "Pod is a collection of containers that can run on a host. This resource is created by clients and scheduled onto hosts.",
    "core.v1.PodList": "PodList is a list of Pods.",
    "core.v1.PodSpec": "PodSpec is a description of a pod.",
    "core.v1.PodStatus": "PodStatus represents information about the status of a pod. Status may trail the actual state of a system, especially if the node that hosts the pod cannot contact the control plane.",
    "core.v1.PodTemplateSpec": "PodTemplateSpec describes the data a pod should have when created from a template",
    "core.v1.PodCondition": "PodCondition contains details for the current condition of this pod.",
    "core.v1.PodIP": "PodIP represents a single IP address allocated to the pod.",
    "core.v1.PodSecurityContext": "PodSecurityContext holds pod-level security attributes and common container settings. Some fields are also present in container.securityContext.  Field values of container.securityContext take precedence over field values of PodSecurityContext.",
    "core.v1.PodDNSConfig": "PodDNSConfig defines the DNS parameters of a pod in addition to those generated from DNSPolicy.",
    "core.v1.PodDNSConfigOption": "PodDNSConfigOption defines DNS resolver options of a pod.",
    "core.v1.PodReadinessGate": "PodReadinessGate contains the reference to a pod condition",
    "core.v1.Container": "A single application container that you want to run within a pod.",
    "core.v1.EphemeralContainer": "An EphemeralContainer is a temporary container that you may add to an existing Pod for user-initiated activities such as debugging. Ephemeral containers have no resource or scheduling guarantees, and they will not be restarted when they exit or when a Pod is removed or restarted. The kubelet may evict a Pod if an ephemeral container causes the Pod to exceed its resource allocation.\n\nTo add an ephemeral container, use the ephemeralcontainers subresource of an existing Pod. Ephemeral containers may not be removed or restarted.",
    "core.v1.ContainerPort": "ContainerPort represents a network port in a single container.",
    "core.v1.ContainerStatus": "ContainerStatus contains details for the current status of this container.",
    "core.v1.ContainerState": "ContainerState holds a possible state of container. Only one of its members may be specified. If none of them is specified, the default one is ContainerStateWaiting.",
    "core.v1.ContainerStateWaiting": "ContainerStateWaiting is a waiting state of a container.",
    "core.v1.ContainerStateRunning": "ContainerStateRunning is a running state of a container.",
    "core.v1.ContainerStateTerminated": "ContainerStateTerminated is a terminated state of a container.",
    "core.v1.EnvVar": "EnvVar represents an environment variable present in a Container.",
    "core.v1.EnvVarSource": "EnvVarSource represents a source for the value of an EnvVar.",
    "core.v1.EnvFromSource": "EnvFromSource represents the source of a set of ConfigMaps",
    "core.v1.VolumeMount": "VolumeMount describes a mounting of a Volume within a container.",
    "core.v1.VolumeDevice": "volumeDevice describes a mapping of a raw block device within a container.",
    "core.v1.Volume": "Volume represents a named volume in a pod that may be accessed by any container in the pod.",
    "core.v1.ResourceRequirements": "ResourceRequirements describes the compute resource requirements.",
    "core.v1.Probe": "Probe describes a health check to be performed against a container to determine whether it is alive or ready to receive traffic.",
    "core.v1.Lifecycle": "Lifecycle describes actions that the management system should take in response to container lifecycle events. For the PostStart and PreStop lifecycle handlers, management of the container blocks until the action is complete, unless the container process fails, in which case the handler is aborted.",
    "core.v1.LifecycleHandler": "LifecycleHandler defines a specific action that should be taken in a lifecycle hook. One and only one of the fields, except TCPSocket must be specified.",
    "core.v1.ExecAction": "ExecAction describes a \"run in container\" action.",
    "core.v1.HTTPGetAction": "HTTPGetAction describes an action based on HTTP Get requests.",
    "core.v1.HTTPHeader": "HTTPHeader describes a custom header to be used in HTTP probes",
    "core.v1.TCPSocketAction": "TCPSocketAction describes an action based on opening a socket",
    "core.v1.SecurityContext": "SecurityContext holds security configuration that will be applied to a container. Some fields are present in both SecurityContext and PodSecurityContext.  When both are set, the values in SecurityContext take precedence.",
    "core.v1.Capabilities": "Adds and removes POSIX capabilities from running containers.",
    "core.v1.SeccompProfile": "SeccompProfile defines a pod/container's seccomp profile settings. Only one profile source may be set.",
    "core.v1.SELinuxOptions": "SELinuxOptions are the labels to be applied to the container",
    "core.v1.WindowsSecurityContextOptions": "WindowsSecurityContextOptions contain Windows-specific options and credentials.",
    "core.v1.Sysctl": "Sysctl defines a kernel parameter to be set",
    "core.v1.Affinity": "Affinity is a group of affinity scheduling rules.",
    "core.v1.NodeAffinity": "Node affinity is a group of node affinity scheduling rules.",
    "core.v1.PodAffinity": "Pod affinity is a group of inter pod affinity scheduling rules.",
    "core.v1.PodAntiAffinity": "Pod anti affinity is a group of inter pod anti affinity scheduling rules.",
    "core.v1.PodAffinityTerm": "Defines a set of pods (namely those matching the labelSelector relative to the given namespace(s)) that this pod should be co-located (affinity) or not co-located (anti-affinity) with, where co-located is defined as running on a node whose value of the label with key <topologyKey> matches that of any node on which a pod of the set of pods is running",
    "core.v1.WeightedPodAffinityTerm": "The weights of all of the matched WeightedPodAffinityTerm fields are added per-node to find the most preferred node(s)",
    "core.v1.NodeSelector": "A node selector represents the union of the results of one or more label queries over a set of nodes; that is, it represents the OR of the selectors represented by the node selector terms.",
    "core.v1.NodeSelectorTerm": "A null or empty node selector term matches no objects. The requirements of them are ANDed. The TopologySelectorTerm type implements a subset of the NodeSelectorTerm.",
    "core.v1.NodeSelectorRequirement": "A node selector requirement is a selector that contains values, a key, and an operator that relates the key and values.",
    "core.v1.PreferredSchedulingTerm": "An empty preferred scheduling term matches all objects with implicit weight 0 (i.e. it's a no-op). A null preferred scheduling term matches no objects (i.e. is also a no-op).",
    "core.v1.Toleration": "The pod this Toleration is attached to tolerates any taint that matches the triple <key,value,effect> using the matching operator <operator>.",
    "core.v1.Taint": "The node this Taint is attached to has the \"effect\" on any pod that does not tolerate the Taint.",
    "core.v1.TopologySpreadConstraint": "TopologySpreadConstraint specifies how to spread matching pods among the given topology.",
    "core.v1.HostAlias": "HostAlias holds the mapping between IP and hostnames that will be injected as an entry in the pod's hosts file.",
    "core.v1.LocalObjectReference": "LocalObjectReference contains enough information to let you locate the referenced object inside the same namespace.",
    "core.v1.ObjectReference": "ObjectReference contains enough information to let you inspect or modify the referred object.",
    "core.v1.TypedLocalObjectReference": "TypedLocalObjectReference contains enough information to let you locate the typed referenced object inside the same namespace.",
    "core.v1.KeyToPath": "Maps a string key to a path within a volume.",
    "core.v1.ConfigMapKeySelector": "Selects a key from a ConfigMap.",
    "core.v1.SecretKeySelector": "SecretKeySelector selects a key of a Secret.",
    "core.v1.ObjectFieldSelector": "ObjectFieldSelector selects an APIVersioned field of an object.",
    "core.v1.ResourceFieldSelector": "ResourceFieldSelector represents container resources (cpu, memory) and their output format",
    "core.v1.EmptyDirVolumeSource": "Represents an empty directory for a pod. Empty directory volumes support ownership management and SELinux relabeling.",
    "core.v1.HostPathVolumeSource": "Represents a host path mapped into a pod. Host path volumes do not support ownership management or SELinux relabeling.",
    "core.v1.SecretVolumeSource": "Adapts a Secret into a volume.\n\nThe contents of the target Secret's Data field will be presented in a volume as files using the keys in the Data field as the file names. Secret volumes support ownership management and SELinux relabeling.",
    "core.v1.ConfigMapVolumeSource": "Adapts a ConfigMap into a volume.\n\nThe contents of the target ConfigMap's Data field will be presented in a volume as files using the keys in the Data field as the file names, unless the items element is populated with specific mappings of keys to paths. ConfigMap volumes support ownership management and SELinux relabeling.",
    "core.v1.ProjectedVolumeSource": "Represents a projected volume source",
    "core.v1.VolumeProjection": "Projection that may be projected along with other supported volume types. Exactly one of these fields must be set.",
    "core.v1.PersistentVolumeClaimVolumeSource": "PersistentVolumeClaimVolumeSource references the user's PVC in the same namespace. This volume finds the bound PV and mounts that volume for the pod. A PersistentVolumeClaimVolumeSource is, essentially, a wrapper around another type of volume that is owned by someone else (the system).",
    "core.v1.PersistentVolumeClaimSpec": "PersistentVolumeClaimSpec describes the common attributes of storage devices and allows a Source for provider-specific attributes",
    "core.v1.PersistentVolumeClaimTemplate": "PersistentVolumeClaimTemplate is used to produce PersistentVolumeClaim objects as part of an EphemeralVolumeSource.",
    "core.v1.EphemeralVolumeSource": "Represents an ephemeral volume that is handled by a normal storage driver.",
    "core.v1.CSIVolumeSource": "Represents a source location of a volume to mount, managed by an external CSI driver",
    "core.v1.NFSVolumeSource": "Represents an NFS mount that lasts the lifetime of a pod. NFS volumes do not support ownership management or SELinux relabeling.",
    "core.v1.DownwardAPIVolumeSource": "DownwardAPIVolumeSource represents a volume containing downward API info. Downward API volumes support ownership management and SELinux relabeling.",
    "core.v1.DownwardAPIVolumeFile": "DownwardAPIVolumeFile represents information to create the file containing the pod field",
    "core.v1.ServiceAccountTokenProjection": "ServiceAccountTokenProjection represents a projected service account token volume. This projection can be used to insert a service account token into the pods runtime filesystem for use against APIs (Kubernetes API Server or otherwise).",
    "core.v1.Node": "Node is a worker node in Kubernetes. Each node will have a unique identifier in the cache (i.e. in etcd).",
    "core.v1.NodeList": "NodeList is the whole list of all Nodes which have been registered with master.",
    "core.v1.NodeSpec": "NodeSpec describes the attributes that a node is created with.",
    "core.v1.NodeStatus": "NodeStatus is information about the current status of a node.",
    "core.v1.NodeCondition": "NodeCondition contains condition information for a node.",
    "core.v1.NodeAddress": "NodeAddress contains information for the node's address.",
    "core.v1.NodeSystemInfo": "NodeSystemInfo is a set of ids/uuids to uniquely identify the node.",
    "core.v1.NodeDaemonEndpoints": "NodeDaemonEndpoints lists ports opened by daemons running on the Node.",
    "core.v1.DaemonEndpoint": "DaemonEndpoint contains information about a single Daemon endpoint.",
    "core.v1.ContainerImage": "Describe a container image",
    "core.v1.AttachedVolume": "AttachedVolume describes a volume attached to a node",
    "core.v1.Namespace": "Namespace provides a scope for Names. Use of multiple namespaces is optional.",
    "core.v1.NamespaceList": "NamespaceList is a list of Namespaces.",
    "core.v1.NamespaceSpec": "NamespaceSpec describes the attributes on a Namespace.",
    "core.v1.NamespaceStatus": "NamespaceStatus is information about the current status of a Namespace.",
    "core.v1.NamespaceCondition": "NamespaceCondition contains details about state of namespace.",
    "core.v1.Binding": "Binding ties one object to another; for example, a pod is bound to a node by a scheduler. Deprecated in 1.7, please use the bindings subresource of pods instead.",
    "core.v1.Service": "Service is a named abstraction of software service (for example, mysql) consisting of local port (for example 3306) that the proxy listens on, and the selector that determines which pods will answer requests sent through the proxy.",
    "core.v1.ServiceList": "ServiceList holds a list of services.",
    "core.v1.ServiceSpec": "ServiceSpec describes the attributes that a user creates on a service.",
    "core.v1.ServiceStatus": "ServiceStatus represents the current status of a service.",
    "core.v1.ServicePort": "ServicePort contains information on service's port.",
    "core.v1.SessionAffinityConfig": "SessionAffinityConfig represents the configurations of session affinity.",
    "core.v1.ClientIPConfig": "ClientIPConfig represents the configurations of Client IP based session affinity.",
    "core.v1.LoadBalancerStatus": "LoadBalancerStatus represents the status of a load-balancer.",
    "core.v1.LoadBalancerIngress": "LoadBalancerIngress represents the status of a load-balancer ingress point: traffic intended for the service should be sent to an ingress point.",
    "core.v1.PortStatus": "PortStatus represents the error condition of a service port",
    "core.v1.Endpoints": "Endpoints is a collection of endpoints that implement the actual service. Example:\n\n\t Name: \"mysvc\",\n\t Subsets: [\n\t   {\n\t     Addresses: [{\"ip\": \"10.10.1.1\"}, {\"ip\": \"10.10.2.2\"}],\n\t     Ports: [{\"name\": \"a\", \"port\": 8675}, {\"name\": \"b\", \"port\": 309}]\n\t   },\n\t   {\n\t     Addresses: [{\"ip\": \"10.10.3.3\"}],\n\t     Ports: [{\"name\": \"a\", \"port\": 93}, {\"name\": \"b\", \"port\": 76}]\n\t   },\n\t]",
    "core.v1.EndpointsList": "EndpointsList is a list of endpoints.",
    "core.v1.EndpointSubset": "EndpointSubset is a group of addresses with a common set of ports. The expanded set of endpoints is the Cartesian product of Addresses x Ports.",
    "core.v1.EndpointAddress": "EndpointAddress is a tuple that describes single IP address.",
    "core.v1.EndpointPort": "EndpointPort is a tuple that describes a single port.",
    "core.v1.Event": "Event is a report of an event somewhere in the cluster.  Events have a limited retention time and triggers and messages may evolve with time.  Event consumers should not rely on the timing of an event with a given Reason reflecting a consistent underlying trigger, or the continued existence of events with that Reason.  Events should be treated as informative, best-effort, supplemental data.",
    "core.v1.EventList": "EventList is a list of events.",
    "core.v1.EventSeries": "EventSeries contain information on series of events, i.e. thing that was/is happening continuously for some time.",
    "core.v1.EventSource": "EventSource contains information for an event.",
    "core.v1.ConfigMap": "ConfigMap holds configuration data for pods to consume.",
    "core.v1.ConfigMapList": "ConfigMapList is a resource containing a list of ConfigMap objects.",
    "core.v1.Secret": "Secret holds secret data of a certain type. The total bytes of the values in the Data field must be less than MaxSecretSize bytes.",
    "core.v1.SecretList": "SecretList is a list of Secret.",
    "discovery.v1.EndpointSlice": "EndpointSlice represents a subset of the endpoints that implement a service. For a given service there may be multiple EndpointSlice objects, selected by labels, which must be joined to produce the full set of endpoints.",
    "discovery.v1.EndpointSliceList": "EndpointSliceList represents a list of endpoint slices",
    "discovery.v1.Endpoint": "Endpoint represents a single logical \"backend\" implementing a service.",
    "discovery.v1.EndpointConditions": "EndpointConditions represents the current condition of an endpoint.",
    "discovery.v1.EndpointHints": "EndpointHints provides hints describing how an endpoint should be consumed.",
    "discovery.v1.EndpointPort": "EndpointPort represents a Port used by an EndpointSlice",
    "discovery.v1.ForZone": "ForZone provides information about which zones should consume this endpoint.",
    "apps.v1.Deployment": "Deployment enables declarative updates for Pods and ReplicaSets.",
    "apps.v1.DeploymentList": "DeploymentList is a list of Deployments.",
    "apps.v1.DeploymentSpec": "DeploymentSpec is the specification of the desired behavior of the Deployment.",
    "apps.v1.DeploymentStatus": "DeploymentStatus is the most recently observed status of the Deployment.",
    "apps.v1.DeploymentStrategy": "DeploymentStrategy describes how to replace existing pods with new ones.",
    "apps.v1.DeploymentCondition": "DeploymentCondition describes the state of a deployment at a certain point.",
    "apps.v1.RollingUpdateDeployment": "Spec to control the desired behavior of rolling update.",
    "apps.v1.ReplicaSet": "ReplicaSet ensures that a specified number of pod replicas are running at any given time.",
    "apps.v1.ReplicaSetList": "ReplicaSetList is a collection of ReplicaSets.",
    "apps.v1.ReplicaSetSpec": "ReplicaSetSpec is the specification of a ReplicaSet.",
    "apps.v1.ReplicaSetStatus": "ReplicaSetStatus represents the current status of a ReplicaSet.",
    "apps.v1.ReplicaSetCondition": "ReplicaSetCondition describes the state of a replica set at a certain point.",
    "autoscaling.v1.Scale": "Scale represents a scaling request for a resource.",
    "autoscaling.v1.ScaleSpec": "ScaleSpec describes the attributes of a scale subresource.",
    "autoscaling.v1.ScaleStatus": "ScaleStatus represents the current status of a scale subresource.",
    "coordination.v1.Lease": "Lease defines a lease concept.",
    "coordination.v1.LeaseList": "LeaseList is a list of Lease objects.",
    "coordination.v1.LeaseSpec": "LeaseSpec is a specification of a Lease.",
    "meta.v1.ObjectMeta": "ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.",
    "meta.v1.ListMeta": "ListMeta describes metadata that synthetic resources must have, including lists and various status objects. A resource may have only one of {ObjectMeta, ListMeta}.",
    "meta.v1.LabelSelector": "A label selector is a label query over a set of resources. The result of matchLabels and matchExpressions are ANDed. An empty label selector matches all objects. A null label selector matches no objects.",
    "meta.v1.LabelSelectorRequirement": "A label selector requirement is a selector that contains values, a key, and an operator that relates the key and values.",
    "meta.v1.OwnerReference": "OwnerReference contains enough information to let you identify an owning object. An owning object must be in the same namespace as the dependent, or be cluster-scoped, so there is no namespace field.",
    "meta.v1.ManagedFieldsEntry": "ManagedFieldsEntry is a workflow-id, a FieldSet and the group version of the resource that the fieldset applies to.",
    "meta.v1.Status": "Status is a return value for calls that don't return other objects.",
    "meta.v1.StatusDetails": "StatusDetails is a set of additional properties that MAY be set by the server to provide additional information about a response. The Reason field of a Status object defines what attributes will be set. Clients must ignore fields that do not match the defined type of each attribute, and should assume that any attribute may be empty, invalid, or under defined.",
    "meta.v1.StatusCause": "StatusCause provides more information about an api.Status failure, including cases when multiple errors are encountered.",
    "meta.v1.DeleteOptions": "DeleteOptions may be provided when deleting an API object.",
    "meta.v1.Preconditions": "Preconditions must be fulfilled before an operation (update, delete, etc.) is carried out.",
    "meta.v1.Condition": "Condition contains details for one aspect of the current state of this API Resource.",
    "meta.v1.Time": "Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.  Wrappers are provided for many of the factory methods that the time package offers.",
    "meta.v1.MicroTime": "MicroTime is version of Time with microsecond level precision.",
    "meta.v1.FieldsV1": "FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format.\n\nEach key is either a '.' representing the field itself, and will always map to an empty set, or a string representing a sub-field or item. The string will follow one of these four formats: 'f:<name>', where <name> is the name of a field in a struct, or key in a map 'v:<value>', where <value> is the exact json formatted value of a list item 'i:<index>', where <index> is position of a item in a list 'k:<keys>', where <keys> is a map of  a list item's key fields to their unique values If a key maps to an empty Fields value, the field that key represents is part of the set.\n\nThe exact format is defined in sigs.k8s.io/structured-merge-diff",
    "resource.Quantity": "Quantity is a fixed-point representation of a number. It provides convenient marshaling/unmarshaling in JSON and YAML, in addition to String() and AsInt64() accessors.\n\nThe serialization format is:\n\n``` <quantity>        ::= <signedNumber><suffix>\n\n\t(Note that <suffix> may be empty, from the \"\" case in <decimalSI>.)\n\n<digit>           ::= 0 | 1 | ... | 9 <digits>          ::= <digit> | <digit><digits> <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits> <sign>            ::= \"+\" | \"-\" <signedNumber>    ::= <number> | <sign><number> <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI> <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei\n\n\t(International System of units; See: http://physics.nist.gov/cuu/Units/binary.html)\n\n<decimalSI>       ::= m | \"\" | k | M | G | T | P | E\n\n\t(Note that 1024 = 1Ki but 1000 = 1k; I didn't choose the capitalization.)\n\n<decimalExponent> ::= \"e\" <signedNumber> | \"E\" <signedNumber> ```\n\nNo matter which of the three exponent forms is used, no quantity may represent a number greater than 2^63-1 in magnitude, nor may it have more than 3 decimal places. Numbers larger or more precise will be capped or rounded up. (E.g.: 0.1m will rounded up to 1m.) This may be extended in the future if we require larger or smaller quantities.",
    "intstr.IntOrString": "IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.",
}

# ---------------------------------------------------------------------------------------
# Building the schema from the models and the tables.
# ---------------------------------------------------------------------------------------


def die(msg):
    sys.stderr.write("gen-k8s-schema: %s\n" % msg)
    sys.exit(1)


class Field:
    def __init__(self, name, kind, elem=None, ref=None, fmt=None, desc="", required=False):
        self.name = name
        self.kind = kind    # string integer number boolean datetime object array map intstr quantity any
        self.elem = elem    # for array/map: the element kind
        self.ref = ref      # OpenAPI name of the object/element type, or of Time/Quantity/...
        self.fmt = fmt      # int32 int64 double byte
        self.desc = desc
        self.required = required
        self.merge_key = None
        self.strategy = None


class Type:
    def __init__(self, name, kind="object", desc=""):
        self.name = name
        self.kind = kind
        self.desc = desc
        self.fields = {}
        self.gvks = []


def class_group(cls):
    for group, classes in GROUP_OF.items():
        if cls in classes:
            return group
    return "core.v1"


def class_short(cls):
    """'V1PodSpec' -> 'core.v1.PodSpec' (the tables' notation)."""
    if cls in RENAMES:
        base = RENAMES[cls]
    else:
        m = re.match(r"^(?:CoreV1|DiscoveryV1|V1)([A-Z].*)$", cls)
        if not m:
            die("cannot name python class %s" % cls)
        base = m.group(1)
    return class_group(cls) + "." + base


def docstring_description(cls, attr):
    doc = getattr(cls, attr).fget.__doc__ or ""
    parts = doc.split("\n\n")
    if len(parts) < 3:
        return ""
    body = parts[1]
    lines = [l.strip() for l in body.split("\n")]
    lines = [re.sub(r"\s*# noqa: E501$", "", l) for l in lines]
    return "\n".join(lines).strip()


def required_attrs(cls):
    src = open(sys.modules[cls.__module__].__file__).read()
    return set(re.findall(r"client_side_validation and (\w+) is None", src))


def python_spec(t, key):
    """Field from a python-client type string; key is 'group.v1.Type.field' for the tables."""
    if t.startswith("list["):
        inner = python_spec(t[5:-1], key)
        if inner.kind in ("array", "map"):
            die("%s: nested containers are not supported" % key)
        return Field(None, "array", elem=inner.kind, ref=inner.ref, fmt=inner.fmt)
    m = re.match(r"^dict\(str, (.*)\)$", t)
    if m:
        inner = python_spec(m.group(1), key)
        if inner.kind in ("array", "map"):
            die("%s: nested containers are not supported" % key)
        return Field(None, "map", elem=inner.kind, ref=inner.ref, fmt=inner.fmt)
    if t == "str":
        if key in QUANTITY:
            return Field(None, "quantity", ref=full("resource.Quantity"))
        return Field(None, "string", fmt="byte" if key in BYTES else None)
    if t == "int":
        return Field(None, "integer", fmt="int64" if key in INT64 else "int32")
    if t == "float":
        return Field(None, "number", fmt="double")
    if t == "bool":
        return Field(None, "boolean")
    if t == "datetime":
        return Field(None, "datetime", ref=full("meta.v1.MicroTime" if key in MICROTIME else "meta.v1.Time"))
    if t == "object":
        if key in INT_OR_STRING:
            return Field(None, "intstr", ref=full("intstr.IntOrString"))
        if key in FREE_FORM:
            return Field(None, "any", ref=full(FREE_FORM[key]))
        die("%s: python type 'object' is neither in INT_OR_STRING nor in FREE_FORM" % key)
    if re.match(r"^[A-Z]\w+$", t):
        if not hasattr(M, t):
            die("%s: no python model %s" % (key, t))
        return Field(None, "object", ref=full(class_short(t)))
    die("%s: unknown python type %r" % (key, t))


def table_spec(s, key):
    """Field from the notation of the hand-written tables."""
    if s.startswith("list:") or s.startswith("map:"):
        kind, _, rest = s.partition(":")
        inner = table_spec(rest, key)
        return Field(None, "array" if kind == "list" else "map", elem=inner.kind, ref=inner.ref, fmt=inner.fmt)
    if s.startswith("ref:"):
        return Field(None, "object", ref=full(s[4:]))
    simple = {
        "string": ("string", None), "int32": ("integer", "int32"), "int64": ("integer", "int64"),
        "boolean": ("boolean", None), "number": ("number", "double"),
    }
    if s in simple:
        return Field(None, simple[s][0], fmt=simple[s][1])
    if s == "quantity":
        return Field(None, "quantity", ref=full("resource.Quantity"))
    if s == "intstr":
        return Field(None, "intstr", ref=full("intstr.IntOrString"))
    die("%s: unknown table type %r" % (key, s))


def build():
    types = {}
    used = {"QUANTITY": set(), "INT64": set(), "MICROTIME": set(), "BYTES": set(),
        "INT_OR_STRING": set(), "FREE_FORM": set()}

    # Walk the python models from the roots and their List kinds.
    roots = []
    for cls, short, gv in ROOTS:
        roots.append((cls, short, gv))
        if gv and hasattr(M, cls + "List"):
            roots.append((cls + "List", short + "List", gv))
    for cls, short, _ in roots:
        if class_short(cls) != short:
            die("%s is named %s, the roots table says %s" % (cls, class_short(cls), short))

    def reach(start):
        seen, todo = set(), list(start)
        while todo:
            c = todo.pop()
            if c in seen:
                continue
            seen.add(c)
            for t in getattr(M, c).openapi_types.values():
                todo.extend(x for x in re.findall(r"[A-Z]\w+", t) if hasattr(M, x))
        return seen

    all_classes = reach([c for c, _, _ in roots])
    core_classes = reach([c for c, s, _ in roots if s.startswith("core.v1.")])
    listed = set(sum(GROUP_OF.values(), []))
    for c in sorted(all_classes - core_classes - listed - CORE_VIA_OTHERS):
        die("%s is reached only through non-core roots: add it to GROUP_OF or CORE_VIA_OTHERS" % c)
    for c in listed | CORE_VIA_OTHERS:
        if c not in all_classes:
            die("%s is listed but not reached from the roots" % c)

    for cls in sorted(all_classes):
        short = class_short(cls)
        name = full(short)
        if name in types:
            die("two python classes name %s" % name)
        model = getattr(M, cls)
        req = required_attrs(model)
        t = Type(name)
        for attr, pytype in model.openapi_types.items():
            jname = model.attribute_map[attr]
            key = short + "." + jname
            f = python_spec(pytype, key)
            f.name = jname
            f.desc = docstring_description(model, attr)
            f.required = attr in req
            for table in used:
                if key in globals()[table]:
                    used[table].add(key)
            t.fields[jname] = f
        types[name] = t

    for short, kind in SCALAR_TYPES.items():
        types[full(short)] = Type(full(short), kind=kind)

    # Post-1.22 types and fields, retyped and removed fields.
    for short, (desc, fields) in ADDED_TYPES.items():
        name = full(short)
        if name in types:
            die("%s is added but already in the models" % short)
        t = Type(name, desc=desc)
        for jname, (spec, fdesc, required) in fields.items():
            f = table_spec(spec, short + "." + jname)
            f.name, f.desc, f.required = jname, fdesc, required
            t.fields[jname] = f
        types[name] = t
    for short, fields in ADDED_FIELDS.items():
        t = types.get(full(short)) or die("ADDED_FIELDS: no type %s" % short)
        for jname, (spec, fdesc) in fields.items():
            if jname in t.fields:
                die("%s.%s is added but already in the models" % (short, jname))
            f = table_spec(spec, short + "." + jname)
            f.name, f.desc = jname, fdesc
            t.fields[jname] = f
    for key, (spec, fdesc) in RETYPED.items():
        short, _, jname = key.rpartition(".")
        t = types.get(full(short)) or die("RETYPED: no type %s" % short)
        old = t.fields.get(jname) or die("RETYPED: no field %s" % key)
        f = table_spec(spec, key)
        f.name, f.desc, f.required = jname, fdesc or old.desc, old.required
        t.fields[jname] = f
    for key in REMOVED:
        short, _, jname = key.rpartition(".")
        t = types.get(full(short)) or die("REMOVED: no type %s" % short)
        if jname not in t.fields:
            die("REMOVED: no field %s" % key)
        del t.fields[jname]

    for table, keys in used.items():
        for key in sorted(set(globals()[table]) - keys):
            die("%s names %s, which the models do not have" % (table, key))

    for key, (merge_key, strategy) in PATCH.items():
        short, _, jname = key.rpartition(".")
        t = types.get(full(short)) or die("PATCH: no type %s" % short)
        f = t.fields.get(jname) or die("PATCH: no field %s" % key)
        if merge_key:
            if f.kind != "array" or f.elem != "object":
                die("PATCH: %s has a merge key but is not a list of objects" % key)
            if merge_key not in types[f.ref].fields:
                die("PATCH: merge key %s is not a field of %s" % (merge_key, f.ref))
        f.merge_key, f.strategy = merge_key, strategy

    for short, fields in FIELD_DESCRIPTIONS.items():
        t = types.get(full(short)) or die("FIELD_DESCRIPTIONS: no type %s" % short)
        for jname, desc in fields.items():
            f = t.fields.get(jname) or die("FIELD_DESCRIPTIONS: no field %s.%s" % (short, jname))
            if f.desc:
                die("FIELD_DESCRIPTIONS: %s.%s is already described" % (short, jname))
            f.desc = desc
    for t in types.values():
        f = t.fields.get("metadata")
        if f and not f.desc and f.ref == full("meta.v1.ObjectMeta"):
            f.desc = OBJECT_METADATA
        elif f and not f.desc and f.ref == full("meta.v1.ListMeta"):
            f.desc = LIST_METADATA

    for short, desc in TYPE_DESCRIPTIONS.items():
        t = types.get(full(short)) or die("TYPE_DESCRIPTIONS: no type %s" % short)
        t.desc = desc

    for cls, short, gv in roots:
        if gv:
            t = types[full(short)]
            t.gvks.append((gv[0], gv[1], short.rpartition(".")[2]))
            for g, v in EXTRA_GVKS.get(short, []):
                t.gvks.append((g, v, short.rpartition(".")[2]))

    # Every reference resolves; every added type is used.
    refd = set()
    for t in types.values():
        for f in t.fields.values():
            if f.ref:
                if f.ref not in types:
                    die("%s.%s refers to unknown %s" % (t.name, f.name, f.ref))
                refd.add(f.ref)
    for short in ADDED_TYPES:
        if full(short) not in refd:
            die("added type %s is not used by any field" % short)
    return types

# ---------------------------------------------------------------------------------------
# Emitting C.
# ---------------------------------------------------------------------------------------


class Pool:
    """Every string once, in one array: fields hold 32-bit offsets, not pointers, so the
    tables need no relocations and each description is stored a single time."""

    def __init__(self):
        self.off = {"": 0}
        self.order = [""]
        self.size = 1

    def add(self, s):
        if s is None:
            return 0
        if s not in self.off:
            self.off[s] = self.size
            self.order.append(s)
            self.size += len(s.encode("utf-8")) + 1
        return self.off[s]


def c_escape(s):
    out = []
    prev_q = False
    for b in s.encode("utf-8"):
        c = chr(b)
        if c == "\\":
            out.append("\\\\")
        elif c == "\"":
            out.append("\\\"")
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "?" and prev_q:
            out.append("\\?")  # no trigraphs
        elif 32 <= b < 127:
            out.append(c)
        else:
            out.append("\\%03o" % b)
        prev_q = c == "?"
    return out


def c_literal_lines(s, width=92):
    """The string as one or more adjacent C literals, each followed by its own NUL."""
    pieces = c_escape(s) + ["\\0"]
    lines, cur = [], ""
    for p in pieces:
        if len(cur) + len(p) > width and cur:
            lines.append(cur)
            cur = ""
        cur += p
    lines.append(cur)
    return ['"%s"' % l for l in lines]


KIND_C = {
    "string": "K8S_STRING", "integer": "K8S_INTEGER", "number": "K8S_NUMBER",
    "boolean": "K8S_BOOLEAN", "datetime": "K8S_DATETIME", "object": "K8S_OBJECT",
    "array": "K8S_ARRAY", "map": "K8S_MAP", "intstr": "K8S_INT_OR_STRING",
    "quantity": "K8S_QUANTITY", "any": "K8S_ANY", None: "K8S_NONE",
}
FMT_C = {None: "K8S_FMT_NONE", "int32": "K8S_FMT_INT32", "int64": "K8S_FMT_INT64",
     "double": "K8S_FMT_DOUBLE", "byte": "K8S_FMT_BYTE"}
STRATEGY_C = {None: "SMP_REPLACE", "merge": "SMP_MERGE", "retainKeys": "SMP_RETAIN_KEYS",
          "merge,retainKeys": "SMP_MERGE | SMP_RETAIN_KEYS"}


def emit(types):
    names = sorted(types, key=lambda n: n.encode())
    index = {n: i for i, n in enumerate(names)}
    if len(names) >= 0xffff:
        die("too many types for 16-bit references")
    pool = Pool()
    field_rows, type_rows, gvk_rows = [], [], []
    for n in names:
        t = types[n]
        first = len(field_rows)
        for fname in sorted(t.fields, key=lambda s: s.encode()):
            f = t.fields[fname]
            fmt = f.fmt
            flags = ["K8S_F_REQUIRED"] if f.required else []
            field_rows.append("\t{ %d, %d, %d, %s, %s, %s, %s, %s, %s }, /* %s */" % (
                pool.add(f.name), pool.add(f.desc), pool.add(f.merge_key),
                index[f.ref] if f.ref else "K8S_NO_REF",
                KIND_C[f.kind], KIND_C[f.elem], FMT_C[fmt], STRATEGY_C[f.strategy],
                " | ".join(flags) or "0", f.name))
        type_rows.append("\t{ %d, %d, %d, %d, %s }, /* %d: %s */" % (
            pool.add(n), pool.add(t.desc), first, len(t.fields), KIND_C[t.kind], index[n], n))
        for g, v, k in t.gvks:
            gvk_rows.append(((g, v, k), "\t{ %d, %d, %d, %d }, /* %s/%s %s */" % (
                pool.add(g), pool.add(v), pool.add(k), index[n], g or "core", v, k)))
    if len(field_rows) >= 0xffff:
        die("too many fields for 16-bit indexes")
    gvk_rows.sort(key=lambda r: tuple(x.encode() for x in r[0]))

    out = []
    w = out.append
    w("/* k8s_schema_gen.c — generated by scripts/gen-k8s-schema.py; do not edit: change the generator and rerun it. */")
    w("/*")
    w(" * The schema of the built-in kinds kbpf serves: %d types, %d fields, %d group/version/kinds," % (
        len(names), len(field_rows), len(gvk_rows)))
    w(" * from python3-kubernetes 22.6.0 (Kubernetes 1.22) and the generator's tables of what")
    w(" * changed up to 1.32. Strings are offsets into k8s_strings, stored once each.")
    w(" */")
    w("#include \"k8s_schema.h\"")
    w("")
    w("const char k8s_strings[] =")
    for s in pool.order:
        for line in c_literal_lines(s):
            w("\t" + line)
    w("\t;")
    w("const size_t k8s_strings_size = %d;" % pool.size)
    w("")
    w("const struct k8s_field k8s_fields[] = {")
    w("\t/* name, description, merge key, ref, kind, elem, format, patch strategy, flags */")
    out.extend(field_rows)
    w("};")
    w("const size_t k8s_n_fields = %d;" % len(field_rows))
    w("")
    w("/* Sorted by name, for k8s_type_find()'s binary search. */")
    w("const struct k8s_type k8s_types[] = {")
    w("\t/* name, description, first field, fields, kind */")
    out.extend(type_rows)
    w("};")
    w("const size_t k8s_n_types = %d;" % len(names))
    w("")
    w("const struct k8s_gvk k8s_gvks[] = {")
    out.extend(r for _, r in gvk_rows)
    w("};")
    w("const size_t k8s_n_gvks = %d;" % len(gvk_rows))
    if pool.size >= 1 << 32:
        die("string pool too large")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.stdout.write(emit(build()))

#!/usr/bin/python3
# gen-k8s-proto.py — writes lib/k8s_proto_gen.c, the protobuf field numbers of the built-in kinds.
#
# Usage: /usr/bin/python3 scripts/gen-k8s-proto.py > lib/k8s_proto_gen.c
#
# kubectl's typed clients send Kubernetes protobuf; lib/k8s_proto.c turns it into the
# JSON of the same object. JSON names and value kinds come from the schema tables
# (lib/k8s_schema_gen.c); what protobuf adds is written here, in MESSAGES below:
#   - the field number of each JSON field, as the generated.proto files of Kubernetes 1.32
#     give them (k8s.io/api core/v1, apps/v1, discovery/v1, coordination/v1,
#     autoscaling/v1; k8s.io/apimachinery pkg/apis/meta/v1). go-to-protobuf writes the
#     same numbers into the Go struct tags (`protobuf:"bytes,1,opt,name=metadata"`); the
#     table was taken from the tags compiled into kubectl v1.32.4 and checked against
#     generated.proto;
#   - which scalar fields keep a zero value in JSON. Kubernetes' generated marshallers
#     write every non-pointer field, empty strings and zeros included, so being on the
#     wire says nothing; Go's encoding/json then drops zero values of `omitempty` fields.
#     A zero survives only for a Go pointer (*int32, *bool, *string: marked "*") or a
#     field without omitempty (marked "!"), as types.go declares them;
#   - the structs that Go embeds with `json:",inline"` but protobuf carries as a nested
#     message ("+VolumeSource=2": field 2 of Volume is a VolumeSource whose fields are
#     members of the Volume's own JSON object). Such messages are named like the types,
#     in the same package, and need not be schema types.
# Time, MicroTime, Quantity, IntOrString and FieldsV1 have fixed encodings, decoded by
# lib/k8s_proto.c itself. TypeMeta (apiVersion, kind) has no field number: it travels in
# the runtime.Unknown envelope.
#
# When Kubernetes adds a field, add jsonName=number to its message from generated.proto,
# marked as types.go declares the field. Only types reachable from the kinds in
# k8s_schema are listed. tests/unit/test_k8s_proto.c checks that every name below
# resolves in the schema and that every schema field has a number, so a type added to
# the schema without its numbers here fails the tests.

import sys

PREFIX = {
    "core.v1": "io.k8s.api.core.v1",
    "apps.v1": "io.k8s.api.apps.v1",
    "discovery.v1": "io.k8s.api.discovery.v1",
    "coordination.v1": "io.k8s.api.coordination.v1",
    "autoscaling.v1": "io.k8s.api.autoscaling.v1",
    "meta.v1": "io.k8s.apimachinery.pkg.apis.meta.v1",
}

# One message per entry: its short name, then its fields as jsonName=number, marked "*"
# (Go pointer to a scalar) or "!" (scalar without omitempty) where a zero value is kept,
# and +Message=number for a message embedded inline. Lines that start with blanks
# continue the message above.
MESSAGES = """
apps.v1.Deployment metadata=1 spec=2 status=3
apps.v1.DeploymentCondition type=1! status=2! reason=4 message=5 lastUpdateTime=6
    lastTransitionTime=7
apps.v1.DeploymentList metadata=1 items=2
apps.v1.DeploymentSpec replicas=1* selector=2 template=3 strategy=4 minReadySeconds=5
    revisionHistoryLimit=6* paused=7 progressDeadlineSeconds=9*
apps.v1.DeploymentStatus observedGeneration=1 replicas=2 updatedReplicas=3
    availableReplicas=4 unavailableReplicas=5 conditions=6 readyReplicas=7 collisionCount=8*
apps.v1.DeploymentStrategy type=1 rollingUpdate=2
apps.v1.ReplicaSet metadata=1 spec=2 status=3
apps.v1.ReplicaSetCondition type=1! status=2! lastTransitionTime=3 reason=4 message=5
apps.v1.ReplicaSetList metadata=1 items=2
apps.v1.ReplicaSetSpec replicas=1* selector=2 template=3 minReadySeconds=4
apps.v1.ReplicaSetStatus replicas=1! fullyLabeledReplicas=2 observedGeneration=3
    readyReplicas=4 availableReplicas=5 conditions=6
apps.v1.RollingUpdateDeployment maxUnavailable=1 maxSurge=2
autoscaling.v1.Scale metadata=1 spec=2 status=3
autoscaling.v1.ScaleSpec replicas=1
autoscaling.v1.ScaleStatus replicas=1! selector=2
coordination.v1.Lease metadata=1 spec=2
coordination.v1.LeaseList metadata=1 items=2
coordination.v1.LeaseSpec holderIdentity=1* leaseDurationSeconds=2* acquireTime=3
    renewTime=4 leaseTransitions=5* strategy=6* preferredHolder=7*
core.v1.AWSElasticBlockStoreVolumeSource volumeID=1! fsType=2 partition=3 readOnly=4
core.v1.Affinity nodeAffinity=1 podAffinity=2 podAntiAffinity=3
core.v1.AppArmorProfile type=1! localhostProfile=2*
core.v1.AttachedVolume name=1! devicePath=2!
core.v1.AzureDiskVolumeSource diskName=1! diskURI=2! cachingMode=3* fsType=4* readOnly=5*
    kind=6*
core.v1.AzureFileVolumeSource secretName=1! shareName=2! readOnly=3
core.v1.Binding metadata=1 target=2
core.v1.CSIVolumeSource driver=1! readOnly=2* fsType=3* volumeAttributes=4
    nodePublishSecretRef=5
core.v1.Capabilities add=1 drop=2
core.v1.CephFSVolumeSource monitors=1 path=2 user=3 secretFile=4 secretRef=5 readOnly=6
core.v1.CinderVolumeSource volumeID=1! fsType=2 readOnly=3 secretRef=4
core.v1.ClientIPConfig timeoutSeconds=1*
core.v1.ClusterTrustBundleProjection name=1* signerName=2* labelSelector=3 path=4!
    optional=5*
core.v1.ConfigMap metadata=1 data=2 binaryData=3 immutable=4*
core.v1.ConfigMapEnvSource +LocalObjectReference=1 optional=2*
core.v1.ConfigMapKeySelector +LocalObjectReference=1 key=2! optional=3*
core.v1.ConfigMapList metadata=1 items=2
core.v1.ConfigMapNodeConfigSource namespace=1! name=2! uid=3 resourceVersion=4
    kubeletConfigKey=5!
core.v1.ConfigMapProjection +LocalObjectReference=1 items=2 optional=4*
core.v1.ConfigMapVolumeSource +LocalObjectReference=1 items=2 defaultMode=3* optional=4*
core.v1.Container name=1! image=2 command=3 args=4 workingDir=5 ports=6 env=7 resources=8
    volumeMounts=9 livenessProbe=10 readinessProbe=11 lifecycle=12 terminationMessagePath=13
    imagePullPolicy=14 securityContext=15 stdin=16 stdinOnce=17 tty=18 envFrom=19
    terminationMessagePolicy=20 volumeDevices=21 startupProbe=22 resizePolicy=23
    restartPolicy=24*
core.v1.ContainerImage names=1 sizeBytes=2
core.v1.ContainerPort name=1 hostPort=2 containerPort=3! protocol=4 hostIP=5
core.v1.ContainerResizePolicy resourceName=1! restartPolicy=2!
core.v1.ContainerState waiting=1 running=2 terminated=3
core.v1.ContainerStateRunning startedAt=1
core.v1.ContainerStateTerminated exitCode=1! signal=2 reason=3 message=4 startedAt=5
    finishedAt=6 containerID=7
core.v1.ContainerStateWaiting reason=1 message=2
core.v1.ContainerStatus name=1! state=2 lastState=3 ready=4! restartCount=5! image=6!
    imageID=7! containerID=8 started=9* allocatedResources=10 resources=11 volumeMounts=12
    user=13 allocatedResourcesStatus=14
core.v1.ContainerUser linux=1
core.v1.DaemonEndpoint Port=1!
core.v1.DownwardAPIProjection items=1
core.v1.DownwardAPIVolumeFile path=1! fieldRef=2 resourceFieldRef=3 mode=4*
core.v1.DownwardAPIVolumeSource items=1 defaultMode=2*
core.v1.EmptyDirVolumeSource medium=1 sizeLimit=2
core.v1.EndpointAddress ip=1! targetRef=2 hostname=3 nodeName=4*
core.v1.EndpointPort name=1 port=2! protocol=3 appProtocol=4*
core.v1.EndpointSubset addresses=1 notReadyAddresses=2 ports=3
core.v1.Endpoints metadata=1 subsets=2
core.v1.EndpointsList metadata=1 items=2
core.v1.EnvFromSource prefix=1 configMapRef=2 secretRef=3
core.v1.EnvVar name=1! value=2 valueFrom=3
core.v1.EnvVarSource fieldRef=1 resourceFieldRef=2 configMapKeyRef=3 secretKeyRef=4
core.v1.EphemeralContainer +EphemeralContainerCommon=1 targetContainerName=2
core.v1.EphemeralContainerCommon name=1! image=2 command=3 args=4 workingDir=5 ports=6 env=7
    resources=8 volumeMounts=9 livenessProbe=10 readinessProbe=11 lifecycle=12
    terminationMessagePath=13 imagePullPolicy=14 securityContext=15 stdin=16 stdinOnce=17
    tty=18 envFrom=19 terminationMessagePolicy=20 volumeDevices=21 startupProbe=22
    resizePolicy=23 restartPolicy=24*
core.v1.EphemeralVolumeSource volumeClaimTemplate=1
core.v1.Event metadata=1 involvedObject=2 reason=3 message=4 source=5 firstTimestamp=6
    lastTimestamp=7 count=8 type=9 eventTime=10 series=11 action=12 related=13
    reportingComponent=14! reportingInstance=15!
core.v1.EventList metadata=1 items=2
core.v1.EventSeries count=1 lastObservedTime=2
core.v1.EventSource component=1 host=2
core.v1.ExecAction command=1
core.v1.FCVolumeSource targetWWNs=1 lun=2* fsType=3 readOnly=4 wwids=5
core.v1.FlexVolumeSource driver=1! fsType=2 secretRef=3 readOnly=4 options=5
core.v1.FlockerVolumeSource datasetName=1 datasetUUID=2
core.v1.GCEPersistentDiskVolumeSource pdName=1! fsType=2 partition=3 readOnly=4
core.v1.GRPCAction port=1! service=2*
core.v1.GitRepoVolumeSource repository=1! revision=2 directory=3
core.v1.GlusterfsVolumeSource endpoints=1! path=2! readOnly=3
core.v1.HTTPGetAction path=1 port=2 host=3 scheme=4 httpHeaders=5
core.v1.HTTPHeader name=1! value=2!
core.v1.HostAlias ip=1! hostnames=2
core.v1.HostIP ip=1!
core.v1.HostPathVolumeSource path=1! type=2*
core.v1.ISCSIVolumeSource targetPortal=1! iqn=2! lun=3! iscsiInterface=4 fsType=5 readOnly=6
    portals=7 chapAuthDiscovery=8 secretRef=10 chapAuthSession=11 initiatorName=12*
core.v1.ImageVolumeSource reference=1 pullPolicy=2
core.v1.KeyToPath key=1! path=2! mode=3*
core.v1.Lifecycle postStart=1 preStop=2
core.v1.LifecycleHandler exec=1 httpGet=2 tcpSocket=3 sleep=4
core.v1.LinuxContainerUser uid=1! gid=2! supplementalGroups=3
core.v1.LoadBalancerIngress ip=1 hostname=2 ipMode=3* ports=4
core.v1.LoadBalancerStatus ingress=1
core.v1.LocalObjectReference name=1
core.v1.NFSVolumeSource server=1! path=2! readOnly=3
core.v1.Namespace metadata=1 spec=2 status=3
core.v1.NamespaceCondition type=1! status=2! lastTransitionTime=4 reason=5 message=6
core.v1.NamespaceList metadata=1 items=2
core.v1.NamespaceSpec finalizers=1
core.v1.NamespaceStatus phase=1 conditions=2
core.v1.Node metadata=1 spec=2 status=3
core.v1.NodeAddress type=1! address=2!
core.v1.NodeAffinity requiredDuringSchedulingIgnoredDuringExecution=1
    preferredDuringSchedulingIgnoredDuringExecution=2
core.v1.NodeCondition type=1! status=2! lastHeartbeatTime=3 lastTransitionTime=4 reason=5
    message=6
core.v1.NodeConfigSource configMap=2
core.v1.NodeConfigStatus assigned=1 active=2 lastKnownGood=3 error=4
core.v1.NodeDaemonEndpoints kubeletEndpoint=1
core.v1.NodeFeatures supplementalGroupsPolicy=1*
core.v1.NodeList metadata=1 items=2
core.v1.NodeRuntimeHandler name=1! features=2
core.v1.NodeRuntimeHandlerFeatures recursiveReadOnlyMounts=1* userNamespaces=2*
core.v1.NodeSelector nodeSelectorTerms=1
core.v1.NodeSelectorRequirement key=1! operator=2! values=3
core.v1.NodeSelectorTerm matchExpressions=1 matchFields=2
core.v1.NodeSpec podCIDR=1 externalID=2 providerID=3 unschedulable=4 taints=5 configSource=6
    podCIDRs=7
core.v1.NodeStatus capacity=1 allocatable=2 phase=3 conditions=4 addresses=5
    daemonEndpoints=6 nodeInfo=7 images=8 volumesInUse=9 volumesAttached=10 config=11
    runtimeHandlers=12 features=13
core.v1.NodeSystemInfo machineID=1! systemUUID=2! bootID=3! kernelVersion=4! osImage=5!
    containerRuntimeVersion=6! kubeletVersion=7! kubeProxyVersion=8! operatingSystem=9!
    architecture=10!
core.v1.ObjectFieldSelector apiVersion=1 fieldPath=2!
core.v1.ObjectReference kind=1 namespace=2 name=3 uid=4 apiVersion=5 resourceVersion=6
    fieldPath=7
core.v1.PersistentVolumeClaimSpec accessModes=1 resources=2 volumeName=3 selector=4
    storageClassName=5* volumeMode=6* dataSource=7 dataSourceRef=8
    volumeAttributesClassName=9*
core.v1.PersistentVolumeClaimTemplate metadata=1 spec=2
core.v1.PersistentVolumeClaimVolumeSource claimName=1! readOnly=2
core.v1.PhotonPersistentDiskVolumeSource pdID=1! fsType=2
core.v1.Pod metadata=1 spec=2 status=3
core.v1.PodAffinity requiredDuringSchedulingIgnoredDuringExecution=1
    preferredDuringSchedulingIgnoredDuringExecution=2
core.v1.PodAffinityTerm labelSelector=1 namespaces=2 topologyKey=3! namespaceSelector=4
    matchLabelKeys=5 mismatchLabelKeys=6
core.v1.PodAntiAffinity requiredDuringSchedulingIgnoredDuringExecution=1
    preferredDuringSchedulingIgnoredDuringExecution=2
core.v1.PodCondition type=1! status=2! lastProbeTime=3 lastTransitionTime=4 reason=5
    message=6
core.v1.PodDNSConfig nameservers=1 searches=2 options=3
core.v1.PodDNSConfigOption name=1 value=2*
core.v1.PodIP ip=1!
core.v1.PodList metadata=1 items=2
core.v1.PodOS name=1!
core.v1.PodReadinessGate conditionType=1!
core.v1.PodResourceClaim name=1! resourceClaimName=3* resourceClaimTemplateName=4*
core.v1.PodResourceClaimStatus name=1! resourceClaimName=2*
core.v1.PodSchedulingGate name=1!
core.v1.PodSecurityContext seLinuxOptions=1 runAsUser=2* runAsNonRoot=3*
    supplementalGroups=4 fsGroup=5* runAsGroup=6* sysctls=7 windowsOptions=8
    fsGroupChangePolicy=9* seccompProfile=10 appArmorProfile=11 supplementalGroupsPolicy=12*
    seLinuxChangePolicy=13*
core.v1.PodSpec volumes=1 containers=2 restartPolicy=3 terminationGracePeriodSeconds=4*
    activeDeadlineSeconds=5* dnsPolicy=6 nodeSelector=7 serviceAccountName=8
    serviceAccount=9 nodeName=10 hostNetwork=11 hostPID=12 hostIPC=13 securityContext=14
    imagePullSecrets=15 hostname=16 subdomain=17 affinity=18 schedulerName=19
    initContainers=20 automountServiceAccountToken=21* tolerations=22 hostAliases=23
    priorityClassName=24 priority=25* dnsConfig=26 shareProcessNamespace=27*
    readinessGates=28 runtimeClassName=29* enableServiceLinks=30* preemptionPolicy=31*
    overhead=32 topologySpreadConstraints=33 ephemeralContainers=34 setHostnameAsFQDN=35*
    os=36 hostUsers=37* schedulingGates=38 resourceClaims=39 resources=40
core.v1.PodStatus phase=1 conditions=2 message=3 reason=4 hostIP=5 podIP=6 startTime=7
    containerStatuses=8 qosClass=9 initContainerStatuses=10 nominatedNodeName=11 podIPs=12
    ephemeralContainerStatuses=13 resize=14 resourceClaimStatuses=15 hostIPs=16
core.v1.PodTemplateSpec metadata=1 spec=2
core.v1.PortStatus port=1! protocol=2! error=3*
core.v1.PortworxVolumeSource volumeID=1! fsType=2 readOnly=3
core.v1.PreferredSchedulingTerm weight=1! preference=2
core.v1.Probe +ProbeHandler=1 initialDelaySeconds=2 timeoutSeconds=3 periodSeconds=4
    successThreshold=5 failureThreshold=6 terminationGracePeriodSeconds=7*
core.v1.ProbeHandler exec=1 httpGet=2 tcpSocket=3 grpc=4
core.v1.ProjectedVolumeSource sources=1 defaultMode=2*
core.v1.QuobyteVolumeSource registry=1! volume=2! readOnly=3 user=4 group=5 tenant=6
core.v1.RBDVolumeSource monitors=1 image=2! fsType=3 pool=4 user=5 keyring=6 secretRef=7
    readOnly=8
core.v1.ResourceClaim name=1! request=2
core.v1.ResourceFieldSelector containerName=1 resource=2! divisor=3
core.v1.ResourceHealth resourceID=1! health=2
core.v1.ResourceRequirements limits=1 requests=2 claims=3
core.v1.ResourceStatus name=1! resources=2
core.v1.SELinuxOptions user=1 role=2 type=3 level=4
core.v1.ScaleIOVolumeSource gateway=1! system=2! secretRef=3 sslEnabled=4 protectionDomain=5
    storagePool=6 storageMode=7 volumeName=8 fsType=9 readOnly=10
core.v1.SeccompProfile type=1! localhostProfile=2*
core.v1.Secret metadata=1 data=2 type=3 stringData=4 immutable=5*
core.v1.SecretEnvSource +LocalObjectReference=1 optional=2*
core.v1.SecretKeySelector +LocalObjectReference=1 key=2! optional=3*
core.v1.SecretList metadata=1 items=2
core.v1.SecretProjection +LocalObjectReference=1 items=2 optional=4*
core.v1.SecretVolumeSource secretName=1 items=2 defaultMode=3* optional=4*
core.v1.SecurityContext capabilities=1 privileged=2* seLinuxOptions=3 runAsUser=4*
    runAsNonRoot=5* readOnlyRootFilesystem=6* allowPrivilegeEscalation=7* runAsGroup=8*
    procMount=9* windowsOptions=10 seccompProfile=11 appArmorProfile=12
core.v1.Service metadata=1 spec=2 status=3
core.v1.ServiceAccountTokenProjection audience=1 expirationSeconds=2* path=3!
core.v1.ServiceList metadata=1 items=2
core.v1.ServicePort name=1 protocol=2 port=3! targetPort=4 nodePort=5 appProtocol=6*
core.v1.ServiceSpec ports=1 selector=2 clusterIP=3 type=4 externalIPs=5 sessionAffinity=7
    loadBalancerIP=8 loadBalancerSourceRanges=9 externalName=10 externalTrafficPolicy=11
    healthCheckNodePort=12 publishNotReadyAddresses=13 sessionAffinityConfig=14
    ipFamilyPolicy=17* clusterIPs=18 ipFamilies=19 allocateLoadBalancerNodePorts=20*
    loadBalancerClass=21* internalTrafficPolicy=22* trafficDistribution=23*
core.v1.ServiceStatus loadBalancer=1 conditions=2
core.v1.SessionAffinityConfig clientIP=1
core.v1.SleepAction seconds=1!
core.v1.StorageOSVolumeSource volumeName=1 volumeNamespace=2 fsType=3 readOnly=4 secretRef=5
core.v1.Sysctl name=1! value=2!
core.v1.TCPSocketAction port=1 host=2
core.v1.Taint key=1! value=2 effect=3! timeAdded=4
core.v1.Toleration key=1 operator=2 value=3 effect=4 tolerationSeconds=5*
core.v1.TopologySpreadConstraint maxSkew=1! topologyKey=2! whenUnsatisfiable=3!
    labelSelector=4 minDomains=5* nodeAffinityPolicy=6* nodeTaintsPolicy=7* matchLabelKeys=8
core.v1.TypedLocalObjectReference apiGroup=1* kind=2! name=3!
core.v1.TypedObjectReference apiGroup=1* kind=2! name=3! namespace=4*
core.v1.Volume name=1! +VolumeSource=2
core.v1.VolumeDevice name=1! devicePath=2!
core.v1.VolumeMount name=1! readOnly=2 mountPath=3! subPath=4 mountPropagation=5*
    subPathExpr=6 recursiveReadOnly=7*
core.v1.VolumeMountStatus name=1! mountPath=2! readOnly=3 recursiveReadOnly=4*
core.v1.VolumeProjection secret=1 downwardAPI=2 configMap=3 serviceAccountToken=4
    clusterTrustBundle=5
core.v1.VolumeResourceRequirements limits=1 requests=2
core.v1.VolumeSource hostPath=1 emptyDir=2 gcePersistentDisk=3 awsElasticBlockStore=4
    gitRepo=5 secret=6 nfs=7 iscsi=8 glusterfs=9 persistentVolumeClaim=10 rbd=11
    flexVolume=12 cinder=13 cephfs=14 flocker=15 downwardAPI=16 fc=17 azureFile=18
    configMap=19 vsphereVolume=20 quobyte=21 azureDisk=22 photonPersistentDisk=23
    portworxVolume=24 scaleIO=25 projected=26 storageos=27 csi=28 ephemeral=29 image=30
core.v1.VsphereVirtualDiskVolumeSource volumePath=1! fsType=2 storagePolicyName=3
    storagePolicyID=4
core.v1.WeightedPodAffinityTerm weight=1! podAffinityTerm=2
core.v1.WindowsSecurityContextOptions gmsaCredentialSpecName=1* gmsaCredentialSpec=2*
    runAsUserName=3* hostProcess=4*
discovery.v1.Endpoint addresses=1 conditions=2 hostname=3* targetRef=4 deprecatedTopology=5
    nodeName=6* zone=7* hints=8
discovery.v1.EndpointConditions ready=1* serving=2* terminating=3*
discovery.v1.EndpointHints forZones=1
discovery.v1.EndpointPort name=1* protocol=2* port=3* appProtocol=4*
discovery.v1.EndpointSlice metadata=1 endpoints=2 ports=3 addressType=4!
discovery.v1.EndpointSliceList metadata=1 items=2
discovery.v1.ForZone name=1!
meta.v1.Condition type=1! status=2! observedGeneration=3 lastTransitionTime=4 reason=5!
    message=6!
meta.v1.DeleteOptions gracePeriodSeconds=1* preconditions=2 orphanDependents=3*
    propagationPolicy=4* dryRun=5 ignoreStoreReadErrorWithClusterBreakingPotential=6*
meta.v1.LabelSelector matchLabels=1 matchExpressions=2
meta.v1.LabelSelectorRequirement key=1! operator=2! values=3
meta.v1.ListMeta selfLink=1 resourceVersion=2 continue=3 remainingItemCount=4*
meta.v1.ManagedFieldsEntry manager=1 operation=2 apiVersion=3 time=4 fieldsType=6 fieldsV1=7
    subresource=8
meta.v1.ObjectMeta name=1 generateName=2 namespace=3 selfLink=4 uid=5 resourceVersion=6
    generation=7 creationTimestamp=8 deletionTimestamp=9 deletionGracePeriodSeconds=10*
    labels=11 annotations=12 ownerReferences=13 finalizers=14 managedFields=17
meta.v1.OwnerReference kind=1! name=3! uid=4! apiVersion=5! controller=6*
    blockOwnerDeletion=7*
meta.v1.Preconditions uid=1* resourceVersion=2*
meta.v1.Status metadata=1 status=2 message=3 reason=4 details=5 code=6
meta.v1.StatusCause reason=1 message=2 field=3
meta.v1.StatusDetails name=1 group=2 kind=3 causes=4 retryAfterSeconds=5 uid=6
"""


def full(short):
    """'core.v1.PodSpec' -> 'io.k8s.api.core.v1.PodSpec'."""
    group, _, name = short.rpartition(".")
    if group not in PREFIX:
        sys.exit("gen-k8s-proto: %s: unknown group %r" % (short, group))
    return PREFIX[group] + "." + name


def parse():
    """[(full name, [(number, json name, keep zero, inline message full name)])]"""
    msgs, cur = [], None
    for lineno, line in enumerate(MESSAGES.splitlines(), 1):
        if not line.strip():
            continue
        words = line.split()
        if not line[0].isspace():
            cur = (full(words[0]), [])
            msgs.append(cur)
            words = words[1:]
        elif cur is None:
            sys.exit("gen-k8s-proto: line %d: continuation without a message" % lineno)
        for w in words:
            name, eq, num = w.partition("=")
            mark = num[-1:] if num[-1:] in ("*", "!") else ""
            num = num.rstrip("*!")
            if not eq or not num.isdigit() or not name:
                sys.exit("gen-k8s-proto: %s: bad field %r" % (cur[0], w))
            n = int(num)
            if not 1 <= n <= 255:
                sys.exit("gen-k8s-proto: %s: field number %d does not fit the table" % (cur[0], n))
            if name.startswith("+"):
                if mark:
                    sys.exit("gen-k8s-proto: %s: inline %s cannot be marked" % (cur[0], name))
                inline = cur[0].rpartition(".")[0] + "." + name[1:]
                cur[1].append((n, "", False, inline))
            else:
                cur[1].append((n, name, bool(mark), None))
    names = [m[0] for m in msgs]
    if len(set(names)) != len(names):
        sys.exit("gen-k8s-proto: a message is listed twice")
    for name, fields in msgs:
        nums = [f[0] for f in fields]
        jnames = [f[1] for f in fields if f[1]]
        if len(set(nums)) != len(nums) or len(set(jnames)) != len(jnames):
            sys.exit("gen-k8s-proto: %s: a field number or name is listed twice" % name)
        for f in fields:
            if f[3] and f[3] not in names:
                sys.exit("gen-k8s-proto: %s: inline message %s is not listed" % (name, f[3]))
    return sorted((name, sorted(fields)) for name, fields in msgs)


class Strings:
    """A string table: each string stored once, referred to by its offset."""

    def __init__(self):
        self.off = {"": 0}
        self.parts = ['"\\0"']
        self.size = 1

    def add(self, s):
        if s not in self.off:
            self.off[s] = self.size
            self.parts.append('"%s\\0"' % s)
            self.size += len(s.encode()) + 1
        return self.off[s]


def main():
    msgs = parse()
    index = {name: i for i, (name, _) in enumerate(msgs)}
    strs = Strings()
    for name, fields in msgs:
        strs.add(name)
        for f in fields:
            strs.add(f[1])
    n_fields = sum(len(f) for _, f in msgs)
    if n_fields > 0xffff or len(msgs) >= 0xffff:
        sys.exit("gen-k8s-proto: the tables outgrew their 16-bit indexes")

    out = sys.stdout
    out.write("/* k8s_proto_gen.c — generated by scripts/gen-k8s-proto.py; do not edit: "
              "change the generator and rerun it. */\n")
    out.write("/*\n * Protobuf field numbers of the built-in kinds: %d messages, %d fields,\n"
              " * from the generated.proto files of Kubernetes 1.32. Names are offsets into\n"
              " * k8s_proto_strings; JSON names resolve in the schema (k8s_schema.h).\n */\n"
              % (len(msgs), n_fields))
    out.write('#include "k8s_proto.h"\n\n')
    out.write("const char k8s_proto_strings[] =\n")
    for p in strs.parts:
        out.write("\t%s\n" % p)
    out.write("\t;\n")
    out.write("const size_t k8s_proto_strings_size = sizeof(k8s_proto_strings);\n\n")

    out.write("const struct k8s_proto_field k8s_proto_fields[] = {\n")
    first = []
    pos = 0
    for name, fields in msgs:
        first.append(pos)
        out.write("\t/* %s */\n" % name)
        for num, jname, keep, inline in fields:
            flags = []
            if keep:
                flags.append("K8S_PROTO_F_KEEP_ZERO")
            if inline:
                flags.append("K8S_PROTO_F_INLINE")
            out.write("\t{ %d, %s, %d, %s },%s\n" % (
                strs.off[jname], index[inline] if inline else "K8S_PROTO_NO_MSG", num,
                " | ".join(flags) or "0",
                " /* %s */" % (jname or "inline " + inline.rpartition(".")[2])))
        pos += len(fields)
    out.write("};\nconst size_t k8s_proto_n_fields = %d;\n\n" % n_fields)

    out.write("const struct k8s_proto_msg k8s_proto_msgs[] = {\n")
    for (name, fields), f0 in zip(msgs, first):
        out.write("\t{ %d, %d, %d }, /* %s */\n" % (strs.off[name], f0, len(fields), name))
    out.write("};\nconst size_t k8s_proto_n_msgs = %d;\n" % len(msgs))


if __name__ == "__main__":
    main()

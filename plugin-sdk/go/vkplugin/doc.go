// Package vkplugin serves a provider written for upstream virtual-kubelet
// (github.com/virtual-kubelet/virtual-kubelet v1.14) as a vk-host plugin:
// an executable that vk-host launches (`vk-host --plugin PATH`) and drives
// over gRPC (proto/provider.proto, package vk.provider.v1, is the
// specification; package providerv1 holds its generated Go stubs).
//
// [Serve] takes a value implementing node.PodLifecycleHandler;
// [ServeNewProvider] takes a nodeutil.NewProviderFunc, so a provider built
// for nodeutil.NewNode moves out of process without changes. What the
// value also implements is declared as a capability and served:
//
//	node.PodNotifier             CAPABILITY_POD_STATUS_STREAM (WatchPodStatus)
//	GetContainerLogs             CAPABILITY_CONTAINER_LOGS
//	RunInContainer               CAPABILITY_EXEC
//	AttachToContainer            CAPABILITY_ATTACH
//	PortForward                  CAPABILITY_PORT_FORWARD
//	GetStatsSummary              CAPABILITY_STATS_SUMMARY
//	GetMetricsResource           CAPABILITY_METRICS_RESOURCE
//	ConfigureNode, or the Node a nodeutil constructor configured
//	                             CAPABILITY_NODE_INFO (GetNodeInfo, WatchNodeInfo)
//	node.NodeProvider's Ping     PluginIdentity.Probe
//
// [Options].Metrics, a prometheus.Gatherer such as a *prometheus.Registry,
// declares CAPABILITY_PLUGIN_METRICS: GetPluginMetrics answers with what it
// gathers, converted by [PluginMetricsOf], and the host exports the
// plugin's own metrics at its /metrics with a `plugin` label.
//
// The SDK handles the launch contract: it reads the launch environment and
// the per-launch secret, binds the plugin socket (mode 0600), checks
// `authorization: Bearer <secret>` on every call (UNAUTHENTICATED
// otherwise; the grpc.health.v1 service it also serves answers without),
// answers the handshake, raises gRPC's message limits to 16 MiB both ways,
// sends stream response headers at once, keeps status updates across
// WatchPodStatus reconnects (a bounded buffer of 4096, oldest dropped), and
// stops on the Shutdown rpc, SIGTERM, SIGINT or end-of-file on stdin. It
// also does for the provider what upstream's pod controller did: CreatePod
// is idempotent per pod UID (GetPod first), another UID under a held name
// is ALREADY_EXISTS, a PodRef naming another UID is NOT_FOUND, calls for
// one pod run one at a time. [ToStatus] maps errors (errdefs NotFound and
// InvalidInput, [AlreadyExists], apierrors, gRPC statuses) to the
// protocol's codes.
//
// [HostClient] reads Secrets, ConfigMaps, service-account tokens and a
// container's current environment through the host's HostCallbacks (the
// host allows only what a pod of its node references); the listers
// ServeNewProvider hands to the constructor use it. [VolumeFiles] builds
// the files of a pod's secret, configMap and projected volumes from it.
package vkplugin

// vk-host plugin protocol, version 1.
//
// This file is the specification. A plugin is an executable that vk-host
// launches, that serves the `PluginIdentity` and `PodLifecycle` services (and
// optionally the standard `grpc.health.v1.Health` service) on a Unix socket, and that may
// call the host's `HostCallbacks` service on a second Unix socket. A plugin can
// be written in any language with a gRPC implementation.
//
// # Launch
// The host creates a private directory (mode 0700) for each launch, writes a
// per-launch secret into a file in it (mode 0600), and starts the plugin with
// exactly this environment and nothing else (no PWD: the plugin inherits the
// host's working directory and should not rely on it; no KUBECONFIG):
//
//   - the host's values of PATH, HOME, LANG, LC_ALL, TZ, TMPDIR, RUST_LOG,
//     RUST_BACKTRACE, SSL_CERT_FILE and SSL_CERT_DIR, those the host has;
//   - the variables the operator names (vk-host --plugin-env NAME[=VALUE]),
//     which replace an allowlisted value of the same name. Their names never
//     start with VK_PLUGIN_ or VK_HOST_ (reserved for launch variables, in
//     this version and later ones) nor KUBERNETES_, and are never KUBECONFIG
//     or VK_KUBECONFIG;
//   - these launch variables:
//
//   VK_PLUGIN_MAGIC_COOKIE       always "d2a8c4f0-vk-host-plugin". A plugin that
//                                does not see it was started by hand: it should
//                                print a hint ("this is a vk-host plugin, run it
//                                with vk-host --plugin PATH") and exit 1.
//   VK_PLUGIN_SOCKET             path of the Unix socket the plugin must bind
//                                (inside the private directory).
//   VK_HOST_SOCKET               path of the Unix socket where the host serves
//                                `HostCallbacks`.
//   VK_PLUGIN_PROTOCOL_VERSIONS  comma-separated protocol majors the host
//                                speaks, e.g. "1": the same list the
//                                Handshake request carries, given before it
//                                so that a plugin can choose which services
//                                to serve (a future major is a new package)
//                                or exit at once with a message naming the
//                                majors it speaks, instead of binding a
//                                socket it cannot use. A plugin that speaks
//                                exactly one major may ignore it and answer
//                                the Handshake as that rpc says.
//   VK_PLUGIN_SECRET_FILE        path of the file holding the per-launch secret
//                                (one line, 64 hex characters). Read it once at
//                                start. The secret is never in the environment.
//   VK_PLUGIN_CONFIG             path of the plugin's own configuration file
//                                (vk-host --plugin-config), or unset.
//   VK_PLUGIN_NAME_HINT          file name of the plugin executable, for logs.
//
// stdin is a pipe held by the host: when it reaches end-of-file the host is
// gone and the plugin must shut down. stdout and stderr are log streams that
// the host forwards into its own log labelled with the plugin; nothing is ever
// parsed from them. One JSON object per line on stderr (with "level" and
// "message" or "msg" fields) keeps the level; other lines are logged at INFO.
//
// After binding the socket the plugin waits: the host dials it and calls
// `PluginIdentity.Handshake`. The host gives up if that has not succeeded
// within its handshake timeout (default 10 s) and reports why.
//
// # Authentication
// Every call in both directions carries the per-launch secret as gRPC metadata
// `authorization: Bearer <secret>`. A plugin must reject calls without it with
// UNAUTHENTICATED; the host does the same on `HostCallbacks`. The secret
// changes on every (re)start of the plugin. gRPC clients dialing a Unix socket
// should send the `:authority` "localhost" (grpc-go: WithAuthority).
//
// # Pods on the wire
// Pods and pod statuses travel as their Kubernetes JSON encoding (the
// `k8s.io/api/core/v1` Pod and PodStatus types, as `kubectl get -o json`
// prints them) in `bytes` fields, so every language decodes them with its
// ordinary Kubernetes types. A pod is identified by namespace and name in
// lookups, and by `metadata.uid` for identity: a pod deleted and re-created with
// the same name has a new UID and is a different pod.
//
// # Errors and the retry table
// Errors are gRPC status codes; the status message is shown to users (pod
// events, `kubectl describe`), so it should say what failed and why. The host
// reacts to codes as follows, for every rpc:
//
//   OK                   done.
//   NOT_FOUND            permanent: the pod (or container) does not exist. For
//                        DeletePod this means "already gone" and counts as done.
//   ALREADY_EXISTS       permanent for this request: CreatePod for a namespace/name
//                        that the plugin holds under a DIFFERENT uid. (The same
//                        uid again is not an error: CreatePod is idempotent.)
//   INVALID_ARGUMENT     permanent: the request is malformed or the pod spec
//                        cannot be run by this plugin; the host marks the pod
//                        Failed with the message and does not retry.
//   FAILED_PRECONDITION  retried with backoff: something the pod needs is not
//                        there yet (an image, a volume source).
//   UNAVAILABLE,
//   RESOURCE_EXHAUSTED,
//   ABORTED,
//   DEADLINE_EXCEEDED,
//   INTERNAL, UNKNOWN    retried with capped exponential backoff; never given up.
//   UNIMPLEMENTED        the capability is absent; never retried. A plugin must
//                        answer UNIMPLEMENTED for every optional rpc whose
//                        capability it did not declare in the handshake, and the
//                        host never calls such an rpc.
//   UNAUTHENTICATED,
//   PERMISSION_DENIED    permanent; logged by the host.
//
// # Limits
// Messages are limited to 16 MiB in both directions unless the host is
// configured otherwise; larger ones are rejected, not allocated. Most gRPC
// stacks default to 4 MiB for what they receive (grpc-go, grpcio, grpc-java):
// a plugin in another language raises its server's receive and send limits
// to 16 MiB (grpc-go `grpc.MaxRecvMsgSize(16 << 20)` and `MaxSendMsgSize`;
// grpcio options `grpc.max_receive_message_length` and
// `grpc.max_send_message_length`), and the same on its client for
// `HostCallbacks`, or a large pod (many env variables, big annotations) fails
// with RESOURCE_EXHAUSTED. Every unary call has a deadline (gRPC
// `grpc-timeout`), by class: handshake 10 s, create and delete 60 s,
// everything else 10 s. A plugin should honour the deadline and cancel work
// when it passes.
//
// # Streams
// Streams have no deadline; they end when either side cancels. A server
// stream counts as open from the host's call on: grpc-go and grpcio send
// the response headers only with the first message, so the host waits for
// an idle plugin's first message as long as it takes (a hung plugin is found
// by `Probe`, not by a stream timeout). The host keeps at most one
// `WatchPodStatus` stream per plugin instance and opens a new one whenever
// the old one breaks; a plugin must then:
//   - deliver on the new stream what it reported while no stream was
//     attached, Events above all (statuses are also caught up by the host's
//     GetPods resync, Events are not). Keep those updates in a bounded
//     buffer (the SDKs keep 4096) and drop the oldest when it is full,
//     counting what was dropped in the plugin's log;
//   - end an older stream when a newer one is opened (the newer one takes
//     over; sending each update to one stream only, never to both).
// The Rust SDK's `PodStatusFeed` does exactly this.
//
// # The gRPC health service
// A plugin may also serve `grpc.health.v1.Health` for operators' tools
// (grpc_health_probe against the socket). The host never calls it: the
// plugin's readiness is `PluginIdentity.Probe`. If served, it answers without
// the per-launch secret (it reveals nothing), for the service names ""
// (the whole plugin) and "vk.provider.v1.PodLifecycle", SERVING while the
// plugin takes calls. The Rust SDK serves it.
//
// # Pod status: what the plugin owns
// The host writes the plugin's status to the API as the kubelet would (a
// strategic merge patch of the status subresource, only when it changes
// something). The plugin owns, and absent means "clear": phase, reason,
// message, podIP/podIPs, hostIP/hostIPs, startTime, and the init, regular and
// ephemeral container statuses. Conditions merge by `type`: those the plugin
// reports are written whole (a reason or message it omits is cleared),
// conditions set by others (e.g. DisruptionTarget) are kept, and the resize
// conditions (PodResizePending, PodResizeInProgress) are removed when the
// plugin stops reporting them. The host computes nothing of a running pod's
// status itself, with these exceptions: `qosClass` and `resize` belong to the
// API server and are never written; a terminal phase (Succeeded, Failed) is
// final and never overwritten; when the plugin leaves hostIP and hostIPs
// empty, the host fills them from the Node's addresses as the kubelet does
// (hostIP the first InternalIP, hostIPs it and, on a dual-stack node, the
// first of the other family; a value of the plugin's own is kept); and the
// host itself writes the status of a pod the plugin could not create
// (reason ProviderFailed), lost (ProviderLost) or that was deleted without a
// final status from the plugin.

// Code generated by protoc-gen-go-grpc. DO NOT EDIT.
// versions:
// - protoc-gen-go-grpc v1.6.2
// - protoc             v3.21.12
// source: provider.proto

package providerv1

import (
	context "context"
	grpc "google.golang.org/grpc"
	codes "google.golang.org/grpc/codes"
	status "google.golang.org/grpc/status"
)

// This is a compile-time assertion to ensure that this generated file
// is compatible with the grpc package it is being compiled against.
// Requires gRPC-Go v1.64.0 or later.
const _ = grpc.SupportPackageIsVersion9

const (
	PluginIdentity_Handshake_FullMethodName = "/vk.provider.v1.PluginIdentity/Handshake"
	PluginIdentity_Probe_FullMethodName     = "/vk.provider.v1.PluginIdentity/Probe"
	PluginIdentity_Shutdown_FullMethodName  = "/vk.provider.v1.PluginIdentity/Shutdown"
)

// PluginIdentityClient is the client API for PluginIdentity service.
//
// For semantics around ctx use and closing/ending streaming RPCs, please refer to https://pkg.go.dev/google.golang.org/grpc/?tab=doc#ClientConn.NewStream.
type PluginIdentityClient interface {
	// First call after launch. The host lists the protocol majors it speaks; the
	// plugin answers with the one it chose (it must be one of them) and what it
	// is and can do. A plugin that speaks none of the offered majors returns
	// FAILED_PRECONDITION with a message naming the majors it speaks.
	Handshake(ctx context.Context, in *HandshakeRequest, opts ...grpc.CallOption) (*HandshakeResponse, error)
	// Readiness, called periodically by the host (default every 5 s, 2 s
	// deadline). `ready = false` means "alive but cannot take pods now", with a
	// reason for people. An error or a missed deadline counts as a failed probe;
	// the host marks the node NotReady after consecutive failures and restarts
	// the plugin after more (both thresholds configurable on the host).
	Probe(ctx context.Context, in *ProbeRequest, opts ...grpc.CallOption) (*ProbeResponse, error)
	// The host is stopping the plugin. The plugin stops accepting new work,
	// cancels in-flight work, answers, and exits within the grace period (the
	// host sends SIGTERM to the process group after it, then SIGKILL). Pods the
	// plugin runs are NOT deleted: they keep running, and the next instance
	// recovers them through GetPods.
	Shutdown(ctx context.Context, in *ShutdownRequest, opts ...grpc.CallOption) (*ShutdownResponse, error)
}

type pluginIdentityClient struct {
	cc grpc.ClientConnInterface
}

func NewPluginIdentityClient(cc grpc.ClientConnInterface) PluginIdentityClient {
	return &pluginIdentityClient{cc}
}

func (c *pluginIdentityClient) Handshake(ctx context.Context, in *HandshakeRequest, opts ...grpc.CallOption) (*HandshakeResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(HandshakeResponse)
	err := c.cc.Invoke(ctx, PluginIdentity_Handshake_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *pluginIdentityClient) Probe(ctx context.Context, in *ProbeRequest, opts ...grpc.CallOption) (*ProbeResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(ProbeResponse)
	err := c.cc.Invoke(ctx, PluginIdentity_Probe_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *pluginIdentityClient) Shutdown(ctx context.Context, in *ShutdownRequest, opts ...grpc.CallOption) (*ShutdownResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(ShutdownResponse)
	err := c.cc.Invoke(ctx, PluginIdentity_Shutdown_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PluginIdentityServer is the server API for PluginIdentity service.
// All implementations must embed UnimplementedPluginIdentityServer
// for forward compatibility.
type PluginIdentityServer interface {
	// First call after launch. The host lists the protocol majors it speaks; the
	// plugin answers with the one it chose (it must be one of them) and what it
	// is and can do. A plugin that speaks none of the offered majors returns
	// FAILED_PRECONDITION with a message naming the majors it speaks.
	Handshake(context.Context, *HandshakeRequest) (*HandshakeResponse, error)
	// Readiness, called periodically by the host (default every 5 s, 2 s
	// deadline). `ready = false` means "alive but cannot take pods now", with a
	// reason for people. An error or a missed deadline counts as a failed probe;
	// the host marks the node NotReady after consecutive failures and restarts
	// the plugin after more (both thresholds configurable on the host).
	Probe(context.Context, *ProbeRequest) (*ProbeResponse, error)
	// The host is stopping the plugin. The plugin stops accepting new work,
	// cancels in-flight work, answers, and exits within the grace period (the
	// host sends SIGTERM to the process group after it, then SIGKILL). Pods the
	// plugin runs are NOT deleted: they keep running, and the next instance
	// recovers them through GetPods.
	Shutdown(context.Context, *ShutdownRequest) (*ShutdownResponse, error)
	mustEmbedUnimplementedPluginIdentityServer()
}

// UnimplementedPluginIdentityServer must be embedded to have
// forward compatible implementations.
//
// NOTE: this should be embedded by value instead of pointer to avoid a nil
// pointer dereference when methods are called.
type UnimplementedPluginIdentityServer struct{}

func (UnimplementedPluginIdentityServer) Handshake(context.Context, *HandshakeRequest) (*HandshakeResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method Handshake not implemented")
}
func (UnimplementedPluginIdentityServer) Probe(context.Context, *ProbeRequest) (*ProbeResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method Probe not implemented")
}
func (UnimplementedPluginIdentityServer) Shutdown(context.Context, *ShutdownRequest) (*ShutdownResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method Shutdown not implemented")
}
func (UnimplementedPluginIdentityServer) mustEmbedUnimplementedPluginIdentityServer() {}
func (UnimplementedPluginIdentityServer) testEmbeddedByValue()                        {}

// UnsafePluginIdentityServer may be embedded to opt out of forward compatibility for this service.
// Use of this interface is not recommended, as added methods to PluginIdentityServer will
// result in compilation errors.
type UnsafePluginIdentityServer interface {
	mustEmbedUnimplementedPluginIdentityServer()
}

func RegisterPluginIdentityServer(s grpc.ServiceRegistrar, srv PluginIdentityServer) {
	// If the following call panics, it indicates UnimplementedPluginIdentityServer was
	// embedded by pointer and is nil.  This will cause panics if an
	// unimplemented method is ever invoked, so we test this at initialization
	// time to prevent it from happening at runtime later due to I/O.
	if t, ok := srv.(interface{ testEmbeddedByValue() }); ok {
		t.testEmbeddedByValue()
	}
	s.RegisterService(&PluginIdentity_ServiceDesc, srv)
}

func _PluginIdentity_Handshake_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(HandshakeRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(PluginIdentityServer).Handshake(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: PluginIdentity_Handshake_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(PluginIdentityServer).Handshake(ctx, req.(*HandshakeRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _PluginIdentity_Probe_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(ProbeRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(PluginIdentityServer).Probe(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: PluginIdentity_Probe_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(PluginIdentityServer).Probe(ctx, req.(*ProbeRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _PluginIdentity_Shutdown_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(ShutdownRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(PluginIdentityServer).Shutdown(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: PluginIdentity_Shutdown_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(PluginIdentityServer).Shutdown(ctx, req.(*ShutdownRequest))
	}
	return interceptor(ctx, in, info, handler)
}

// PluginIdentity_ServiceDesc is the grpc.ServiceDesc for PluginIdentity service.
// It's only intended for direct use with grpc.RegisterService,
// and not to be introspected or modified (even as a copy)
var PluginIdentity_ServiceDesc = grpc.ServiceDesc{
	ServiceName: "vk.provider.v1.PluginIdentity",
	HandlerType: (*PluginIdentityServer)(nil),
	Methods: []grpc.MethodDesc{
		{
			MethodName: "Handshake",
			Handler:    _PluginIdentity_Handshake_Handler,
		},
		{
			MethodName: "Probe",
			Handler:    _PluginIdentity_Probe_Handler,
		},
		{
			MethodName: "Shutdown",
			Handler:    _PluginIdentity_Shutdown_Handler,
		},
	},
	Streams:  []grpc.StreamDesc{},
	Metadata: "provider.proto",
}

const (
	PodLifecycle_CreatePod_FullMethodName          = "/vk.provider.v1.PodLifecycle/CreatePod"
	PodLifecycle_UpdatePod_FullMethodName          = "/vk.provider.v1.PodLifecycle/UpdatePod"
	PodLifecycle_DeletePod_FullMethodName          = "/vk.provider.v1.PodLifecycle/DeletePod"
	PodLifecycle_GetPod_FullMethodName             = "/vk.provider.v1.PodLifecycle/GetPod"
	PodLifecycle_GetPodStatus_FullMethodName       = "/vk.provider.v1.PodLifecycle/GetPodStatus"
	PodLifecycle_GetPods_FullMethodName            = "/vk.provider.v1.PodLifecycle/GetPods"
	PodLifecycle_WatchPodStatus_FullMethodName     = "/vk.provider.v1.PodLifecycle/WatchPodStatus"
	PodLifecycle_GetContainerLogs_FullMethodName   = "/vk.provider.v1.PodLifecycle/GetContainerLogs"
	PodLifecycle_Exec_FullMethodName               = "/vk.provider.v1.PodLifecycle/Exec"
	PodLifecycle_Attach_FullMethodName             = "/vk.provider.v1.PodLifecycle/Attach"
	PodLifecycle_PortForward_FullMethodName        = "/vk.provider.v1.PodLifecycle/PortForward"
	PodLifecycle_GetStatsSummary_FullMethodName    = "/vk.provider.v1.PodLifecycle/GetStatsSummary"
	PodLifecycle_GetMetricsResource_FullMethodName = "/vk.provider.v1.PodLifecycle/GetMetricsResource"
	PodLifecycle_GetNodeInfo_FullMethodName        = "/vk.provider.v1.PodLifecycle/GetNodeInfo"
	PodLifecycle_WatchNodeInfo_FullMethodName      = "/vk.provider.v1.PodLifecycle/WatchNodeInfo"
	PodLifecycle_GetPluginMetrics_FullMethodName   = "/vk.provider.v1.PodLifecycle/GetPluginMetrics"
)

// PodLifecycleClient is the client API for PodLifecycle service.
//
// For semantics around ctx use and closing/ending streaming RPCs, please refer to https://pkg.go.dev/google.golang.org/grpc/?tab=doc#ClientConn.NewStream.
type PodLifecycleClient interface {
	// Start running a pod. Idempotent per pod UID: a second CreatePod for a UID
	// the plugin already holds returns OK and changes nothing (the host may
	// repeat a create after a timeout or a restart). A different UID under a
	// namespace/name the plugin still holds is ALREADY_EXISTS. The plugin should
	// return quickly (after the pod is accepted, not after it runs) and report
	// progress through GetPodStatus / WatchPodStatus.
	CreatePod(ctx context.Context, in *CreatePodRequest, opts ...grpc.CallOption) (*CreatePodResponse, error)
	// The pod's spec or metadata changed in Kubernetes (e.g. labels, annotations,
	// activeDeadlineSeconds, container images). NOT_FOUND if the plugin does not
	// hold that UID.
	UpdatePod(ctx context.Context, in *UpdatePodRequest, opts ...grpc.CallOption) (*UpdatePodResponse, error)
	// Stop the pod and release what it uses. The pod's
	// `metadata.deletionGracePeriodSeconds` is the time containers get between
	// their stop signal and a forced kill. The call may return before the pod
	// has stopped; the pod then reports terminated container states (or
	// disappears from GetPod with NOT_FOUND) once it has. NOT_FOUND means the
	// plugin does not hold the pod and counts as done.
	DeletePod(ctx context.Context, in *DeletePodRequest, opts ...grpc.CallOption) (*DeletePodResponse, error)
	// The pod as the plugin holds it (spec as last created/updated, status as
	// now). NOT_FOUND if the plugin does not hold it.
	GetPod(ctx context.Context, in *GetPodRequest, opts ...grpc.CallOption) (*GetPodResponse, error)
	// The pod's current status only. NOT_FOUND if the plugin does not hold it.
	GetPodStatus(ctx context.Context, in *GetPodStatusRequest, opts ...grpc.CallOption) (*GetPodStatusResponse, error)
	// Every pod the plugin holds, with status. After the plugin or the host
	// restarts, the host reconciles Kubernetes against this list by UID, so a
	// plugin must rebuild it from its backend (not from memory) after a restart.
	GetPods(ctx context.Context, in *GetPodsRequest, opts ...grpc.CallOption) (*GetPodsResponse, error)
	// CAPABILITY_POD_STATUS_STREAM. A long-lived stream of status changes. The
	// plugin sends an event whenever a pod's status changes; it may coalesce
	// several changes of one pod into one event. If the plugin cannot keep up it
	// may drop events: the host also resyncs with GetPods periodically.
	// The same stream carries the Kubernetes Events the plugin reports about
	// its pods (`PodStatusEvent.events`: image pulled, container started,
	// probe failed, back-off...), which `kubectl describe pod` shows; those are
	// not resynced, so a dropped one is lost. What the plugin reports while no
	// stream is open is delivered when the host's next stream opens, and a
	// newer stream replaces an older one (see "Streams" at the top). The
	// response headers may come with the first message.
	WatchPodStatus(ctx context.Context, in *WatchPodStatusRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[PodStatusEvent], error)
	// CAPABILITY_CONTAINER_LOGS. The container's log, as `kubectl logs` shows
	// it, in chunks. With `follow` the stream stays open and delivers new output
	// until the container exits or the host cancels. NOT_FOUND for an unknown pod
	// or container.
	GetContainerLogs(ctx context.Context, in *ContainerLogsRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[LogChunk], error)
	// CAPABILITY_EXEC. Run a command in a container. The first client message is
	// `start`; later ones carry stdin, resizes and stdin close. The plugin sends
	// output chunks and, last, exactly one `exit`. The stream is bounded both
	// ways by gRPC flow control: a slow reader slows the writer.
	Exec(ctx context.Context, opts ...grpc.CallOption) (grpc.BidiStreamingClient[ExecInput, ExecOutput], error)
	// CAPABILITY_ATTACH. Attach to a running container's main process: same
	// messages as Exec, with `start.command` empty.
	Attach(ctx context.Context, opts ...grpc.CallOption) (grpc.BidiStreamingClient[ExecInput, ExecOutput], error)
	// CAPABILITY_PORT_FORWARD. One forwarded TCP connection into the pod. The
	// first client message is `start` (pod and port); then both sides send `data`
	// until one side closes. The plugin ends the stream when the pod's side of
	// the connection closes; an error status means the connection failed.
	PortForward(ctx context.Context, opts ...grpc.CallOption) (grpc.BidiStreamingClient[PortForwardInput, PortForwardOutput], error)
	// CAPABILITY_STATS_SUMMARY. Usage of the node and of every pod, for the
	// kubelet's /stats/summary.
	GetStatsSummary(ctx context.Context, in *GetStatsSummaryRequest, opts ...grpc.CallOption) (*GetStatsSummaryResponse, error)
	// CAPABILITY_METRICS_RESOURCE. CPU and memory of every container, for the
	// kubelet's /metrics/resource (metrics-server and `kubectl top`).
	GetMetricsResource(ctx context.Context, in *GetMetricsResourceRequest, opts ...grpc.CallOption) (*GetMetricsResourceResponse, error)
	// CAPABILITY_NODE_INFO. What the plugin contributes to the Node object.
	GetNodeInfo(ctx context.Context, in *GetNodeInfoRequest, opts ...grpc.CallOption) (*NodeInfo, error)
	// CAPABILITY_NODE_INFO. Sends the current NodeInfo at once, then again
	// whenever it changes (e.g. capacity or a condition).
	WatchNodeInfo(ctx context.Context, in *WatchNodeInfoRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[NodeInfo], error)
	// CAPABILITY_PLUGIN_METRICS. The plugin's own metrics (its queues, its
	// backend's API calls...), called when the host's /metrics is scraped,
	// with a short deadline (2 s): answer from values kept where they change.
	// The host adds the label `plugin` (the plugin's handshake name) to every
	// sample and exports the families beside its own as OpenMetrics text;
	// families or samples it cannot export (a bad name, a name of the host's
	// own `vk_host_` families or one already exported, a bad label name,
	// duplicate label sets, a negative counter, histogram buckets out of
	// order, past the limits) are left out and counted in
	// `vk_host_plugin_metrics_dropped_total{reason}`, never fatal; a failed
	// call is counted in `vk_host_plugin_metrics_scrape_errors_total` and the
	// scrape goes on without the plugin's families. Keep labels bounded: no
	// pod names or uids.
	GetPluginMetrics(ctx context.Context, in *GetPluginMetricsRequest, opts ...grpc.CallOption) (*GetPluginMetricsResponse, error)
}

type podLifecycleClient struct {
	cc grpc.ClientConnInterface
}

func NewPodLifecycleClient(cc grpc.ClientConnInterface) PodLifecycleClient {
	return &podLifecycleClient{cc}
}

func (c *podLifecycleClient) CreatePod(ctx context.Context, in *CreatePodRequest, opts ...grpc.CallOption) (*CreatePodResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(CreatePodResponse)
	err := c.cc.Invoke(ctx, PodLifecycle_CreatePod_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *podLifecycleClient) UpdatePod(ctx context.Context, in *UpdatePodRequest, opts ...grpc.CallOption) (*UpdatePodResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(UpdatePodResponse)
	err := c.cc.Invoke(ctx, PodLifecycle_UpdatePod_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *podLifecycleClient) DeletePod(ctx context.Context, in *DeletePodRequest, opts ...grpc.CallOption) (*DeletePodResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(DeletePodResponse)
	err := c.cc.Invoke(ctx, PodLifecycle_DeletePod_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *podLifecycleClient) GetPod(ctx context.Context, in *GetPodRequest, opts ...grpc.CallOption) (*GetPodResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(GetPodResponse)
	err := c.cc.Invoke(ctx, PodLifecycle_GetPod_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *podLifecycleClient) GetPodStatus(ctx context.Context, in *GetPodStatusRequest, opts ...grpc.CallOption) (*GetPodStatusResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(GetPodStatusResponse)
	err := c.cc.Invoke(ctx, PodLifecycle_GetPodStatus_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *podLifecycleClient) GetPods(ctx context.Context, in *GetPodsRequest, opts ...grpc.CallOption) (*GetPodsResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(GetPodsResponse)
	err := c.cc.Invoke(ctx, PodLifecycle_GetPods_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *podLifecycleClient) WatchPodStatus(ctx context.Context, in *WatchPodStatusRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[PodStatusEvent], error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	stream, err := c.cc.NewStream(ctx, &PodLifecycle_ServiceDesc.Streams[0], PodLifecycle_WatchPodStatus_FullMethodName, cOpts...)
	if err != nil {
		return nil, err
	}
	x := &grpc.GenericClientStream[WatchPodStatusRequest, PodStatusEvent]{ClientStream: stream}
	if err := x.ClientStream.SendMsg(in); err != nil {
		return nil, err
	}
	if err := x.ClientStream.CloseSend(); err != nil {
		return nil, err
	}
	return x, nil
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type PodLifecycle_WatchPodStatusClient = grpc.ServerStreamingClient[PodStatusEvent]

func (c *podLifecycleClient) GetContainerLogs(ctx context.Context, in *ContainerLogsRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[LogChunk], error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	stream, err := c.cc.NewStream(ctx, &PodLifecycle_ServiceDesc.Streams[1], PodLifecycle_GetContainerLogs_FullMethodName, cOpts...)
	if err != nil {
		return nil, err
	}
	x := &grpc.GenericClientStream[ContainerLogsRequest, LogChunk]{ClientStream: stream}
	if err := x.ClientStream.SendMsg(in); err != nil {
		return nil, err
	}
	if err := x.ClientStream.CloseSend(); err != nil {
		return nil, err
	}
	return x, nil
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type PodLifecycle_GetContainerLogsClient = grpc.ServerStreamingClient[LogChunk]

func (c *podLifecycleClient) Exec(ctx context.Context, opts ...grpc.CallOption) (grpc.BidiStreamingClient[ExecInput, ExecOutput], error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	stream, err := c.cc.NewStream(ctx, &PodLifecycle_ServiceDesc.Streams[2], PodLifecycle_Exec_FullMethodName, cOpts...)
	if err != nil {
		return nil, err
	}
	x := &grpc.GenericClientStream[ExecInput, ExecOutput]{ClientStream: stream}
	return x, nil
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type PodLifecycle_ExecClient = grpc.BidiStreamingClient[ExecInput, ExecOutput]

func (c *podLifecycleClient) Attach(ctx context.Context, opts ...grpc.CallOption) (grpc.BidiStreamingClient[ExecInput, ExecOutput], error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	stream, err := c.cc.NewStream(ctx, &PodLifecycle_ServiceDesc.Streams[3], PodLifecycle_Attach_FullMethodName, cOpts...)
	if err != nil {
		return nil, err
	}
	x := &grpc.GenericClientStream[ExecInput, ExecOutput]{ClientStream: stream}
	return x, nil
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type PodLifecycle_AttachClient = grpc.BidiStreamingClient[ExecInput, ExecOutput]

func (c *podLifecycleClient) PortForward(ctx context.Context, opts ...grpc.CallOption) (grpc.BidiStreamingClient[PortForwardInput, PortForwardOutput], error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	stream, err := c.cc.NewStream(ctx, &PodLifecycle_ServiceDesc.Streams[4], PodLifecycle_PortForward_FullMethodName, cOpts...)
	if err != nil {
		return nil, err
	}
	x := &grpc.GenericClientStream[PortForwardInput, PortForwardOutput]{ClientStream: stream}
	return x, nil
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type PodLifecycle_PortForwardClient = grpc.BidiStreamingClient[PortForwardInput, PortForwardOutput]

func (c *podLifecycleClient) GetStatsSummary(ctx context.Context, in *GetStatsSummaryRequest, opts ...grpc.CallOption) (*GetStatsSummaryResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(GetStatsSummaryResponse)
	err := c.cc.Invoke(ctx, PodLifecycle_GetStatsSummary_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *podLifecycleClient) GetMetricsResource(ctx context.Context, in *GetMetricsResourceRequest, opts ...grpc.CallOption) (*GetMetricsResourceResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(GetMetricsResourceResponse)
	err := c.cc.Invoke(ctx, PodLifecycle_GetMetricsResource_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *podLifecycleClient) GetNodeInfo(ctx context.Context, in *GetNodeInfoRequest, opts ...grpc.CallOption) (*NodeInfo, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(NodeInfo)
	err := c.cc.Invoke(ctx, PodLifecycle_GetNodeInfo_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *podLifecycleClient) WatchNodeInfo(ctx context.Context, in *WatchNodeInfoRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[NodeInfo], error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	stream, err := c.cc.NewStream(ctx, &PodLifecycle_ServiceDesc.Streams[5], PodLifecycle_WatchNodeInfo_FullMethodName, cOpts...)
	if err != nil {
		return nil, err
	}
	x := &grpc.GenericClientStream[WatchNodeInfoRequest, NodeInfo]{ClientStream: stream}
	if err := x.ClientStream.SendMsg(in); err != nil {
		return nil, err
	}
	if err := x.ClientStream.CloseSend(); err != nil {
		return nil, err
	}
	return x, nil
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type PodLifecycle_WatchNodeInfoClient = grpc.ServerStreamingClient[NodeInfo]

func (c *podLifecycleClient) GetPluginMetrics(ctx context.Context, in *GetPluginMetricsRequest, opts ...grpc.CallOption) (*GetPluginMetricsResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(GetPluginMetricsResponse)
	err := c.cc.Invoke(ctx, PodLifecycle_GetPluginMetrics_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PodLifecycleServer is the server API for PodLifecycle service.
// All implementations must embed UnimplementedPodLifecycleServer
// for forward compatibility.
type PodLifecycleServer interface {
	// Start running a pod. Idempotent per pod UID: a second CreatePod for a UID
	// the plugin already holds returns OK and changes nothing (the host may
	// repeat a create after a timeout or a restart). A different UID under a
	// namespace/name the plugin still holds is ALREADY_EXISTS. The plugin should
	// return quickly (after the pod is accepted, not after it runs) and report
	// progress through GetPodStatus / WatchPodStatus.
	CreatePod(context.Context, *CreatePodRequest) (*CreatePodResponse, error)
	// The pod's spec or metadata changed in Kubernetes (e.g. labels, annotations,
	// activeDeadlineSeconds, container images). NOT_FOUND if the plugin does not
	// hold that UID.
	UpdatePod(context.Context, *UpdatePodRequest) (*UpdatePodResponse, error)
	// Stop the pod and release what it uses. The pod's
	// `metadata.deletionGracePeriodSeconds` is the time containers get between
	// their stop signal and a forced kill. The call may return before the pod
	// has stopped; the pod then reports terminated container states (or
	// disappears from GetPod with NOT_FOUND) once it has. NOT_FOUND means the
	// plugin does not hold the pod and counts as done.
	DeletePod(context.Context, *DeletePodRequest) (*DeletePodResponse, error)
	// The pod as the plugin holds it (spec as last created/updated, status as
	// now). NOT_FOUND if the plugin does not hold it.
	GetPod(context.Context, *GetPodRequest) (*GetPodResponse, error)
	// The pod's current status only. NOT_FOUND if the plugin does not hold it.
	GetPodStatus(context.Context, *GetPodStatusRequest) (*GetPodStatusResponse, error)
	// Every pod the plugin holds, with status. After the plugin or the host
	// restarts, the host reconciles Kubernetes against this list by UID, so a
	// plugin must rebuild it from its backend (not from memory) after a restart.
	GetPods(context.Context, *GetPodsRequest) (*GetPodsResponse, error)
	// CAPABILITY_POD_STATUS_STREAM. A long-lived stream of status changes. The
	// plugin sends an event whenever a pod's status changes; it may coalesce
	// several changes of one pod into one event. If the plugin cannot keep up it
	// may drop events: the host also resyncs with GetPods periodically.
	// The same stream carries the Kubernetes Events the plugin reports about
	// its pods (`PodStatusEvent.events`: image pulled, container started,
	// probe failed, back-off...), which `kubectl describe pod` shows; those are
	// not resynced, so a dropped one is lost. What the plugin reports while no
	// stream is open is delivered when the host's next stream opens, and a
	// newer stream replaces an older one (see "Streams" at the top). The
	// response headers may come with the first message.
	WatchPodStatus(*WatchPodStatusRequest, grpc.ServerStreamingServer[PodStatusEvent]) error
	// CAPABILITY_CONTAINER_LOGS. The container's log, as `kubectl logs` shows
	// it, in chunks. With `follow` the stream stays open and delivers new output
	// until the container exits or the host cancels. NOT_FOUND for an unknown pod
	// or container.
	GetContainerLogs(*ContainerLogsRequest, grpc.ServerStreamingServer[LogChunk]) error
	// CAPABILITY_EXEC. Run a command in a container. The first client message is
	// `start`; later ones carry stdin, resizes and stdin close. The plugin sends
	// output chunks and, last, exactly one `exit`. The stream is bounded both
	// ways by gRPC flow control: a slow reader slows the writer.
	Exec(grpc.BidiStreamingServer[ExecInput, ExecOutput]) error
	// CAPABILITY_ATTACH. Attach to a running container's main process: same
	// messages as Exec, with `start.command` empty.
	Attach(grpc.BidiStreamingServer[ExecInput, ExecOutput]) error
	// CAPABILITY_PORT_FORWARD. One forwarded TCP connection into the pod. The
	// first client message is `start` (pod and port); then both sides send `data`
	// until one side closes. The plugin ends the stream when the pod's side of
	// the connection closes; an error status means the connection failed.
	PortForward(grpc.BidiStreamingServer[PortForwardInput, PortForwardOutput]) error
	// CAPABILITY_STATS_SUMMARY. Usage of the node and of every pod, for the
	// kubelet's /stats/summary.
	GetStatsSummary(context.Context, *GetStatsSummaryRequest) (*GetStatsSummaryResponse, error)
	// CAPABILITY_METRICS_RESOURCE. CPU and memory of every container, for the
	// kubelet's /metrics/resource (metrics-server and `kubectl top`).
	GetMetricsResource(context.Context, *GetMetricsResourceRequest) (*GetMetricsResourceResponse, error)
	// CAPABILITY_NODE_INFO. What the plugin contributes to the Node object.
	GetNodeInfo(context.Context, *GetNodeInfoRequest) (*NodeInfo, error)
	// CAPABILITY_NODE_INFO. Sends the current NodeInfo at once, then again
	// whenever it changes (e.g. capacity or a condition).
	WatchNodeInfo(*WatchNodeInfoRequest, grpc.ServerStreamingServer[NodeInfo]) error
	// CAPABILITY_PLUGIN_METRICS. The plugin's own metrics (its queues, its
	// backend's API calls...), called when the host's /metrics is scraped,
	// with a short deadline (2 s): answer from values kept where they change.
	// The host adds the label `plugin` (the plugin's handshake name) to every
	// sample and exports the families beside its own as OpenMetrics text;
	// families or samples it cannot export (a bad name, a name of the host's
	// own `vk_host_` families or one already exported, a bad label name,
	// duplicate label sets, a negative counter, histogram buckets out of
	// order, past the limits) are left out and counted in
	// `vk_host_plugin_metrics_dropped_total{reason}`, never fatal; a failed
	// call is counted in `vk_host_plugin_metrics_scrape_errors_total` and the
	// scrape goes on without the plugin's families. Keep labels bounded: no
	// pod names or uids.
	GetPluginMetrics(context.Context, *GetPluginMetricsRequest) (*GetPluginMetricsResponse, error)
	mustEmbedUnimplementedPodLifecycleServer()
}

// UnimplementedPodLifecycleServer must be embedded to have
// forward compatible implementations.
//
// NOTE: this should be embedded by value instead of pointer to avoid a nil
// pointer dereference when methods are called.
type UnimplementedPodLifecycleServer struct{}

func (UnimplementedPodLifecycleServer) CreatePod(context.Context, *CreatePodRequest) (*CreatePodResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method CreatePod not implemented")
}
func (UnimplementedPodLifecycleServer) UpdatePod(context.Context, *UpdatePodRequest) (*UpdatePodResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method UpdatePod not implemented")
}
func (UnimplementedPodLifecycleServer) DeletePod(context.Context, *DeletePodRequest) (*DeletePodResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method DeletePod not implemented")
}
func (UnimplementedPodLifecycleServer) GetPod(context.Context, *GetPodRequest) (*GetPodResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method GetPod not implemented")
}
func (UnimplementedPodLifecycleServer) GetPodStatus(context.Context, *GetPodStatusRequest) (*GetPodStatusResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method GetPodStatus not implemented")
}
func (UnimplementedPodLifecycleServer) GetPods(context.Context, *GetPodsRequest) (*GetPodsResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method GetPods not implemented")
}
func (UnimplementedPodLifecycleServer) WatchPodStatus(*WatchPodStatusRequest, grpc.ServerStreamingServer[PodStatusEvent]) error {
	return status.Error(codes.Unimplemented, "method WatchPodStatus not implemented")
}
func (UnimplementedPodLifecycleServer) GetContainerLogs(*ContainerLogsRequest, grpc.ServerStreamingServer[LogChunk]) error {
	return status.Error(codes.Unimplemented, "method GetContainerLogs not implemented")
}
func (UnimplementedPodLifecycleServer) Exec(grpc.BidiStreamingServer[ExecInput, ExecOutput]) error {
	return status.Error(codes.Unimplemented, "method Exec not implemented")
}
func (UnimplementedPodLifecycleServer) Attach(grpc.BidiStreamingServer[ExecInput, ExecOutput]) error {
	return status.Error(codes.Unimplemented, "method Attach not implemented")
}
func (UnimplementedPodLifecycleServer) PortForward(grpc.BidiStreamingServer[PortForwardInput, PortForwardOutput]) error {
	return status.Error(codes.Unimplemented, "method PortForward not implemented")
}
func (UnimplementedPodLifecycleServer) GetStatsSummary(context.Context, *GetStatsSummaryRequest) (*GetStatsSummaryResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method GetStatsSummary not implemented")
}
func (UnimplementedPodLifecycleServer) GetMetricsResource(context.Context, *GetMetricsResourceRequest) (*GetMetricsResourceResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method GetMetricsResource not implemented")
}
func (UnimplementedPodLifecycleServer) GetNodeInfo(context.Context, *GetNodeInfoRequest) (*NodeInfo, error) {
	return nil, status.Error(codes.Unimplemented, "method GetNodeInfo not implemented")
}
func (UnimplementedPodLifecycleServer) WatchNodeInfo(*WatchNodeInfoRequest, grpc.ServerStreamingServer[NodeInfo]) error {
	return status.Error(codes.Unimplemented, "method WatchNodeInfo not implemented")
}
func (UnimplementedPodLifecycleServer) GetPluginMetrics(context.Context, *GetPluginMetricsRequest) (*GetPluginMetricsResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method GetPluginMetrics not implemented")
}
func (UnimplementedPodLifecycleServer) mustEmbedUnimplementedPodLifecycleServer() {}
func (UnimplementedPodLifecycleServer) testEmbeddedByValue()                      {}

// UnsafePodLifecycleServer may be embedded to opt out of forward compatibility for this service.
// Use of this interface is not recommended, as added methods to PodLifecycleServer will
// result in compilation errors.
type UnsafePodLifecycleServer interface {
	mustEmbedUnimplementedPodLifecycleServer()
}

func RegisterPodLifecycleServer(s grpc.ServiceRegistrar, srv PodLifecycleServer) {
	// If the following call panics, it indicates UnimplementedPodLifecycleServer was
	// embedded by pointer and is nil.  This will cause panics if an
	// unimplemented method is ever invoked, so we test this at initialization
	// time to prevent it from happening at runtime later due to I/O.
	if t, ok := srv.(interface{ testEmbeddedByValue() }); ok {
		t.testEmbeddedByValue()
	}
	s.RegisterService(&PodLifecycle_ServiceDesc, srv)
}

func _PodLifecycle_CreatePod_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(CreatePodRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(PodLifecycleServer).CreatePod(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: PodLifecycle_CreatePod_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(PodLifecycleServer).CreatePod(ctx, req.(*CreatePodRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _PodLifecycle_UpdatePod_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(UpdatePodRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(PodLifecycleServer).UpdatePod(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: PodLifecycle_UpdatePod_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(PodLifecycleServer).UpdatePod(ctx, req.(*UpdatePodRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _PodLifecycle_DeletePod_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(DeletePodRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(PodLifecycleServer).DeletePod(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: PodLifecycle_DeletePod_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(PodLifecycleServer).DeletePod(ctx, req.(*DeletePodRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _PodLifecycle_GetPod_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(GetPodRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(PodLifecycleServer).GetPod(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: PodLifecycle_GetPod_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(PodLifecycleServer).GetPod(ctx, req.(*GetPodRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _PodLifecycle_GetPodStatus_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(GetPodStatusRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(PodLifecycleServer).GetPodStatus(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: PodLifecycle_GetPodStatus_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(PodLifecycleServer).GetPodStatus(ctx, req.(*GetPodStatusRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _PodLifecycle_GetPods_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(GetPodsRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(PodLifecycleServer).GetPods(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: PodLifecycle_GetPods_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(PodLifecycleServer).GetPods(ctx, req.(*GetPodsRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _PodLifecycle_WatchPodStatus_Handler(srv interface{}, stream grpc.ServerStream) error {
	m := new(WatchPodStatusRequest)
	if err := stream.RecvMsg(m); err != nil {
		return err
	}
	return srv.(PodLifecycleServer).WatchPodStatus(m, &grpc.GenericServerStream[WatchPodStatusRequest, PodStatusEvent]{ServerStream: stream})
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type PodLifecycle_WatchPodStatusServer = grpc.ServerStreamingServer[PodStatusEvent]

func _PodLifecycle_GetContainerLogs_Handler(srv interface{}, stream grpc.ServerStream) error {
	m := new(ContainerLogsRequest)
	if err := stream.RecvMsg(m); err != nil {
		return err
	}
	return srv.(PodLifecycleServer).GetContainerLogs(m, &grpc.GenericServerStream[ContainerLogsRequest, LogChunk]{ServerStream: stream})
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type PodLifecycle_GetContainerLogsServer = grpc.ServerStreamingServer[LogChunk]

func _PodLifecycle_Exec_Handler(srv interface{}, stream grpc.ServerStream) error {
	return srv.(PodLifecycleServer).Exec(&grpc.GenericServerStream[ExecInput, ExecOutput]{ServerStream: stream})
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type PodLifecycle_ExecServer = grpc.BidiStreamingServer[ExecInput, ExecOutput]

func _PodLifecycle_Attach_Handler(srv interface{}, stream grpc.ServerStream) error {
	return srv.(PodLifecycleServer).Attach(&grpc.GenericServerStream[ExecInput, ExecOutput]{ServerStream: stream})
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type PodLifecycle_AttachServer = grpc.BidiStreamingServer[ExecInput, ExecOutput]

func _PodLifecycle_PortForward_Handler(srv interface{}, stream grpc.ServerStream) error {
	return srv.(PodLifecycleServer).PortForward(&grpc.GenericServerStream[PortForwardInput, PortForwardOutput]{ServerStream: stream})
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type PodLifecycle_PortForwardServer = grpc.BidiStreamingServer[PortForwardInput, PortForwardOutput]

func _PodLifecycle_GetStatsSummary_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(GetStatsSummaryRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(PodLifecycleServer).GetStatsSummary(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: PodLifecycle_GetStatsSummary_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(PodLifecycleServer).GetStatsSummary(ctx, req.(*GetStatsSummaryRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _PodLifecycle_GetMetricsResource_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(GetMetricsResourceRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(PodLifecycleServer).GetMetricsResource(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: PodLifecycle_GetMetricsResource_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(PodLifecycleServer).GetMetricsResource(ctx, req.(*GetMetricsResourceRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _PodLifecycle_GetNodeInfo_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(GetNodeInfoRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(PodLifecycleServer).GetNodeInfo(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: PodLifecycle_GetNodeInfo_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(PodLifecycleServer).GetNodeInfo(ctx, req.(*GetNodeInfoRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _PodLifecycle_WatchNodeInfo_Handler(srv interface{}, stream grpc.ServerStream) error {
	m := new(WatchNodeInfoRequest)
	if err := stream.RecvMsg(m); err != nil {
		return err
	}
	return srv.(PodLifecycleServer).WatchNodeInfo(m, &grpc.GenericServerStream[WatchNodeInfoRequest, NodeInfo]{ServerStream: stream})
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type PodLifecycle_WatchNodeInfoServer = grpc.ServerStreamingServer[NodeInfo]

func _PodLifecycle_GetPluginMetrics_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(GetPluginMetricsRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(PodLifecycleServer).GetPluginMetrics(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: PodLifecycle_GetPluginMetrics_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(PodLifecycleServer).GetPluginMetrics(ctx, req.(*GetPluginMetricsRequest))
	}
	return interceptor(ctx, in, info, handler)
}

// PodLifecycle_ServiceDesc is the grpc.ServiceDesc for PodLifecycle service.
// It's only intended for direct use with grpc.RegisterService,
// and not to be introspected or modified (even as a copy)
var PodLifecycle_ServiceDesc = grpc.ServiceDesc{
	ServiceName: "vk.provider.v1.PodLifecycle",
	HandlerType: (*PodLifecycleServer)(nil),
	Methods: []grpc.MethodDesc{
		{
			MethodName: "CreatePod",
			Handler:    _PodLifecycle_CreatePod_Handler,
		},
		{
			MethodName: "UpdatePod",
			Handler:    _PodLifecycle_UpdatePod_Handler,
		},
		{
			MethodName: "DeletePod",
			Handler:    _PodLifecycle_DeletePod_Handler,
		},
		{
			MethodName: "GetPod",
			Handler:    _PodLifecycle_GetPod_Handler,
		},
		{
			MethodName: "GetPodStatus",
			Handler:    _PodLifecycle_GetPodStatus_Handler,
		},
		{
			MethodName: "GetPods",
			Handler:    _PodLifecycle_GetPods_Handler,
		},
		{
			MethodName: "GetStatsSummary",
			Handler:    _PodLifecycle_GetStatsSummary_Handler,
		},
		{
			MethodName: "GetMetricsResource",
			Handler:    _PodLifecycle_GetMetricsResource_Handler,
		},
		{
			MethodName: "GetNodeInfo",
			Handler:    _PodLifecycle_GetNodeInfo_Handler,
		},
		{
			MethodName: "GetPluginMetrics",
			Handler:    _PodLifecycle_GetPluginMetrics_Handler,
		},
	},
	Streams: []grpc.StreamDesc{
		{
			StreamName:    "WatchPodStatus",
			Handler:       _PodLifecycle_WatchPodStatus_Handler,
			ServerStreams: true,
		},
		{
			StreamName:    "GetContainerLogs",
			Handler:       _PodLifecycle_GetContainerLogs_Handler,
			ServerStreams: true,
		},
		{
			StreamName:    "Exec",
			Handler:       _PodLifecycle_Exec_Handler,
			ServerStreams: true,
			ClientStreams: true,
		},
		{
			StreamName:    "Attach",
			Handler:       _PodLifecycle_Attach_Handler,
			ServerStreams: true,
			ClientStreams: true,
		},
		{
			StreamName:    "PortForward",
			Handler:       _PodLifecycle_PortForward_Handler,
			ServerStreams: true,
			ClientStreams: true,
		},
		{
			StreamName:    "WatchNodeInfo",
			Handler:       _PodLifecycle_WatchNodeInfo_Handler,
			ServerStreams: true,
		},
	},
	Metadata: "provider.proto",
}

const (
	HostCallbacks_GetSecret_FullMethodName                 = "/vk.provider.v1.HostCallbacks/GetSecret"
	HostCallbacks_GetConfigMap_FullMethodName              = "/vk.provider.v1.HostCallbacks/GetConfigMap"
	HostCallbacks_CreateServiceAccountToken_FullMethodName = "/vk.provider.v1.HostCallbacks/CreateServiceAccountToken"
	HostCallbacks_GetContainerEnv_FullMethodName           = "/vk.provider.v1.HostCallbacks/GetContainerEnv"
)

// HostCallbacksClient is the client API for HostCallbacks service.
//
// For semantics around ctx use and closing/ending streaming RPCs, please refer to https://pkg.go.dev/google.golang.org/grpc/?tab=doc#ClientConn.NewStream.
type HostCallbacksClient interface {
	// A Secret referenced by the pod (env, envFrom, volumes, projected volumes,
	// imagePullSecrets). NOT_FOUND if it does not exist (yet): retry later, or
	// skip it when the pod marks the reference `optional`.
	GetSecret(ctx context.Context, in *GetObjectRequest, opts ...grpc.CallOption) (*GetSecretResponse, error)
	// A ConfigMap referenced by the pod (env, envFrom, volumes, projected
	// volumes). NOT_FOUND if it does not exist (yet), as for GetSecret.
	GetConfigMap(ctx context.Context, in *GetObjectRequest, opts ...grpc.CallOption) (*GetConfigMapResponse, error)
	// A service-account token for the pod's own service account, bound to the
	// pod (TokenRequest with the pod, by name and uid, as bound object: the
	// token stops working when the pod is deleted), for the pod's
	// `serviceAccountToken` projections (the `kube-api-access-*` volume is
	// one): only with the audience of one of them (rule token-projected).
	// UNAVAILABLE when the API server failed (retry); INVALID_ARGUMENT when
	// the request's expiry is negative or under 600 s, or when the API server
	// refused the request.
	CreateServiceAccountToken(ctx context.Context, in *CreateServiceAccountTokenRequest, opts ...grpc.CallOption) (*CreateServiceAccountTokenResponse, error)
	// The environment of one container of the pod as of now, for a plugin
	// about to create an instance of that container (a restart above all;
	// see "Environment"): the container as the host would send it in
	// CreatePod at this moment, its `env`, `command` and `args` resolved from
	// the Secrets, ConfigMaps, Node and pod fields as they are now. Answers
	// for `containers`, `initContainers` and `ephemeralContainers`. Rules
	// pod-bound and pod-running only (see above); the audit line names the
	// container, never a value.
	// NOT_FOUND when the pod has no container of that name.
	// FAILED_PRECONDITION when a required Secret, ConfigMap or key is missing
	// (or a reference cannot be resolved): the message is the kubelet's
	// CreateContainerConfigError message, e.g.
	// `couldn't find key url in ConfigMap ns/app` or
	// `configmap "app" not found`, to be shown as the container's waiting
	// message; retry at a later sync.
	// UNAVAILABLE when the API server could not be read: retry later.
	GetContainerEnv(ctx context.Context, in *GetContainerEnvRequest, opts ...grpc.CallOption) (*GetContainerEnvResponse, error)
}

type hostCallbacksClient struct {
	cc grpc.ClientConnInterface
}

func NewHostCallbacksClient(cc grpc.ClientConnInterface) HostCallbacksClient {
	return &hostCallbacksClient{cc}
}

func (c *hostCallbacksClient) GetSecret(ctx context.Context, in *GetObjectRequest, opts ...grpc.CallOption) (*GetSecretResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(GetSecretResponse)
	err := c.cc.Invoke(ctx, HostCallbacks_GetSecret_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *hostCallbacksClient) GetConfigMap(ctx context.Context, in *GetObjectRequest, opts ...grpc.CallOption) (*GetConfigMapResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(GetConfigMapResponse)
	err := c.cc.Invoke(ctx, HostCallbacks_GetConfigMap_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *hostCallbacksClient) CreateServiceAccountToken(ctx context.Context, in *CreateServiceAccountTokenRequest, opts ...grpc.CallOption) (*CreateServiceAccountTokenResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(CreateServiceAccountTokenResponse)
	err := c.cc.Invoke(ctx, HostCallbacks_CreateServiceAccountToken_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *hostCallbacksClient) GetContainerEnv(ctx context.Context, in *GetContainerEnvRequest, opts ...grpc.CallOption) (*GetContainerEnvResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(GetContainerEnvResponse)
	err := c.cc.Invoke(ctx, HostCallbacks_GetContainerEnv_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// HostCallbacksServer is the server API for HostCallbacks service.
// All implementations must embed UnimplementedHostCallbacksServer
// for forward compatibility.
type HostCallbacksServer interface {
	// A Secret referenced by the pod (env, envFrom, volumes, projected volumes,
	// imagePullSecrets). NOT_FOUND if it does not exist (yet): retry later, or
	// skip it when the pod marks the reference `optional`.
	GetSecret(context.Context, *GetObjectRequest) (*GetSecretResponse, error)
	// A ConfigMap referenced by the pod (env, envFrom, volumes, projected
	// volumes). NOT_FOUND if it does not exist (yet), as for GetSecret.
	GetConfigMap(context.Context, *GetObjectRequest) (*GetConfigMapResponse, error)
	// A service-account token for the pod's own service account, bound to the
	// pod (TokenRequest with the pod, by name and uid, as bound object: the
	// token stops working when the pod is deleted), for the pod's
	// `serviceAccountToken` projections (the `kube-api-access-*` volume is
	// one): only with the audience of one of them (rule token-projected).
	// UNAVAILABLE when the API server failed (retry); INVALID_ARGUMENT when
	// the request's expiry is negative or under 600 s, or when the API server
	// refused the request.
	CreateServiceAccountToken(context.Context, *CreateServiceAccountTokenRequest) (*CreateServiceAccountTokenResponse, error)
	// The environment of one container of the pod as of now, for a plugin
	// about to create an instance of that container (a restart above all;
	// see "Environment"): the container as the host would send it in
	// CreatePod at this moment, its `env`, `command` and `args` resolved from
	// the Secrets, ConfigMaps, Node and pod fields as they are now. Answers
	// for `containers`, `initContainers` and `ephemeralContainers`. Rules
	// pod-bound and pod-running only (see above); the audit line names the
	// container, never a value.
	// NOT_FOUND when the pod has no container of that name.
	// FAILED_PRECONDITION when a required Secret, ConfigMap or key is missing
	// (or a reference cannot be resolved): the message is the kubelet's
	// CreateContainerConfigError message, e.g.
	// `couldn't find key url in ConfigMap ns/app` or
	// `configmap "app" not found`, to be shown as the container's waiting
	// message; retry at a later sync.
	// UNAVAILABLE when the API server could not be read: retry later.
	GetContainerEnv(context.Context, *GetContainerEnvRequest) (*GetContainerEnvResponse, error)
	mustEmbedUnimplementedHostCallbacksServer()
}

// UnimplementedHostCallbacksServer must be embedded to have
// forward compatible implementations.
//
// NOTE: this should be embedded by value instead of pointer to avoid a nil
// pointer dereference when methods are called.
type UnimplementedHostCallbacksServer struct{}

func (UnimplementedHostCallbacksServer) GetSecret(context.Context, *GetObjectRequest) (*GetSecretResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method GetSecret not implemented")
}
func (UnimplementedHostCallbacksServer) GetConfigMap(context.Context, *GetObjectRequest) (*GetConfigMapResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method GetConfigMap not implemented")
}
func (UnimplementedHostCallbacksServer) CreateServiceAccountToken(context.Context, *CreateServiceAccountTokenRequest) (*CreateServiceAccountTokenResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method CreateServiceAccountToken not implemented")
}
func (UnimplementedHostCallbacksServer) GetContainerEnv(context.Context, *GetContainerEnvRequest) (*GetContainerEnvResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method GetContainerEnv not implemented")
}
func (UnimplementedHostCallbacksServer) mustEmbedUnimplementedHostCallbacksServer() {}
func (UnimplementedHostCallbacksServer) testEmbeddedByValue()                       {}

// UnsafeHostCallbacksServer may be embedded to opt out of forward compatibility for this service.
// Use of this interface is not recommended, as added methods to HostCallbacksServer will
// result in compilation errors.
type UnsafeHostCallbacksServer interface {
	mustEmbedUnimplementedHostCallbacksServer()
}

func RegisterHostCallbacksServer(s grpc.ServiceRegistrar, srv HostCallbacksServer) {
	// If the following call panics, it indicates UnimplementedHostCallbacksServer was
	// embedded by pointer and is nil.  This will cause panics if an
	// unimplemented method is ever invoked, so we test this at initialization
	// time to prevent it from happening at runtime later due to I/O.
	if t, ok := srv.(interface{ testEmbeddedByValue() }); ok {
		t.testEmbeddedByValue()
	}
	s.RegisterService(&HostCallbacks_ServiceDesc, srv)
}

func _HostCallbacks_GetSecret_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(GetObjectRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(HostCallbacksServer).GetSecret(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: HostCallbacks_GetSecret_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(HostCallbacksServer).GetSecret(ctx, req.(*GetObjectRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _HostCallbacks_GetConfigMap_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(GetObjectRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(HostCallbacksServer).GetConfigMap(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: HostCallbacks_GetConfigMap_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(HostCallbacksServer).GetConfigMap(ctx, req.(*GetObjectRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _HostCallbacks_CreateServiceAccountToken_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(CreateServiceAccountTokenRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(HostCallbacksServer).CreateServiceAccountToken(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: HostCallbacks_CreateServiceAccountToken_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(HostCallbacksServer).CreateServiceAccountToken(ctx, req.(*CreateServiceAccountTokenRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _HostCallbacks_GetContainerEnv_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(GetContainerEnvRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(HostCallbacksServer).GetContainerEnv(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: HostCallbacks_GetContainerEnv_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(HostCallbacksServer).GetContainerEnv(ctx, req.(*GetContainerEnvRequest))
	}
	return interceptor(ctx, in, info, handler)
}

// HostCallbacks_ServiceDesc is the grpc.ServiceDesc for HostCallbacks service.
// It's only intended for direct use with grpc.RegisterService,
// and not to be introspected or modified (even as a copy)
var HostCallbacks_ServiceDesc = grpc.ServiceDesc{
	ServiceName: "vk.provider.v1.HostCallbacks",
	HandlerType: (*HostCallbacksServer)(nil),
	Methods: []grpc.MethodDesc{
		{
			MethodName: "GetSecret",
			Handler:    _HostCallbacks_GetSecret_Handler,
		},
		{
			MethodName: "GetConfigMap",
			Handler:    _HostCallbacks_GetConfigMap_Handler,
		},
		{
			MethodName: "CreateServiceAccountToken",
			Handler:    _HostCallbacks_CreateServiceAccountToken_Handler,
		},
		{
			MethodName: "GetContainerEnv",
			Handler:    _HostCallbacks_GetContainerEnv_Handler,
		},
	},
	Streams:  []grpc.StreamDesc{},
	Metadata: "provider.proto",
}

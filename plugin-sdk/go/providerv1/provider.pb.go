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

// Code generated by protoc-gen-go. DO NOT EDIT.
// versions:
// 	protoc-gen-go v1.36.12
// 	protoc        v3.21.12
// source: provider.proto

package providerv1

import (
	protoreflect "google.golang.org/protobuf/reflect/protoreflect"
	protoimpl "google.golang.org/protobuf/runtime/protoimpl"
	reflect "reflect"
	sync "sync"
	unsafe "unsafe"
)

const (
	// Verify that this generated code is sufficiently up-to-date.
	_ = protoimpl.EnforceVersion(20 - protoimpl.MinVersion)
	// Verify that runtime/protoimpl is sufficiently up-to-date.
	_ = protoimpl.EnforceVersion(protoimpl.MaxVersion - 20)
)

// Optional parts of PodLifecycle. The six pod rpcs (CreatePod, UpdatePod,
// DeletePod, GetPod, GetPodStatus, GetPods) are required of every plugin.
type Capability int32

const (
	Capability_CAPABILITY_UNSPECIFIED Capability = 0
	// WatchPodStatus pushes status changes.
	Capability_CAPABILITY_POD_STATUS_STREAM Capability = 1
	// GetContainerLogs.
	Capability_CAPABILITY_CONTAINER_LOGS Capability = 2
	// Exec.
	Capability_CAPABILITY_EXEC Capability = 3
	// Attach.
	Capability_CAPABILITY_ATTACH Capability = 4
	// PortForward.
	Capability_CAPABILITY_PORT_FORWARD Capability = 5
	// GetStatsSummary.
	Capability_CAPABILITY_STATS_SUMMARY Capability = 6
	// GetMetricsResource.
	Capability_CAPABILITY_METRICS_RESOURCE Capability = 7
	// GetNodeInfo and WatchNodeInfo. Without it the host registers the node from
	// its own configuration only.
	Capability_CAPABILITY_NODE_INFO Capability = 8
	// GetPluginMetrics: the plugin's own metrics, exported by the host at its
	// /metrics with a `plugin` label.
	Capability_CAPABILITY_PLUGIN_METRICS Capability = 9
)

// Enum value maps for Capability.
var (
	Capability_name = map[int32]string{
		0: "CAPABILITY_UNSPECIFIED",
		1: "CAPABILITY_POD_STATUS_STREAM",
		2: "CAPABILITY_CONTAINER_LOGS",
		3: "CAPABILITY_EXEC",
		4: "CAPABILITY_ATTACH",
		5: "CAPABILITY_PORT_FORWARD",
		6: "CAPABILITY_STATS_SUMMARY",
		7: "CAPABILITY_METRICS_RESOURCE",
		8: "CAPABILITY_NODE_INFO",
		9: "CAPABILITY_PLUGIN_METRICS",
	}
	Capability_value = map[string]int32{
		"CAPABILITY_UNSPECIFIED":       0,
		"CAPABILITY_POD_STATUS_STREAM": 1,
		"CAPABILITY_CONTAINER_LOGS":    2,
		"CAPABILITY_EXEC":              3,
		"CAPABILITY_ATTACH":            4,
		"CAPABILITY_PORT_FORWARD":      5,
		"CAPABILITY_STATS_SUMMARY":     6,
		"CAPABILITY_METRICS_RESOURCE":  7,
		"CAPABILITY_NODE_INFO":         8,
		"CAPABILITY_PLUGIN_METRICS":    9,
	}
)

func (x Capability) Enum() *Capability {
	p := new(Capability)
	*p = x
	return p
}

func (x Capability) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (Capability) Descriptor() protoreflect.EnumDescriptor {
	return file_provider_proto_enumTypes[0].Descriptor()
}

func (Capability) Type() protoreflect.EnumType {
	return &file_provider_proto_enumTypes[0]
}

func (x Capability) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use Capability.Descriptor instead.
func (Capability) EnumDescriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{0}
}

type PodEventType int32

const (
	// Something expected happened (`Normal`). The default.
	PodEventType_POD_EVENT_TYPE_NORMAL PodEventType = 0
	// Something went wrong or needs attention (`Warning`).
	PodEventType_POD_EVENT_TYPE_WARNING PodEventType = 1
)

// Enum value maps for PodEventType.
var (
	PodEventType_name = map[int32]string{
		0: "POD_EVENT_TYPE_NORMAL",
		1: "POD_EVENT_TYPE_WARNING",
	}
	PodEventType_value = map[string]int32{
		"POD_EVENT_TYPE_NORMAL":  0,
		"POD_EVENT_TYPE_WARNING": 1,
	}
)

func (x PodEventType) Enum() *PodEventType {
	p := new(PodEventType)
	*p = x
	return p
}

func (x PodEventType) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (PodEventType) Descriptor() protoreflect.EnumDescriptor {
	return file_provider_proto_enumTypes[1].Descriptor()
}

func (PodEventType) Type() protoreflect.EnumType {
	return &file_provider_proto_enumTypes[1]
}

func (x PodEventType) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use PodEventType.Descriptor instead.
func (PodEventType) EnumDescriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{1}
}

type MetricType int32

const (
	// Treated as GAUGE.
	MetricType_METRIC_TYPE_UNSPECIFIED MetricType = 0
	// Only goes up (resets on restart); `value` holds it.
	MetricType_METRIC_TYPE_COUNTER MetricType = 1
	// Goes up and down; `value` holds it.
	MetricType_METRIC_TYPE_GAUGE MetricType = 2
	// `histogram` holds it.
	MetricType_METRIC_TYPE_HISTOGRAM MetricType = 3
)

// Enum value maps for MetricType.
var (
	MetricType_name = map[int32]string{
		0: "METRIC_TYPE_UNSPECIFIED",
		1: "METRIC_TYPE_COUNTER",
		2: "METRIC_TYPE_GAUGE",
		3: "METRIC_TYPE_HISTOGRAM",
	}
	MetricType_value = map[string]int32{
		"METRIC_TYPE_UNSPECIFIED": 0,
		"METRIC_TYPE_COUNTER":     1,
		"METRIC_TYPE_GAUGE":       2,
		"METRIC_TYPE_HISTOGRAM":   3,
	}
)

func (x MetricType) Enum() *MetricType {
	p := new(MetricType)
	*p = x
	return p
}

func (x MetricType) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (MetricType) Descriptor() protoreflect.EnumDescriptor {
	return file_provider_proto_enumTypes[2].Descriptor()
}

func (MetricType) Type() protoreflect.EnumType {
	return &file_provider_proto_enumTypes[2]
}

func (x MetricType) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use MetricType.Descriptor instead.
func (MetricType) EnumDescriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{2}
}

type HandshakeRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Protocol majors the host speaks, e.g. [1]. Never empty.
	ProtocolVersions []uint32 `protobuf:"varint,1,rep,packed,name=protocol_versions,json=protocolVersions,proto3" json:"protocol_versions,omitempty"`
	// Version of vk-host, for logs and diagnostics (e.g. "0.1.0").
	HostVersion string `protobuf:"bytes,2,opt,name=host_version,json=hostVersion,proto3" json:"host_version,omitempty"`
	// Name of the Kubernetes Node this host registers, so the plugin can label
	// what it creates with it.
	NodeName      string `protobuf:"bytes,3,opt,name=node_name,json=nodeName,proto3" json:"node_name,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *HandshakeRequest) Reset() {
	*x = HandshakeRequest{}
	mi := &file_provider_proto_msgTypes[0]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *HandshakeRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*HandshakeRequest) ProtoMessage() {}

func (x *HandshakeRequest) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[0]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use HandshakeRequest.ProtoReflect.Descriptor instead.
func (*HandshakeRequest) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{0}
}

func (x *HandshakeRequest) GetProtocolVersions() []uint32 {
	if x != nil {
		return x.ProtocolVersions
	}
	return nil
}

func (x *HandshakeRequest) GetHostVersion() string {
	if x != nil {
		return x.HostVersion
	}
	return ""
}

func (x *HandshakeRequest) GetNodeName() string {
	if x != nil {
		return x.NodeName
	}
	return ""
}

type HandshakeResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// The protocol major the plugin chose; must be one of the request's
	// `protocol_versions`.
	ProtocolVersion uint32 `protobuf:"varint,1,opt,name=protocol_version,json=protocolVersion,proto3" json:"protocol_version,omitempty"`
	// DNS-label style name of the plugin, e.g. "cri" or "mock". Used in logs,
	// in the node's default taint and in events.
	Name string `protobuf:"bytes,2,opt,name=name,proto3" json:"name,omitempty"`
	// The plugin's own version, free form (e.g. "1.4.2").
	Version string `protobuf:"bytes,3,opt,name=version,proto3" json:"version,omitempty"`
	// Optional capabilities the plugin implements. The host calls no optional rpc
	// whose capability is missing from this list. Unknown values must be ignored
	// by the host (a newer plugin may declare more).
	Capabilities  []Capability `protobuf:"varint,4,rep,packed,name=capabilities,proto3,enum=vk.provider.v1.Capability" json:"capabilities,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *HandshakeResponse) Reset() {
	*x = HandshakeResponse{}
	mi := &file_provider_proto_msgTypes[1]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *HandshakeResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*HandshakeResponse) ProtoMessage() {}

func (x *HandshakeResponse) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[1]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use HandshakeResponse.ProtoReflect.Descriptor instead.
func (*HandshakeResponse) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{1}
}

func (x *HandshakeResponse) GetProtocolVersion() uint32 {
	if x != nil {
		return x.ProtocolVersion
	}
	return 0
}

func (x *HandshakeResponse) GetName() string {
	if x != nil {
		return x.Name
	}
	return ""
}

func (x *HandshakeResponse) GetVersion() string {
	if x != nil {
		return x.Version
	}
	return ""
}

func (x *HandshakeResponse) GetCapabilities() []Capability {
	if x != nil {
		return x.Capabilities
	}
	return nil
}

type ProbeRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ProbeRequest) Reset() {
	*x = ProbeRequest{}
	mi := &file_provider_proto_msgTypes[2]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ProbeRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ProbeRequest) ProtoMessage() {}

func (x *ProbeRequest) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[2]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ProbeRequest.ProtoReflect.Descriptor instead.
func (*ProbeRequest) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{2}
}

type ProbeResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// True when the plugin can take pods now.
	Ready bool `protobuf:"varint,1,opt,name=ready,proto3" json:"ready,omitempty"`
	// Why it is not ready, for people (shown in the node's Ready condition).
	Message       string `protobuf:"bytes,2,opt,name=message,proto3" json:"message,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ProbeResponse) Reset() {
	*x = ProbeResponse{}
	mi := &file_provider_proto_msgTypes[3]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ProbeResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ProbeResponse) ProtoMessage() {}

func (x *ProbeResponse) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[3]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ProbeResponse.ProtoReflect.Descriptor instead.
func (*ProbeResponse) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{3}
}

func (x *ProbeResponse) GetReady() bool {
	if x != nil {
		return x.Ready
	}
	return false
}

func (x *ProbeResponse) GetMessage() string {
	if x != nil {
		return x.Message
	}
	return ""
}

type ShutdownRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// How long the host waits before SIGTERM, in milliseconds.
	GracePeriodMs uint64 `protobuf:"varint,1,opt,name=grace_period_ms,json=gracePeriodMs,proto3" json:"grace_period_ms,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ShutdownRequest) Reset() {
	*x = ShutdownRequest{}
	mi := &file_provider_proto_msgTypes[4]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ShutdownRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ShutdownRequest) ProtoMessage() {}

func (x *ShutdownRequest) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[4]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ShutdownRequest.ProtoReflect.Descriptor instead.
func (*ShutdownRequest) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{4}
}

func (x *ShutdownRequest) GetGracePeriodMs() uint64 {
	if x != nil {
		return x.GracePeriodMs
	}
	return 0
}

type ShutdownResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ShutdownResponse) Reset() {
	*x = ShutdownResponse{}
	mi := &file_provider_proto_msgTypes[5]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ShutdownResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ShutdownResponse) ProtoMessage() {}

func (x *ShutdownResponse) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[5]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ShutdownResponse.ProtoReflect.Descriptor instead.
func (*ShutdownResponse) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{5}
}

type CreatePodRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// The pod, Kubernetes JSON (core/v1 Pod). `metadata.uid` is always set.
	// Its environment arrives resolved, as the kubelet would hand it to a
	// container runtime (see "Environment" below the PodLifecycle messages).
	Pod           []byte `protobuf:"bytes,1,opt,name=pod,proto3" json:"pod,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *CreatePodRequest) Reset() {
	*x = CreatePodRequest{}
	mi := &file_provider_proto_msgTypes[6]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CreatePodRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CreatePodRequest) ProtoMessage() {}

func (x *CreatePodRequest) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[6]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CreatePodRequest.ProtoReflect.Descriptor instead.
func (*CreatePodRequest) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{6}
}

func (x *CreatePodRequest) GetPod() []byte {
	if x != nil {
		return x.Pod
	}
	return nil
}

type CreatePodResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *CreatePodResponse) Reset() {
	*x = CreatePodResponse{}
	mi := &file_provider_proto_msgTypes[7]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CreatePodResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CreatePodResponse) ProtoMessage() {}

func (x *CreatePodResponse) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[7]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CreatePodResponse.ProtoReflect.Descriptor instead.
func (*CreatePodResponse) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{7}
}

type UpdatePodRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// The pod as it is now in Kubernetes, Kubernetes JSON (core/v1 Pod), with
	// its environment resolved as for CreatePod.
	Pod           []byte `protobuf:"bytes,1,opt,name=pod,proto3" json:"pod,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *UpdatePodRequest) Reset() {
	*x = UpdatePodRequest{}
	mi := &file_provider_proto_msgTypes[8]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *UpdatePodRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*UpdatePodRequest) ProtoMessage() {}

func (x *UpdatePodRequest) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[8]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use UpdatePodRequest.ProtoReflect.Descriptor instead.
func (*UpdatePodRequest) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{8}
}

func (x *UpdatePodRequest) GetPod() []byte {
	if x != nil {
		return x.Pod
	}
	return nil
}

type UpdatePodResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *UpdatePodResponse) Reset() {
	*x = UpdatePodResponse{}
	mi := &file_provider_proto_msgTypes[9]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *UpdatePodResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*UpdatePodResponse) ProtoMessage() {}

func (x *UpdatePodResponse) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[9]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use UpdatePodResponse.ProtoReflect.Descriptor instead.
func (*UpdatePodResponse) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{9}
}

type DeletePodRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// The pod being deleted, Kubernetes JSON (core/v1 Pod), with
	// `metadata.deletionTimestamp` and `metadata.deletionGracePeriodSeconds`
	// set when Kubernetes asked for a graceful deletion.
	Pod           []byte `protobuf:"bytes,1,opt,name=pod,proto3" json:"pod,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *DeletePodRequest) Reset() {
	*x = DeletePodRequest{}
	mi := &file_provider_proto_msgTypes[10]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *DeletePodRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DeletePodRequest) ProtoMessage() {}

func (x *DeletePodRequest) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[10]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DeletePodRequest.ProtoReflect.Descriptor instead.
func (*DeletePodRequest) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{10}
}

func (x *DeletePodRequest) GetPod() []byte {
	if x != nil {
		return x.Pod
	}
	return nil
}

type DeletePodResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *DeletePodResponse) Reset() {
	*x = DeletePodResponse{}
	mi := &file_provider_proto_msgTypes[11]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *DeletePodResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DeletePodResponse) ProtoMessage() {}

func (x *DeletePodResponse) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[11]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DeletePodResponse.ProtoReflect.Descriptor instead.
func (*DeletePodResponse) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{11}
}

// Identifies a pod in lookups.
type PodRef struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// The pod's namespace. Required.
	Namespace string `protobuf:"bytes,1,opt,name=namespace,proto3" json:"namespace,omitempty"`
	// The pod's name. Required.
	Name string `protobuf:"bytes,2,opt,name=name,proto3" json:"name,omitempty"`
	// The pod's UID. Optional: when set, a pod held under another UID counts as
	// NOT_FOUND.
	Uid           string `protobuf:"bytes,3,opt,name=uid,proto3" json:"uid,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *PodRef) Reset() {
	*x = PodRef{}
	mi := &file_provider_proto_msgTypes[12]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *PodRef) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*PodRef) ProtoMessage() {}

func (x *PodRef) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[12]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use PodRef.ProtoReflect.Descriptor instead.
func (*PodRef) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{12}
}

func (x *PodRef) GetNamespace() string {
	if x != nil {
		return x.Namespace
	}
	return ""
}

func (x *PodRef) GetName() string {
	if x != nil {
		return x.Name
	}
	return ""
}

func (x *PodRef) GetUid() string {
	if x != nil {
		return x.Uid
	}
	return ""
}

type GetPodRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// The pod to return. Required.
	Pod           *PodRef `protobuf:"bytes,1,opt,name=pod,proto3" json:"pod,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetPodRequest) Reset() {
	*x = GetPodRequest{}
	mi := &file_provider_proto_msgTypes[13]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetPodRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetPodRequest) ProtoMessage() {}

func (x *GetPodRequest) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[13]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetPodRequest.ProtoReflect.Descriptor instead.
func (*GetPodRequest) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{13}
}

func (x *GetPodRequest) GetPod() *PodRef {
	if x != nil {
		return x.Pod
	}
	return nil
}

type GetPodResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Kubernetes JSON (core/v1 Pod) including `status`.
	Pod           []byte `protobuf:"bytes,1,opt,name=pod,proto3" json:"pod,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetPodResponse) Reset() {
	*x = GetPodResponse{}
	mi := &file_provider_proto_msgTypes[14]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetPodResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetPodResponse) ProtoMessage() {}

func (x *GetPodResponse) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[14]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetPodResponse.ProtoReflect.Descriptor instead.
func (*GetPodResponse) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{14}
}

func (x *GetPodResponse) GetPod() []byte {
	if x != nil {
		return x.Pod
	}
	return nil
}

type GetPodStatusRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// The pod whose status to return. Required.
	Pod           *PodRef `protobuf:"bytes,1,opt,name=pod,proto3" json:"pod,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetPodStatusRequest) Reset() {
	*x = GetPodStatusRequest{}
	mi := &file_provider_proto_msgTypes[15]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetPodStatusRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetPodStatusRequest) ProtoMessage() {}

func (x *GetPodStatusRequest) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[15]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetPodStatusRequest.ProtoReflect.Descriptor instead.
func (*GetPodStatusRequest) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{15}
}

func (x *GetPodStatusRequest) GetPod() *PodRef {
	if x != nil {
		return x.Pod
	}
	return nil
}

type GetPodStatusResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Kubernetes JSON (core/v1 PodStatus).
	Status        []byte `protobuf:"bytes,1,opt,name=status,proto3" json:"status,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetPodStatusResponse) Reset() {
	*x = GetPodStatusResponse{}
	mi := &file_provider_proto_msgTypes[16]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetPodStatusResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetPodStatusResponse) ProtoMessage() {}

func (x *GetPodStatusResponse) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[16]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetPodStatusResponse.ProtoReflect.Descriptor instead.
func (*GetPodStatusResponse) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{16}
}

func (x *GetPodStatusResponse) GetStatus() []byte {
	if x != nil {
		return x.Status
	}
	return nil
}

type GetPodsRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetPodsRequest) Reset() {
	*x = GetPodsRequest{}
	mi := &file_provider_proto_msgTypes[17]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetPodsRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetPodsRequest) ProtoMessage() {}

func (x *GetPodsRequest) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[17]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetPodsRequest.ProtoReflect.Descriptor instead.
func (*GetPodsRequest) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{17}
}

type GetPodsResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Kubernetes JSON (core/v1 Pod) of every pod the plugin holds.
	Pods          [][]byte `protobuf:"bytes,1,rep,name=pods,proto3" json:"pods,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetPodsResponse) Reset() {
	*x = GetPodsResponse{}
	mi := &file_provider_proto_msgTypes[18]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetPodsResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetPodsResponse) ProtoMessage() {}

func (x *GetPodsResponse) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[18]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetPodsResponse.ProtoReflect.Descriptor instead.
func (*GetPodsResponse) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{18}
}

func (x *GetPodsResponse) GetPods() [][]byte {
	if x != nil {
		return x.Pods
	}
	return nil
}

type WatchPodStatusRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *WatchPodStatusRequest) Reset() {
	*x = WatchPodStatusRequest{}
	mi := &file_provider_proto_msgTypes[19]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *WatchPodStatusRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*WatchPodStatusRequest) ProtoMessage() {}

func (x *WatchPodStatusRequest) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[19]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use WatchPodStatusRequest.ProtoReflect.Descriptor instead.
func (*WatchPodStatusRequest) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{19}
}

type PodStatusEvent struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Which pod changed; namespace, name and uid are all set.
	Pod *PodRef `protobuf:"bytes,1,opt,name=pod,proto3" json:"pod,omitempty"`
	// Its new status, Kubernetes JSON (core/v1 PodStatus). Empty when the
	// message only carries `events`: the status is then unchanged.
	Status []byte `protobuf:"bytes,2,opt,name=status,proto3" json:"status,omitempty"`
	// Kubernetes Events to record about this pod, oldest first. The host
	// writes them (events.k8s.io/v1, reportingController `vk-host`, instance
	// the node's name) only for a pod bound to its node whose uid matches
	// `pod.uid`; the same type, reason, container and message again within
	// 6 minutes counts as a repeat of the first (`kubectl describe` shows
	// `x3 over 2m`). An event with an invalid field is dropped and the host
	// logs why; the others in the message are still recorded. Per pod the
	// host records a burst of 25 events, then one per 5 minutes (client-go's
	// spam filter); events beyond that are dropped.
	Events        []*PodEvent `protobuf:"bytes,3,rep,name=events,proto3" json:"events,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *PodStatusEvent) Reset() {
	*x = PodStatusEvent{}
	mi := &file_provider_proto_msgTypes[20]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *PodStatusEvent) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*PodStatusEvent) ProtoMessage() {}

func (x *PodStatusEvent) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[20]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use PodStatusEvent.ProtoReflect.Descriptor instead.
func (*PodStatusEvent) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{20}
}

func (x *PodStatusEvent) GetPod() *PodRef {
	if x != nil {
		return x.Pod
	}
	return nil
}

func (x *PodStatusEvent) GetStatus() []byte {
	if x != nil {
		return x.Status
	}
	return nil
}

func (x *PodStatusEvent) GetEvents() []*PodEvent {
	if x != nil {
		return x.Events
	}
	return nil
}

// One Kubernetes Event about a pod, in the kubelet's terms: for example
// `Normal Pulled "Successfully pulled image ..."`, `Normal Started
// "Started container main"`, `Warning BackOff "Back-off restarting failed
// container main ..."`, `Warning Unhealthy "Liveness probe failed: ..."`.
type PodEvent struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Whether the event reports something normal or a problem.
	Type PodEventType `protobuf:"varint,1,opt,name=type,proto3,enum=vk.provider.v1.PodEventType" json:"type,omitempty"`
	// Why, in UpperCamelCase: a letter, then letters and digits, at most 128
	// characters (`Pulling`, `Created`, `Killing`, `FailedPostStartHook`).
	// Required.
	Reason string `protobuf:"bytes,2,opt,name=reason,proto3" json:"reason,omitempty"`
	// What happened, for people. Required; at most 1000 bytes are kept (a
	// longer message is cut at a character boundary).
	Message string `protobuf:"bytes,3,opt,name=message,proto3" json:"message,omitempty"`
	// The container the event is about, if any: a name from the pod's
	// `containers`, `initContainers` or `ephemeralContainers`. The Event then
	// names it as the kubelet does (`regarding.fieldPath`
	// `spec.containers{main}`). A name the pod does not have is dropped
	// (the event is recorded about the pod).
	Container     string `protobuf:"bytes,4,opt,name=container,proto3" json:"container,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *PodEvent) Reset() {
	*x = PodEvent{}
	mi := &file_provider_proto_msgTypes[21]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *PodEvent) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*PodEvent) ProtoMessage() {}

func (x *PodEvent) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[21]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use PodEvent.ProtoReflect.Descriptor instead.
func (*PodEvent) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{21}
}

func (x *PodEvent) GetType() PodEventType {
	if x != nil {
		return x.Type
	}
	return PodEventType_POD_EVENT_TYPE_NORMAL
}

func (x *PodEvent) GetReason() string {
	if x != nil {
		return x.Reason
	}
	return ""
}

func (x *PodEvent) GetMessage() string {
	if x != nil {
		return x.Message
	}
	return ""
}

func (x *PodEvent) GetContainer() string {
	if x != nil {
		return x.Container
	}
	return ""
}

type ContainerLogsRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// The pod whose container log to read. Required.
	Pod *PodRef `protobuf:"bytes,1,opt,name=pod,proto3" json:"pod,omitempty"`
	// The container's name. Required.
	Container string `protobuf:"bytes,2,opt,name=container,proto3" json:"container,omitempty"`
	// Only the last N lines; unset means all.
	TailLines *int64 `protobuf:"varint,3,opt,name=tail_lines,json=tailLines,proto3,oneof" json:"tail_lines,omitempty"`
	// Stop after this many bytes (may cut a line); unset means no limit.
	LimitBytes *int64 `protobuf:"varint,4,opt,name=limit_bytes,json=limitBytes,proto3,oneof" json:"limit_bytes,omitempty"`
	// Only lines written at or after this time, Unix seconds; unset means all.
	// The host turns kubectl's sinceSeconds and sinceTime into this.
	SinceUnixSeconds *int64 `protobuf:"varint,5,opt,name=since_unix_seconds,json=sinceUnixSeconds,proto3,oneof" json:"since_unix_seconds,omitempty"`
	// Prefix every line with its RFC 3339 timestamp and a space, as the kubelet
	// does for `kubectl logs --timestamps`.
	Timestamps bool `protobuf:"varint,6,opt,name=timestamps,proto3" json:"timestamps,omitempty"`
	// Keep the stream open and send new output until the container exits.
	Follow bool `protobuf:"varint,7,opt,name=follow,proto3" json:"follow,omitempty"`
	// The previous (terminated) instance of the container. NOT_FOUND when there
	// is none.
	Previous      bool `protobuf:"varint,8,opt,name=previous,proto3" json:"previous,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ContainerLogsRequest) Reset() {
	*x = ContainerLogsRequest{}
	mi := &file_provider_proto_msgTypes[22]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ContainerLogsRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ContainerLogsRequest) ProtoMessage() {}

func (x *ContainerLogsRequest) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[22]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ContainerLogsRequest.ProtoReflect.Descriptor instead.
func (*ContainerLogsRequest) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{22}
}

func (x *ContainerLogsRequest) GetPod() *PodRef {
	if x != nil {
		return x.Pod
	}
	return nil
}

func (x *ContainerLogsRequest) GetContainer() string {
	if x != nil {
		return x.Container
	}
	return ""
}

func (x *ContainerLogsRequest) GetTailLines() int64 {
	if x != nil && x.TailLines != nil {
		return *x.TailLines
	}
	return 0
}

func (x *ContainerLogsRequest) GetLimitBytes() int64 {
	if x != nil && x.LimitBytes != nil {
		return *x.LimitBytes
	}
	return 0
}

func (x *ContainerLogsRequest) GetSinceUnixSeconds() int64 {
	if x != nil && x.SinceUnixSeconds != nil {
		return *x.SinceUnixSeconds
	}
	return 0
}

func (x *ContainerLogsRequest) GetTimestamps() bool {
	if x != nil {
		return x.Timestamps
	}
	return false
}

func (x *ContainerLogsRequest) GetFollow() bool {
	if x != nil {
		return x.Follow
	}
	return false
}

func (x *ContainerLogsRequest) GetPrevious() bool {
	if x != nil {
		return x.Previous
	}
	return false
}

type LogChunk struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Raw log bytes, in order. Chunks need not end at line boundaries.
	Data          []byte `protobuf:"bytes,1,opt,name=data,proto3" json:"data,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *LogChunk) Reset() {
	*x = LogChunk{}
	mi := &file_provider_proto_msgTypes[23]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *LogChunk) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*LogChunk) ProtoMessage() {}

func (x *LogChunk) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[23]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use LogChunk.ProtoReflect.Descriptor instead.
func (*LogChunk) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{23}
}

func (x *LogChunk) GetData() []byte {
	if x != nil {
		return x.Data
	}
	return nil
}

type ExecInput struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Types that are valid to be assigned to Input:
	//
	//	*ExecInput_Start
	//	*ExecInput_Stdin
	//	*ExecInput_Resize
	//	*ExecInput_CloseStdin
	Input         isExecInput_Input `protobuf_oneof:"input"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ExecInput) Reset() {
	*x = ExecInput{}
	mi := &file_provider_proto_msgTypes[24]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ExecInput) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ExecInput) ProtoMessage() {}

func (x *ExecInput) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[24]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ExecInput.ProtoReflect.Descriptor instead.
func (*ExecInput) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{24}
}

func (x *ExecInput) GetInput() isExecInput_Input {
	if x != nil {
		return x.Input
	}
	return nil
}

func (x *ExecInput) GetStart() *ExecStart {
	if x != nil {
		if x, ok := x.Input.(*ExecInput_Start); ok {
			return x.Start
		}
	}
	return nil
}

func (x *ExecInput) GetStdin() []byte {
	if x != nil {
		if x, ok := x.Input.(*ExecInput_Stdin); ok {
			return x.Stdin
		}
	}
	return nil
}

func (x *ExecInput) GetResize() *TerminalSize {
	if x != nil {
		if x, ok := x.Input.(*ExecInput_Resize); ok {
			return x.Resize
		}
	}
	return nil
}

func (x *ExecInput) GetCloseStdin() bool {
	if x != nil {
		if x, ok := x.Input.(*ExecInput_CloseStdin); ok {
			return x.CloseStdin
		}
	}
	return false
}

type isExecInput_Input interface {
	isExecInput_Input()
}

type ExecInput_Start struct {
	// First message, exactly once.
	Start *ExecStart `protobuf:"bytes,1,opt,name=start,proto3,oneof"`
}

type ExecInput_Stdin struct {
	// Bytes for the process's stdin (only when `start.stdin`).
	Stdin []byte `protobuf:"bytes,2,opt,name=stdin,proto3,oneof"`
}

type ExecInput_Resize struct {
	// The terminal was resized (only when `start.tty`).
	Resize *TerminalSize `protobuf:"bytes,3,opt,name=resize,proto3,oneof"`
}

type ExecInput_CloseStdin struct {
	// stdin reached end-of-file; no more `stdin` messages follow.
	CloseStdin bool `protobuf:"varint,4,opt,name=close_stdin,json=closeStdin,proto3,oneof"`
}

func (*ExecInput_Start) isExecInput_Input() {}

func (*ExecInput_Stdin) isExecInput_Input() {}

func (*ExecInput_Resize) isExecInput_Input() {}

func (*ExecInput_CloseStdin) isExecInput_Input() {}

type ExecStart struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// The pod to run in. Required.
	Pod *PodRef `protobuf:"bytes,1,opt,name=pod,proto3" json:"pod,omitempty"`
	// The container's name. Required.
	Container string `protobuf:"bytes,2,opt,name=container,proto3" json:"container,omitempty"`
	// argv of the command to run. Required for Exec, empty for Attach.
	Command []string `protobuf:"bytes,3,rep,name=command,proto3" json:"command,omitempty"`
	// Whether the client sends stdin.
	Stdin bool `protobuf:"varint,4,opt,name=stdin,proto3" json:"stdin,omitempty"`
	// Whether the client wants stdout / stderr.
	Stdout bool `protobuf:"varint,5,opt,name=stdout,proto3" json:"stdout,omitempty"`
	Stderr bool `protobuf:"varint,6,opt,name=stderr,proto3" json:"stderr,omitempty"`
	// Allocate a terminal. With a TTY, stderr is merged into stdout.
	Tty bool `protobuf:"varint,7,opt,name=tty,proto3" json:"tty,omitempty"`
	// Initial terminal size when `tty`.
	TerminalSize  *TerminalSize `protobuf:"bytes,8,opt,name=terminal_size,json=terminalSize,proto3" json:"terminal_size,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ExecStart) Reset() {
	*x = ExecStart{}
	mi := &file_provider_proto_msgTypes[25]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ExecStart) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ExecStart) ProtoMessage() {}

func (x *ExecStart) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[25]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ExecStart.ProtoReflect.Descriptor instead.
func (*ExecStart) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{25}
}

func (x *ExecStart) GetPod() *PodRef {
	if x != nil {
		return x.Pod
	}
	return nil
}

func (x *ExecStart) GetContainer() string {
	if x != nil {
		return x.Container
	}
	return ""
}

func (x *ExecStart) GetCommand() []string {
	if x != nil {
		return x.Command
	}
	return nil
}

func (x *ExecStart) GetStdin() bool {
	if x != nil {
		return x.Stdin
	}
	return false
}

func (x *ExecStart) GetStdout() bool {
	if x != nil {
		return x.Stdout
	}
	return false
}

func (x *ExecStart) GetStderr() bool {
	if x != nil {
		return x.Stderr
	}
	return false
}

func (x *ExecStart) GetTty() bool {
	if x != nil {
		return x.Tty
	}
	return false
}

func (x *ExecStart) GetTerminalSize() *TerminalSize {
	if x != nil {
		return x.TerminalSize
	}
	return nil
}

type TerminalSize struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Columns.
	Width uint32 `protobuf:"varint,1,opt,name=width,proto3" json:"width,omitempty"`
	// Rows.
	Height        uint32 `protobuf:"varint,2,opt,name=height,proto3" json:"height,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *TerminalSize) Reset() {
	*x = TerminalSize{}
	mi := &file_provider_proto_msgTypes[26]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *TerminalSize) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*TerminalSize) ProtoMessage() {}

func (x *TerminalSize) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[26]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use TerminalSize.ProtoReflect.Descriptor instead.
func (*TerminalSize) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{26}
}

func (x *TerminalSize) GetWidth() uint32 {
	if x != nil {
		return x.Width
	}
	return 0
}

func (x *TerminalSize) GetHeight() uint32 {
	if x != nil {
		return x.Height
	}
	return 0
}

type ExecOutput struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Types that are valid to be assigned to Output:
	//
	//	*ExecOutput_Stdout
	//	*ExecOutput_Stderr
	//	*ExecOutput_Exit
	Output        isExecOutput_Output `protobuf_oneof:"output"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ExecOutput) Reset() {
	*x = ExecOutput{}
	mi := &file_provider_proto_msgTypes[27]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ExecOutput) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ExecOutput) ProtoMessage() {}

func (x *ExecOutput) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[27]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ExecOutput.ProtoReflect.Descriptor instead.
func (*ExecOutput) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{27}
}

func (x *ExecOutput) GetOutput() isExecOutput_Output {
	if x != nil {
		return x.Output
	}
	return nil
}

func (x *ExecOutput) GetStdout() []byte {
	if x != nil {
		if x, ok := x.Output.(*ExecOutput_Stdout); ok {
			return x.Stdout
		}
	}
	return nil
}

func (x *ExecOutput) GetStderr() []byte {
	if x != nil {
		if x, ok := x.Output.(*ExecOutput_Stderr); ok {
			return x.Stderr
		}
	}
	return nil
}

func (x *ExecOutput) GetExit() *ExecExit {
	if x != nil {
		if x, ok := x.Output.(*ExecOutput_Exit); ok {
			return x.Exit
		}
	}
	return nil
}

type isExecOutput_Output interface {
	isExecOutput_Output()
}

type ExecOutput_Stdout struct {
	// Bytes the process wrote to stdout (with a TTY: to the terminal).
	Stdout []byte `protobuf:"bytes,1,opt,name=stdout,proto3,oneof"`
}

type ExecOutput_Stderr struct {
	// Bytes the process wrote to stderr (never sent with a TTY).
	Stderr []byte `protobuf:"bytes,2,opt,name=stderr,proto3,oneof"`
}

type ExecOutput_Exit struct {
	// The process ended; this is the last message on the stream.
	Exit *ExecExit `protobuf:"bytes,3,opt,name=exit,proto3,oneof"`
}

func (*ExecOutput_Stdout) isExecOutput_Output() {}

func (*ExecOutput_Stderr) isExecOutput_Output() {}

func (*ExecOutput_Exit) isExecOutput_Output() {}

type ExecExit struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// The process's exit code; 0 is success.
	Code int32 `protobuf:"varint,1,opt,name=code,proto3" json:"code,omitempty"`
	// Why it failed, when it did not exit on its own (e.g. "OOMKilled"); empty
	// otherwise.
	Reason        string `protobuf:"bytes,2,opt,name=reason,proto3" json:"reason,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ExecExit) Reset() {
	*x = ExecExit{}
	mi := &file_provider_proto_msgTypes[28]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ExecExit) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ExecExit) ProtoMessage() {}

func (x *ExecExit) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[28]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ExecExit.ProtoReflect.Descriptor instead.
func (*ExecExit) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{28}
}

func (x *ExecExit) GetCode() int32 {
	if x != nil {
		return x.Code
	}
	return 0
}

func (x *ExecExit) GetReason() string {
	if x != nil {
		return x.Reason
	}
	return ""
}

type PortForwardInput struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Types that are valid to be assigned to Input:
	//
	//	*PortForwardInput_Start
	//	*PortForwardInput_Data
	Input         isPortForwardInput_Input `protobuf_oneof:"input"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *PortForwardInput) Reset() {
	*x = PortForwardInput{}
	mi := &file_provider_proto_msgTypes[29]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *PortForwardInput) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*PortForwardInput) ProtoMessage() {}

func (x *PortForwardInput) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[29]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use PortForwardInput.ProtoReflect.Descriptor instead.
func (*PortForwardInput) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{29}
}

func (x *PortForwardInput) GetInput() isPortForwardInput_Input {
	if x != nil {
		return x.Input
	}
	return nil
}

func (x *PortForwardInput) GetStart() *PortForwardStart {
	if x != nil {
		if x, ok := x.Input.(*PortForwardInput_Start); ok {
			return x.Start
		}
	}
	return nil
}

func (x *PortForwardInput) GetData() []byte {
	if x != nil {
		if x, ok := x.Input.(*PortForwardInput_Data); ok {
			return x.Data
		}
	}
	return nil
}

type isPortForwardInput_Input interface {
	isPortForwardInput_Input()
}

type PortForwardInput_Start struct {
	// First message, exactly once.
	Start *PortForwardStart `protobuf:"bytes,1,opt,name=start,proto3,oneof"`
}

type PortForwardInput_Data struct {
	// Bytes from the client to the pod's port.
	Data []byte `protobuf:"bytes,2,opt,name=data,proto3,oneof"`
}

func (*PortForwardInput_Start) isPortForwardInput_Input() {}

func (*PortForwardInput_Data) isPortForwardInput_Input() {}

type PortForwardStart struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// The pod to connect into. Required.
	Pod *PodRef `protobuf:"bytes,1,opt,name=pod,proto3" json:"pod,omitempty"`
	// The TCP port inside the pod.
	Port          uint32 `protobuf:"varint,2,opt,name=port,proto3" json:"port,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *PortForwardStart) Reset() {
	*x = PortForwardStart{}
	mi := &file_provider_proto_msgTypes[30]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *PortForwardStart) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*PortForwardStart) ProtoMessage() {}

func (x *PortForwardStart) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[30]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use PortForwardStart.ProtoReflect.Descriptor instead.
func (*PortForwardStart) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{30}
}

func (x *PortForwardStart) GetPod() *PodRef {
	if x != nil {
		return x.Pod
	}
	return nil
}

func (x *PortForwardStart) GetPort() uint32 {
	if x != nil {
		return x.Port
	}
	return 0
}

type PortForwardOutput struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Bytes from the pod's port to the client.
	Data          []byte `protobuf:"bytes,1,opt,name=data,proto3" json:"data,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *PortForwardOutput) Reset() {
	*x = PortForwardOutput{}
	mi := &file_provider_proto_msgTypes[31]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *PortForwardOutput) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*PortForwardOutput) ProtoMessage() {}

func (x *PortForwardOutput) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[31]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use PortForwardOutput.ProtoReflect.Descriptor instead.
func (*PortForwardOutput) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{31}
}

func (x *PortForwardOutput) GetData() []byte {
	if x != nil {
		return x.Data
	}
	return nil
}

type GetStatsSummaryRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetStatsSummaryRequest) Reset() {
	*x = GetStatsSummaryRequest{}
	mi := &file_provider_proto_msgTypes[32]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetStatsSummaryRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetStatsSummaryRequest) ProtoMessage() {}

func (x *GetStatsSummaryRequest) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[32]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetStatsSummaryRequest.ProtoReflect.Descriptor instead.
func (*GetStatsSummaryRequest) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{32}
}

type GetStatsSummaryResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Usage of the whole node (or backend) the plugin runs pods on.
	Node *NodeStats `protobuf:"bytes,1,opt,name=node,proto3" json:"node,omitempty"`
	// One entry per pod the plugin holds.
	Pods          []*PodStats `protobuf:"bytes,2,rep,name=pods,proto3" json:"pods,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetStatsSummaryResponse) Reset() {
	*x = GetStatsSummaryResponse{}
	mi := &file_provider_proto_msgTypes[33]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetStatsSummaryResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetStatsSummaryResponse) ProtoMessage() {}

func (x *GetStatsSummaryResponse) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[33]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetStatsSummaryResponse.ProtoReflect.Descriptor instead.
func (*GetStatsSummaryResponse) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{33}
}

func (x *GetStatsSummaryResponse) GetNode() *NodeStats {
	if x != nil {
		return x.Node
	}
	return nil
}

func (x *GetStatsSummaryResponse) GetPods() []*PodStats {
	if x != nil {
		return x.Pods
	}
	return nil
}

// Fields mirror the kubelet's stats/v1alpha1 Summary; unset means unknown.
type NodeStats struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Unix seconds the node (or backend) started.
	StartTimeUnixSeconds int64 `protobuf:"varint,1,opt,name=start_time_unix_seconds,json=startTimeUnixSeconds,proto3" json:"start_time_unix_seconds,omitempty"`
	// CPU usage of the node.
	Cpu *CpuStats `protobuf:"bytes,2,opt,name=cpu,proto3" json:"cpu,omitempty"`
	// Memory usage of the node.
	Memory        *MemoryStats `protobuf:"bytes,3,opt,name=memory,proto3" json:"memory,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *NodeStats) Reset() {
	*x = NodeStats{}
	mi := &file_provider_proto_msgTypes[34]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *NodeStats) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*NodeStats) ProtoMessage() {}

func (x *NodeStats) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[34]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use NodeStats.ProtoReflect.Descriptor instead.
func (*NodeStats) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{34}
}

func (x *NodeStats) GetStartTimeUnixSeconds() int64 {
	if x != nil {
		return x.StartTimeUnixSeconds
	}
	return 0
}

func (x *NodeStats) GetCpu() *CpuStats {
	if x != nil {
		return x.Cpu
	}
	return nil
}

func (x *NodeStats) GetMemory() *MemoryStats {
	if x != nil {
		return x.Memory
	}
	return nil
}

type PodStats struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Which pod; namespace, name and uid are set.
	Pod *PodRef `protobuf:"bytes,1,opt,name=pod,proto3" json:"pod,omitempty"`
	// When the pod started, Unix seconds.
	StartTimeUnixSeconds int64 `protobuf:"varint,2,opt,name=start_time_unix_seconds,json=startTimeUnixSeconds,proto3" json:"start_time_unix_seconds,omitempty"`
	// One entry per running or recently terminated container.
	Containers []*ContainerStats `protobuf:"bytes,3,rep,name=containers,proto3" json:"containers,omitempty"`
	// Whole-pod usage; when unset the host sums the containers.
	Cpu *CpuStats `protobuf:"bytes,4,opt,name=cpu,proto3" json:"cpu,omitempty"`
	// Whole-pod memory; when unset the host sums the containers.
	Memory        *MemoryStats `protobuf:"bytes,5,opt,name=memory,proto3" json:"memory,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *PodStats) Reset() {
	*x = PodStats{}
	mi := &file_provider_proto_msgTypes[35]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *PodStats) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*PodStats) ProtoMessage() {}

func (x *PodStats) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[35]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use PodStats.ProtoReflect.Descriptor instead.
func (*PodStats) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{35}
}

func (x *PodStats) GetPod() *PodRef {
	if x != nil {
		return x.Pod
	}
	return nil
}

func (x *PodStats) GetStartTimeUnixSeconds() int64 {
	if x != nil {
		return x.StartTimeUnixSeconds
	}
	return 0
}

func (x *PodStats) GetContainers() []*ContainerStats {
	if x != nil {
		return x.Containers
	}
	return nil
}

func (x *PodStats) GetCpu() *CpuStats {
	if x != nil {
		return x.Cpu
	}
	return nil
}

func (x *PodStats) GetMemory() *MemoryStats {
	if x != nil {
		return x.Memory
	}
	return nil
}

type ContainerStats struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// The container's name, as in the pod spec.
	Name string `protobuf:"bytes,1,opt,name=name,proto3" json:"name,omitempty"`
	// When this instance of the container started, Unix seconds.
	StartTimeUnixSeconds int64 `protobuf:"varint,2,opt,name=start_time_unix_seconds,json=startTimeUnixSeconds,proto3" json:"start_time_unix_seconds,omitempty"`
	// The container's CPU usage.
	Cpu *CpuStats `protobuf:"bytes,3,opt,name=cpu,proto3" json:"cpu,omitempty"`
	// The container's memory usage.
	Memory        *MemoryStats `protobuf:"bytes,4,opt,name=memory,proto3" json:"memory,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ContainerStats) Reset() {
	*x = ContainerStats{}
	mi := &file_provider_proto_msgTypes[36]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ContainerStats) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ContainerStats) ProtoMessage() {}

func (x *ContainerStats) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[36]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ContainerStats.ProtoReflect.Descriptor instead.
func (*ContainerStats) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{36}
}

func (x *ContainerStats) GetName() string {
	if x != nil {
		return x.Name
	}
	return ""
}

func (x *ContainerStats) GetStartTimeUnixSeconds() int64 {
	if x != nil {
		return x.StartTimeUnixSeconds
	}
	return 0
}

func (x *ContainerStats) GetCpu() *CpuStats {
	if x != nil {
		return x.Cpu
	}
	return nil
}

func (x *ContainerStats) GetMemory() *MemoryStats {
	if x != nil {
		return x.Memory
	}
	return nil
}

type CpuStats struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// When the sample was taken, Unix nanoseconds.
	TimestampUnixNanos int64 `protobuf:"varint,1,opt,name=timestamp_unix_nanos,json=timestampUnixNanos,proto3" json:"timestamp_unix_nanos,omitempty"`
	// Average usage over the last sampling window, in billionths of a core.
	UsageNanoCores *uint64 `protobuf:"varint,2,opt,name=usage_nano_cores,json=usageNanoCores,proto3,oneof" json:"usage_nano_cores,omitempty"`
	// Cumulative CPU time, in nanoseconds.
	UsageCoreNanoSeconds *uint64 `protobuf:"varint,3,opt,name=usage_core_nano_seconds,json=usageCoreNanoSeconds,proto3,oneof" json:"usage_core_nano_seconds,omitempty"`
	unknownFields        protoimpl.UnknownFields
	sizeCache            protoimpl.SizeCache
}

func (x *CpuStats) Reset() {
	*x = CpuStats{}
	mi := &file_provider_proto_msgTypes[37]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CpuStats) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CpuStats) ProtoMessage() {}

func (x *CpuStats) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[37]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CpuStats.ProtoReflect.Descriptor instead.
func (*CpuStats) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{37}
}

func (x *CpuStats) GetTimestampUnixNanos() int64 {
	if x != nil {
		return x.TimestampUnixNanos
	}
	return 0
}

func (x *CpuStats) GetUsageNanoCores() uint64 {
	if x != nil && x.UsageNanoCores != nil {
		return *x.UsageNanoCores
	}
	return 0
}

func (x *CpuStats) GetUsageCoreNanoSeconds() uint64 {
	if x != nil && x.UsageCoreNanoSeconds != nil {
		return *x.UsageCoreNanoSeconds
	}
	return 0
}

type MemoryStats struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// When the sample was taken, Unix nanoseconds.
	TimestampUnixNanos int64 `protobuf:"varint,1,opt,name=timestamp_unix_nanos,json=timestampUnixNanos,proto3" json:"timestamp_unix_nanos,omitempty"`
	// Total memory in use, page cache included.
	UsageBytes *uint64 `protobuf:"varint,2,opt,name=usage_bytes,json=usageBytes,proto3,oneof" json:"usage_bytes,omitempty"`
	// What the kubelet uses for eviction and `kubectl top`.
	WorkingSetBytes *uint64 `protobuf:"varint,3,opt,name=working_set_bytes,json=workingSetBytes,proto3,oneof" json:"working_set_bytes,omitempty"`
	// Anonymous and swap-cache memory.
	RssBytes *uint64 `protobuf:"varint,4,opt,name=rss_bytes,json=rssBytes,proto3,oneof" json:"rss_bytes,omitempty"`
	// Memory still available before the limit.
	AvailableBytes *uint64 `protobuf:"varint,5,opt,name=available_bytes,json=availableBytes,proto3,oneof" json:"available_bytes,omitempty"`
	unknownFields  protoimpl.UnknownFields
	sizeCache      protoimpl.SizeCache
}

func (x *MemoryStats) Reset() {
	*x = MemoryStats{}
	mi := &file_provider_proto_msgTypes[38]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *MemoryStats) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*MemoryStats) ProtoMessage() {}

func (x *MemoryStats) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[38]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use MemoryStats.ProtoReflect.Descriptor instead.
func (*MemoryStats) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{38}
}

func (x *MemoryStats) GetTimestampUnixNanos() int64 {
	if x != nil {
		return x.TimestampUnixNanos
	}
	return 0
}

func (x *MemoryStats) GetUsageBytes() uint64 {
	if x != nil && x.UsageBytes != nil {
		return *x.UsageBytes
	}
	return 0
}

func (x *MemoryStats) GetWorkingSetBytes() uint64 {
	if x != nil && x.WorkingSetBytes != nil {
		return *x.WorkingSetBytes
	}
	return 0
}

func (x *MemoryStats) GetRssBytes() uint64 {
	if x != nil && x.RssBytes != nil {
		return *x.RssBytes
	}
	return 0
}

func (x *MemoryStats) GetAvailableBytes() uint64 {
	if x != nil && x.AvailableBytes != nil {
		return *x.AvailableBytes
	}
	return 0
}

type GetMetricsResourceRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetMetricsResourceRequest) Reset() {
	*x = GetMetricsResourceRequest{}
	mi := &file_provider_proto_msgTypes[39]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetMetricsResourceRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetMetricsResourceRequest) ProtoMessage() {}

func (x *GetMetricsResourceRequest) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[39]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetMetricsResourceRequest.ProtoReflect.Descriptor instead.
func (*GetMetricsResourceRequest) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{39}
}

type GetMetricsResourceResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// One entry per running container of every pod the plugin holds.
	Containers []*ContainerMetrics `protobuf:"bytes,1,rep,name=containers,proto3" json:"containers,omitempty"`
	// Node-wide usage, when the plugin knows it.
	NodeCpu       *CpuStats    `protobuf:"bytes,2,opt,name=node_cpu,json=nodeCpu,proto3" json:"node_cpu,omitempty"`
	NodeMemory    *MemoryStats `protobuf:"bytes,3,opt,name=node_memory,json=nodeMemory,proto3" json:"node_memory,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetMetricsResourceResponse) Reset() {
	*x = GetMetricsResourceResponse{}
	mi := &file_provider_proto_msgTypes[40]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetMetricsResourceResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetMetricsResourceResponse) ProtoMessage() {}

func (x *GetMetricsResourceResponse) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[40]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetMetricsResourceResponse.ProtoReflect.Descriptor instead.
func (*GetMetricsResourceResponse) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{40}
}

func (x *GetMetricsResourceResponse) GetContainers() []*ContainerMetrics {
	if x != nil {
		return x.Containers
	}
	return nil
}

func (x *GetMetricsResourceResponse) GetNodeCpu() *CpuStats {
	if x != nil {
		return x.NodeCpu
	}
	return nil
}

func (x *GetMetricsResourceResponse) GetNodeMemory() *MemoryStats {
	if x != nil {
		return x.NodeMemory
	}
	return nil
}

type ContainerMetrics struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Which pod; namespace, name and uid are set.
	Pod *PodRef `protobuf:"bytes,1,opt,name=pod,proto3" json:"pod,omitempty"`
	// The container's name.
	Container string `protobuf:"bytes,2,opt,name=container,proto3" json:"container,omitempty"`
	// When the container started, Unix seconds.
	StartTimeUnixSeconds int64 `protobuf:"varint,3,opt,name=start_time_unix_seconds,json=startTimeUnixSeconds,proto3" json:"start_time_unix_seconds,omitempty"`
	// The container's CPU usage; `usage_core_nano_seconds` is required for /metrics/resource.
	Cpu *CpuStats `protobuf:"bytes,4,opt,name=cpu,proto3" json:"cpu,omitempty"`
	// The container's memory; `working_set_bytes` is required for /metrics/resource.
	Memory        *MemoryStats `protobuf:"bytes,5,opt,name=memory,proto3" json:"memory,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ContainerMetrics) Reset() {
	*x = ContainerMetrics{}
	mi := &file_provider_proto_msgTypes[41]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ContainerMetrics) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ContainerMetrics) ProtoMessage() {}

func (x *ContainerMetrics) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[41]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ContainerMetrics.ProtoReflect.Descriptor instead.
func (*ContainerMetrics) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{41}
}

func (x *ContainerMetrics) GetPod() *PodRef {
	if x != nil {
		return x.Pod
	}
	return nil
}

func (x *ContainerMetrics) GetContainer() string {
	if x != nil {
		return x.Container
	}
	return ""
}

func (x *ContainerMetrics) GetStartTimeUnixSeconds() int64 {
	if x != nil {
		return x.StartTimeUnixSeconds
	}
	return 0
}

func (x *ContainerMetrics) GetCpu() *CpuStats {
	if x != nil {
		return x.Cpu
	}
	return nil
}

func (x *ContainerMetrics) GetMemory() *MemoryStats {
	if x != nil {
		return x.Memory
	}
	return nil
}

type GetPluginMetricsRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetPluginMetricsRequest) Reset() {
	*x = GetPluginMetricsRequest{}
	mi := &file_provider_proto_msgTypes[42]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetPluginMetricsRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetPluginMetricsRequest) ProtoMessage() {}

func (x *GetPluginMetricsRequest) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[42]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetPluginMetricsRequest.ProtoReflect.Descriptor instead.
func (*GetPluginMetricsRequest) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{42}
}

// The same shape as Prometheus' client_model `MetricFamily`, cut to what the
// host exports, so a Go plugin converts `prometheus.Gatherer.Gather()` and a
// Python plugin `REGISTRY.collect()` field by field.
type GetPluginMetricsResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// At most 200 families, 5000 samples (metrics) in all.
	Families      []*MetricFamily `protobuf:"bytes,1,rep,name=families,proto3" json:"families,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetPluginMetricsResponse) Reset() {
	*x = GetPluginMetricsResponse{}
	mi := &file_provider_proto_msgTypes[43]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetPluginMetricsResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetPluginMetricsResponse) ProtoMessage() {}

func (x *GetPluginMetricsResponse) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[43]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetPluginMetricsResponse.ProtoReflect.Descriptor instead.
func (*GetPluginMetricsResponse) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{43}
}

func (x *GetPluginMetricsResponse) GetFamilies() []*MetricFamily {
	if x != nil {
		return x.Families
	}
	return nil
}

type MetricFamily struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// The family name, `[a-zA-Z_:][a-zA-Z0-9_:]*`, not starting with
	// `vk_host_`. A counter's name is given without its `_total` suffix (the
	// host adds it to the samples; a trailing `_total`, as Go's client names
	// counters, is taken off first, so both spellings mean one counter).
	// Unique in the reply, also counting the sample names a family produces
	// (`_total`, `_bucket`, `_count`, `_sum`): the later family is left out.
	Name string `protobuf:"bytes,1,opt,name=name,proto3" json:"name,omitempty"`
	// One line for people.
	Help string `protobuf:"bytes,2,opt,name=help,proto3" json:"help,omitempty"`
	// What kind of metric every entry of `metrics` is.
	Type MetricType `protobuf:"varint,3,opt,name=type,proto3,enum=vk.provider.v1.MetricType" json:"type,omitempty"`
	// One per label set.
	Metrics       []*Metric `protobuf:"bytes,4,rep,name=metrics,proto3" json:"metrics,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *MetricFamily) Reset() {
	*x = MetricFamily{}
	mi := &file_provider_proto_msgTypes[44]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *MetricFamily) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*MetricFamily) ProtoMessage() {}

func (x *MetricFamily) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[44]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use MetricFamily.ProtoReflect.Descriptor instead.
func (*MetricFamily) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{44}
}

func (x *MetricFamily) GetName() string {
	if x != nil {
		return x.Name
	}
	return ""
}

func (x *MetricFamily) GetHelp() string {
	if x != nil {
		return x.Help
	}
	return ""
}

func (x *MetricFamily) GetType() MetricType {
	if x != nil {
		return x.Type
	}
	return MetricType_METRIC_TYPE_UNSPECIFIED
}

func (x *MetricFamily) GetMetrics() []*Metric {
	if x != nil {
		return x.Metrics
	}
	return nil
}

type Metric struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Label name to value. Names are `[a-zA-Z_][a-zA-Z0-9_]*`, not starting
	// with `__`, and not `le` in a histogram; `plugin` is the host's and is
	// replaced. Label sets are unique within a family. Values are any UTF-8
	// (the host escapes them).
	Labels map[string]string `protobuf:"bytes,1,rep,name=labels,proto3" json:"labels,omitempty" protobuf_key:"bytes,1,opt,name=key" protobuf_val:"bytes,2,opt,name=value"`
	// The value of a COUNTER (not negative, not NaN) or GAUGE (any).
	Value float64 `protobuf:"fixed64,2,opt,name=value,proto3" json:"value,omitempty"`
	// The value of a HISTOGRAM.
	Histogram     *Histogram `protobuf:"bytes,3,opt,name=histogram,proto3" json:"histogram,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Metric) Reset() {
	*x = Metric{}
	mi := &file_provider_proto_msgTypes[45]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Metric) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Metric) ProtoMessage() {}

func (x *Metric) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[45]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Metric.ProtoReflect.Descriptor instead.
func (*Metric) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{45}
}

func (x *Metric) GetLabels() map[string]string {
	if x != nil {
		return x.Labels
	}
	return nil
}

func (x *Metric) GetValue() float64 {
	if x != nil {
		return x.Value
	}
	return 0
}

func (x *Metric) GetHistogram() *Histogram {
	if x != nil {
		return x.Histogram
	}
	return nil
}

type Histogram struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Number of observations.
	SampleCount uint64 `protobuf:"varint,1,opt,name=sample_count,json=sampleCount,proto3" json:"sample_count,omitempty"`
	// Sum of the observations.
	SampleSum float64 `protobuf:"fixed64,2,opt,name=sample_sum,json=sampleSum,proto3" json:"sample_sum,omitempty"`
	// Cumulative buckets in strictly increasing `upper_bound` (at most 200,
	// no NaN), counts never decreasing and never above `sample_count`; the
	// host adds +Inf (equal to `sample_count`) when it is missing, and a +Inf
	// bucket that is sent must equal `sample_count`. `sample_sum` may be
	// negative only when a bucket bound is.
	Buckets       []*Bucket `protobuf:"bytes,3,rep,name=buckets,proto3" json:"buckets,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Histogram) Reset() {
	*x = Histogram{}
	mi := &file_provider_proto_msgTypes[46]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Histogram) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Histogram) ProtoMessage() {}

func (x *Histogram) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[46]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Histogram.ProtoReflect.Descriptor instead.
func (*Histogram) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{46}
}

func (x *Histogram) GetSampleCount() uint64 {
	if x != nil {
		return x.SampleCount
	}
	return 0
}

func (x *Histogram) GetSampleSum() float64 {
	if x != nil {
		return x.SampleSum
	}
	return 0
}

func (x *Histogram) GetBuckets() []*Bucket {
	if x != nil {
		return x.Buckets
	}
	return nil
}

type Bucket struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Observations less than or equal to `upper_bound`, counted cumulatively.
	CumulativeCount uint64 `protobuf:"varint,1,opt,name=cumulative_count,json=cumulativeCount,proto3" json:"cumulative_count,omitempty"`
	// The bucket's inclusive upper bound.
	UpperBound    float64 `protobuf:"fixed64,2,opt,name=upper_bound,json=upperBound,proto3" json:"upper_bound,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Bucket) Reset() {
	*x = Bucket{}
	mi := &file_provider_proto_msgTypes[47]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Bucket) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Bucket) ProtoMessage() {}

func (x *Bucket) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[47]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Bucket.ProtoReflect.Descriptor instead.
func (*Bucket) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{47}
}

func (x *Bucket) GetCumulativeCount() uint64 {
	if x != nil {
		return x.CumulativeCount
	}
	return 0
}

func (x *Bucket) GetUpperBound() float64 {
	if x != nil {
		return x.UpperBound
	}
	return 0
}

type GetNodeInfoRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetNodeInfoRequest) Reset() {
	*x = GetNodeInfoRequest{}
	mi := &file_provider_proto_msgTypes[48]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetNodeInfoRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetNodeInfoRequest) ProtoMessage() {}

func (x *GetNodeInfoRequest) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[48]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetNodeInfoRequest.ProtoReflect.Descriptor instead.
func (*GetNodeInfoRequest) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{48}
}

type WatchNodeInfoRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *WatchNodeInfoRequest) Reset() {
	*x = WatchNodeInfoRequest{}
	mi := &file_provider_proto_msgTypes[49]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *WatchNodeInfoRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*WatchNodeInfoRequest) ProtoMessage() {}

func (x *WatchNodeInfoRequest) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[49]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use WatchNodeInfoRequest.ProtoReflect.Descriptor instead.
func (*WatchNodeInfoRequest) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{49}
}

// What the plugin contributes to the Node. The host merges it with its own
// configuration (name, its labels and taints, daemon endpoint) and owns the
// Node object.
type NodeInfo struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Resource name to Kubernetes quantity, e.g. {"cpu": "16", "memory": "64Gi",
	// "pods": "110"}.
	Capacity map[string]string `protobuf:"bytes,1,rep,name=capacity,proto3" json:"capacity,omitempty" protobuf_key:"bytes,1,opt,name=key" protobuf_val:"bytes,2,opt,name=value"`
	// Same form; when empty the host uses `capacity`.
	Allocatable map[string]string `protobuf:"bytes,2,rep,name=allocatable,proto3" json:"allocatable,omitempty" protobuf_key:"bytes,1,opt,name=key" protobuf_val:"bytes,2,opt,name=value"`
	// Extra node labels.
	Labels map[string]string `protobuf:"bytes,3,rep,name=labels,proto3" json:"labels,omitempty" protobuf_key:"bytes,1,opt,name=key" protobuf_val:"bytes,2,opt,name=value"`
	// Extra taints.
	Taints []*Taint `protobuf:"bytes,4,rep,name=taints,proto3" json:"taints,omitempty"`
	// Extra conditions (the host owns Ready and derives it from plugin health).
	Conditions []*NodeCondition `protobuf:"bytes,5,rep,name=conditions,proto3" json:"conditions,omitempty"`
	// The node's addresses; the host adds its own InternalIP when none is given.
	Addresses []*NodeAddress `protobuf:"bytes,6,rep,name=addresses,proto3" json:"addresses,omitempty"`
	// Reported in the Node's `status.nodeInfo`.
	SystemInfo    *NodeSystemInfo `protobuf:"bytes,7,opt,name=system_info,json=systemInfo,proto3" json:"system_info,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *NodeInfo) Reset() {
	*x = NodeInfo{}
	mi := &file_provider_proto_msgTypes[50]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *NodeInfo) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*NodeInfo) ProtoMessage() {}

func (x *NodeInfo) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[50]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use NodeInfo.ProtoReflect.Descriptor instead.
func (*NodeInfo) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{50}
}

func (x *NodeInfo) GetCapacity() map[string]string {
	if x != nil {
		return x.Capacity
	}
	return nil
}

func (x *NodeInfo) GetAllocatable() map[string]string {
	if x != nil {
		return x.Allocatable
	}
	return nil
}

func (x *NodeInfo) GetLabels() map[string]string {
	if x != nil {
		return x.Labels
	}
	return nil
}

func (x *NodeInfo) GetTaints() []*Taint {
	if x != nil {
		return x.Taints
	}
	return nil
}

func (x *NodeInfo) GetConditions() []*NodeCondition {
	if x != nil {
		return x.Conditions
	}
	return nil
}

func (x *NodeInfo) GetAddresses() []*NodeAddress {
	if x != nil {
		return x.Addresses
	}
	return nil
}

func (x *NodeInfo) GetSystemInfo() *NodeSystemInfo {
	if x != nil {
		return x.SystemInfo
	}
	return nil
}

type Taint struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// The taint key, e.g. "example.com/gpu".
	Key string `protobuf:"bytes,1,opt,name=key,proto3" json:"key,omitempty"`
	// The taint value; may be empty.
	Value string `protobuf:"bytes,2,opt,name=value,proto3" json:"value,omitempty"`
	// "NoSchedule", "PreferNoSchedule" or "NoExecute".
	Effect        string `protobuf:"bytes,3,opt,name=effect,proto3" json:"effect,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Taint) Reset() {
	*x = Taint{}
	mi := &file_provider_proto_msgTypes[51]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Taint) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Taint) ProtoMessage() {}

func (x *Taint) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[51]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Taint.ProtoReflect.Descriptor instead.
func (*Taint) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{51}
}

func (x *Taint) GetKey() string {
	if x != nil {
		return x.Key
	}
	return ""
}

func (x *Taint) GetValue() string {
	if x != nil {
		return x.Value
	}
	return ""
}

func (x *Taint) GetEffect() string {
	if x != nil {
		return x.Effect
	}
	return ""
}

type NodeCondition struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// e.g. "MemoryPressure"; "Ready" is ignored (the host owns it).
	Type string `protobuf:"bytes,1,opt,name=type,proto3" json:"type,omitempty"`
	// "True", "False" or "Unknown".
	Status string `protobuf:"bytes,2,opt,name=status,proto3" json:"status,omitempty"`
	// CamelCase reason.
	Reason string `protobuf:"bytes,3,opt,name=reason,proto3" json:"reason,omitempty"`
	// For people.
	Message       string `protobuf:"bytes,4,opt,name=message,proto3" json:"message,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *NodeCondition) Reset() {
	*x = NodeCondition{}
	mi := &file_provider_proto_msgTypes[52]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *NodeCondition) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*NodeCondition) ProtoMessage() {}

func (x *NodeCondition) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[52]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use NodeCondition.ProtoReflect.Descriptor instead.
func (*NodeCondition) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{52}
}

func (x *NodeCondition) GetType() string {
	if x != nil {
		return x.Type
	}
	return ""
}

func (x *NodeCondition) GetStatus() string {
	if x != nil {
		return x.Status
	}
	return ""
}

func (x *NodeCondition) GetReason() string {
	if x != nil {
		return x.Reason
	}
	return ""
}

func (x *NodeCondition) GetMessage() string {
	if x != nil {
		return x.Message
	}
	return ""
}

type NodeAddress struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// "InternalIP", "ExternalIP", "Hostname", "InternalDNS" or "ExternalDNS".
	Type string `protobuf:"bytes,1,opt,name=type,proto3" json:"type,omitempty"`
	// The address itself, e.g. "10.0.0.5".
	Address       string `protobuf:"bytes,2,opt,name=address,proto3" json:"address,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *NodeAddress) Reset() {
	*x = NodeAddress{}
	mi := &file_provider_proto_msgTypes[53]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *NodeAddress) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*NodeAddress) ProtoMessage() {}

func (x *NodeAddress) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[53]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use NodeAddress.ProtoReflect.Descriptor instead.
func (*NodeAddress) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{53}
}

func (x *NodeAddress) GetType() string {
	if x != nil {
		return x.Type
	}
	return ""
}

func (x *NodeAddress) GetAddress() string {
	if x != nil {
		return x.Address
	}
	return ""
}

type NodeSystemInfo struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// e.g. "linux".
	OperatingSystem string `protobuf:"bytes,1,opt,name=operating_system,json=operatingSystem,proto3" json:"operating_system,omitempty"`
	// e.g. "amd64".
	Architecture string `protobuf:"bytes,2,opt,name=architecture,proto3" json:"architecture,omitempty"`
	// e.g. "6.1.0-18-amd64".
	KernelVersion string `protobuf:"bytes,3,opt,name=kernel_version,json=kernelVersion,proto3" json:"kernel_version,omitempty"`
	// e.g. "Debian GNU/Linux 12 (bookworm)".
	OsImage string `protobuf:"bytes,4,opt,name=os_image,json=osImage,proto3" json:"os_image,omitempty"`
	// e.g. "containerd://1.6.20".
	ContainerRuntimeVersion string `protobuf:"bytes,5,opt,name=container_runtime_version,json=containerRuntimeVersion,proto3" json:"container_runtime_version,omitempty"`
	// Unique id of the machine (/etc/machine-id), if any.
	MachineId string `protobuf:"bytes,6,opt,name=machine_id,json=machineId,proto3" json:"machine_id,omitempty"`
	// The hardware UUID, if any.
	SystemUuid string `protobuf:"bytes,7,opt,name=system_uuid,json=systemUuid,proto3" json:"system_uuid,omitempty"`
	// Changes on every reboot, if known.
	BootId        string `protobuf:"bytes,8,opt,name=boot_id,json=bootId,proto3" json:"boot_id,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *NodeSystemInfo) Reset() {
	*x = NodeSystemInfo{}
	mi := &file_provider_proto_msgTypes[54]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *NodeSystemInfo) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*NodeSystemInfo) ProtoMessage() {}

func (x *NodeSystemInfo) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[54]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use NodeSystemInfo.ProtoReflect.Descriptor instead.
func (*NodeSystemInfo) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{54}
}

func (x *NodeSystemInfo) GetOperatingSystem() string {
	if x != nil {
		return x.OperatingSystem
	}
	return ""
}

func (x *NodeSystemInfo) GetArchitecture() string {
	if x != nil {
		return x.Architecture
	}
	return ""
}

func (x *NodeSystemInfo) GetKernelVersion() string {
	if x != nil {
		return x.KernelVersion
	}
	return ""
}

func (x *NodeSystemInfo) GetOsImage() string {
	if x != nil {
		return x.OsImage
	}
	return ""
}

func (x *NodeSystemInfo) GetContainerRuntimeVersion() string {
	if x != nil {
		return x.ContainerRuntimeVersion
	}
	return ""
}

func (x *NodeSystemInfo) GetMachineId() string {
	if x != nil {
		return x.MachineId
	}
	return ""
}

func (x *NodeSystemInfo) GetSystemUuid() string {
	if x != nil {
		return x.SystemUuid
	}
	return ""
}

func (x *NodeSystemInfo) GetBootId() string {
	if x != nil {
		return x.BootId
	}
	return ""
}

type GetObjectRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// The pod on whose behalf the plugin asks; namespace, name and uid are all
	// required.
	Pod *PodRef `protobuf:"bytes,1,opt,name=pod,proto3" json:"pod,omitempty"`
	// Name of the object. Required.
	Name string `protobuf:"bytes,2,opt,name=name,proto3" json:"name,omitempty"`
	// Namespace of the object. Optional: empty means the pod's namespace, and
	// anything else is refused (rule same-namespace), since a pod can only
	// reference objects of its own namespace.
	Namespace     string `protobuf:"bytes,3,opt,name=namespace,proto3" json:"namespace,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetObjectRequest) Reset() {
	*x = GetObjectRequest{}
	mi := &file_provider_proto_msgTypes[55]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetObjectRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetObjectRequest) ProtoMessage() {}

func (x *GetObjectRequest) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[55]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetObjectRequest.ProtoReflect.Descriptor instead.
func (*GetObjectRequest) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{55}
}

func (x *GetObjectRequest) GetPod() *PodRef {
	if x != nil {
		return x.Pod
	}
	return nil
}

func (x *GetObjectRequest) GetName() string {
	if x != nil {
		return x.Name
	}
	return ""
}

func (x *GetObjectRequest) GetNamespace() string {
	if x != nil {
		return x.Namespace
	}
	return ""
}

type GetSecretResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Key to value. Sensitive: never log these.
	Data map[string][]byte `protobuf:"bytes,1,rep,name=data,proto3" json:"data,omitempty" protobuf_key:"bytes,1,opt,name=key" protobuf_val:"bytes,2,opt,name=value"`
	// The Secret's `type`, e.g. "Opaque".
	Type string `protobuf:"bytes,2,opt,name=type,proto3" json:"type,omitempty"`
	// The object's resourceVersion: a plugin that caches values re-fetches when
	// it wants fresh data and can tell whether anything changed.
	ResourceVersion string `protobuf:"bytes,3,opt,name=resource_version,json=resourceVersion,proto3" json:"resource_version,omitempty"`
	unknownFields   protoimpl.UnknownFields
	sizeCache       protoimpl.SizeCache
}

func (x *GetSecretResponse) Reset() {
	*x = GetSecretResponse{}
	mi := &file_provider_proto_msgTypes[56]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetSecretResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetSecretResponse) ProtoMessage() {}

func (x *GetSecretResponse) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[56]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetSecretResponse.ProtoReflect.Descriptor instead.
func (*GetSecretResponse) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{56}
}

func (x *GetSecretResponse) GetData() map[string][]byte {
	if x != nil {
		return x.Data
	}
	return nil
}

func (x *GetSecretResponse) GetType() string {
	if x != nil {
		return x.Type
	}
	return ""
}

func (x *GetSecretResponse) GetResourceVersion() string {
	if x != nil {
		return x.ResourceVersion
	}
	return ""
}

type GetConfigMapResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Key to UTF-8 value (the ConfigMap's `data`).
	Data map[string]string `protobuf:"bytes,1,rep,name=data,proto3" json:"data,omitempty" protobuf_key:"bytes,1,opt,name=key" protobuf_val:"bytes,2,opt,name=value"`
	// Key to bytes (the ConfigMap's `binaryData`).
	BinaryData map[string][]byte `protobuf:"bytes,2,rep,name=binary_data,json=binaryData,proto3" json:"binary_data,omitempty" protobuf_key:"bytes,1,opt,name=key" protobuf_val:"bytes,2,opt,name=value"`
	// The object's resourceVersion, to notice changes on re-fetch.
	ResourceVersion string `protobuf:"bytes,3,opt,name=resource_version,json=resourceVersion,proto3" json:"resource_version,omitempty"`
	unknownFields   protoimpl.UnknownFields
	sizeCache       protoimpl.SizeCache
}

func (x *GetConfigMapResponse) Reset() {
	*x = GetConfigMapResponse{}
	mi := &file_provider_proto_msgTypes[57]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetConfigMapResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetConfigMapResponse) ProtoMessage() {}

func (x *GetConfigMapResponse) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[57]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetConfigMapResponse.ProtoReflect.Descriptor instead.
func (*GetConfigMapResponse) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{57}
}

func (x *GetConfigMapResponse) GetData() map[string]string {
	if x != nil {
		return x.Data
	}
	return nil
}

func (x *GetConfigMapResponse) GetBinaryData() map[string][]byte {
	if x != nil {
		return x.BinaryData
	}
	return nil
}

func (x *GetConfigMapResponse) GetResourceVersion() string {
	if x != nil {
		return x.ResourceVersion
	}
	return ""
}

type CreateServiceAccountTokenRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// The pod the token is bound to; namespace, name and uid are all required.
	Pod *PodRef `protobuf:"bytes,1,opt,name=pod,proto3" json:"pod,omitempty"`
	// The audience of the token: at most one, a projection's `audience`; none
	// means the API server's default (its `--api-audiences`), for a
	// projection without `audience`. Any other audience, or more than one,
	// is refused (rule token-projected).
	Audiences []string `protobuf:"bytes,2,rep,name=audiences,proto3" json:"audiences,omitempty"`
	// Requested lifetime in seconds (a projection's `expirationSeconds`,
	// default 3600). 0 means the host's cap; otherwise at least 600 (the API
	// server's minimum; less, or negative: INVALID_ARGUMENT). The host caps it
	// (vk-host --max-token-expiration, default 1 hour) and the API server may
	// change it; the response says what was granted. The host never asks for
	// exactly 3607 s, the lifetime the API server's ServiceAccount admission
	// writes into `kube-api-access-*` and then extends to a year
	// (--service-account-extend-token-expiration): such a request is sent as
	// 3600 s, so a plugin always gets a token as short-lived as it asked.
	ExpirationSeconds int64 `protobuf:"varint,3,opt,name=expiration_seconds,json=expirationSeconds,proto3" json:"expiration_seconds,omitempty"`
	// The service account. Optional: empty means the pod's own
	// (`spec.serviceAccountName`); anything else is refused (rule
	// own-service-account).
	ServiceAccountName string `protobuf:"bytes,4,opt,name=service_account_name,json=serviceAccountName,proto3" json:"service_account_name,omitempty"`
	unknownFields      protoimpl.UnknownFields
	sizeCache          protoimpl.SizeCache
}

func (x *CreateServiceAccountTokenRequest) Reset() {
	*x = CreateServiceAccountTokenRequest{}
	mi := &file_provider_proto_msgTypes[58]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CreateServiceAccountTokenRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CreateServiceAccountTokenRequest) ProtoMessage() {}

func (x *CreateServiceAccountTokenRequest) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[58]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CreateServiceAccountTokenRequest.ProtoReflect.Descriptor instead.
func (*CreateServiceAccountTokenRequest) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{58}
}

func (x *CreateServiceAccountTokenRequest) GetPod() *PodRef {
	if x != nil {
		return x.Pod
	}
	return nil
}

func (x *CreateServiceAccountTokenRequest) GetAudiences() []string {
	if x != nil {
		return x.Audiences
	}
	return nil
}

func (x *CreateServiceAccountTokenRequest) GetExpirationSeconds() int64 {
	if x != nil {
		return x.ExpirationSeconds
	}
	return 0
}

func (x *CreateServiceAccountTokenRequest) GetServiceAccountName() string {
	if x != nil {
		return x.ServiceAccountName
	}
	return ""
}

type CreateServiceAccountTokenResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// The token. Sensitive: never log it.
	Token string `protobuf:"bytes,1,opt,name=token,proto3" json:"token,omitempty"`
	// When it expires, Unix seconds.
	ExpirationUnixSeconds int64 `protobuf:"varint,2,opt,name=expiration_unix_seconds,json=expirationUnixSeconds,proto3" json:"expiration_unix_seconds,omitempty"`
	unknownFields         protoimpl.UnknownFields
	sizeCache             protoimpl.SizeCache
}

func (x *CreateServiceAccountTokenResponse) Reset() {
	*x = CreateServiceAccountTokenResponse{}
	mi := &file_provider_proto_msgTypes[59]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CreateServiceAccountTokenResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CreateServiceAccountTokenResponse) ProtoMessage() {}

func (x *CreateServiceAccountTokenResponse) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[59]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CreateServiceAccountTokenResponse.ProtoReflect.Descriptor instead.
func (*CreateServiceAccountTokenResponse) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{59}
}

func (x *CreateServiceAccountTokenResponse) GetToken() string {
	if x != nil {
		return x.Token
	}
	return ""
}

func (x *CreateServiceAccountTokenResponse) GetExpirationUnixSeconds() int64 {
	if x != nil {
		return x.ExpirationUnixSeconds
	}
	return 0
}

type GetContainerEnvRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// The pod the container belongs to; namespace, name and uid are all
	// required.
	Pod *PodRef `protobuf:"bytes,1,opt,name=pod,proto3" json:"pod,omitempty"`
	// The container's name, as in the pod's spec (a regular, init or
	// ephemeral container). Required.
	Container string `protobuf:"bytes,2,opt,name=container,proto3" json:"container,omitempty"`
	// The pod's IPs as the plugin has them now (its sandbox's; the node's for
	// `hostNetwork`), primary first: what `status.podIP` and `status.podIPs`
	// resolve to. Optional: empty means the pod's API status (after a
	// sandbox was re-created it may still show the old IP), and entries
	// stay `fieldRef` references while that has none. At most 8, each an
	// IPv4 or IPv6 address.
	PodIps        []string `protobuf:"bytes,3,rep,name=pod_ips,json=podIps,proto3" json:"pod_ips,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetContainerEnvRequest) Reset() {
	*x = GetContainerEnvRequest{}
	mi := &file_provider_proto_msgTypes[60]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetContainerEnvRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetContainerEnvRequest) ProtoMessage() {}

func (x *GetContainerEnvRequest) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[60]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetContainerEnvRequest.ProtoReflect.Descriptor instead.
func (*GetContainerEnvRequest) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{60}
}

func (x *GetContainerEnvRequest) GetPod() *PodRef {
	if x != nil {
		return x.Pod
	}
	return nil
}

func (x *GetContainerEnvRequest) GetContainer() string {
	if x != nil {
		return x.Container
	}
	return ""
}

func (x *GetContainerEnvRequest) GetPodIps() []string {
	if x != nil {
		return x.PodIps
	}
	return nil
}

type GetContainerEnvResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// The container, Kubernetes JSON (a core/v1 Container, also for an
	// ephemeral container: its fields, without `targetContainerName`), from
	// the pod's spec as the host has it now, with `env` final, `envFrom`
	// empty and `command`/`args` expanded exactly as in CreatePod (see
	// "Environment"). Take `env`, `command` and `args` from it; the other
	// fields are the spec's. Sensitive (values from Secrets): never log it.
	Container     []byte `protobuf:"bytes,1,opt,name=container,proto3" json:"container,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *GetContainerEnvResponse) Reset() {
	*x = GetContainerEnvResponse{}
	mi := &file_provider_proto_msgTypes[61]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *GetContainerEnvResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*GetContainerEnvResponse) ProtoMessage() {}

func (x *GetContainerEnvResponse) ProtoReflect() protoreflect.Message {
	mi := &file_provider_proto_msgTypes[61]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use GetContainerEnvResponse.ProtoReflect.Descriptor instead.
func (*GetContainerEnvResponse) Descriptor() ([]byte, []int) {
	return file_provider_proto_rawDescGZIP(), []int{61}
}

func (x *GetContainerEnvResponse) GetContainer() []byte {
	if x != nil {
		return x.Container
	}
	return nil
}

var File_provider_proto protoreflect.FileDescriptor

const file_provider_proto_rawDesc = "" +
	"\n" +
	"\x0eprovider.proto\x12\x0evk.provider.v1\"\x7f\n" +
	"\x10HandshakeRequest\x12+\n" +
	"\x11protocol_versions\x18\x01 \x03(\rR\x10protocolVersions\x12!\n" +
	"\fhost_version\x18\x02 \x01(\tR\vhostVersion\x12\x1b\n" +
	"\tnode_name\x18\x03 \x01(\tR\bnodeName\"\xac\x01\n" +
	"\x11HandshakeResponse\x12)\n" +
	"\x10protocol_version\x18\x01 \x01(\rR\x0fprotocolVersion\x12\x12\n" +
	"\x04name\x18\x02 \x01(\tR\x04name\x12\x18\n" +
	"\aversion\x18\x03 \x01(\tR\aversion\x12>\n" +
	"\fcapabilities\x18\x04 \x03(\x0e2\x1a.vk.provider.v1.CapabilityR\fcapabilities\"\x0e\n" +
	"\fProbeRequest\"?\n" +
	"\rProbeResponse\x12\x14\n" +
	"\x05ready\x18\x01 \x01(\bR\x05ready\x12\x18\n" +
	"\amessage\x18\x02 \x01(\tR\amessage\"9\n" +
	"\x0fShutdownRequest\x12&\n" +
	"\x0fgrace_period_ms\x18\x01 \x01(\x04R\rgracePeriodMs\"\x12\n" +
	"\x10ShutdownResponse\"$\n" +
	"\x10CreatePodRequest\x12\x10\n" +
	"\x03pod\x18\x01 \x01(\fR\x03pod\"\x13\n" +
	"\x11CreatePodResponse\"$\n" +
	"\x10UpdatePodRequest\x12\x10\n" +
	"\x03pod\x18\x01 \x01(\fR\x03pod\"\x13\n" +
	"\x11UpdatePodResponse\"$\n" +
	"\x10DeletePodRequest\x12\x10\n" +
	"\x03pod\x18\x01 \x01(\fR\x03pod\"\x13\n" +
	"\x11DeletePodResponse\"L\n" +
	"\x06PodRef\x12\x1c\n" +
	"\tnamespace\x18\x01 \x01(\tR\tnamespace\x12\x12\n" +
	"\x04name\x18\x02 \x01(\tR\x04name\x12\x10\n" +
	"\x03uid\x18\x03 \x01(\tR\x03uid\"9\n" +
	"\rGetPodRequest\x12(\n" +
	"\x03pod\x18\x01 \x01(\v2\x16.vk.provider.v1.PodRefR\x03pod\"\"\n" +
	"\x0eGetPodResponse\x12\x10\n" +
	"\x03pod\x18\x01 \x01(\fR\x03pod\"?\n" +
	"\x13GetPodStatusRequest\x12(\n" +
	"\x03pod\x18\x01 \x01(\v2\x16.vk.provider.v1.PodRefR\x03pod\".\n" +
	"\x14GetPodStatusResponse\x12\x16\n" +
	"\x06status\x18\x01 \x01(\fR\x06status\"\x10\n" +
	"\x0eGetPodsRequest\"%\n" +
	"\x0fGetPodsResponse\x12\x12\n" +
	"\x04pods\x18\x01 \x03(\fR\x04pods\"\x17\n" +
	"\x15WatchPodStatusRequest\"\x84\x01\n" +
	"\x0ePodStatusEvent\x12(\n" +
	"\x03pod\x18\x01 \x01(\v2\x16.vk.provider.v1.PodRefR\x03pod\x12\x16\n" +
	"\x06status\x18\x02 \x01(\fR\x06status\x120\n" +
	"\x06events\x18\x03 \x03(\v2\x18.vk.provider.v1.PodEventR\x06events\"\x8c\x01\n" +
	"\bPodEvent\x120\n" +
	"\x04type\x18\x01 \x01(\x0e2\x1c.vk.provider.v1.PodEventTypeR\x04type\x12\x16\n" +
	"\x06reason\x18\x02 \x01(\tR\x06reason\x12\x18\n" +
	"\amessage\x18\x03 \x01(\tR\amessage\x12\x1c\n" +
	"\tcontainer\x18\x04 \x01(\tR\tcontainer\"\xe5\x02\n" +
	"\x14ContainerLogsRequest\x12(\n" +
	"\x03pod\x18\x01 \x01(\v2\x16.vk.provider.v1.PodRefR\x03pod\x12\x1c\n" +
	"\tcontainer\x18\x02 \x01(\tR\tcontainer\x12\"\n" +
	"\n" +
	"tail_lines\x18\x03 \x01(\x03H\x00R\ttailLines\x88\x01\x01\x12$\n" +
	"\vlimit_bytes\x18\x04 \x01(\x03H\x01R\n" +
	"limitBytes\x88\x01\x01\x121\n" +
	"\x12since_unix_seconds\x18\x05 \x01(\x03H\x02R\x10sinceUnixSeconds\x88\x01\x01\x12\x1e\n" +
	"\n" +
	"timestamps\x18\x06 \x01(\bR\n" +
	"timestamps\x12\x16\n" +
	"\x06follow\x18\a \x01(\bR\x06follow\x12\x1a\n" +
	"\bprevious\x18\b \x01(\bR\bpreviousB\r\n" +
	"\v_tail_linesB\x0e\n" +
	"\f_limit_bytesB\x15\n" +
	"\x13_since_unix_seconds\"\x1e\n" +
	"\bLogChunk\x12\x12\n" +
	"\x04data\x18\x01 \x01(\fR\x04data\"\xba\x01\n" +
	"\tExecInput\x121\n" +
	"\x05start\x18\x01 \x01(\v2\x19.vk.provider.v1.ExecStartH\x00R\x05start\x12\x16\n" +
	"\x05stdin\x18\x02 \x01(\fH\x00R\x05stdin\x126\n" +
	"\x06resize\x18\x03 \x01(\v2\x1c.vk.provider.v1.TerminalSizeH\x00R\x06resize\x12!\n" +
	"\vclose_stdin\x18\x04 \x01(\bH\x00R\n" +
	"closeStdinB\a\n" +
	"\x05input\"\x88\x02\n" +
	"\tExecStart\x12(\n" +
	"\x03pod\x18\x01 \x01(\v2\x16.vk.provider.v1.PodRefR\x03pod\x12\x1c\n" +
	"\tcontainer\x18\x02 \x01(\tR\tcontainer\x12\x18\n" +
	"\acommand\x18\x03 \x03(\tR\acommand\x12\x14\n" +
	"\x05stdin\x18\x04 \x01(\bR\x05stdin\x12\x16\n" +
	"\x06stdout\x18\x05 \x01(\bR\x06stdout\x12\x16\n" +
	"\x06stderr\x18\x06 \x01(\bR\x06stderr\x12\x10\n" +
	"\x03tty\x18\a \x01(\bR\x03tty\x12A\n" +
	"\rterminal_size\x18\b \x01(\v2\x1c.vk.provider.v1.TerminalSizeR\fterminalSize\"<\n" +
	"\fTerminalSize\x12\x14\n" +
	"\x05width\x18\x01 \x01(\rR\x05width\x12\x16\n" +
	"\x06height\x18\x02 \x01(\rR\x06height\"z\n" +
	"\n" +
	"ExecOutput\x12\x18\n" +
	"\x06stdout\x18\x01 \x01(\fH\x00R\x06stdout\x12\x18\n" +
	"\x06stderr\x18\x02 \x01(\fH\x00R\x06stderr\x12.\n" +
	"\x04exit\x18\x03 \x01(\v2\x18.vk.provider.v1.ExecExitH\x00R\x04exitB\b\n" +
	"\x06output\"6\n" +
	"\bExecExit\x12\x12\n" +
	"\x04code\x18\x01 \x01(\x05R\x04code\x12\x16\n" +
	"\x06reason\x18\x02 \x01(\tR\x06reason\"k\n" +
	"\x10PortForwardInput\x128\n" +
	"\x05start\x18\x01 \x01(\v2 .vk.provider.v1.PortForwardStartH\x00R\x05start\x12\x14\n" +
	"\x04data\x18\x02 \x01(\fH\x00R\x04dataB\a\n" +
	"\x05input\"P\n" +
	"\x10PortForwardStart\x12(\n" +
	"\x03pod\x18\x01 \x01(\v2\x16.vk.provider.v1.PodRefR\x03pod\x12\x12\n" +
	"\x04port\x18\x02 \x01(\rR\x04port\"'\n" +
	"\x11PortForwardOutput\x12\x12\n" +
	"\x04data\x18\x01 \x01(\fR\x04data\"\x18\n" +
	"\x16GetStatsSummaryRequest\"v\n" +
	"\x17GetStatsSummaryResponse\x12-\n" +
	"\x04node\x18\x01 \x01(\v2\x19.vk.provider.v1.NodeStatsR\x04node\x12,\n" +
	"\x04pods\x18\x02 \x03(\v2\x18.vk.provider.v1.PodStatsR\x04pods\"\xa3\x01\n" +
	"\tNodeStats\x125\n" +
	"\x17start_time_unix_seconds\x18\x01 \x01(\x03R\x14startTimeUnixSeconds\x12*\n" +
	"\x03cpu\x18\x02 \x01(\v2\x18.vk.provider.v1.CpuStatsR\x03cpu\x123\n" +
	"\x06memory\x18\x03 \x01(\v2\x1b.vk.provider.v1.MemoryStatsR\x06memory\"\x8c\x02\n" +
	"\bPodStats\x12(\n" +
	"\x03pod\x18\x01 \x01(\v2\x16.vk.provider.v1.PodRefR\x03pod\x125\n" +
	"\x17start_time_unix_seconds\x18\x02 \x01(\x03R\x14startTimeUnixSeconds\x12>\n" +
	"\n" +
	"containers\x18\x03 \x03(\v2\x1e.vk.provider.v1.ContainerStatsR\n" +
	"containers\x12*\n" +
	"\x03cpu\x18\x04 \x01(\v2\x18.vk.provider.v1.CpuStatsR\x03cpu\x123\n" +
	"\x06memory\x18\x05 \x01(\v2\x1b.vk.provider.v1.MemoryStatsR\x06memory\"\xbc\x01\n" +
	"\x0eContainerStats\x12\x12\n" +
	"\x04name\x18\x01 \x01(\tR\x04name\x125\n" +
	"\x17start_time_unix_seconds\x18\x02 \x01(\x03R\x14startTimeUnixSeconds\x12*\n" +
	"\x03cpu\x18\x03 \x01(\v2\x18.vk.provider.v1.CpuStatsR\x03cpu\x123\n" +
	"\x06memory\x18\x04 \x01(\v2\x1b.vk.provider.v1.MemoryStatsR\x06memory\"\xd8\x01\n" +
	"\bCpuStats\x120\n" +
	"\x14timestamp_unix_nanos\x18\x01 \x01(\x03R\x12timestampUnixNanos\x12-\n" +
	"\x10usage_nano_cores\x18\x02 \x01(\x04H\x00R\x0eusageNanoCores\x88\x01\x01\x12:\n" +
	"\x17usage_core_nano_seconds\x18\x03 \x01(\x04H\x01R\x14usageCoreNanoSeconds\x88\x01\x01B\x13\n" +
	"\x11_usage_nano_coresB\x1a\n" +
	"\x18_usage_core_nano_seconds\"\xae\x02\n" +
	"\vMemoryStats\x120\n" +
	"\x14timestamp_unix_nanos\x18\x01 \x01(\x03R\x12timestampUnixNanos\x12$\n" +
	"\vusage_bytes\x18\x02 \x01(\x04H\x00R\n" +
	"usageBytes\x88\x01\x01\x12/\n" +
	"\x11working_set_bytes\x18\x03 \x01(\x04H\x01R\x0fworkingSetBytes\x88\x01\x01\x12 \n" +
	"\trss_bytes\x18\x04 \x01(\x04H\x02R\brssBytes\x88\x01\x01\x12,\n" +
	"\x0favailable_bytes\x18\x05 \x01(\x04H\x03R\x0eavailableBytes\x88\x01\x01B\x0e\n" +
	"\f_usage_bytesB\x14\n" +
	"\x12_working_set_bytesB\f\n" +
	"\n" +
	"_rss_bytesB\x12\n" +
	"\x10_available_bytes\"\x1b\n" +
	"\x19GetMetricsResourceRequest\"\xd1\x01\n" +
	"\x1aGetMetricsResourceResponse\x12@\n" +
	"\n" +
	"containers\x18\x01 \x03(\v2 .vk.provider.v1.ContainerMetricsR\n" +
	"containers\x123\n" +
	"\bnode_cpu\x18\x02 \x01(\v2\x18.vk.provider.v1.CpuStatsR\anodeCpu\x12<\n" +
	"\vnode_memory\x18\x03 \x01(\v2\x1b.vk.provider.v1.MemoryStatsR\n" +
	"nodeMemory\"\xf2\x01\n" +
	"\x10ContainerMetrics\x12(\n" +
	"\x03pod\x18\x01 \x01(\v2\x16.vk.provider.v1.PodRefR\x03pod\x12\x1c\n" +
	"\tcontainer\x18\x02 \x01(\tR\tcontainer\x125\n" +
	"\x17start_time_unix_seconds\x18\x03 \x01(\x03R\x14startTimeUnixSeconds\x12*\n" +
	"\x03cpu\x18\x04 \x01(\v2\x18.vk.provider.v1.CpuStatsR\x03cpu\x123\n" +
	"\x06memory\x18\x05 \x01(\v2\x1b.vk.provider.v1.MemoryStatsR\x06memory\"\x19\n" +
	"\x17GetPluginMetricsRequest\"T\n" +
	"\x18GetPluginMetricsResponse\x128\n" +
	"\bfamilies\x18\x01 \x03(\v2\x1c.vk.provider.v1.MetricFamilyR\bfamilies\"\x98\x01\n" +
	"\fMetricFamily\x12\x12\n" +
	"\x04name\x18\x01 \x01(\tR\x04name\x12\x12\n" +
	"\x04help\x18\x02 \x01(\tR\x04help\x12.\n" +
	"\x04type\x18\x03 \x01(\x0e2\x1a.vk.provider.v1.MetricTypeR\x04type\x120\n" +
	"\ametrics\x18\x04 \x03(\v2\x16.vk.provider.v1.MetricR\ametrics\"\xce\x01\n" +
	"\x06Metric\x12:\n" +
	"\x06labels\x18\x01 \x03(\v2\".vk.provider.v1.Metric.LabelsEntryR\x06labels\x12\x14\n" +
	"\x05value\x18\x02 \x01(\x01R\x05value\x127\n" +
	"\thistogram\x18\x03 \x01(\v2\x19.vk.provider.v1.HistogramR\thistogram\x1a9\n" +
	"\vLabelsEntry\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x12\x14\n" +
	"\x05value\x18\x02 \x01(\tR\x05value:\x028\x01\"\x7f\n" +
	"\tHistogram\x12!\n" +
	"\fsample_count\x18\x01 \x01(\x04R\vsampleCount\x12\x1d\n" +
	"\n" +
	"sample_sum\x18\x02 \x01(\x01R\tsampleSum\x120\n" +
	"\abuckets\x18\x03 \x03(\v2\x16.vk.provider.v1.BucketR\abuckets\"T\n" +
	"\x06Bucket\x12)\n" +
	"\x10cumulative_count\x18\x01 \x01(\x04R\x0fcumulativeCount\x12\x1f\n" +
	"\vupper_bound\x18\x02 \x01(\x01R\n" +
	"upperBound\"\x14\n" +
	"\x12GetNodeInfoRequest\"\x16\n" +
	"\x14WatchNodeInfoRequest\"\xfb\x04\n" +
	"\bNodeInfo\x12B\n" +
	"\bcapacity\x18\x01 \x03(\v2&.vk.provider.v1.NodeInfo.CapacityEntryR\bcapacity\x12K\n" +
	"\vallocatable\x18\x02 \x03(\v2).vk.provider.v1.NodeInfo.AllocatableEntryR\vallocatable\x12<\n" +
	"\x06labels\x18\x03 \x03(\v2$.vk.provider.v1.NodeInfo.LabelsEntryR\x06labels\x12-\n" +
	"\x06taints\x18\x04 \x03(\v2\x15.vk.provider.v1.TaintR\x06taints\x12=\n" +
	"\n" +
	"conditions\x18\x05 \x03(\v2\x1d.vk.provider.v1.NodeConditionR\n" +
	"conditions\x129\n" +
	"\taddresses\x18\x06 \x03(\v2\x1b.vk.provider.v1.NodeAddressR\taddresses\x12?\n" +
	"\vsystem_info\x18\a \x01(\v2\x1e.vk.provider.v1.NodeSystemInfoR\n" +
	"systemInfo\x1a;\n" +
	"\rCapacityEntry\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x12\x14\n" +
	"\x05value\x18\x02 \x01(\tR\x05value:\x028\x01\x1a>\n" +
	"\x10AllocatableEntry\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x12\x14\n" +
	"\x05value\x18\x02 \x01(\tR\x05value:\x028\x01\x1a9\n" +
	"\vLabelsEntry\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x12\x14\n" +
	"\x05value\x18\x02 \x01(\tR\x05value:\x028\x01\"G\n" +
	"\x05Taint\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x12\x14\n" +
	"\x05value\x18\x02 \x01(\tR\x05value\x12\x16\n" +
	"\x06effect\x18\x03 \x01(\tR\x06effect\"m\n" +
	"\rNodeCondition\x12\x12\n" +
	"\x04type\x18\x01 \x01(\tR\x04type\x12\x16\n" +
	"\x06status\x18\x02 \x01(\tR\x06status\x12\x16\n" +
	"\x06reason\x18\x03 \x01(\tR\x06reason\x12\x18\n" +
	"\amessage\x18\x04 \x01(\tR\amessage\";\n" +
	"\vNodeAddress\x12\x12\n" +
	"\x04type\x18\x01 \x01(\tR\x04type\x12\x18\n" +
	"\aaddress\x18\x02 \x01(\tR\aaddress\"\xb6\x02\n" +
	"\x0eNodeSystemInfo\x12)\n" +
	"\x10operating_system\x18\x01 \x01(\tR\x0foperatingSystem\x12\"\n" +
	"\farchitecture\x18\x02 \x01(\tR\farchitecture\x12%\n" +
	"\x0ekernel_version\x18\x03 \x01(\tR\rkernelVersion\x12\x19\n" +
	"\bos_image\x18\x04 \x01(\tR\aosImage\x12:\n" +
	"\x19container_runtime_version\x18\x05 \x01(\tR\x17containerRuntimeVersion\x12\x1d\n" +
	"\n" +
	"machine_id\x18\x06 \x01(\tR\tmachineId\x12\x1f\n" +
	"\vsystem_uuid\x18\a \x01(\tR\n" +
	"systemUuid\x12\x17\n" +
	"\aboot_id\x18\b \x01(\tR\x06bootId\"n\n" +
	"\x10GetObjectRequest\x12(\n" +
	"\x03pod\x18\x01 \x01(\v2\x16.vk.provider.v1.PodRefR\x03pod\x12\x12\n" +
	"\x04name\x18\x02 \x01(\tR\x04name\x12\x1c\n" +
	"\tnamespace\x18\x03 \x01(\tR\tnamespace\"\xcc\x01\n" +
	"\x11GetSecretResponse\x12?\n" +
	"\x04data\x18\x01 \x03(\v2+.vk.provider.v1.GetSecretResponse.DataEntryR\x04data\x12\x12\n" +
	"\x04type\x18\x02 \x01(\tR\x04type\x12)\n" +
	"\x10resource_version\x18\x03 \x01(\tR\x0fresourceVersion\x1a7\n" +
	"\tDataEntry\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x12\x14\n" +
	"\x05value\x18\x02 \x01(\fR\x05value:\x028\x01\"\xd4\x02\n" +
	"\x14GetConfigMapResponse\x12B\n" +
	"\x04data\x18\x01 \x03(\v2..vk.provider.v1.GetConfigMapResponse.DataEntryR\x04data\x12U\n" +
	"\vbinary_data\x18\x02 \x03(\v24.vk.provider.v1.GetConfigMapResponse.BinaryDataEntryR\n" +
	"binaryData\x12)\n" +
	"\x10resource_version\x18\x03 \x01(\tR\x0fresourceVersion\x1a7\n" +
	"\tDataEntry\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x12\x14\n" +
	"\x05value\x18\x02 \x01(\tR\x05value:\x028\x01\x1a=\n" +
	"\x0fBinaryDataEntry\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x12\x14\n" +
	"\x05value\x18\x02 \x01(\fR\x05value:\x028\x01\"\xcb\x01\n" +
	" CreateServiceAccountTokenRequest\x12(\n" +
	"\x03pod\x18\x01 \x01(\v2\x16.vk.provider.v1.PodRefR\x03pod\x12\x1c\n" +
	"\taudiences\x18\x02 \x03(\tR\taudiences\x12-\n" +
	"\x12expiration_seconds\x18\x03 \x01(\x03R\x11expirationSeconds\x120\n" +
	"\x14service_account_name\x18\x04 \x01(\tR\x12serviceAccountName\"q\n" +
	"!CreateServiceAccountTokenResponse\x12\x14\n" +
	"\x05token\x18\x01 \x01(\tR\x05token\x126\n" +
	"\x17expiration_unix_seconds\x18\x02 \x01(\x03R\x15expirationUnixSeconds\"y\n" +
	"\x16GetContainerEnvRequest\x12(\n" +
	"\x03pod\x18\x01 \x01(\v2\x16.vk.provider.v1.PodRefR\x03pod\x12\x1c\n" +
	"\tcontainer\x18\x02 \x01(\tR\tcontainer\x12\x17\n" +
	"\apod_ips\x18\x03 \x03(\tR\x06podIps\"7\n" +
	"\x17GetContainerEnvResponse\x12\x1c\n" +
	"\tcontainer\x18\x01 \x01(\fR\tcontainer*\xaa\x02\n" +
	"\n" +
	"Capability\x12\x1a\n" +
	"\x16CAPABILITY_UNSPECIFIED\x10\x00\x12 \n" +
	"\x1cCAPABILITY_POD_STATUS_STREAM\x10\x01\x12\x1d\n" +
	"\x19CAPABILITY_CONTAINER_LOGS\x10\x02\x12\x13\n" +
	"\x0fCAPABILITY_EXEC\x10\x03\x12\x15\n" +
	"\x11CAPABILITY_ATTACH\x10\x04\x12\x1b\n" +
	"\x17CAPABILITY_PORT_FORWARD\x10\x05\x12\x1c\n" +
	"\x18CAPABILITY_STATS_SUMMARY\x10\x06\x12\x1f\n" +
	"\x1bCAPABILITY_METRICS_RESOURCE\x10\a\x12\x18\n" +
	"\x14CAPABILITY_NODE_INFO\x10\b\x12\x1d\n" +
	"\x19CAPABILITY_PLUGIN_METRICS\x10\t*E\n" +
	"\fPodEventType\x12\x19\n" +
	"\x15POD_EVENT_TYPE_NORMAL\x10\x00\x12\x1a\n" +
	"\x16POD_EVENT_TYPE_WARNING\x10\x01*t\n" +
	"\n" +
	"MetricType\x12\x1b\n" +
	"\x17METRIC_TYPE_UNSPECIFIED\x10\x00\x12\x17\n" +
	"\x13METRIC_TYPE_COUNTER\x10\x01\x12\x15\n" +
	"\x11METRIC_TYPE_GAUGE\x10\x02\x12\x19\n" +
	"\x15METRIC_TYPE_HISTOGRAM\x10\x032\xf7\x01\n" +
	"\x0ePluginIdentity\x12P\n" +
	"\tHandshake\x12 .vk.provider.v1.HandshakeRequest\x1a!.vk.provider.v1.HandshakeResponse\x12D\n" +
	"\x05Probe\x12\x1c.vk.provider.v1.ProbeRequest\x1a\x1d.vk.provider.v1.ProbeResponse\x12M\n" +
	"\bShutdown\x12\x1f.vk.provider.v1.ShutdownRequest\x1a .vk.provider.v1.ShutdownResponse2\xdd\n" +
	"\n" +
	"\fPodLifecycle\x12P\n" +
	"\tCreatePod\x12 .vk.provider.v1.CreatePodRequest\x1a!.vk.provider.v1.CreatePodResponse\x12P\n" +
	"\tUpdatePod\x12 .vk.provider.v1.UpdatePodRequest\x1a!.vk.provider.v1.UpdatePodResponse\x12P\n" +
	"\tDeletePod\x12 .vk.provider.v1.DeletePodRequest\x1a!.vk.provider.v1.DeletePodResponse\x12G\n" +
	"\x06GetPod\x12\x1d.vk.provider.v1.GetPodRequest\x1a\x1e.vk.provider.v1.GetPodResponse\x12Y\n" +
	"\fGetPodStatus\x12#.vk.provider.v1.GetPodStatusRequest\x1a$.vk.provider.v1.GetPodStatusResponse\x12J\n" +
	"\aGetPods\x12\x1e.vk.provider.v1.GetPodsRequest\x1a\x1f.vk.provider.v1.GetPodsResponse\x12Y\n" +
	"\x0eWatchPodStatus\x12%.vk.provider.v1.WatchPodStatusRequest\x1a\x1e.vk.provider.v1.PodStatusEvent0\x01\x12T\n" +
	"\x10GetContainerLogs\x12$.vk.provider.v1.ContainerLogsRequest\x1a\x18.vk.provider.v1.LogChunk0\x01\x12A\n" +
	"\x04Exec\x12\x19.vk.provider.v1.ExecInput\x1a\x1a.vk.provider.v1.ExecOutput(\x010\x01\x12C\n" +
	"\x06Attach\x12\x19.vk.provider.v1.ExecInput\x1a\x1a.vk.provider.v1.ExecOutput(\x010\x01\x12V\n" +
	"\vPortForward\x12 .vk.provider.v1.PortForwardInput\x1a!.vk.provider.v1.PortForwardOutput(\x010\x01\x12b\n" +
	"\x0fGetStatsSummary\x12&.vk.provider.v1.GetStatsSummaryRequest\x1a'.vk.provider.v1.GetStatsSummaryResponse\x12k\n" +
	"\x12GetMetricsResource\x12).vk.provider.v1.GetMetricsResourceRequest\x1a*.vk.provider.v1.GetMetricsResourceResponse\x12K\n" +
	"\vGetNodeInfo\x12\".vk.provider.v1.GetNodeInfoRequest\x1a\x18.vk.provider.v1.NodeInfo\x12Q\n" +
	"\rWatchNodeInfo\x12$.vk.provider.v1.WatchNodeInfoRequest\x1a\x18.vk.provider.v1.NodeInfo0\x01\x12e\n" +
	"\x10GetPluginMetrics\x12'.vk.provider.v1.GetPluginMetricsRequest\x1a(.vk.provider.v1.GetPluginMetricsResponse2\xa0\x03\n" +
	"\rHostCallbacks\x12P\n" +
	"\tGetSecret\x12 .vk.provider.v1.GetObjectRequest\x1a!.vk.provider.v1.GetSecretResponse\x12V\n" +
	"\fGetConfigMap\x12 .vk.provider.v1.GetObjectRequest\x1a$.vk.provider.v1.GetConfigMapResponse\x12\x80\x01\n" +
	"\x19CreateServiceAccountToken\x120.vk.provider.v1.CreateServiceAccountTokenRequest\x1a1.vk.provider.v1.CreateServiceAccountTokenResponse\x12b\n" +
	"\x0fGetContainerEnv\x12&.vk.provider.v1.GetContainerEnvRequest\x1a'.vk.provider.v1.GetContainerEnvResponseb\x06proto3"

var (
	file_provider_proto_rawDescOnce sync.Once
	file_provider_proto_rawDescData []byte
)

func file_provider_proto_rawDescGZIP() []byte {
	file_provider_proto_rawDescOnce.Do(func() {
		file_provider_proto_rawDescData = protoimpl.X.CompressGZIP(unsafe.Slice(unsafe.StringData(file_provider_proto_rawDesc), len(file_provider_proto_rawDesc)))
	})
	return file_provider_proto_rawDescData
}

var file_provider_proto_enumTypes = make([]protoimpl.EnumInfo, 3)
var file_provider_proto_msgTypes = make([]protoimpl.MessageInfo, 69)
var file_provider_proto_goTypes = []any{
	(Capability)(0),                           // 0: vk.provider.v1.Capability
	(PodEventType)(0),                         // 1: vk.provider.v1.PodEventType
	(MetricType)(0),                           // 2: vk.provider.v1.MetricType
	(*HandshakeRequest)(nil),                  // 3: vk.provider.v1.HandshakeRequest
	(*HandshakeResponse)(nil),                 // 4: vk.provider.v1.HandshakeResponse
	(*ProbeRequest)(nil),                      // 5: vk.provider.v1.ProbeRequest
	(*ProbeResponse)(nil),                     // 6: vk.provider.v1.ProbeResponse
	(*ShutdownRequest)(nil),                   // 7: vk.provider.v1.ShutdownRequest
	(*ShutdownResponse)(nil),                  // 8: vk.provider.v1.ShutdownResponse
	(*CreatePodRequest)(nil),                  // 9: vk.provider.v1.CreatePodRequest
	(*CreatePodResponse)(nil),                 // 10: vk.provider.v1.CreatePodResponse
	(*UpdatePodRequest)(nil),                  // 11: vk.provider.v1.UpdatePodRequest
	(*UpdatePodResponse)(nil),                 // 12: vk.provider.v1.UpdatePodResponse
	(*DeletePodRequest)(nil),                  // 13: vk.provider.v1.DeletePodRequest
	(*DeletePodResponse)(nil),                 // 14: vk.provider.v1.DeletePodResponse
	(*PodRef)(nil),                            // 15: vk.provider.v1.PodRef
	(*GetPodRequest)(nil),                     // 16: vk.provider.v1.GetPodRequest
	(*GetPodResponse)(nil),                    // 17: vk.provider.v1.GetPodResponse
	(*GetPodStatusRequest)(nil),               // 18: vk.provider.v1.GetPodStatusRequest
	(*GetPodStatusResponse)(nil),              // 19: vk.provider.v1.GetPodStatusResponse
	(*GetPodsRequest)(nil),                    // 20: vk.provider.v1.GetPodsRequest
	(*GetPodsResponse)(nil),                   // 21: vk.provider.v1.GetPodsResponse
	(*WatchPodStatusRequest)(nil),             // 22: vk.provider.v1.WatchPodStatusRequest
	(*PodStatusEvent)(nil),                    // 23: vk.provider.v1.PodStatusEvent
	(*PodEvent)(nil),                          // 24: vk.provider.v1.PodEvent
	(*ContainerLogsRequest)(nil),              // 25: vk.provider.v1.ContainerLogsRequest
	(*LogChunk)(nil),                          // 26: vk.provider.v1.LogChunk
	(*ExecInput)(nil),                         // 27: vk.provider.v1.ExecInput
	(*ExecStart)(nil),                         // 28: vk.provider.v1.ExecStart
	(*TerminalSize)(nil),                      // 29: vk.provider.v1.TerminalSize
	(*ExecOutput)(nil),                        // 30: vk.provider.v1.ExecOutput
	(*ExecExit)(nil),                          // 31: vk.provider.v1.ExecExit
	(*PortForwardInput)(nil),                  // 32: vk.provider.v1.PortForwardInput
	(*PortForwardStart)(nil),                  // 33: vk.provider.v1.PortForwardStart
	(*PortForwardOutput)(nil),                 // 34: vk.provider.v1.PortForwardOutput
	(*GetStatsSummaryRequest)(nil),            // 35: vk.provider.v1.GetStatsSummaryRequest
	(*GetStatsSummaryResponse)(nil),           // 36: vk.provider.v1.GetStatsSummaryResponse
	(*NodeStats)(nil),                         // 37: vk.provider.v1.NodeStats
	(*PodStats)(nil),                          // 38: vk.provider.v1.PodStats
	(*ContainerStats)(nil),                    // 39: vk.provider.v1.ContainerStats
	(*CpuStats)(nil),                          // 40: vk.provider.v1.CpuStats
	(*MemoryStats)(nil),                       // 41: vk.provider.v1.MemoryStats
	(*GetMetricsResourceRequest)(nil),         // 42: vk.provider.v1.GetMetricsResourceRequest
	(*GetMetricsResourceResponse)(nil),        // 43: vk.provider.v1.GetMetricsResourceResponse
	(*ContainerMetrics)(nil),                  // 44: vk.provider.v1.ContainerMetrics
	(*GetPluginMetricsRequest)(nil),           // 45: vk.provider.v1.GetPluginMetricsRequest
	(*GetPluginMetricsResponse)(nil),          // 46: vk.provider.v1.GetPluginMetricsResponse
	(*MetricFamily)(nil),                      // 47: vk.provider.v1.MetricFamily
	(*Metric)(nil),                            // 48: vk.provider.v1.Metric
	(*Histogram)(nil),                         // 49: vk.provider.v1.Histogram
	(*Bucket)(nil),                            // 50: vk.provider.v1.Bucket
	(*GetNodeInfoRequest)(nil),                // 51: vk.provider.v1.GetNodeInfoRequest
	(*WatchNodeInfoRequest)(nil),              // 52: vk.provider.v1.WatchNodeInfoRequest
	(*NodeInfo)(nil),                          // 53: vk.provider.v1.NodeInfo
	(*Taint)(nil),                             // 54: vk.provider.v1.Taint
	(*NodeCondition)(nil),                     // 55: vk.provider.v1.NodeCondition
	(*NodeAddress)(nil),                       // 56: vk.provider.v1.NodeAddress
	(*NodeSystemInfo)(nil),                    // 57: vk.provider.v1.NodeSystemInfo
	(*GetObjectRequest)(nil),                  // 58: vk.provider.v1.GetObjectRequest
	(*GetSecretResponse)(nil),                 // 59: vk.provider.v1.GetSecretResponse
	(*GetConfigMapResponse)(nil),              // 60: vk.provider.v1.GetConfigMapResponse
	(*CreateServiceAccountTokenRequest)(nil),  // 61: vk.provider.v1.CreateServiceAccountTokenRequest
	(*CreateServiceAccountTokenResponse)(nil), // 62: vk.provider.v1.CreateServiceAccountTokenResponse
	(*GetContainerEnvRequest)(nil),            // 63: vk.provider.v1.GetContainerEnvRequest
	(*GetContainerEnvResponse)(nil),           // 64: vk.provider.v1.GetContainerEnvResponse
	nil,                                       // 65: vk.provider.v1.Metric.LabelsEntry
	nil,                                       // 66: vk.provider.v1.NodeInfo.CapacityEntry
	nil,                                       // 67: vk.provider.v1.NodeInfo.AllocatableEntry
	nil,                                       // 68: vk.provider.v1.NodeInfo.LabelsEntry
	nil,                                       // 69: vk.provider.v1.GetSecretResponse.DataEntry
	nil,                                       // 70: vk.provider.v1.GetConfigMapResponse.DataEntry
	nil,                                       // 71: vk.provider.v1.GetConfigMapResponse.BinaryDataEntry
}
var file_provider_proto_depIdxs = []int32{
	0,  // 0: vk.provider.v1.HandshakeResponse.capabilities:type_name -> vk.provider.v1.Capability
	15, // 1: vk.provider.v1.GetPodRequest.pod:type_name -> vk.provider.v1.PodRef
	15, // 2: vk.provider.v1.GetPodStatusRequest.pod:type_name -> vk.provider.v1.PodRef
	15, // 3: vk.provider.v1.PodStatusEvent.pod:type_name -> vk.provider.v1.PodRef
	24, // 4: vk.provider.v1.PodStatusEvent.events:type_name -> vk.provider.v1.PodEvent
	1,  // 5: vk.provider.v1.PodEvent.type:type_name -> vk.provider.v1.PodEventType
	15, // 6: vk.provider.v1.ContainerLogsRequest.pod:type_name -> vk.provider.v1.PodRef
	28, // 7: vk.provider.v1.ExecInput.start:type_name -> vk.provider.v1.ExecStart
	29, // 8: vk.provider.v1.ExecInput.resize:type_name -> vk.provider.v1.TerminalSize
	15, // 9: vk.provider.v1.ExecStart.pod:type_name -> vk.provider.v1.PodRef
	29, // 10: vk.provider.v1.ExecStart.terminal_size:type_name -> vk.provider.v1.TerminalSize
	31, // 11: vk.provider.v1.ExecOutput.exit:type_name -> vk.provider.v1.ExecExit
	33, // 12: vk.provider.v1.PortForwardInput.start:type_name -> vk.provider.v1.PortForwardStart
	15, // 13: vk.provider.v1.PortForwardStart.pod:type_name -> vk.provider.v1.PodRef
	37, // 14: vk.provider.v1.GetStatsSummaryResponse.node:type_name -> vk.provider.v1.NodeStats
	38, // 15: vk.provider.v1.GetStatsSummaryResponse.pods:type_name -> vk.provider.v1.PodStats
	40, // 16: vk.provider.v1.NodeStats.cpu:type_name -> vk.provider.v1.CpuStats
	41, // 17: vk.provider.v1.NodeStats.memory:type_name -> vk.provider.v1.MemoryStats
	15, // 18: vk.provider.v1.PodStats.pod:type_name -> vk.provider.v1.PodRef
	39, // 19: vk.provider.v1.PodStats.containers:type_name -> vk.provider.v1.ContainerStats
	40, // 20: vk.provider.v1.PodStats.cpu:type_name -> vk.provider.v1.CpuStats
	41, // 21: vk.provider.v1.PodStats.memory:type_name -> vk.provider.v1.MemoryStats
	40, // 22: vk.provider.v1.ContainerStats.cpu:type_name -> vk.provider.v1.CpuStats
	41, // 23: vk.provider.v1.ContainerStats.memory:type_name -> vk.provider.v1.MemoryStats
	44, // 24: vk.provider.v1.GetMetricsResourceResponse.containers:type_name -> vk.provider.v1.ContainerMetrics
	40, // 25: vk.provider.v1.GetMetricsResourceResponse.node_cpu:type_name -> vk.provider.v1.CpuStats
	41, // 26: vk.provider.v1.GetMetricsResourceResponse.node_memory:type_name -> vk.provider.v1.MemoryStats
	15, // 27: vk.provider.v1.ContainerMetrics.pod:type_name -> vk.provider.v1.PodRef
	40, // 28: vk.provider.v1.ContainerMetrics.cpu:type_name -> vk.provider.v1.CpuStats
	41, // 29: vk.provider.v1.ContainerMetrics.memory:type_name -> vk.provider.v1.MemoryStats
	47, // 30: vk.provider.v1.GetPluginMetricsResponse.families:type_name -> vk.provider.v1.MetricFamily
	2,  // 31: vk.provider.v1.MetricFamily.type:type_name -> vk.provider.v1.MetricType
	48, // 32: vk.provider.v1.MetricFamily.metrics:type_name -> vk.provider.v1.Metric
	65, // 33: vk.provider.v1.Metric.labels:type_name -> vk.provider.v1.Metric.LabelsEntry
	49, // 34: vk.provider.v1.Metric.histogram:type_name -> vk.provider.v1.Histogram
	50, // 35: vk.provider.v1.Histogram.buckets:type_name -> vk.provider.v1.Bucket
	66, // 36: vk.provider.v1.NodeInfo.capacity:type_name -> vk.provider.v1.NodeInfo.CapacityEntry
	67, // 37: vk.provider.v1.NodeInfo.allocatable:type_name -> vk.provider.v1.NodeInfo.AllocatableEntry
	68, // 38: vk.provider.v1.NodeInfo.labels:type_name -> vk.provider.v1.NodeInfo.LabelsEntry
	54, // 39: vk.provider.v1.NodeInfo.taints:type_name -> vk.provider.v1.Taint
	55, // 40: vk.provider.v1.NodeInfo.conditions:type_name -> vk.provider.v1.NodeCondition
	56, // 41: vk.provider.v1.NodeInfo.addresses:type_name -> vk.provider.v1.NodeAddress
	57, // 42: vk.provider.v1.NodeInfo.system_info:type_name -> vk.provider.v1.NodeSystemInfo
	15, // 43: vk.provider.v1.GetObjectRequest.pod:type_name -> vk.provider.v1.PodRef
	69, // 44: vk.provider.v1.GetSecretResponse.data:type_name -> vk.provider.v1.GetSecretResponse.DataEntry
	70, // 45: vk.provider.v1.GetConfigMapResponse.data:type_name -> vk.provider.v1.GetConfigMapResponse.DataEntry
	71, // 46: vk.provider.v1.GetConfigMapResponse.binary_data:type_name -> vk.provider.v1.GetConfigMapResponse.BinaryDataEntry
	15, // 47: vk.provider.v1.CreateServiceAccountTokenRequest.pod:type_name -> vk.provider.v1.PodRef
	15, // 48: vk.provider.v1.GetContainerEnvRequest.pod:type_name -> vk.provider.v1.PodRef
	3,  // 49: vk.provider.v1.PluginIdentity.Handshake:input_type -> vk.provider.v1.HandshakeRequest
	5,  // 50: vk.provider.v1.PluginIdentity.Probe:input_type -> vk.provider.v1.ProbeRequest
	7,  // 51: vk.provider.v1.PluginIdentity.Shutdown:input_type -> vk.provider.v1.ShutdownRequest
	9,  // 52: vk.provider.v1.PodLifecycle.CreatePod:input_type -> vk.provider.v1.CreatePodRequest
	11, // 53: vk.provider.v1.PodLifecycle.UpdatePod:input_type -> vk.provider.v1.UpdatePodRequest
	13, // 54: vk.provider.v1.PodLifecycle.DeletePod:input_type -> vk.provider.v1.DeletePodRequest
	16, // 55: vk.provider.v1.PodLifecycle.GetPod:input_type -> vk.provider.v1.GetPodRequest
	18, // 56: vk.provider.v1.PodLifecycle.GetPodStatus:input_type -> vk.provider.v1.GetPodStatusRequest
	20, // 57: vk.provider.v1.PodLifecycle.GetPods:input_type -> vk.provider.v1.GetPodsRequest
	22, // 58: vk.provider.v1.PodLifecycle.WatchPodStatus:input_type -> vk.provider.v1.WatchPodStatusRequest
	25, // 59: vk.provider.v1.PodLifecycle.GetContainerLogs:input_type -> vk.provider.v1.ContainerLogsRequest
	27, // 60: vk.provider.v1.PodLifecycle.Exec:input_type -> vk.provider.v1.ExecInput
	27, // 61: vk.provider.v1.PodLifecycle.Attach:input_type -> vk.provider.v1.ExecInput
	32, // 62: vk.provider.v1.PodLifecycle.PortForward:input_type -> vk.provider.v1.PortForwardInput
	35, // 63: vk.provider.v1.PodLifecycle.GetStatsSummary:input_type -> vk.provider.v1.GetStatsSummaryRequest
	42, // 64: vk.provider.v1.PodLifecycle.GetMetricsResource:input_type -> vk.provider.v1.GetMetricsResourceRequest
	51, // 65: vk.provider.v1.PodLifecycle.GetNodeInfo:input_type -> vk.provider.v1.GetNodeInfoRequest
	52, // 66: vk.provider.v1.PodLifecycle.WatchNodeInfo:input_type -> vk.provider.v1.WatchNodeInfoRequest
	45, // 67: vk.provider.v1.PodLifecycle.GetPluginMetrics:input_type -> vk.provider.v1.GetPluginMetricsRequest
	58, // 68: vk.provider.v1.HostCallbacks.GetSecret:input_type -> vk.provider.v1.GetObjectRequest
	58, // 69: vk.provider.v1.HostCallbacks.GetConfigMap:input_type -> vk.provider.v1.GetObjectRequest
	61, // 70: vk.provider.v1.HostCallbacks.CreateServiceAccountToken:input_type -> vk.provider.v1.CreateServiceAccountTokenRequest
	63, // 71: vk.provider.v1.HostCallbacks.GetContainerEnv:input_type -> vk.provider.v1.GetContainerEnvRequest
	4,  // 72: vk.provider.v1.PluginIdentity.Handshake:output_type -> vk.provider.v1.HandshakeResponse
	6,  // 73: vk.provider.v1.PluginIdentity.Probe:output_type -> vk.provider.v1.ProbeResponse
	8,  // 74: vk.provider.v1.PluginIdentity.Shutdown:output_type -> vk.provider.v1.ShutdownResponse
	10, // 75: vk.provider.v1.PodLifecycle.CreatePod:output_type -> vk.provider.v1.CreatePodResponse
	12, // 76: vk.provider.v1.PodLifecycle.UpdatePod:output_type -> vk.provider.v1.UpdatePodResponse
	14, // 77: vk.provider.v1.PodLifecycle.DeletePod:output_type -> vk.provider.v1.DeletePodResponse
	17, // 78: vk.provider.v1.PodLifecycle.GetPod:output_type -> vk.provider.v1.GetPodResponse
	19, // 79: vk.provider.v1.PodLifecycle.GetPodStatus:output_type -> vk.provider.v1.GetPodStatusResponse
	21, // 80: vk.provider.v1.PodLifecycle.GetPods:output_type -> vk.provider.v1.GetPodsResponse
	23, // 81: vk.provider.v1.PodLifecycle.WatchPodStatus:output_type -> vk.provider.v1.PodStatusEvent
	26, // 82: vk.provider.v1.PodLifecycle.GetContainerLogs:output_type -> vk.provider.v1.LogChunk
	30, // 83: vk.provider.v1.PodLifecycle.Exec:output_type -> vk.provider.v1.ExecOutput
	30, // 84: vk.provider.v1.PodLifecycle.Attach:output_type -> vk.provider.v1.ExecOutput
	34, // 85: vk.provider.v1.PodLifecycle.PortForward:output_type -> vk.provider.v1.PortForwardOutput
	36, // 86: vk.provider.v1.PodLifecycle.GetStatsSummary:output_type -> vk.provider.v1.GetStatsSummaryResponse
	43, // 87: vk.provider.v1.PodLifecycle.GetMetricsResource:output_type -> vk.provider.v1.GetMetricsResourceResponse
	53, // 88: vk.provider.v1.PodLifecycle.GetNodeInfo:output_type -> vk.provider.v1.NodeInfo
	53, // 89: vk.provider.v1.PodLifecycle.WatchNodeInfo:output_type -> vk.provider.v1.NodeInfo
	46, // 90: vk.provider.v1.PodLifecycle.GetPluginMetrics:output_type -> vk.provider.v1.GetPluginMetricsResponse
	59, // 91: vk.provider.v1.HostCallbacks.GetSecret:output_type -> vk.provider.v1.GetSecretResponse
	60, // 92: vk.provider.v1.HostCallbacks.GetConfigMap:output_type -> vk.provider.v1.GetConfigMapResponse
	62, // 93: vk.provider.v1.HostCallbacks.CreateServiceAccountToken:output_type -> vk.provider.v1.CreateServiceAccountTokenResponse
	64, // 94: vk.provider.v1.HostCallbacks.GetContainerEnv:output_type -> vk.provider.v1.GetContainerEnvResponse
	72, // [72:95] is the sub-list for method output_type
	49, // [49:72] is the sub-list for method input_type
	49, // [49:49] is the sub-list for extension type_name
	49, // [49:49] is the sub-list for extension extendee
	0,  // [0:49] is the sub-list for field type_name
}

func init() { file_provider_proto_init() }
func file_provider_proto_init() {
	if File_provider_proto != nil {
		return
	}
	file_provider_proto_msgTypes[22].OneofWrappers = []any{}
	file_provider_proto_msgTypes[24].OneofWrappers = []any{
		(*ExecInput_Start)(nil),
		(*ExecInput_Stdin)(nil),
		(*ExecInput_Resize)(nil),
		(*ExecInput_CloseStdin)(nil),
	}
	file_provider_proto_msgTypes[27].OneofWrappers = []any{
		(*ExecOutput_Stdout)(nil),
		(*ExecOutput_Stderr)(nil),
		(*ExecOutput_Exit)(nil),
	}
	file_provider_proto_msgTypes[29].OneofWrappers = []any{
		(*PortForwardInput_Start)(nil),
		(*PortForwardInput_Data)(nil),
	}
	file_provider_proto_msgTypes[37].OneofWrappers = []any{}
	file_provider_proto_msgTypes[38].OneofWrappers = []any{}
	type x struct{}
	out := protoimpl.TypeBuilder{
		File: protoimpl.DescBuilder{
			GoPackagePath: reflect.TypeOf(x{}).PkgPath(),
			RawDescriptor: unsafe.Slice(unsafe.StringData(file_provider_proto_rawDesc), len(file_provider_proto_rawDesc)),
			NumEnums:      3,
			NumMessages:   69,
			NumExtensions: 0,
			NumServices:   3,
		},
		GoTypes:           file_provider_proto_goTypes,
		DependencyIndexes: file_provider_proto_depIdxs,
		EnumInfos:         file_provider_proto_enumTypes,
		MessageInfos:      file_provider_proto_msgTypes,
	}.Build()
	File_provider_proto = out.File
	file_provider_proto_goTypes = nil
	file_provider_proto_depIdxs = nil
}

package vkplugin

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"

	dto "github.com/prometheus/client_model/go"
	"github.com/virtual-kubelet/virtual-kubelet/node"
	"github.com/virtual-kubelet/virtual-kubelet/node/api"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"
	statsv1alpha1 "k8s.io/kubelet/pkg/apis/stats/v1alpha1"

	pb "github.com/vk-host/vk-host/plugin-sdk/go/providerv1"
)

// The optional methods, one interface each: what a provider implements of
// nodeutil.Provider (and of the older ConfigureNode) is what it declares.
type (
	logsProvider interface {
		GetContainerLogs(ctx context.Context, namespace, podName, containerName string, opts api.ContainerLogOpts) (io.ReadCloser, error)
	}
	execProvider interface {
		RunInContainer(ctx context.Context, namespace, podName, containerName string, cmd []string, attach api.AttachIO) error
	}
	attachProvider interface {
		AttachToContainer(ctx context.Context, namespace, podName, containerName string, attach api.AttachIO) error
	}
	portForwardProvider interface {
		PortForward(ctx context.Context, namespace, pod string, port int32, stream io.ReadWriteCloser) error
	}
	statsProvider interface {
		GetStatsSummary(context.Context) (*statsv1alpha1.Summary, error)
	}
	metricsProvider interface {
		GetMetricsResource(context.Context) ([]*dto.MetricFamily, error)
	}
	nodeConfigurer interface {
		ConfigureNode(ctx context.Context, node *corev1.Node)
	}
	pinger interface {
		Ping(context.Context) error
	}
)

// instance is the provider once built, with what it can do.
type instance struct {
	handler      node.PodLifecycleHandler
	capabilities []Capability
	feed         *statusFeed    // nil without node.PodNotifier
	node         *nodeWatch     // nil without node info
	ping         pinger         // nil: always ready
	metrics      *pluginMetrics // nil without Options.Metrics
}

func (i *instance) has(c Capability) bool { return slices.Contains(i.capabilities, c) }

// plugin is the state behind the gRPC services: the provider (built at the
// first handshake), the host client and the pods the host sent.
type plugin struct {
	ctx      context.Context // ends when the plugin stops
	opts     Options
	host     *HostClient
	pods     *podIndex
	locks    keyedLocks
	log      *slog.Logger
	build    builder
	shutdown func()

	mu   sync.Mutex
	inst *instance
}

func newPlugin(ctx context.Context, opts Options, host *HostClient, build builder, log *slog.Logger, shutdown func()) *plugin {
	return &plugin{ctx: ctx, opts: opts, host: host, pods: newPodIndex(), log: log, build: build, shutdown: shutdown}
}

// instance builds the provider at the first call (the handshake names the
// node) and returns it afterwards.
func (p *plugin) instance(nodeName string) (*instance, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inst != nil {
		return p.inst, nil
	}
	handler, nodeProvider, cfg, err := p.build(p.ctx, nodeName, p.host, p.pods)
	if err != nil {
		return nil, status.Error(codes.FailedPrecondition, err.Error())
	}
	inst := &instance{handler: handler}
	if nodeProvider != nil {
		inst.ping = nodeProvider
	} else if pinger, ok := handler.(pinger); ok {
		inst.ping = pinger
	}
	if notifier, ok := handler.(node.PodNotifier); ok && !slices.Contains(p.opts.Without, pb.Capability_CAPABILITY_POD_STATUS_STREAM) {
		inst.feed = newStatusFeed(defaultFeedCapacity, p.log)
		notifier.NotifyPods(p.ctx, func(pod *corev1.Pod) { inst.feed.send(statusEvent(pod)) })
	}
	inst.node = watchNode(p.ctx, nodeName, handler, nodeProvider, cfg)
	if p.opts.Metrics != nil {
		inst.metrics = &pluginMetrics{gatherer: p.opts.Metrics}
	}
	inst.capabilities = capabilitiesOf(inst, p.opts.Without)
	p.inst = inst
	p.log.Info("provider ready", "node", nodeName, "capabilities", capabilityNames(inst.capabilities))
	return inst, nil
}

// ready is the built provider, or UNAVAILABLE before the handshake.
func (p *plugin) ready() (*instance, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inst == nil {
		return nil, status.Error(codes.Unavailable, "the host has not called PluginIdentity.Handshake yet (it builds the provider)")
	}
	return p.inst, nil
}

// capabilitiesOf declares what the provider implements, minus `without`.
func capabilitiesOf(inst *instance, without []Capability) []Capability {
	h := inst.handler
	var caps []Capability
	add := func(ok bool, c Capability) {
		if ok && !slices.Contains(without, c) {
			caps = append(caps, c)
		}
	}
	_, logs := h.(logsProvider)
	_, exec := h.(execProvider)
	_, attach := h.(attachProvider)
	_, forward := h.(portForwardProvider)
	_, stats := h.(statsProvider)
	_, metrics := h.(metricsProvider)
	add(inst.feed != nil, pb.Capability_CAPABILITY_POD_STATUS_STREAM)
	add(logs, pb.Capability_CAPABILITY_CONTAINER_LOGS)
	add(exec, pb.Capability_CAPABILITY_EXEC)
	add(attach, pb.Capability_CAPABILITY_ATTACH)
	add(forward, pb.Capability_CAPABILITY_PORT_FORWARD)
	add(stats, pb.Capability_CAPABILITY_STATS_SUMMARY)
	add(metrics, pb.Capability_CAPABILITY_METRICS_RESOURCE)
	add(inst.node != nil, pb.Capability_CAPABILITY_NODE_INFO)
	add(inst.metrics != nil, pb.Capability_CAPABILITY_PLUGIN_METRICS)
	return caps
}

func capabilityNames(caps []Capability) []string {
	names := make([]string, len(caps))
	for i, c := range caps {
		names[i] = c.String()
	}
	return names
}

// require is UNIMPLEMENTED for a capability that was not declared.
func (p *plugin) require(c Capability) (*instance, error) {
	inst, err := p.ready()
	if err != nil {
		return nil, err
	}
	if !inst.has(c) {
		return nil, status.Errorf(codes.Unimplemented, "this plugin did not declare %s", c)
	}
	return inst, nil
}

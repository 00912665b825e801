package vkplugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/virtual-kubelet/virtual-kubelet/node"
	"github.com/virtual-kubelet/virtual-kubelet/node/nodeutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	pb "github.com/vk-host/vk-host/plugin-sdk/go/providerv1"
)

// MaxMessageBytes is the protocol's message limit, both ways (16 MiB).
const MaxMessageBytes = 16 << 20

// stopGrace bounds how long in-flight calls may take once the plugin stops.
const stopGrace = 3 * time.Second

// Capability is an optional part of the protocol (providerv1.Capability).
type Capability = pb.Capability

// Options configure [Serve] and [ServeNewProvider].
type Options struct {
	// Name is the plugin's DNS-label name (e.g. "example"): in the host's
	// logs, the node's default taint and events. Required.
	Name string
	// Version is the plugin's own version, free form.
	Version string
	// Without lists capabilities not to declare although the provider has
	// the methods (e.g. a nodeutil.Provider whose PortForward always fails).
	Without []Capability
	// Launch is the launch contract; nil reads it from the environment
	// ([ReadLaunch]).
	Launch *Launch
	// Logger receives the SDK's logs; nil logs JSON lines on stderr, which
	// vk-host forwards with their level.
	Logger *slog.Logger
	// Metrics, when set, are the plugin's own metrics (e.g. a
	// *prometheus.Registry the provider registers its collectors with): the
	// plugin declares CAPABILITY_PLUGIN_METRICS and answers GetPluginMetrics
	// with what Metrics gathers, converted by [PluginMetricsOf]. The host
	// exports them at its /metrics with a `plugin` label.
	Metrics prometheus.Gatherer
}

// Serve serves handler, a value implementing upstream virtual-kubelet's
// node.PodLifecycleHandler, as a vk-host plugin until the host stops it (the
// Shutdown rpc, SIGTERM or SIGINT, or end-of-file on stdin) or ctx ends.
// What else the value implements is declared and served: node.PodNotifier
// (the status stream), GetContainerLogs, RunInContainer, AttachToContainer,
// PortForward, GetStatsSummary, GetMetricsResource (the nodeutil.Provider
// methods), ConfigureNode(ctx, *corev1.Node) (node info) and
// node.NodeProvider's Ping (readiness). It returns nil after a clean stop.
func Serve(ctx context.Context, handler node.PodLifecycleHandler, opts Options) error {
	if handler == nil {
		return errors.New("vkplugin.Serve: the provider is nil")
	}
	return serve(ctx, opts, func(_ context.Context, _ string, _ *HostClient, _ *podIndex) (node.PodLifecycleHandler, node.NodeProvider, *nodeConfig, error) {
		return handler, nil, nil, nil
	})
}

// ServeNewProvider builds the provider with upstream's constructor shape
// and serves it as [Serve] does, so a provider written for
// nodeutil.NewNode runs out of process unchanged. The constructor runs at
// the host's handshake, when the node's name is known, with a
// nodeutil.ProviderConfig whose
//   - Node is the Node to configure (name set): what the constructor sets
//     on it (capacity, allocatable, labels, taints, conditions, addresses,
//     nodeInfo) becomes the plugin's node info;
//   - Secrets and ConfigMaps are listers over the host's callbacks: Get
//     returns the objects the host allows (those the plugin's pods
//     reference), List returns an error (a plugin is scoped to its pods);
//   - Pods lists the pods the host has sent to this plugin;
//   - Services returns an error (the host serves no Services to plugins).
//
// The returned node.NodeProvider, if any, answers readiness (Ping) and
// pushes node changes (NotifyNodeStatus).
func ServeNewProvider(ctx context.Context, newProvider nodeutil.NewProviderFunc, opts Options) error {
	if newProvider == nil {
		return errors.New("vkplugin.ServeNewProvider: the constructor is nil")
	}
	return serve(ctx, opts, func(_ context.Context, nodeName string, host *HostClient, pods *podIndex) (node.PodLifecycleHandler, node.NodeProvider, *nodeConfig, error) {
		cfg := providerConfig(nodeName, host, pods)
		provider, nodeProvider, err := newProvider(cfg)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("building the provider: %w", err)
		}
		if provider == nil {
			return nil, nil, nil, errors.New("building the provider: the constructor returned no provider")
		}
		return provider, nodeProvider, &nodeConfig{node: cfg.Node}, nil
	})
}

// builder makes the provider once the handshake names the node.
type builder func(ctx context.Context, nodeName string, host *HostClient, pods *podIndex) (node.PodLifecycleHandler, node.NodeProvider, *nodeConfig, error)

func serve(ctx context.Context, opts Options, build builder) error {
	if opts.Name == "" {
		return errors.New("vkplugin: Options.Name is required (the plugin's DNS-label name)")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	launch := opts.Launch
	if launch == nil {
		read, err := ReadLaunch()
		if err != nil {
			return err
		}
		launch = &read
	}
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	watchForShutdown(ctx, stop, launch.WatchStdin, log)

	host := NewHostClient(*launch)
	defer host.Close()
	plugin := newPlugin(ctx, opts, host, build, log, func() { stop(errShutdownRPC) })

	listener, err := bind(launch.PluginSocket)
	if err != nil {
		return err
	}
	defer os.Remove(launch.PluginSocket)
	auth := secretCheck{want: []byte(launch.Secret())}
	server := grpc.NewServer(
		grpc.MaxRecvMsgSize(MaxMessageBytes),
		grpc.MaxSendMsgSize(MaxMessageBytes),
		grpc.ChainUnaryInterceptor(auth.unary),
		grpc.ChainStreamInterceptor(auth.stream),
	)
	healthServer := health.NewServer()
	healthServer.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	healthServer.SetServingStatus(pb.PodLifecycle_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(server, healthServer)
	pb.RegisterPluginIdentityServer(server, &identityServer{plugin: plugin})
	pb.RegisterPodLifecycleServer(server, &lifecycleServer{plugin: plugin})

	log.Info("serving", "plugin", opts.Name, "version", opts.Version, "socket", launch.PluginSocket)
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()
	select {
	case err := <-served:
		return fmt.Errorf("the gRPC server failed: %w", err)
	case <-ctx.Done():
	}
	log.Info("stopping", "reason", context.Cause(ctx).Error())
	healthServer.Shutdown()
	gracefulStop(server)
	return nil
}

var errShutdownRPC = errors.New("the host asked the plugin to shut down")

// gracefulStop lets running calls finish (streams end on their own: they
// watch the plugin's context), then stops hard after stopGrace.
func gracefulStop(server *grpc.Server) {
	done := make(chan struct{})
	go func() { server.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-time.After(stopGrace):
		server.Stop()
	}
}

// bind listens on the plugin socket, readable by the plugin's user only.
func bind(path string) (net.Listener, error) {
	listener, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("binding the plugin socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		listener.Close()
		return nil, fmt.Errorf("binding the plugin socket %s: %w", path, err)
	}
	return listener, nil
}

// watchForShutdown stops the plugin on SIGTERM, SIGINT, or end-of-file on
// stdin when stdin is the host's pipe (the host holds the other end).
func watchForShutdown(ctx context.Context, stop context.CancelCauseFunc, watchStdin bool, log *slog.Logger) {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		defer signal.Stop(signals)
		select {
		case sig := <-signals:
			name := "SIGINT"
			if sig == syscall.SIGTERM {
				name = "SIGTERM"
			}
			stop(fmt.Errorf("%s received", name))
		case <-ctx.Done():
		}
	}()
	if watchStdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			log.Info("stdin closed: the host is gone")
			stop(errors.New("stdin closed, the host is gone"))
		}()
	}
}

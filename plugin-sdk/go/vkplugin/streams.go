package vkplugin

import (
	"context"
	"errors"
	"io"
	"slices"
	"time"

	"github.com/virtual-kubelet/virtual-kubelet/node/api"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	corev1 "k8s.io/api/core/v1"

	pb "github.com/vk-host/vk-host/plugin-sdk/go/providerv1"
)

// logChunkBytes is the most one LogChunk carries.
const logChunkBytes = 32 << 10

// sendHeaders sends a server stream's response headers at once: grpc-go
// would send them only with the first message, and an idle stream (no
// status change yet) would look unanswered.
func sendHeaders(stream grpc.ServerStream) error {
	return stream.SendHeader(metadata.MD{})
}

// streamContext ends when the call ends or the plugin stops.
func (p *plugin) streamContext(call context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(call)
	stop := context.AfterFunc(p.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

func (s *lifecycleServer) WatchPodStatus(_ *pb.WatchPodStatusRequest, stream grpc.ServerStreamingServer[pb.PodStatusEvent]) error {
	inst, err := s.plugin.require(pb.Capability_CAPABILITY_POD_STATUS_STREAM)
	if err != nil {
		return err
	}
	ctx, cancel := s.plugin.streamContext(stream.Context())
	defer cancel()
	id := inst.feed.subscribe()
	if err := sendHeaders(stream); err != nil {
		return err
	}
	for {
		event, ok := inst.feed.next(ctx, id)
		if !ok {
			return nil
		}
		if err := stream.Send(event); err != nil {
			inst.feed.requeue(event)
			return err
		}
	}
}

func (s *lifecycleServer) GetContainerLogs(req *pb.ContainerLogsRequest, stream grpc.ServerStreamingServer[pb.LogChunk]) error {
	inst, err := s.plugin.require(pb.Capability_CAPABILITY_CONTAINER_LOGS)
	if err != nil {
		return err
	}
	if err := checkRef(req.GetPod()); err != nil {
		return err
	}
	if req.GetContainer() == "" {
		return invalid("`container` is required")
	}
	if req.GetTailLines() < 0 || req.GetLimitBytes() < 0 {
		return invalid("`tail_lines` and `limit_bytes` must not be negative")
	}
	ctx, cancel := s.plugin.streamContext(stream.Context())
	defer cancel()
	if err := checkContainer(ctx, inst, req.GetPod(), req.GetContainer()); err != nil {
		return err
	}
	logs, err := inst.handler.(logsProvider).GetContainerLogs(ctx, req.GetPod().GetNamespace(), req.GetPod().GetName(),
		req.GetContainer(), logOptions(req))
	if err != nil {
		return ToStatus(err)
	}
	defer logs.Close()
	// A following reader blocks in Read: closing it is how it stops.
	stopReading := context.AfterFunc(ctx, func() { logs.Close() })
	defer stopReading()
	if err := sendHeaders(stream); err != nil {
		return err
	}
	buf := make([]byte, logChunkBytes)
	for {
		n, readErr := logs.Read(buf)
		if n > 0 {
			if err := stream.Send(&pb.LogChunk{Data: slices.Clone(buf[:n])}); err != nil {
				return err
			}
		}
		switch {
		case readErr == nil:
		case errors.Is(readErr, io.EOF), ctx.Err() != nil:
			return nil
		default:
			return ToStatus(readErr)
		}
	}
}

// logOptions are upstream's options for a request. Upstream has no "unset"
// for Tail: tail_lines 0 (kubectl --tail=0) reaches the provider as 0.
func logOptions(req *pb.ContainerLogsRequest) api.ContainerLogOpts {
	opts := api.ContainerLogOpts{
		Tail:       int(req.GetTailLines()),
		LimitBytes: int(req.GetLimitBytes()),
		Timestamps: req.GetTimestamps(),
		Follow:     req.GetFollow(),
		Previous:   req.GetPrevious(),
	}
	if req.SinceUnixSeconds != nil {
		opts.SinceTime = time.Unix(req.GetSinceUnixSeconds(), 0)
	}
	return opts
}

// checkContainer is NOT_FOUND when the provider does not hold the pod or
// its spec has no such container (regular, init or ephemeral).
func checkContainer(ctx context.Context, inst *instance, ref *pb.PodRef, container string) error {
	pod, err := heldPod(ctx, inst, ref)
	if err != nil {
		return err
	}
	if !hasContainer(pod, container) {
		return notFound("pod %s/%s has no container %q", pod.Namespace, pod.Name, container)
	}
	return nil
}

func hasContainer(pod *corev1.Pod, name string) bool {
	for _, c := range pod.Spec.Containers {
		if c.Name == name {
			return true
		}
	}
	for _, c := range pod.Spec.InitContainers {
		if c.Name == name {
			return true
		}
	}
	for _, c := range pod.Spec.EphemeralContainers {
		if c.Name == name {
			return true
		}
	}
	return false
}

func (s *lifecycleServer) GetStatsSummary(ctx context.Context, _ *pb.GetStatsSummaryRequest) (*pb.GetStatsSummaryResponse, error) {
	inst, err := s.plugin.require(pb.Capability_CAPABILITY_STATS_SUMMARY)
	if err != nil {
		return nil, err
	}
	summary, err := inst.handler.(statsProvider).GetStatsSummary(ctx)
	if err != nil {
		return nil, ToStatus(err)
	}
	return StatsSummaryOf(summary), nil
}

func (s *lifecycleServer) GetMetricsResource(ctx context.Context, _ *pb.GetMetricsResourceRequest) (*pb.GetMetricsResourceResponse, error) {
	inst, err := s.plugin.require(pb.Capability_CAPABILITY_METRICS_RESOURCE)
	if err != nil {
		return nil, err
	}
	families, err := inst.handler.(metricsProvider).GetMetricsResource(ctx)
	if err != nil {
		return nil, ToStatus(err)
	}
	// Metrics name pods by namespace and name; the protocol wants the uid.
	uids := map[string]string{}
	if pods, err := inst.handler.GetPods(ctx); err == nil {
		for _, pod := range pods {
			if pod != nil {
				uids[podKey(pod.Namespace, pod.Name)] = string(pod.UID)
			}
		}
	}
	return MetricsResourceOf(families, uids), nil
}

func (s *lifecycleServer) GetPluginMetrics(ctx context.Context, _ *pb.GetPluginMetricsRequest) (*pb.GetPluginMetricsResponse, error) {
	inst, err := s.plugin.require(pb.Capability_CAPABILITY_PLUGIN_METRICS)
	if err != nil {
		return nil, err
	}
	return inst.metrics.gather(ctx, s.plugin)
}

func (s *lifecycleServer) GetNodeInfo(context.Context, *pb.GetNodeInfoRequest) (*pb.NodeInfo, error) {
	inst, err := s.plugin.require(pb.Capability_CAPABILITY_NODE_INFO)
	if err != nil {
		return nil, err
	}
	info, _ := inst.node.current()
	return info, nil
}

func (s *lifecycleServer) WatchNodeInfo(_ *pb.WatchNodeInfoRequest, stream grpc.ServerStreamingServer[pb.NodeInfo]) error {
	inst, err := s.plugin.require(pb.Capability_CAPABILITY_NODE_INFO)
	if err != nil {
		return err
	}
	ctx, cancel := s.plugin.streamContext(stream.Context())
	defer cancel()
	for {
		info, changed := inst.node.current()
		if err := stream.Send(info); err != nil {
			return err
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil
		}
	}
}

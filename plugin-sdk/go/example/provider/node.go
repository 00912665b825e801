package provider

import (
	"context"
	"io"
	"runtime"
	"time"

	dto "github.com/prometheus/client_model/go"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	statsv1alpha1 "k8s.io/kubelet/pkg/apis/stats/v1alpha1"
)

// Simulated usage of every container.
const (
	containerNanoCores   = 1_000_000 // 1 millicore
	containerMemoryBytes = 16 << 20
)

// ConfigureNode sets the node's capacity and system info.
func (p *Provider) ConfigureNode(_ context.Context, n *corev1.Node) {
	resources := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("8"),
		corev1.ResourceMemory: resource.MustParse("32Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	n.Status.Capacity = resources
	n.Status.Allocatable = resources.DeepCopy()
	n.Status.NodeInfo.OperatingSystem = "linux"
	n.Status.NodeInfo.Architecture = runtime.GOARCH
	n.Status.NodeInfo.ContainerRuntimeVersion = "go-example://0.1.0"
}

// PortForward: every port of a simulated pod echoes what it receives.
func (p *Provider) PortForward(ctx context.Context, namespace, pod string, port int32, stream io.ReadWriteCloser) error {
	if _, err := p.GetPod(ctx, namespace, pod); err != nil {
		return err
	}
	defer stream.Close()
	_, err := io.Copy(stream, stream)
	return err
}

// GetStatsSummary reports the simulated usage of every running container.
func (p *Provider) GetStatsSummary(ctx context.Context) (*statsv1alpha1.Summary, error) {
	pods, err := p.GetPods(ctx)
	if err != nil {
		return nil, err
	}
	now := metav1.Now()
	summary := &statsv1alpha1.Summary{Node: statsv1alpha1.NodeStats{StartTime: metav1.NewTime(p.started)}}
	var nodeCores, nodeMemory uint64
	for _, pod := range pods {
		stats := statsv1alpha1.PodStats{
			PodRef: statsv1alpha1.PodReference{Namespace: pod.Namespace, Name: pod.Name, UID: string(pod.UID)},
		}
		if pod.Status.StartTime != nil {
			stats.StartTime = *pod.Status.StartTime
		}
		for _, s := range pod.Status.ContainerStatuses {
			if s.State.Running == nil {
				continue
			}
			used := uint64(now.Sub(s.State.Running.StartedAt.Time)) / 1000 // a millicore
			stats.Containers = append(stats.Containers, statsv1alpha1.ContainerStats{
				Name:      s.Name,
				StartTime: s.State.Running.StartedAt,
				CPU:       &statsv1alpha1.CPUStats{Time: now, UsageNanoCores: ptr(uint64(containerNanoCores)), UsageCoreNanoSeconds: ptr(used)},
				Memory:    &statsv1alpha1.MemoryStats{Time: now, WorkingSetBytes: ptr(uint64(containerMemoryBytes))},
			})
			nodeCores += containerNanoCores
			nodeMemory += containerMemoryBytes
		}
		summary.Pods = append(summary.Pods, stats)
	}
	summary.Node.CPU = &statsv1alpha1.CPUStats{Time: now, UsageNanoCores: ptr(nodeCores)}
	summary.Node.Memory = &statsv1alpha1.MemoryStats{Time: now, WorkingSetBytes: ptr(nodeMemory)}
	return summary, nil
}

// GetMetricsResource reports the same usage as the kubelet's resource
// metrics (container CPU seconds and working set).
func (p *Provider) GetMetricsResource(ctx context.Context) ([]*dto.MetricFamily, error) {
	summary, err := p.GetStatsSummary(ctx)
	if err != nil {
		return nil, err
	}
	cpu := &dto.MetricFamily{Name: ptr("container_cpu_usage_seconds_total"), Type: dto.MetricType_COUNTER.Enum()}
	memory := &dto.MetricFamily{Name: ptr("container_memory_working_set_bytes"), Type: dto.MetricType_GAUGE.Enum()}
	startTime := &dto.MetricFamily{Name: ptr("container_start_time_seconds"), Type: dto.MetricType_GAUGE.Enum()}
	stamp := ptr(time.Now().UnixMilli())
	for _, pod := range summary.Pods {
		for _, c := range pod.Containers {
			labels := []*dto.LabelPair{
				{Name: ptr("container"), Value: ptr(c.Name)},
				{Name: ptr("namespace"), Value: ptr(pod.PodRef.Namespace)},
				{Name: ptr("pod"), Value: ptr(pod.PodRef.Name)},
			}
			cpu.Metric = append(cpu.Metric, &dto.Metric{Label: labels, TimestampMs: stamp,
				Counter: &dto.Counter{Value: ptr(float64(*c.CPU.UsageCoreNanoSeconds) / 1e9)}})
			memory.Metric = append(memory.Metric, &dto.Metric{Label: labels, TimestampMs: stamp,
				Gauge: &dto.Gauge{Value: ptr(float64(*c.Memory.WorkingSetBytes))}})
			startTime.Metric = append(startTime.Metric, &dto.Metric{Label: labels, TimestampMs: stamp,
				Gauge: &dto.Gauge{Value: ptr(float64(c.StartTime.Unix()))}})
		}
	}
	return []*dto.MetricFamily{cpu, memory, startTime}, nil
}

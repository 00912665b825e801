package vkplugin

import (
	"math"

	dto "github.com/prometheus/client_model/go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	statsv1alpha1 "k8s.io/kubelet/pkg/apis/stats/v1alpha1"

	pb "github.com/vk-host/vk-host/plugin-sdk/go/providerv1"
)

// StatsSummaryOf is the protocol's form of upstream's stats summary: node
// and pod CPU and memory (the other kubelet stats have no place in v1).
func StatsSummaryOf(summary *statsv1alpha1.Summary) *pb.GetStatsSummaryResponse {
	reply := &pb.GetStatsSummaryResponse{}
	if summary == nil {
		return reply
	}
	reply.Node = &pb.NodeStats{
		StartTimeUnixSeconds: unixSeconds(summary.Node.StartTime),
		Cpu:                  cpuStats(summary.Node.CPU),
		Memory:               memoryStats(summary.Node.Memory),
	}
	for _, pod := range summary.Pods {
		stats := &pb.PodStats{
			Pod:                  &pb.PodRef{Namespace: pod.PodRef.Namespace, Name: pod.PodRef.Name, Uid: pod.PodRef.UID},
			StartTimeUnixSeconds: unixSeconds(pod.StartTime),
			Cpu:                  cpuStats(pod.CPU),
			Memory:               memoryStats(pod.Memory),
		}
		for _, c := range pod.Containers {
			stats.Containers = append(stats.Containers, &pb.ContainerStats{
				Name:                 c.Name,
				StartTimeUnixSeconds: unixSeconds(c.StartTime),
				Cpu:                  cpuStats(c.CPU),
				Memory:               memoryStats(c.Memory),
			})
		}
		reply.Pods = append(reply.Pods, stats)
	}
	return reply
}

func unixSeconds(t metav1.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func unixNanos(t metav1.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func cpuStats(s *statsv1alpha1.CPUStats) *pb.CpuStats {
	if s == nil {
		return nil
	}
	return &pb.CpuStats{
		TimestampUnixNanos:   unixNanos(s.Time),
		UsageNanoCores:       s.UsageNanoCores,
		UsageCoreNanoSeconds: s.UsageCoreNanoSeconds,
	}
}

func memoryStats(s *statsv1alpha1.MemoryStats) *pb.MemoryStats {
	if s == nil {
		return nil
	}
	return &pb.MemoryStats{
		TimestampUnixNanos: unixNanos(s.Time),
		UsageBytes:         s.UsageBytes,
		WorkingSetBytes:    s.WorkingSetBytes,
		RssBytes:           s.RSSBytes,
		AvailableBytes:     s.AvailableBytes,
	}
}

// The kubelet's /metrics/resource names, which upstream providers return
// from GetMetricsResource.
const (
	metricContainerCPU       = "container_cpu_usage_seconds_total"
	metricContainerMemory    = "container_memory_working_set_bytes"
	metricContainerStartTime = "container_start_time_seconds"
	metricNodeCPU            = "node_cpu_usage_seconds_total"
	metricNodeMemory         = "node_memory_working_set_bytes"
)

// MetricsResourceOf reads the kubelet resource metrics upstream's
// GetMetricsResource returns (Prometheus families with `namespace`, `pod`
// and `container` labels) into the protocol's per-container form. uids maps
// namespace/name to the pod's uid (metrics do not carry it). Other
// families are ignored.
func MetricsResourceOf(families []*dto.MetricFamily, uids map[string]string) *pb.GetMetricsResourceResponse {
	reply := &pb.GetMetricsResourceResponse{}
	containers := map[[3]string]*pb.ContainerMetrics{}
	var order [][3]string
	entry := func(m *dto.Metric) *pb.ContainerMetrics {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		key := [3]string{labels["namespace"], labels["pod"], labels["container"]}
		if c, ok := containers[key]; ok {
			return c
		}
		c := &pb.ContainerMetrics{
			Pod:       &pb.PodRef{Namespace: key[0], Name: key[1], Uid: uids[podKey(key[0], key[1])]},
			Container: key[2],
		}
		containers[key] = c
		order = append(order, key)
		return c
	}
	for _, family := range families {
		for _, m := range family.GetMetric() {
			value, nanos := metricValue(m), m.GetTimestampMs()*int64(1e6)
			switch family.GetName() {
			case metricContainerCPU:
				c := entry(m)
				c.Cpu = &pb.CpuStats{TimestampUnixNanos: nanos, UsageCoreNanoSeconds: ptr(uint64(math.Round(value * 1e9)))}
			case metricContainerMemory:
				c := entry(m)
				c.Memory = &pb.MemoryStats{TimestampUnixNanos: nanos, WorkingSetBytes: ptr(uint64(value))}
			case metricContainerStartTime:
				entry(m).StartTimeUnixSeconds = int64(value)
			case metricNodeCPU:
				reply.NodeCpu = &pb.CpuStats{TimestampUnixNanos: nanos, UsageCoreNanoSeconds: ptr(uint64(math.Round(value * 1e9)))}
			case metricNodeMemory:
				reply.NodeMemory = &pb.MemoryStats{TimestampUnixNanos: nanos, WorkingSetBytes: ptr(uint64(value))}
			}
		}
	}
	for _, key := range order {
		reply.Containers = append(reply.Containers, containers[key])
	}
	return reply
}

// metricValue is a sample's value whatever its type.
func metricValue(m *dto.Metric) float64 {
	switch {
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue()
	case m.GetUntyped() != nil:
		return m.GetUntyped().GetValue()
	}
	return 0
}

func ptr[T any](v T) *T { return &v }

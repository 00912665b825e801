package vkplugin

import (
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	statsv1alpha1 "k8s.io/kubelet/pkg/apis/stats/v1alpha1"

	pb "github.com/vk-host/vk-host/plugin-sdk/go/providerv1"
)

func TestANodeBecomesNodeInfoWithoutReady(t *testing.T) {
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "vk", Labels: map[string]string{"zone": "a"}},
		Spec:       corev1.NodeSpec{Taints: []corev1.Taint{{Key: "gpu", Value: "yes", Effect: corev1.TaintEffectNoSchedule}}},
		Status: corev1.NodeStatus{
			Capacity: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("16"), corev1.ResourceMemory: resource.MustParse("64Gi")},
			Conditions: []corev1.NodeCondition{
				{Type: corev1.NodeReady, Status: corev1.ConditionTrue},
				{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, Reason: "Plenty"},
			},
			Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "10.0.0.5"}},
			NodeInfo:  corev1.NodeSystemInfo{OperatingSystem: "linux", Architecture: "amd64"},
		},
	}
	info := NodeInfoOf(n)
	if info.Capacity["cpu"] != "16" || info.Capacity["memory"] != "64Gi" || info.Allocatable != nil {
		t.Fatalf("capacity %v allocatable %v", info.Capacity, info.Allocatable)
	}
	if len(info.Conditions) != 1 || info.Conditions[0].Type != "MemoryPressure" || info.Conditions[0].Reason != "Plenty" {
		t.Fatalf("conditions %v (Ready belongs to the host)", info.Conditions)
	}
	if info.Labels["zone"] != "a" || info.Taints[0].Effect != "NoSchedule" || info.Addresses[0].Address != "10.0.0.5" {
		t.Fatalf("labels %v taints %v addresses %v", info.Labels, info.Taints, info.Addresses)
	}
	if info.SystemInfo.GetOperatingSystem() != "linux" || info.SystemInfo.GetArchitecture() != "amd64" {
		t.Fatalf("system info %v", info.SystemInfo)
	}
	if contributes(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "bare"}}) {
		t.Fatal("a Node with only a name contributes nothing: no CAPABILITY_NODE_INFO")
	}
}

func TestAStatsSummaryKeepsPodsContainersCPUAndMemory(t *testing.T) {
	at := metav1.NewTime(time.Unix(1700000000, 5))
	cores, seconds, working := uint64(250_000_000), uint64(9e9), uint64(64<<20)
	summary := &statsv1alpha1.Summary{
		Node: statsv1alpha1.NodeStats{StartTime: at, CPU: &statsv1alpha1.CPUStats{Time: at, UsageNanoCores: &cores}},
		Pods: []statsv1alpha1.PodStats{{
			PodRef:    statsv1alpha1.PodReference{Namespace: "ns", Name: "web", UID: "u1"},
			StartTime: at,
			Containers: []statsv1alpha1.ContainerStats{{
				Name:   "main",
				CPU:    &statsv1alpha1.CPUStats{Time: at, UsageCoreNanoSeconds: &seconds},
				Memory: &statsv1alpha1.MemoryStats{Time: at, WorkingSetBytes: &working},
			}},
		}},
	}
	got := StatsSummaryOf(summary)
	if got.Node.GetStartTimeUnixSeconds() != 1700000000 || got.Node.Cpu.GetUsageNanoCores() != cores {
		t.Fatalf("node %v", got.Node)
	}
	pod := got.Pods[0]
	if pod.Pod.GetUid() != "u1" || pod.Containers[0].GetName() != "main" ||
		pod.Containers[0].Cpu.GetUsageCoreNanoSeconds() != seconds || pod.Containers[0].Memory.GetWorkingSetBytes() != working {
		t.Fatalf("pod %v", pod)
	}
	if pod.Containers[0].Cpu.GetTimestampUnixNanos() != at.UnixNano() {
		t.Fatalf("timestamp %d", pod.Containers[0].Cpu.GetTimestampUnixNanos())
	}
	if StatsSummaryOf(nil).GetNode() != nil {
		t.Fatal("no summary, no node")
	}
}

func TestResourceMetricsBecomeContainerMetricsWithTheirPodsUID(t *testing.T) {
	labels := func(pod, container string) []*dto.LabelPair {
		return []*dto.LabelPair{
			{Name: ptr("namespace"), Value: ptr("ns")}, {Name: ptr("pod"), Value: ptr(pod)}, {Name: ptr("container"), Value: ptr(container)},
		}
	}
	families := []*dto.MetricFamily{
		{Name: ptr(metricContainerCPU), Metric: []*dto.Metric{
			{Label: labels("web", "main"), Counter: &dto.Counter{Value: ptr(1.5)}, TimestampMs: ptr(int64(1000))},
		}},
		{Name: ptr(metricContainerMemory), Metric: []*dto.Metric{
			{Label: labels("web", "main"), Gauge: &dto.Gauge{Value: ptr(4096.0)}},
			{Label: labels("web", "sidecar"), Gauge: &dto.Gauge{Value: ptr(1024.0)}},
		}},
		{Name: ptr(metricNodeMemory), Metric: []*dto.Metric{{Gauge: &dto.Gauge{Value: ptr(8192.0)}}}},
		{Name: ptr("something_else"), Metric: []*dto.Metric{{Gauge: &dto.Gauge{Value: ptr(1.0)}}}},
	}
	got := MetricsResourceOf(families, map[string]string{"ns/web": "u1"})
	if len(got.Containers) != 2 {
		t.Fatalf("containers %v", got.Containers)
	}
	main := got.Containers[0]
	if main.Pod.GetUid() != "u1" || main.GetContainer() != "main" ||
		main.Cpu.GetUsageCoreNanoSeconds() != 1_500_000_000 || main.Cpu.GetTimestampUnixNanos() != 1_000_000_000 ||
		main.Memory.GetWorkingSetBytes() != 4096 {
		t.Fatalf("main %v", main)
	}
	if got.NodeMemory.GetWorkingSetBytes() != 8192 || got.NodeCpu != nil {
		t.Fatalf("node %v %v", got.NodeCpu, got.NodeMemory)
	}
}

func TestTheLogOptionsAreUpstreams(t *testing.T) {
	tail, since := int64(5), int64(1700000000)
	opts := logOptions(&pb.ContainerLogsRequest{TailLines: &tail, SinceUnixSeconds: &since, Follow: true, Timestamps: true})
	if opts.Tail != 5 || !opts.Follow || !opts.Timestamps || opts.SinceTime.Unix() != since || opts.LimitBytes != 0 {
		t.Fatalf("options %+v", opts)
	}
}

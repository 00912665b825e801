package provider

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func TestRoundUpSize(t *testing.T) {
	cases := []struct {
		cpu, memory int64
		want        TaskSize
	}{
		{0, 0, TaskSize{256, 512}},
		{256, 512, TaskSize{256, 512}},
		{100, 600, TaskSize{256, 1024}},
		{256, 1500, TaskSize{256, 2048}},
		{256, 2049, TaskSize{512, 3072}},
		{257, 0, TaskSize{512, 1024}},
		{308, 600, TaskSize{512, 1024}},
		{512, 4097, TaskSize{1024, 5120}},
		{1024, 9000, TaskSize{2048, 9216}},
		{2048, 16385, TaskSize{4096, 17408}},
		{4096, 30721, TaskSize{8192, 32768}},
		{8192, 16384, TaskSize{8192, 16384}},
		{8192, 16385, TaskSize{8192, 20480}},
		{8193, 0, TaskSize{16384, 32768}},
		{16384, 122880, TaskSize{16384, 122880}},
	}
	for _, c := range cases {
		got, err := RoundUpSize(c.cpu, c.memory)
		if err != nil || got != c.want {
			t.Errorf("RoundUpSize(%d, %d) = %v, %v; want %v", c.cpu, c.memory, got, err, c.want)
		}
	}
	for _, c := range [][2]int64{{16385, 0}, {0, 122881}} {
		if got, err := RoundUpSize(c[0], c[1]); err == nil {
			t.Errorf("RoundUpSize(%d, %d) = %v; want an error (larger than any Fargate task)", c[0], c[1], got)
		}
	}
}

func TestPodSizeTakesTheLargerOfRequestAndLimitSummedOverContainers(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{
		{Name: "a", Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("256Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("1Gi")},
		}},
		{Name: "b", Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("1500M")},
		}},
	}}}
	// 512 + 1024 units; 1024 MiB + 1431 MiB (1500 MB rounded up) = 2455.
	got, err := PodSize(pod)
	if err != nil || got != (TaskSize{CPU: 2048, Memory: 4096}) {
		t.Fatalf("PodSize = %v, %v; want {2048 4096}", got, err)
	}
}

func TestUnitConversionsRoundUp(t *testing.T) {
	if got := cpuUnits(resource.MustParse("1m")); got != 2 {
		t.Errorf("cpuUnits(1m) = %d, want 2 (1.024 rounded up)", got)
	}
	if got := cpuUnits(resource.MustParse("2")); got != 2048 {
		t.Errorf("cpuUnits(2) = %d, want 2048", got)
	}
	if got := mebibytes(resource.MustParse("1")); got != 1 {
		t.Errorf("mebibytes(1 byte) = %d, want 1", got)
	}
	if got := mebibytes(resource.MustParse("1Gi")); got != 1024 {
		t.Errorf("mebibytes(1Gi) = %d, want 1024", got)
	}
}

package provider

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// TaskSize is a Fargate task size: CPU units (1024 = 1 vCPU) and MiB.
type TaskSize struct {
	CPU    int64
	Memory int64
}

// sizeRow is one CPU value of Fargate's table with the memory it allows:
// from MinMemory to MaxMemory in steps of Step MiB.
type sizeRow struct {
	CPU, MinMemory, MaxMemory, Step int64
}

// fargateSizes is the table of valid Fargate task sizes (Linux):
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
// 256 CPU allows only 512, 1024 and 2048 MiB (a step of 512 from 512,
// then 1024: listed as two rows).
var fargateSizes = []sizeRow{
	{CPU: 256, MinMemory: 512, MaxMemory: 1024, Step: 512},
	{CPU: 256, MinMemory: 2048, MaxMemory: 2048, Step: 1024},
	{CPU: 512, MinMemory: 1024, MaxMemory: 4096, Step: 1024},
	{CPU: 1024, MinMemory: 2048, MaxMemory: 8192, Step: 1024},
	{CPU: 2048, MinMemory: 4096, MaxMemory: 16384, Step: 1024},
	{CPU: 4096, MinMemory: 8192, MaxMemory: 30720, Step: 1024},
	{CPU: 8192, MinMemory: 16384, MaxMemory: 61440, Step: 4096},
	{CPU: 16384, MinMemory: 32768, MaxMemory: 122880, Step: 8192},
}

// RoundUpSize is the smallest valid Fargate size with at least cpu units
// and memory MiB: the smallest CPU value of the table that is at least cpu
// and offers at least memory MiB, with the smallest such memory value.
func RoundUpSize(cpu, memory int64) (TaskSize, error) {
	for _, row := range fargateSizes {
		if row.CPU < cpu || row.MaxMemory < memory {
			continue
		}
		m := row.MinMemory
		for m < memory {
			m += row.Step
		}
		return TaskSize{CPU: row.CPU, Memory: m}, nil
	}
	return TaskSize{}, fmt.Errorf("the pod needs %d CPU units (%.2f vCPU) and %d MiB: more than the largest Fargate task (16 vCPU, 120 GiB)",
		cpu, float64(cpu)/1024, memory)
}

// containerNeed is what one container asks for: the larger of its request
// and its limit, as CPU units and MiB, rounded up.
func containerNeed(c *corev1.Container) (cpu, memory int64) {
	cpuQ := larger(c.Resources.Requests[corev1.ResourceCPU], c.Resources.Limits[corev1.ResourceCPU])
	memQ := larger(c.Resources.Requests[corev1.ResourceMemory], c.Resources.Limits[corev1.ResourceMemory])
	return cpuUnits(cpuQ), mebibytes(memQ)
}

// PodSize is the Fargate size of pod: the sum over its containers of the
// larger of request and limit, rounded up by [RoundUpSize].
func PodSize(pod *corev1.Pod) (TaskSize, error) {
	var cpu, memory int64
	for i := range pod.Spec.Containers {
		c, m := containerNeed(&pod.Spec.Containers[i])
		cpu += c
		memory += m
	}
	return RoundUpSize(cpu, memory)
}

func larger(a, b resource.Quantity) resource.Quantity {
	if a.Cmp(b) >= 0 {
		return a
	}
	return b
}

// cpuUnits is q in ECS CPU units (1 core = 1024), rounded up.
func cpuUnits(q resource.Quantity) int64 {
	milli := q.MilliValue()
	return (milli*1024 + 999) / 1000
}

// mebibytes is q in MiB, rounded up.
func mebibytes(q resource.Quantity) int64 {
	b := q.Value()
	return (b + (1 << 20) - 1) >> 20
}

package provider

import (
	"context"

	corev1 "k8s.io/api/core/v1"
)

// ConfigureNode advertises the capacity of the configuration (CPU, Memory,
// Storage, Pods) and Fargate's platform: Linux on x86_64.
func (p *Provider) ConfigureNode(_ context.Context, n *corev1.Node) {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:              p.cfg.capacity["CPU"],
		corev1.ResourceMemory:           p.cfg.capacity["Memory"],
		corev1.ResourceEphemeralStorage: p.cfg.capacity["Storage"],
		corev1.ResourcePods:             p.cfg.capacity["Pods"],
	}
	n.Status.Capacity = capacity
	n.Status.Allocatable = capacity.DeepCopy()
	n.Status.NodeInfo.OperatingSystem = "linux"
	n.Status.NodeInfo.Architecture = "amd64"
	n.Status.NodeInfo.ContainerRuntimeVersion = "fargate://" + p.cfg.PlatformVersion
}

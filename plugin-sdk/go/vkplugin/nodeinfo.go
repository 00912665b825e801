package vkplugin

import (
	"context"
	"sync"

	"github.com/virtual-kubelet/virtual-kubelet/node"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	pb "github.com/vk-host/vk-host/plugin-sdk/go/providerv1"
)

// nodeConfig is the Node a nodeutil constructor configured.
type nodeConfig struct{ node *corev1.Node }

// nodeWatch holds the latest NodeInfo and wakes WatchNodeInfo streams when
// it changes.
type nodeWatch struct {
	mu   sync.Mutex
	info *pb.NodeInfo
	wake chan struct{}
}

// watchNode is the node info of the provider: the Node its nodeutil
// constructor configured, then ConfigureNode (if it has it) applied, kept
// current by node.NodeProvider's NotifyNodeStatus. Nil when the provider
// contributes nothing to the Node (no CAPABILITY_NODE_INFO).
func watchNode(ctx context.Context, nodeName string, handler node.PodLifecycleHandler, nodeProvider node.NodeProvider, cfg *nodeConfig) *nodeWatch {
	var n *corev1.Node
	if cfg != nil && cfg.node != nil {
		n = cfg.node.DeepCopy()
	}
	if configurer, ok := handler.(nodeConfigurer); ok {
		if n == nil {
			n = &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: nodeName}}
		}
		configurer.ConfigureNode(ctx, n)
	}
	if n == nil || !contributes(n) {
		return nil
	}
	w := &nodeWatch{info: NodeInfoOf(n), wake: make(chan struct{})}
	if nodeProvider != nil {
		nodeProvider.NotifyNodeStatus(ctx, func(changed *corev1.Node) { w.set(NodeInfoOf(changed)) })
	}
	return w
}

// contributes: the provider set something the host takes from NodeInfo.
func contributes(n *corev1.Node) bool {
	s := n.Status
	return len(s.Capacity) > 0 || len(s.Allocatable) > 0 || len(n.Labels) > 0 || len(n.Spec.Taints) > 0 ||
		len(s.Conditions) > 0 || len(s.Addresses) > 0 || s.NodeInfo != (corev1.NodeSystemInfo{})
}

func (w *nodeWatch) set(info *pb.NodeInfo) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.info = info
	close(w.wake)
	w.wake = make(chan struct{})
}

// current is the latest NodeInfo and a channel closed at the next change.
func (w *nodeWatch) current() (*pb.NodeInfo, <-chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.info, w.wake
}

// NodeInfoOf is what a Node contributes to vk-host's Node: capacity,
// allocatable, labels, taints, conditions (not Ready: the host owns it),
// addresses and system info.
func NodeInfoOf(n *corev1.Node) *pb.NodeInfo {
	info := &pb.NodeInfo{
		Capacity:    quantities(n.Status.Capacity),
		Allocatable: quantities(n.Status.Allocatable),
		Labels:      n.Labels,
	}
	for _, t := range n.Spec.Taints {
		info.Taints = append(info.Taints, &pb.Taint{Key: t.Key, Value: t.Value, Effect: string(t.Effect)})
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			continue
		}
		info.Conditions = append(info.Conditions, &pb.NodeCondition{
			Type: string(c.Type), Status: string(c.Status), Reason: c.Reason, Message: c.Message,
		})
	}
	for _, a := range n.Status.Addresses {
		info.Addresses = append(info.Addresses, &pb.NodeAddress{Type: string(a.Type), Address: a.Address})
	}
	s := n.Status.NodeInfo
	if s != (corev1.NodeSystemInfo{}) {
		info.SystemInfo = &pb.NodeSystemInfo{
			OperatingSystem:         s.OperatingSystem,
			Architecture:            s.Architecture,
			KernelVersion:           s.KernelVersion,
			OsImage:                 s.OSImage,
			ContainerRuntimeVersion: s.ContainerRuntimeVersion,
			MachineId:               s.MachineID,
			SystemUuid:              s.SystemUUID,
			BootId:                  s.BootID,
		}
	}
	return info
}

func quantities(list corev1.ResourceList) map[string]string {
	if len(list) == 0 {
		return nil
	}
	out := make(map[string]string, len(list))
	for name, q := range list {
		out[string(name)] = q.String()
	}
	return out
}

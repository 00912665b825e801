package vkplugin_test

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/virtual-kubelet/virtual-kubelet/errdefs"
	corev1 "k8s.io/api/core/v1"

	"github.com/vk-host/vk-host/plugin-sdk/go/vkplugin"
)

// memory remembers pods and reports them Running: the smallest honest
// provider, written against upstream's node.PodLifecycleHandler.
type memory struct {
	mu   sync.Mutex
	pods map[string]*corev1.Pod
}

func (m *memory) CreatePod(_ context.Context, pod *corev1.Pod) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	pod = pod.DeepCopy()
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning}
	m.pods[pod.Namespace+"/"+pod.Name] = pod
	return nil
}

func (m *memory) UpdatePod(_ context.Context, pod *corev1.Pod) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	held, ok := m.pods[pod.Namespace+"/"+pod.Name]
	if !ok {
		return errdefs.NotFoundf("pod %s/%s", pod.Namespace, pod.Name)
	}
	updated := pod.DeepCopy()
	updated.Status = held.Status
	m.pods[pod.Namespace+"/"+pod.Name] = updated
	return nil
}

func (m *memory) DeletePod(_ context.Context, pod *corev1.Pod) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.pods, pod.Namespace+"/"+pod.Name)
	return nil
}

func (m *memory) GetPod(_ context.Context, namespace, name string) (*corev1.Pod, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if pod, ok := m.pods[namespace+"/"+name]; ok {
		return pod.DeepCopy(), nil
	}
	return nil, errdefs.NotFoundf("pod %s/%s", namespace, name)
}

func (m *memory) GetPodStatus(ctx context.Context, namespace, name string) (*corev1.PodStatus, error) {
	pod, err := m.GetPod(ctx, namespace, name)
	if err != nil {
		return nil, err
	}
	return &pod.Status, nil
}

func (m *memory) GetPods(context.Context) ([]*corev1.Pod, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	pods := make([]*corev1.Pod, 0, len(m.pods))
	for _, pod := range m.pods {
		pods = append(pods, pod.DeepCopy())
	}
	return pods, nil
}

// A complete plugin: the main of a program that vk-host runs with
// `vk-host --plugin ./memory`.
func Example() {
	provider := &memory{pods: map[string]*corev1.Pod{}}
	err := vkplugin.Serve(context.Background(), provider, vkplugin.Options{Name: "memory", Version: "0.1.0"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

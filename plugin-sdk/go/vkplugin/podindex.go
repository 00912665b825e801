package vkplugin

import (
	"sync"

	corev1 "k8s.io/api/core/v1"
)

// podIndex holds the pods the host sent to this plugin (CreatePod,
// UpdatePod, and those the provider listed in GetPods), by namespace/name:
// the pods on whose behalf the listers ask the host for Secrets and
// ConfigMaps, and what the Pods lister lists.
type podIndex struct {
	mu   sync.RWMutex
	pods map[string]*corev1.Pod
}

func newPodIndex() *podIndex { return &podIndex{pods: make(map[string]*corev1.Pod)} }

func podKey(namespace, name string) string { return namespace + "/" + name }

// put records pod (the last version wins).
func (x *podIndex) put(pod *corev1.Pod) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.pods[podKey(pod.Namespace, pod.Name)] = pod
}

// remove forgets pod if it is still the one recorded under its name.
func (x *podIndex) remove(pod *corev1.Pod) {
	x.mu.Lock()
	defer x.mu.Unlock()
	key := podKey(pod.Namespace, pod.Name)
	if held, ok := x.pods[key]; ok && held.UID == pod.UID {
		delete(x.pods, key)
	}
}

// get is the pod recorded under namespace/name, or nil.
func (x *podIndex) get(namespace, name string) *corev1.Pod {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.pods[podKey(namespace, name)]
}

// inNamespace lists the pods of namespace ("" for all).
func (x *podIndex) inNamespace(namespace string) []*corev1.Pod {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var pods []*corev1.Pod
	for _, pod := range x.pods {
		if namespace == "" || pod.Namespace == namespace {
			pods = append(pods, pod)
		}
	}
	return pods
}

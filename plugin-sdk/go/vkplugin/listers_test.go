package vkplugin

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	k8stypes "k8s.io/apimachinery/pkg/types"
)

func podNamed(name string, spec corev1.PodSpec) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: k8stypes.UID("uid-" + name),
		Labels: map[string]string{"app": name}}, Spec: spec}
}

func TestThePodsNamingAnObjectAreAskedFirst(t *testing.T) {
	volumeUser := podNamed("volume", corev1.PodSpec{Volumes: []corev1.Volume{
		{Name: "v", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "db"}}},
	}})
	projected := podNamed("projected", corev1.PodSpec{Volumes: []corev1.Volume{{Name: "p", VolumeSource: corev1.VolumeSource{
		Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
			{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "conf"}}},
		}},
	}}}})
	puller := podNamed("puller", corev1.PodSpec{ImagePullSecrets: []corev1.LocalObjectReference{{Name: "registry"}}})
	others := []*corev1.Pod{podNamed("o1", corev1.PodSpec{}), podNamed("o2", corev1.PodSpec{}),
		podNamed("o3", corev1.PodSpec{}), podNamed("o4", corev1.PodSpec{})}

	all := append([]*corev1.Pod{others[0], volumeUser, projected, puller}, others[1:]...)
	got := candidatePods(all, "Secret", "db")
	if got[0] != volumeUser {
		t.Fatalf("the pod mounting Secret db comes first, got %s", got[0].Name)
	}
	if len(got) != 1+otherPodsTried {
		t.Fatalf("%d candidates, want the naming pod and %d others", len(got), otherPodsTried)
	}
	if !slices.Contains(referencedNames(projected, "ConfigMap"), "conf") || slices.Contains(referencedNames(projected, "Secret"), "conf") {
		t.Fatal("a projected ConfigMap is a ConfigMap reference only")
	}
	if !slices.Contains(referencedNames(puller, "Secret"), "registry") {
		t.Fatal("imagePullSecrets are Secret references")
	}
}

func TestWithoutAnyPodTheListerSaysWhy(t *testing.T) {
	cfg := providerConfig("vk", nil, newPodIndex())
	_, err := cfg.Secrets.Secrets("ns").Get("db")
	if !apierrors.IsForbidden(err) {
		t.Fatalf("want Forbidden, got %v", err)
	}
	if _, err := cfg.Secrets.List(labels.Everything()); !apierrors.IsMethodNotSupported(err) {
		t.Fatalf("List: want MethodNotSupported, got %v", err)
	}
	if _, err := cfg.Services.Services("ns").Get("kubernetes"); err == nil {
		t.Fatal("Services are not served to plugins")
	}
	if cfg.Node.Name != "vk" {
		t.Fatalf("node %q", cfg.Node.Name)
	}
}

func TestThePodListerListsThePodsTheHostSent(t *testing.T) {
	index := newPodIndex()
	web := podNamed("web", corev1.PodSpec{})
	index.put(web)
	index.put(podNamed("db", corev1.PodSpec{}))
	lister := podLister{pods: index}
	got, err := lister.Pods("ns").Get("web")
	if err != nil || got != web {
		t.Fatalf("Get: %v %v", got, err)
	}
	selected, _ := lister.List(labels.SelectorFromSet(labels.Set{"app": "db"}))
	if len(selected) != 1 || selected[0].Name != "db" {
		t.Fatalf("List app=db: %v", selected)
	}
	index.remove(web)
	if _, err := lister.Pods("ns").Get("web"); !apierrors.IsNotFound(err) {
		t.Fatalf("after removal: %v", err)
	}
}

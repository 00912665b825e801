package vkplugin

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/virtual-kubelet/virtual-kubelet/node/nodeutil"
	"google.golang.org/grpc/codes"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	corev1listers "k8s.io/client-go/listers/core/v1"
)

// otherPodsTried bounds how many pods that do not name the object in their
// spec a lister asks on behalf of (env references arrive resolved, so a
// pod may reference an object its spec no longer shows). Each denied try
// is one audit line on the host.
const otherPodsTried = 3

// providerConfig is what a nodeutil constructor gets: listers over the
// host's callbacks, scoped to this plugin's pods, and the Node to configure.
func providerConfig(nodeName string, host *HostClient, pods *podIndex) nodeutil.ProviderConfig {
	objects := objectGetter{host: host, pods: pods}
	return nodeutil.ProviderConfig{
		Pods:       podLister{pods: pods},
		Secrets:    secretLister{objects},
		ConfigMaps: configMapLister{objects},
		Services:   serviceLister{},
		Node:       &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: nodeName}},
	}
}

// errScoped is what List answers: a plugin reads objects one by name, on
// behalf of a pod that references them.
func errScoped(resource string) error {
	return apierrors.NewMethodNotSupported(schema.GroupResource{Resource: resource},
		fmt.Sprintf("list (a vk-host plugin reads %s one by name, through the host's callbacks, "+
			"only those its pods reference)", resource))
}

// objectGetter fetches a Secret or ConfigMap through the host on behalf of
// a pod of this plugin that references it.
type objectGetter struct {
	host *HostClient
	pods *podIndex
}

func (g objectGetter) get(namespace, name, kind string, fetch func(context.Context, *corev1.Pod) error) error {
	candidates := candidatePods(g.pods.inNamespace(namespace), kind, name)
	if len(candidates) == 0 {
		return apierrors.NewForbidden(schema.GroupResource{Resource: kindResource(kind)}, name,
			fmt.Errorf("no pod of this plugin in namespace %s references %s %s", namespace, kind, name))
	}
	var err error
	for _, pod := range candidates {
		ctx, cancel := context.WithTimeout(context.Background(), callbackDeadline)
		err = fetch(ctx, pod)
		cancel()
		var callback *CallbackError
		if !errors.As(err, &callback) || callback.status.Code() != codes.PermissionDenied {
			return err
		}
	}
	return err
}

// candidatePods: the pods whose spec names the object first, then a few
// others of the namespace.
func candidatePods(pods []*corev1.Pod, kind, name string) []*corev1.Pod {
	var naming, others []*corev1.Pod
	for _, pod := range pods {
		if slices.Contains(referencedNames(pod, kind), name) {
			naming = append(naming, pod)
		} else if len(others) < otherPodsTried {
			others = append(others, pod)
		}
	}
	return append(naming, others...)
}

func kindResource(kind string) string {
	if kind == "Secret" {
		return "secrets"
	}
	return "configmaps"
}

// referencedNames are the Secrets ("Secret") or ConfigMaps ("ConfigMap") a
// pod's spec names in volumes, projected sources, env and envFrom, and
// imagePullSecrets.
func referencedNames(pod *corev1.Pod, kind string) []string {
	var names []string
	for _, v := range pod.Spec.Volumes {
		switch {
		case kind == "Secret" && v.Secret != nil:
			names = append(names, v.Secret.SecretName)
		case kind == "ConfigMap" && v.ConfigMap != nil:
			names = append(names, v.ConfigMap.Name)
		case v.Projected != nil:
			for _, s := range v.Projected.Sources {
				if kind == "Secret" && s.Secret != nil {
					names = append(names, s.Secret.Name)
				}
				if kind == "ConfigMap" && s.ConfigMap != nil {
					names = append(names, s.ConfigMap.Name)
				}
			}
		}
	}
	if kind == "Secret" {
		for _, s := range pod.Spec.ImagePullSecrets {
			names = append(names, s.Name)
		}
	}
	containers := slices.Concat(pod.Spec.InitContainers, pod.Spec.Containers)
	for _, c := range containers {
		for _, from := range c.EnvFrom {
			if kind == "Secret" && from.SecretRef != nil {
				names = append(names, from.SecretRef.Name)
			}
			if kind == "ConfigMap" && from.ConfigMapRef != nil {
				names = append(names, from.ConfigMapRef.Name)
			}
		}
		for _, env := range c.Env {
			if env.ValueFrom == nil {
				continue
			}
			if kind == "Secret" && env.ValueFrom.SecretKeyRef != nil {
				names = append(names, env.ValueFrom.SecretKeyRef.Name)
			}
			if kind == "ConfigMap" && env.ValueFrom.ConfigMapKeyRef != nil {
				names = append(names, env.ValueFrom.ConfigMapKeyRef.Name)
			}
		}
	}
	return names
}

// secretLister is corev1listers.SecretLister over the host's callbacks.
type secretLister struct{ objects objectGetter }

func (l secretLister) List(labels.Selector) ([]*corev1.Secret, error) {
	return nil, errScoped("secrets")
}
func (l secretLister) Secrets(namespace string) corev1listers.SecretNamespaceLister {
	return secretNamespaceLister{l.objects, namespace}
}

type secretNamespaceLister struct {
	objects   objectGetter
	namespace string
}

func (l secretNamespaceLister) List(labels.Selector) ([]*corev1.Secret, error) {
	return nil, errScoped("secrets")
}

// Get asks the host for the Secret on behalf of a pod that references it.
func (l secretNamespaceLister) Get(name string) (*corev1.Secret, error) {
	var secret *corev1.Secret
	err := l.objects.get(l.namespace, name, "Secret", func(ctx context.Context, pod *corev1.Pod) (err error) {
		secret, err = l.objects.host.GetSecret(ctx, pod, name)
		return err
	})
	return secret, err
}

// configMapLister is corev1listers.ConfigMapLister over the host's callbacks.
type configMapLister struct{ objects objectGetter }

func (l configMapLister) List(labels.Selector) ([]*corev1.ConfigMap, error) {
	return nil, errScoped("configmaps")
}
func (l configMapLister) ConfigMaps(namespace string) corev1listers.ConfigMapNamespaceLister {
	return configMapNamespaceLister{l.objects, namespace}
}

type configMapNamespaceLister struct {
	objects   objectGetter
	namespace string
}

func (l configMapNamespaceLister) List(labels.Selector) ([]*corev1.ConfigMap, error) {
	return nil, errScoped("configmaps")
}

// Get asks the host for the ConfigMap on behalf of a pod that references it.
func (l configMapNamespaceLister) Get(name string) (*corev1.ConfigMap, error) {
	var configMap *corev1.ConfigMap
	err := l.objects.get(l.namespace, name, "ConfigMap", func(ctx context.Context, pod *corev1.Pod) (err error) {
		configMap, err = l.objects.host.GetConfigMap(ctx, pod, name)
		return err
	})
	return configMap, err
}

// podLister is corev1listers.PodLister over the pods the host sent this
// plugin (those bound to its node that it runs).
type podLister struct{ pods *podIndex }

func (l podLister) List(selector labels.Selector) ([]*corev1.Pod, error) {
	return matching(l.pods.inNamespace(""), selector), nil
}
func (l podLister) Pods(namespace string) corev1listers.PodNamespaceLister {
	return podNamespaceLister{l.pods, namespace}
}

type podNamespaceLister struct {
	pods      *podIndex
	namespace string
}

func (l podNamespaceLister) List(selector labels.Selector) ([]*corev1.Pod, error) {
	return matching(l.pods.inNamespace(l.namespace), selector), nil
}

func (l podNamespaceLister) Get(name string) (*corev1.Pod, error) {
	if pod := l.pods.get(l.namespace, name); pod != nil {
		return pod, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "pods"}, name)
}

func matching(pods []*corev1.Pod, selector labels.Selector) []*corev1.Pod {
	var out []*corev1.Pod
	for _, pod := range pods {
		if selector == nil || selector.Matches(labels.Set(pod.Labels)) {
			out = append(out, pod)
		}
	}
	return out
}

// serviceLister answers every call with an error: vk-host serves plugins
// no Services.
type serviceLister struct{}

func errNoServices() error {
	return apierrors.NewMethodNotSupported(schema.GroupResource{Resource: "services"},
		"read (vk-host gives plugins no Services; the master service variables arrive in each pod's env)")
}

func (serviceLister) List(labels.Selector) ([]*corev1.Service, error) { return nil, errNoServices() }
func (serviceLister) Services(string) corev1listers.ServiceNamespaceLister {
	return serviceNamespaceLister{}
}

type serviceNamespaceLister struct{}

func (serviceNamespaceLister) List(labels.Selector) ([]*corev1.Service, error) {
	return nil, errNoServices()
}
func (serviceNamespaceLister) Get(string) (*corev1.Service, error) { return nil, errNoServices() }

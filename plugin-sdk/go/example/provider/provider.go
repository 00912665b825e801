// Package provider is an example virtual-kubelet provider written against
// upstream's interfaces only (github.com/virtual-kubelet/virtual-kubelet,
// k8s.io packages and Prometheus' client_golang for its own metrics;
// nothing of vk-host's SDK): the code of a provider
// that runs inside virtual-kubelet today, unchanged. It simulates its
// containers: pods run in memory (kept in a state file when one is given,
// so a restarted plugin finds them), get IPs from a range, write a log
// line per interval, and answer exec with a few built-in commands.
package provider

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/virtual-kubelet/virtual-kubelet/errdefs"
	"github.com/virtual-kubelet/virtual-kubelet/node"
	"github.com/virtual-kubelet/virtual-kubelet/node/nodeutil"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1listers "k8s.io/client-go/listers/core/v1"
)

// Config configures the example provider.
type Config struct {
	// StateFile is where the simulated backend keeps its pods; empty keeps
	// them in memory only (lost when the process ends).
	StateFile string
	// PodNetwork hands out pod IPs, from its second address on
	// (default 10.245.0.0/16).
	PodNetwork netip.Prefix
	// LogInterval is the time between two log lines of a container
	// (default 1 s).
	LogInterval time.Duration
	// Logger is where the provider logs (default: JSON on stderr).
	Logger *slog.Logger
	// Metrics, when set, gets the provider's own metrics:
	// go_example_pods_created_total and go_example_pods.
	Metrics prometheus.Registerer
}

// Provider is the example provider: a nodeutil.Provider and node.PodNotifier.
type Provider struct {
	cfg     Config
	secrets corev1listers.SecretLister
	log     *slog.Logger
	started time.Time

	created prometheus.Counter // pods created since the process started

	mu       sync.Mutex
	state    state
	notifier func(*corev1.Pod)
}

var (
	_ nodeutil.Provider = (*Provider)(nil)
	_ node.PodNotifier  = (*Provider)(nil)
)

// NewProviderFunc is the provider's constructor in upstream's shape: it
// configures the Node it is given and reads Secrets through the lister.
func NewProviderFunc(cfg Config) nodeutil.NewProviderFunc {
	return func(pc nodeutil.ProviderConfig) (nodeutil.Provider, node.NodeProvider, error) {
		p, err := New(cfg, pc.Secrets)
		if err != nil {
			return nil, nil, err
		}
		if pc.Node != nil {
			p.ConfigureNode(context.Background(), pc.Node)
		}
		return p, nil, nil
	}
}

// New makes the provider, loading the pods of cfg.StateFile.
func New(cfg Config, secrets corev1listers.SecretLister) (*Provider, error) {
	if !cfg.PodNetwork.IsValid() {
		cfg.PodNetwork = netip.MustParsePrefix("10.245.0.0/16")
	}
	if cfg.LogInterval <= 0 {
		cfg.LogInterval = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	p := &Provider{cfg: cfg, secrets: secrets, log: cfg.Logger, started: time.Now()}
	loaded, err := loadState(cfg.StateFile)
	if err != nil {
		return nil, err
	}
	p.state = loaded
	if len(loaded.Pods) > 0 {
		p.log.Info("recovered pods from the state file", "pods", len(loaded.Pods), "file", cfg.StateFile)
	}
	p.created = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "go_example_pods_created_total",
		Help: "Pods the example provider created since it started.",
	})
	held := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "go_example_pods",
		Help: "Pods the example provider holds.",
	}, func() float64 {
		p.mu.Lock()
		defer p.mu.Unlock()
		return float64(len(p.state.Pods))
	})
	if cfg.Metrics != nil {
		for _, c := range []prometheus.Collector{p.created, held} {
			if err := cfg.Metrics.Register(c); err != nil {
				return nil, fmt.Errorf("registering the provider's metrics: %w", err)
			}
		}
	}
	return p, nil
}

func key(namespace, name string) string { return namespace + "/" + name }

// CreatePod starts the pod's simulated containers at once.
func (p *Provider) CreatePod(ctx context.Context, pod *corev1.Pod) error {
	if len(pod.Spec.Containers) == 0 {
		return errdefs.InvalidInputf("pod %s/%s has no containers", pod.Namespace, pod.Name)
	}
	secretLines, err := p.readSecrets(pod)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	ip, err := p.state.allocateIP(p.cfg.PodNetwork)
	if err != nil {
		return err
	}
	held := pod.DeepCopy()
	held.Status = runningStatus(pod, ip, time.Now())
	p.state.Pods[key(pod.Namespace, pod.Name)] = &podRecord{Pod: held, SecretLines: secretLines}
	p.log.Info("pod running", "pod", key(pod.Namespace, pod.Name), "ip", ip.String())
	p.saveLocked()
	p.notifyLocked(held)
	p.created.Inc()
	return nil
}

// readSecrets reads every Secret the pod's volumes name, through the
// lister, and says which keys it found (never the values).
func (p *Provider) readSecrets(pod *corev1.Pod) ([]string, error) {
	var lines []string
	for _, ref := range secretVolumes(pod) {
		secret, err := p.secrets.Secrets(pod.Namespace).Get(ref.name)
		if err != nil {
			if ref.optional {
				lines = append(lines, fmt.Sprintf("optional Secret %s not read: %v", ref.name, err))
				continue
			}
			return nil, fmt.Errorf("reading Secret %s/%s for pod %s: %w", pod.Namespace, ref.name, pod.Name, err)
		}
		keys := make([]string, 0, len(secret.Data))
		for k := range secret.Data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		line := fmt.Sprintf("read Secret %s through the lister: keys %s", ref.name, strings.Join(keys, ","))
		p.log.Info(line, "pod", key(pod.Namespace, pod.Name))
		lines = append(lines, line)
	}
	return lines, nil
}

type secretRef struct {
	name     string
	optional bool
}

func secretVolumes(pod *corev1.Pod) []secretRef {
	var refs []secretRef
	for _, v := range pod.Spec.Volumes {
		if v.Secret != nil {
			refs = append(refs, secretRef{v.Secret.SecretName, v.Secret.Optional != nil && *v.Secret.Optional})
		}
		if v.Projected != nil {
			for _, s := range v.Projected.Sources {
				if s.Secret != nil {
					refs = append(refs, secretRef{s.Secret.Name, s.Secret.Optional != nil && *s.Secret.Optional})
				}
			}
		}
	}
	return refs
}

// UpdatePod takes the new metadata and spec and keeps the status.
func (p *Provider) UpdatePod(ctx context.Context, pod *corev1.Pod) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	record, ok := p.state.Pods[key(pod.Namespace, pod.Name)]
	if !ok {
		return errdefs.NotFoundf("pod %s/%s is not running here", pod.Namespace, pod.Name)
	}
	updated := pod.DeepCopy()
	updated.Status = record.Pod.Status
	record.Pod = updated
	p.saveLocked()
	return nil
}

// DeletePod stops the containers at once (exit 0), reports the final
// status and forgets the pod.
func (p *Provider) DeletePod(ctx context.Context, pod *corev1.Pod) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := key(pod.Namespace, pod.Name)
	record, ok := p.state.Pods[k]
	if !ok {
		return errdefs.NotFoundf("pod %s/%s is not running here", pod.Namespace, pod.Name)
	}
	final := record.Pod.DeepCopy()
	terminate(final, time.Now())
	delete(p.state.Pods, k)
	p.saveLocked()
	p.log.Info("pod stopped", "pod", k)
	p.notifyLocked(final)
	return nil
}

// GetPod returns the pod as held.
func (p *Provider) GetPod(ctx context.Context, namespace, name string) (*corev1.Pod, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	record, ok := p.state.Pods[key(namespace, name)]
	if !ok {
		return nil, errdefs.NotFoundf("pod %s/%s is not running here", namespace, name)
	}
	return record.Pod.DeepCopy(), nil
}

// GetPodStatus returns the pod's status.
func (p *Provider) GetPodStatus(ctx context.Context, namespace, name string) (*corev1.PodStatus, error) {
	pod, err := p.GetPod(ctx, namespace, name)
	if err != nil {
		return nil, err
	}
	return &pod.Status, nil
}

// GetPods returns every pod held.
func (p *Provider) GetPods(context.Context) ([]*corev1.Pod, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pods := make([]*corev1.Pod, 0, len(p.state.Pods))
	for _, record := range p.state.Pods {
		pods = append(pods, record.Pod.DeepCopy())
	}
	return pods, nil
}

// NotifyPods registers the callback for status changes.
func (p *Provider) NotifyPods(_ context.Context, notifier func(*corev1.Pod)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.notifier = notifier
}

func (p *Provider) notifyLocked(pod *corev1.Pod) {
	if p.notifier != nil {
		p.notifier(pod)
	}
}

// runningStatus is a pod whose containers all started at now.
func runningStatus(pod *corev1.Pod, ip netip.Addr, now time.Time) corev1.PodStatus {
	started := metav1.NewTime(now)
	status := corev1.PodStatus{
		Phase:     corev1.PodRunning,
		PodIP:     ip.String(),
		PodIPs:    []corev1.PodIP{{IP: ip.String()}},
		StartTime: &started,
	}
	for _, t := range []corev1.PodConditionType{corev1.PodScheduled, corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady} {
		status.Conditions = append(status.Conditions, corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: started})
	}
	for _, c := range pod.Spec.InitContainers {
		s := containerStatus(pod, c)
		s.State.Terminated = &corev1.ContainerStateTerminated{Reason: "Completed", StartedAt: started, FinishedAt: started}
		status.InitContainerStatuses = append(status.InitContainerStatuses, s)
	}
	for _, c := range pod.Spec.Containers {
		s := containerStatus(pod, c)
		s.Ready, s.Started = true, ptr(true)
		s.State.Running = &corev1.ContainerStateRunning{StartedAt: started}
		status.ContainerStatuses = append(status.ContainerStatuses, s)
	}
	return status
}

func containerStatus(pod *corev1.Pod, c corev1.Container) corev1.ContainerStatus {
	return corev1.ContainerStatus{
		Name:        c.Name,
		Image:       c.Image,
		ImageID:     "go-example://" + c.Image,
		ContainerID: fmt.Sprintf("go-example://%s/%s", pod.UID, c.Name),
	}
}

// terminate marks every running container exited 0 and the pod Succeeded.
func terminate(pod *corev1.Pod, now time.Time) {
	finished := metav1.NewTime(now)
	for i := range pod.Status.ContainerStatuses {
		s := &pod.Status.ContainerStatuses[i]
		started := finished
		if s.State.Running != nil {
			started = s.State.Running.StartedAt
		}
		s.State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: 0, Reason: "Completed", StartedAt: started, FinishedAt: finished,
		}}
		s.Ready, s.Started = false, ptr(false)
	}
	pod.Status.Phase = corev1.PodSucceeded
	for i := range pod.Status.Conditions {
		c := &pod.Status.Conditions[i]
		if c.Type == corev1.PodReady || c.Type == corev1.ContainersReady {
			c.Status, c.LastTransitionTime = corev1.ConditionFalse, finished
		}
	}
}

func ptr[T any](v T) *T { return &v }

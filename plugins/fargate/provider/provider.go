// Package provider runs Kubernetes pods as AWS Fargate tasks: an upstream
// virtual-kubelet node.PodLifecycleHandler (with PodNotifier and
// GetContainerLogs) that vk-host drives through the Go SDK (vkplugin).
// One pod is one ECS task of its own task definition; tags on both name
// the pod and the node, so a restarted plugin adopts its tasks.
package provider

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/virtual-kubelet/virtual-kubelet/errdefs"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"
)

// EnvResolver is a container of pod with its environment (valueFrom,
// envFrom), command and args resolved by the host
// (vkplugin.HostClient.GetContainerEnv).
type EnvResolver func(ctx context.Context, pod *corev1.Pod, container string) (*corev1.Container, error)

// Provider runs the pods of one node as Fargate tasks.
type Provider struct {
	cfg     *Config
	clients *Clients
	node    string
	env     EnvResolver
	log     *slog.Logger

	mu       sync.Mutex
	pods     map[string]*entry // by namespace/name
	adopted  bool
	notify   func(*corev1.Pod)
	pollOnce sync.Once
}

// entry is one pod and its task.
type entry struct {
	pod        *corev1.Pod // spec and metadata as the host sent them; Status current
	taskArn    string
	taskDefArn string
	seen       time.Time // when the plugin first saw the task: fallback timestamps
}

// New is the provider of node.
func New(cfg *Config, clients *Clients, node string, env EnvResolver, log *slog.Logger) *Provider {
	return &Provider{cfg: cfg, clients: clients, node: node, env: env, log: log, pods: map[string]*entry{}}
}

func key(namespace, name string) string { return namespace + "/" + name }

// CreatePod registers the pod's task definition and runs it.
func (p *Provider) CreatePod(ctx context.Context, pod *corev1.Pod) error {
	if err := p.adopt(ctx); err != nil {
		return err
	}
	p.mu.Lock()
	if e, ok := p.pods[key(pod.Namespace, pod.Name)]; ok && e.pod.UID == pod.UID {
		// Already running (an adopted task knows only the pod's name and
		// UID): keep the full pod.
		st := e.pod.Status
		e.pod = pod.DeepCopy()
		e.pod.Status = st
		p.mu.Unlock()
		return nil
	}
	p.mu.Unlock()

	resolved := map[string]*corev1.Container{}
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		if !needsHost(c) {
			continue
		}
		r, err := p.env(ctx, pod, c.Name)
		if err != nil {
			return fmt.Errorf("resolving the environment of container %s: %w", c.Name, err)
		}
		resolved[c.Name] = r
	}
	spec, err := BuildTaskSpec(p.cfg, p.node, p.clients.Region, pod, resolved)
	if err != nil {
		return err
	}
	registered, err := p.clients.ECS.RegisterTaskDefinition(ctx, spec.Definition)
	if err != nil {
		return AWSStatus("RegisterTaskDefinition", err)
	}
	defArn := aws.ToString(registered.TaskDefinition.TaskDefinitionArn)
	spec.Run.TaskDefinition = aws.String(defArn)
	run, err := p.clients.ECS.RunTask(ctx, spec.Run)
	if err == nil && len(run.Tasks) == 0 {
		err = status.Error(codes.Unavailable, "AWS RunTask started no task: "+failures(run.Failures))
	}
	if err != nil {
		p.deregister(context.WithoutCancel(ctx), defArn)
		if _, ok := status.FromError(err); ok {
			return err
		}
		return AWSStatus("RunTask", err)
	}
	task := run.Tasks[0]
	e := &entry{pod: pod.DeepCopy(), taskArn: aws.ToString(task.TaskArn), taskDefArn: defArn, seen: time.Now()}
	e.pod.Status = PodStatusOf(e.pod, &task, e.seen)
	p.log.Info("task started", "pod", key(pod.Namespace, pod.Name), "task", e.taskArn,
		"cpu", spec.Size.CPU, "memory", spec.Size.Memory)
	p.mu.Lock()
	p.pods[key(pod.Namespace, pod.Name)] = e
	p.notifyLocked(e.pod)
	p.mu.Unlock()
	return nil
}

func failures(fs []types.Failure) string {
	if len(fs) == 0 {
		return "no reason given"
	}
	out := ""
	for i, f := range fs {
		if i > 0 {
			out += "; "
		}
		out += aws.ToString(f.Reason)
		if d := aws.ToString(f.Detail); d != "" {
			out += " (" + d + ")"
		}
	}
	return out
}

// UpdatePod keeps the new metadata: a running task cannot change.
func (p *Provider) UpdatePod(ctx context.Context, pod *corev1.Pod) error {
	if err := p.adopt(ctx); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.pods[key(pod.Namespace, pod.Name)]
	if !ok {
		return errdefs.NotFoundf("pod %s/%s has no Fargate task here", pod.Namespace, pod.Name)
	}
	st := e.pod.Status
	e.pod = pod.DeepCopy()
	e.pod.Status = st
	return nil
}

// DeletePod stops the pod's task, deregisters its task definition and
// reports the pod's terminal status.
func (p *Provider) DeletePod(ctx context.Context, pod *corev1.Pod) error {
	if err := p.adopt(ctx); err != nil {
		return err
	}
	k := key(pod.Namespace, pod.Name)
	p.mu.Lock()
	e, ok := p.pods[k]
	p.mu.Unlock()
	if !ok {
		return errdefs.NotFoundf("pod %s has no Fargate task here", k)
	}
	stopped, err := p.clients.ECS.StopTask(ctx, &ecs.StopTaskInput{
		Cluster: aws.String(p.cfg.ClusterName),
		Task:    aws.String(e.taskArn),
		Reason:  aws.String(fmt.Sprintf("pod %s deleted (vk-host node %s)", k, p.node)),
	})
	var task types.Task
	switch {
	case err == nil && stopped.Task != nil:
		task = *stopped.Task
	case terminalPhase(e.pod.Status.Phase):
		// The task had stopped already (ECS may have forgotten it): there
		// is nothing left to stop.
		p.log.Info("StopTask of a stopped task failed", "pod", k, "task", e.taskArn, "error", err)
		task = types.Task{TaskArn: aws.String(e.taskArn), LastStatus: aws.String(taskStopped)}
	case err != nil:
		return AWSStatus("StopTask", err)
	default:
		return status.Error(codes.Unavailable, "AWS StopTask answered without the task")
	}
	p.deregister(ctx, e.taskDefArn)
	if !Terminal(&task) {
		// ECS stops the task asynchronously; the pod is gone now.
		task.LastStatus = aws.String(taskStopped)
	}
	final := e.pod.DeepCopy()
	final.Status = PodStatusOf(final, &task, e.seen)
	p.log.Info("task stopped", "pod", k, "task", e.taskArn)
	p.mu.Lock()
	delete(p.pods, k)
	p.notifyLocked(final)
	p.mu.Unlock()
	return nil
}

// deregister deregisters a task definition the plugin registered; a
// failure leaves an unused ACTIVE revision behind (it costs nothing), so it
// is logged, not returned.
func (p *Provider) deregister(ctx context.Context, arn string) {
	if arn == "" {
		return
	}
	if _, err := p.clients.ECS.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(arn)}); err != nil {
		p.log.Warn("deregistering the task definition failed", "task_definition", arn, "error", err)
	}
}

// GetPod is the pod with its current status.
func (p *Provider) GetPod(ctx context.Context, namespace, name string) (*corev1.Pod, error) {
	if err := p.adopt(ctx); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.pods[key(namespace, name)]
	if !ok {
		return nil, errdefs.NotFoundf("pod %s/%s has no Fargate task here", namespace, name)
	}
	return e.pod.DeepCopy(), nil
}

// GetPodStatus is the pod's current status.
func (p *Provider) GetPodStatus(ctx context.Context, namespace, name string) (*corev1.PodStatus, error) {
	pod, err := p.GetPod(ctx, namespace, name)
	if err != nil {
		return nil, err
	}
	return &pod.Status, nil
}

// GetPods is every pod with a task here, adopted ones included.
func (p *Provider) GetPods(ctx context.Context) ([]*corev1.Pod, error) {
	if err := p.adopt(ctx); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*corev1.Pod, 0, len(p.pods))
	for _, e := range p.pods {
		out = append(out, e.pod.DeepCopy())
	}
	return out, nil
}

// NotifyPods registers the status callback and starts polling ECS.
func (p *Provider) NotifyPods(ctx context.Context, notify func(*corev1.Pod)) {
	p.mu.Lock()
	p.notify = notify
	p.mu.Unlock()
	p.pollOnce.Do(func() { go p.poll(ctx) })
}

func (p *Provider) notifyLocked(pod *corev1.Pod) {
	if p.notify != nil {
		p.notify(pod.DeepCopy())
	}
}

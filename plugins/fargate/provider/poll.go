package provider

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
)

// describeBatch is DescribeTasks' limit of tasks per call.
const describeBatch = 100

// poll describes the tasks of every pod each StatusPollInterval and
// notifies the pods whose status changed, until ctx ends.
func (p *Provider) poll(ctx context.Context) {
	ticker := time.NewTicker(p.cfg.PollInterval())
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		if err := p.adopt(ctx); err != nil {
			p.log.Warn("adopting the node's tasks failed; retrying", "error", err)
			continue
		}
		p.refresh(ctx)
	}
}

// refresh describes every pod's task, in batches of 100, and applies what
// it learns.
func (p *Provider) refresh(ctx context.Context) {
	p.mu.Lock()
	arns := make([]string, 0, len(p.pods))
	for _, e := range p.pods {
		arns = append(arns, e.taskArn)
	}
	p.mu.Unlock()
	for start := 0; start < len(arns); start += describeBatch {
		batch := arns[start:min(start+describeBatch, len(arns))]
		out, err := p.clients.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{
			Cluster: aws.String(p.cfg.ClusterName),
			Tasks:   batch,
		})
		if err != nil {
			p.log.Warn("DescribeTasks failed; the next poll retries", "error", AWSStatus("DescribeTasks", err))
			continue
		}
		found := map[string]*types.Task{}
		for i := range out.Tasks {
			found[aws.ToString(out.Tasks[i].TaskArn)] = &out.Tasks[i]
		}
		missing := map[string]string{}
		for _, f := range out.Failures {
			missing[aws.ToString(f.Arn)] = aws.ToString(f.Reason)
		}
		for _, arn := range batch {
			task, ok := found[arn]
			if !ok {
				// ECS forgets stopped tasks after a while: the task is gone.
				reason := missing[arn]
				if reason == "" {
					reason = "MISSING"
				}
				task = &types.Task{
					TaskArn:       aws.String(arn),
					LastStatus:    aws.String(taskStopped),
					StoppedReason: aws.String("ECS no longer knows the task (" + reason + ")"),
				}
			}
			p.apply(task)
		}
	}
}

// apply sets the status of the pod whose task is task and notifies a
// change.
func (p *Provider) apply(task *types.Task) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.pods {
		if e.taskArn != aws.ToString(task.TaskArn) {
			continue
		}
		next := PodStatusOf(e.pod, task, e.seen)
		if changed(&e.pod.Status, &next) {
			e.pod.Status = next
			p.notifyLocked(e.pod)
		}
		return
	}
}

// changed: the statuses differ in what a user sees.
func changed(a, b *corev1.PodStatus) bool {
	return !equality.Semantic.DeepEqual(a, b)
}

package provider

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"
)

// adopt, once, takes over the tasks this node's plugin started before
// (a restart): the cluster's tasks started by the node that should run
// (desiredStatus RUNNING) and carry its tags become pods again, so GetPods
// answers with their UIDs and the host re-creates nothing. It runs at the
// first call that needs the pods and again after a failure.
func (p *Provider) adopt(ctx context.Context) error {
	p.mu.Lock()
	done := p.adopted
	p.mu.Unlock()
	if done {
		return nil
	}
	var arns []string
	pages := ecs.NewListTasksPaginator(p.clients.ECS, &ecs.ListTasksInput{
		Cluster:       aws.String(p.cfg.ClusterName),
		StartedBy:     aws.String(startedBy(p.node)),
		DesiredStatus: types.DesiredStatusRunning,
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return AWSStatus("ListTasks", err)
		}
		arns = append(arns, page.TaskArns...)
	}
	var adopted []*entry
	for start := 0; start < len(arns); start += describeBatch {
		out, err := p.clients.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{
			Cluster: aws.String(p.cfg.ClusterName),
			Tasks:   arns[start:min(start+describeBatch, len(arns))],
			Include: []types.TaskField{types.TaskFieldTags},
		})
		if err != nil {
			return AWSStatus("DescribeTasks", err)
		}
		for i := range out.Tasks {
			if e := p.adoptable(&out.Tasks[i]); e != nil {
				adopted = append(adopted, e)
			}
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.adopted {
		return nil
	}
	for _, e := range adopted {
		k := key(e.pod.Namespace, e.pod.Name)
		if _, ok := p.pods[k]; !ok {
			p.pods[k] = e
			p.log.Info("adopted task", "pod", k, "uid", e.pod.UID, "task", e.taskArn)
		}
	}
	p.adopted = true
	return nil
}

// adoptable is the pod of task when it is this node's and should run.
func (p *Provider) adoptable(task *types.Task) *entry {
	if aws.ToString(task.DesiredStatus) != "RUNNING" {
		return nil
	}
	tags := map[string]string{}
	for _, t := range task.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	if tags[TagNode] != p.node || tags[TagNamespace] == "" || tags[TagName] == "" || tags[TagUID] == "" {
		return nil
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: tags[TagNamespace],
			Name:      tags[TagName],
			UID:       k8stypes.UID(tags[TagUID]),
		},
		Spec: corev1.PodSpec{NodeName: p.node},
	}
	defArn := aws.ToString(task.TaskDefinitionArn)
	// The pod's containers are the task's (DescribeTasks names them and
	// their images; no call per task).
	for _, c := range task.Containers {
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: aws.ToString(c.Name), Image: aws.ToString(c.Image)})
	}
	e := &entry{pod: pod, taskArn: aws.ToString(task.TaskArn), taskDefArn: defArn, seen: time.Now()}
	e.pod.Status = PodStatusOf(pod, task, e.seen)
	return e
}

package provider

import (
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ECS task states (lastStatus),
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html
const (
	taskProvisioning   = "PROVISIONING"
	taskPending        = "PENDING"
	taskActivating     = "ACTIVATING"
	taskRunning        = "RUNNING"
	taskDeactivating   = "DEACTIVATING"
	taskStopping       = "STOPPING"
	taskDeprovisioning = "DEPROVISIONING"
	taskStopped        = "STOPPED"
	taskDeleted        = "DELETED"
)

// Terminal: the task's containers have stopped for good.
func Terminal(task *types.Task) bool {
	switch aws.ToString(task.LastStatus) {
	case taskDeprovisioning, taskStopped, taskDeleted:
		return true
	}
	return false
}

// TaskIP is the private IPv4 address of the task's ENI, or "".
func TaskIP(task *types.Task) string {
	for _, a := range task.Attachments {
		if aws.ToString(a.Type) != "ElasticNetworkInterface" {
			continue
		}
		for _, d := range a.Details {
			if aws.ToString(d.Name) == "privateIPv4Address" {
				return aws.ToString(d.Value)
			}
		}
	}
	return ""
}

// PodStatusOf is the status of pod (its spec names the containers) when
// its task is task:
//
//	PROVISIONING, PENDING, ACTIVATING   Pending, containers waiting
//	RUNNING, DEACTIVATING, STOPPING     Running with the ENI's private IPv4
//	                                    address, containers running
//	DEPROVISIONING, STOPPED, DELETED    Succeeded when every container exited
//	                                    0, else Failed; each container's exit
//	                                    code, the stoppedReason in the message
func PodStatusOf(pod *corev1.Pod, task *types.Task, seen time.Time) corev1.PodStatus {
	fallback := metav1.NewTime(seen)
	state := aws.ToString(task.LastStatus)
	status := corev1.PodStatus{
		Phase:     corev1.PodPending,
		StartTime: or(timeOf(task.CreatedAt), &fallback),
		QOSClass:  pod.Status.QOSClass,
	}
	if ip := TaskIP(task); ip != "" {
		status.PodIP = ip
		status.PodIPs = []corev1.PodIP{{IP: ip}}
	}
	byName := map[string]types.Container{}
	for _, c := range task.Containers {
		byName[aws.ToString(c.Name)] = c
	}
	started := timeOf(task.StartedAt)
	if started == nil {
		started = status.StartTime
	}
	ready := false
	switch state {
	case taskRunning, taskDeactivating, taskStopping:
		status.Phase = corev1.PodRunning
		ready = state == taskRunning
		for _, c := range pod.Spec.Containers {
			cs := containerStatus(c, byName[c.Name], task)
			cs.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: *or(started, &fallback)}}
			cs.Ready = ready
			cs.Started = aws.Bool(true)
			status.ContainerStatuses = append(status.ContainerStatuses, cs)
		}
	case taskDeprovisioning, taskStopped, taskDeleted:
		status.Phase = corev1.PodSucceeded
		var exits []string
		for _, c := range pod.Spec.Containers {
			ecsC, known := byName[c.Name]
			cs := containerStatus(c, ecsC, task)
			code, reason := int32(0), "Completed"
			switch {
			case !known || ecsC.ExitCode == nil:
				// Stopped before it ran, or ECS did not learn the code.
				code, reason = 1, "Error"
				status.Phase = corev1.PodFailed
				exits = append(exits, fmt.Sprintf("%s: no exit code", c.Name))
			default:
				code = aws.ToInt32(ecsC.ExitCode)
				if code != 0 {
					reason = "Error"
					status.Phase = corev1.PodFailed
				}
				exits = append(exits, fmt.Sprintf("%s: exit code %d", c.Name, code))
			}
			term := &corev1.ContainerStateTerminated{
				ExitCode:   code,
				Reason:     reason,
				Message:    aws.ToString(ecsC.Reason),
				FinishedAt: *or(timeOf(task.StoppedAt), &fallback),
			}
			if started != nil {
				term.StartedAt = *started
			}
			cs.State = corev1.ContainerState{Terminated: term}
			status.ContainerStatuses = append(status.ContainerStatuses, cs)
		}
		status.Reason = "TaskStopped"
		status.Message = fmt.Sprintf("ECS task %s stopped (%s)", taskID(aws.ToString(task.TaskArn)), strings.Join(exits, ", "))
		if r := aws.ToString(task.StoppedReason); r != "" {
			status.Message += ": " + r
		}
	default:
		waiting := "ContainerCreating"
		for _, c := range pod.Spec.Containers {
			cs := containerStatus(c, byName[c.Name], task)
			cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
				Reason:  waiting,
				Message: fmt.Sprintf("ECS task is %s", state),
			}}
			status.ContainerStatuses = append(status.ContainerStatuses, cs)
		}
		status.Message = fmt.Sprintf("ECS task %s is %s", taskID(aws.ToString(task.TaskArn)), state)
	}
	status.Conditions = conditions(status.Phase, ready, status.StartTime)
	return status
}

func containerStatus(c corev1.Container, ecsC types.Container, task *types.Task) corev1.ContainerStatus {
	cs := corev1.ContainerStatus{Name: c.Name, Image: c.Image, ImageID: aws.ToString(ecsC.ImageDigest)}
	if arn := aws.ToString(ecsC.ContainerArn); arn != "" {
		cs.ContainerID = "ecs://" + taskID(aws.ToString(task.TaskArn)) + "/" + c.Name
	}
	return cs
}

func conditions(phase corev1.PodPhase, ready bool, since *metav1.Time) []corev1.PodCondition {
	at := *since
	cond := func(t corev1.PodConditionType, ok bool) corev1.PodCondition {
		s := corev1.ConditionFalse
		if ok {
			s = corev1.ConditionTrue
		}
		return corev1.PodCondition{Type: t, Status: s, LastTransitionTime: at}
	}
	return []corev1.PodCondition{
		cond(corev1.PodScheduled, true),
		cond(corev1.PodInitialized, true),
		cond(corev1.ContainersReady, ready && phase == corev1.PodRunning),
		cond(corev1.PodReady, ready && phase == corev1.PodRunning),
	}
}

// taskID is the last part of a task ARN.
func taskID(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func timeOf(t *time.Time) *metav1.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	m := metav1.NewTime(*t)
	return &m
}

func or(t, fallback *metav1.Time) *metav1.Time {
	if t == nil {
		return fallback
	}
	return t
}

// terminalPhase: the pod has ended.
func terminalPhase(phase corev1.PodPhase) bool {
	return phase == corev1.PodSucceeded || phase == corev1.PodFailed
}

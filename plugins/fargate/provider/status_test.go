package provider

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	corev1 "k8s.io/api/core/v1"
)

func task(state string, exits map[string]*int32) *types.Task {
	t := &types.Task{
		TaskArn:    aws.String("arn:aws:ecs:us-east-1:1:task/pods/abc123"),
		LastStatus: aws.String(state),
		Attachments: []types.Attachment{{
			Type: aws.String("ElasticNetworkInterface"),
			Details: []types.KeyValuePair{
				{Name: aws.String("subnetId"), Value: aws.String("subnet-1")},
				{Name: aws.String("privateIPv4Address"), Value: aws.String("10.0.1.7")},
			},
		}},
	}
	for name, code := range exits {
		t.Containers = append(t.Containers, types.Container{Name: aws.String(name), ExitCode: code})
	}
	return t
}

func TestStatusMapping(t *testing.T) {
	pod := testPod()
	seen := time.Now()
	for _, state := range []string{"PROVISIONING", "PENDING", "ACTIVATING"} {
		s := PodStatusOf(pod, task(state, nil), seen)
		if s.Phase != corev1.PodPending || s.ContainerStatuses[0].State.Waiting == nil {
			t.Errorf("%s: phase %s, %+v", state, s.Phase, s.ContainerStatuses[0].State)
		}
	}
	s := PodStatusOf(pod, task("RUNNING", nil), seen)
	if s.Phase != corev1.PodRunning || s.PodIP != "10.0.1.7" || s.PodIPs[0].IP != "10.0.1.7" ||
		s.ContainerStatuses[0].State.Running == nil || !s.ContainerStatuses[1].Ready {
		t.Errorf("RUNNING: %+v", s)
	}
	ready := false
	for _, c := range s.Conditions {
		ready = ready || (c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue)
	}
	if !ready {
		t.Errorf("RUNNING: not Ready: %+v", s.Conditions)
	}
	if s := PodStatusOf(pod, task("DEACTIVATING", nil), seen); s.Phase != corev1.PodRunning || s.ContainerStatuses[0].Ready {
		t.Errorf("DEACTIVATING: %s ready %v", s.Phase, s.ContainerStatuses[0].Ready)
	}

	zero, three := aws.Int32(0), aws.Int32(3)
	for _, state := range []string{"DEPROVISIONING", "STOPPED"} {
		ok := PodStatusOf(pod, task(state, map[string]*int32{"main": zero, "side": zero}), seen)
		if ok.Phase != corev1.PodSucceeded || ok.ContainerStatuses[0].State.Terminated.Reason != "Completed" {
			t.Errorf("%s exit 0: %+v", state, ok)
		}
	}
	stopped := task("STOPPED", map[string]*int32{"main": three, "side": zero})
	stopped.StoppedReason = aws.String("Essential container in task exited")
	failed := PodStatusOf(pod, stopped, seen)
	if failed.Phase != corev1.PodFailed || failed.ContainerStatuses[0].State.Terminated.ExitCode != 3 ||
		failed.ContainerStatuses[1].State.Terminated.ExitCode != 0 {
		t.Errorf("STOPPED exit 3: %+v", failed)
	}
	for _, want := range []string{"abc123", "main: exit code 3", "side: exit code 0", "Essential container in task exited"} {
		if !strings.Contains(failed.Message, want) {
			t.Errorf("message %q lacks %q", failed.Message, want)
		}
	}
	unknown := PodStatusOf(pod, task("STOPPED", map[string]*int32{"main": zero}), seen)
	if unknown.Phase != corev1.PodFailed || !strings.Contains(unknown.Message, "side: no exit code") {
		t.Errorf("STOPPED without an exit code: %+v", unknown)
	}
}

func TestStatusIsStableBetweenPolls(t *testing.T) {
	pod := testPod()
	seen := time.Now()
	a := PodStatusOf(pod, task("RUNNING", nil), seen)
	time.Sleep(5 * time.Millisecond)
	b := PodStatusOf(pod, task("RUNNING", nil), seen)
	if changed(&a, &b) {
		t.Fatalf("the same task gave two statuses:\n%+v\n%+v", a, b)
	}
}

func TestLogStream(t *testing.T) {
	if got := LogStream("web", "main", "arn:aws:ecs:us-east-1:1:task/pods/abc123"); got != "web/main/abc123" {
		t.Fatalf("LogStream = %q", got)
	}
}

package provider

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"github.com/virtual-kubelet/virtual-kubelet/errdefs"
	"github.com/virtual-kubelet/virtual-kubelet/node/api"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"
)

func TestCreateRunsATaskOnceAndDeleteStopsIt(t *testing.T) {
	ctx := context.Background()
	f := newFakeECS()
	p, seen := testProvider(t, "node-a", f, nil)
	pod := testPod()
	if err := p.CreatePod(ctx, pod); err != nil {
		t.Fatal(err)
	}
	if err := p.CreatePod(ctx, pod); err != nil || f.runs != 1 {
		t.Fatalf("second CreatePod: %v, %d RunTask calls; want 1", err, f.runs)
	}
	got, err := p.GetPod(ctx, "ns", "web.1")
	if err != nil || got.Status.Phase != corev1.PodPending {
		t.Fatalf("GetPod after RunTask: %v, %v", got, err)
	}
	arn := f.order[0]
	f.set(arn, "RUNNING")
	p.refresh(ctx)
	got, _ = p.GetPod(ctx, "ns", "web.1")
	if got.Status.Phase != corev1.PodRunning || got.Status.PodIP != "10.0.0.1" {
		t.Fatalf("after the poll: %s %q", got.Status.Phase, got.Status.PodIP)
	}
	notified := len(*seen)
	p.refresh(ctx)
	if len(*seen) != notified {
		t.Fatalf("an unchanged task was notified again")
	}
	if err := p.DeletePod(ctx, pod); err != nil {
		t.Fatal(err)
	}
	if r := f.stopReasons[arn]; !strings.Contains(r, "ns/web.1") {
		t.Fatalf("stop reason %q does not name the pod", r)
	}
	if len(f.deregs) != 1 {
		t.Fatalf("deregistered %v", f.deregs)
	}
	last := (*seen)[len(*seen)-1]
	if last.Status.Phase != corev1.PodSucceeded && last.Status.Phase != corev1.PodFailed {
		t.Fatalf("the last notification is not terminal: %s", last.Status.Phase)
	}
	if _, err := p.GetPod(ctx, "ns", "web.1"); !errdefs.IsNotFound(err) {
		t.Fatalf("GetPod after delete: %v", err)
	}
	if err := p.DeletePod(ctx, pod); !errdefs.IsNotFound(err) {
		t.Fatalf("second DeletePod: %v", err)
	}
}

func TestRunTaskErrorsAreMappedAndTheDefinitionDeregistered(t *testing.T) {
	f := newFakeECS()
	f.runErr = &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
	p, _ := testProvider(t, "node-a", f, nil)
	err := p.CreatePod(context.Background(), testPod())
	if status.Code(err) != codes.ResourceExhausted || len(f.deregs) != 1 {
		t.Fatalf("CreatePod: %v, deregistered %v", err, f.deregs)
	}
	f.runErr = &smithy.GenericAPIError{Code: "ClusterNotFoundException", Message: "Cluster not found."}
	if err := p.CreatePod(context.Background(), testPod()); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("CreatePod without the cluster: %v", err)
	}
}

func TestAdoptionTakesTheNodesRunningTasksOnly(t *testing.T) {
	f := newFakeECS()
	f.add("vk-host/node-a", tags("node-a", "ns", "one", "uid-1"), "RUNNING", "RUNNING")
	f.add("vk-host/node-a", tags("node-a", "ns", "two", "uid-2"), "PENDING", "RUNNING")
	f.add("vk-host/node-a", tags("node-a", "ns", "gone", "uid-3"), "STOPPED", "STOPPED")
	f.add("vk-host/node-b", tags("node-b", "ns", "other", "uid-4"), "RUNNING", "RUNNING")
	f.add("vk-host/node-a", map[string]string{TagNode: "node-a"}, "RUNNING", "RUNNING") // not ours: no pod tags
	p, _ := testProvider(t, "node-a", f, nil)
	pods, err := p.GetPods(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	uids := map[string]corev1.PodPhase{}
	for _, pod := range pods {
		uids[string(pod.UID)] = pod.Status.Phase
	}
	if len(uids) != 2 || uids["uid-1"] != corev1.PodRunning || uids["uid-2"] != corev1.PodPending {
		t.Fatalf("adopted %v; want uid-1 Running and uid-2 Pending", uids)
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "one", UID: k8stypes.UID("uid-1")}}
	pod.Spec = testPod().Spec
	if err := p.CreatePod(context.Background(), pod); err != nil || f.runs != 0 {
		t.Fatalf("CreatePod of an adopted pod: %v, %d RunTask calls", err, f.runs)
	}
	got, _ := p.GetPod(context.Background(), "ns", "one")
	if got.Status.PodIP == "" || len(got.Spec.Containers) != 2 {
		t.Fatalf("the adopted pod lost its status or did not take the full spec: %+v", got)
	}
}

func TestPollingDescribesInBatchesOf100AndReportsVanishedTasks(t *testing.T) {
	f := newFakeECS()
	for i := 0; i < 250; i++ {
		f.add("vk-host/node-a", tags("node-a", "ns", fmt.Sprintf("p%d", i), fmt.Sprintf("u%d", i)), "RUNNING", "RUNNING")
	}
	p, seen := testProvider(t, "node-a", f, nil)
	ctx := context.Background()
	if err := p.adopt(ctx); err != nil {
		t.Fatal(err)
	}
	f.describes = nil
	delete(f.tasks, f.order[7])
	p.refresh(ctx)
	if fmt.Sprint(f.describes) != "[100 100 50]" {
		t.Fatalf("DescribeTasks calls of %v tasks; want [100 100 50]", f.describes)
	}
	if len(*seen) != 1 || (*seen)[0].Status.Phase != corev1.PodFailed || !strings.Contains((*seen)[0].Status.Message, "no longer knows") {
		t.Fatalf("notifications %d; want one Failed pod for the vanished task", len(*seen))
	}
}

func TestLogsTailTimestampsAndFollow(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := newFakeECS()
	logs := &fakeLogs{}
	p, _ := testProvider(t, "node-a", f, logs)
	pod := testPod()
	if err := p.CreatePod(ctx, pod); err != nil {
		t.Fatal(err)
	}
	logs.stream = "web/main/" + taskID(f.order[0])
	read := func(opts api.ContainerLogOpts) string {
		r, err := p.GetContainerLogs(ctx, "ns", "web.1", "main", opts)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r)
		return string(b)
	}
	if got := read(api.ContainerLogOpts{}); got != "" {
		t.Fatalf("an empty stream gave %q", got)
	}
	for _, line := range []string{"one", "two", "three"} {
		logs.append(line)
	}
	if got := read(api.ContainerLogOpts{}); got != "one\ntwo\nthree\n" {
		t.Fatalf("all: %q", got)
	}
	if got := read(api.ContainerLogOpts{Tail: 2}); got != "two\nthree\n" {
		t.Fatalf("tail 2: %q", got)
	}
	if got := read(api.ContainerLogOpts{Tail: 1, Timestamps: true}); got != "1970-01-01T00:00:02Z three\n" {
		t.Fatalf("timestamps: %q", got)
	}
	if got := read(api.ContainerLogOpts{LimitBytes: 6}); got != "one\ntw" {
		t.Fatalf("limit bytes: %q", got)
	}
	if _, err := p.GetContainerLogs(ctx, "ns", "web.1", "nope", api.ContainerLogOpts{}); !errdefs.IsNotFound(err) {
		t.Fatalf("unknown container: %v", err)
	}

	r, err := p.GetContainerLogs(ctx, "ns", "web.1", "main", api.ContainerLogOpts{Follow: true, Tail: 1})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	time.Sleep(1500 * time.Millisecond)
	logs.append("four")
	time.Sleep(1500 * time.Millisecond)
	f.set(f.order[0], "STOPPED")
	p.refresh(ctx)
	select {
	case got := <-done:
		if got != "three\nfour\n" {
			t.Fatalf("follow: %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("follow did not end after the task stopped")
	}
}

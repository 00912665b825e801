package provider

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	corev1 "k8s.io/api/core/v1"
)

// fakeECS keeps tasks in memory as ECS would, enough for the provider.
type fakeECS struct {
	mu          sync.Mutex
	tasks       map[string]*types.Task // by ARN, in creation order below
	order       []string
	defs        map[string]*ecs.RegisterTaskDefinitionInput
	deregs      []string
	runs        int
	describes   []int // tasks per DescribeTasks call
	runErr      error
	startedBy   map[string]string // task ARN -> startedBy
	nextID      int
	stopReasons map[string]string
}

func newFakeECS() *fakeECS {
	return &fakeECS{
		tasks: map[string]*types.Task{}, defs: map[string]*ecs.RegisterTaskDefinitionInput{},
		startedBy: map[string]string{}, stopReasons: map[string]string{},
	}
}

// add puts a RUNNING task with tags into the fake, as if started earlier.
func (f *fakeECS) add(startedBy string, tags map[string]string, status, desired string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	arn := fmt.Sprintf("arn:aws:ecs:us-east-1:1:task/pods/t%d", f.nextID)
	t := &types.Task{
		TaskArn: aws.String(arn), LastStatus: aws.String(status), DesiredStatus: aws.String(desired),
		TaskDefinitionArn: aws.String("arn:def/" + arn),
		Containers:        []types.Container{{Name: aws.String("main"), Image: aws.String("nginx")}},
		Attachments: []types.Attachment{{Type: aws.String("ElasticNetworkInterface"), Details: []types.KeyValuePair{
			{Name: aws.String("privateIPv4Address"), Value: aws.String(fmt.Sprintf("10.0.0.%d", f.nextID))},
		}}},
	}
	for k, v := range tags {
		t.Tags = append(t.Tags, types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	f.tasks[arn] = t
	f.order = append(f.order, arn)
	f.startedBy[arn] = startedBy
	return arn
}

func (f *fakeECS) RegisterTaskDefinition(_ context.Context, in *ecs.RegisterTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	arn := "arn:aws:ecs:us-east-1:1:task-definition/" + aws.ToString(in.Family) + ":1"
	f.defs[arn] = in
	return &ecs.RegisterTaskDefinitionOutput{TaskDefinition: &types.TaskDefinition{TaskDefinitionArn: aws.String(arn)}}, nil
}

func (f *fakeECS) DeregisterTaskDefinition(_ context.Context, in *ecs.DeregisterTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DeregisterTaskDefinitionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deregs = append(f.deregs, aws.ToString(in.TaskDefinition))
	return &ecs.DeregisterTaskDefinitionOutput{}, nil
}

func (f *fakeECS) RunTask(_ context.Context, in *ecs.RunTaskInput, _ ...func(*ecs.Options)) (*ecs.RunTaskOutput, error) {
	if f.runErr != nil {
		return nil, f.runErr
	}
	tags := map[string]string{}
	for _, t := range in.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	arn := f.add(aws.ToString(in.StartedBy), tags, "PROVISIONING", "RUNNING")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runs++
	f.tasks[arn].TaskDefinitionArn = in.TaskDefinition
	return &ecs.RunTaskOutput{Tasks: []types.Task{*f.tasks[arn]}}, nil
}

func (f *fakeECS) StopTask(_ context.Context, in *ecs.StopTaskInput, _ ...func(*ecs.Options)) (*ecs.StopTaskOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.tasks[aws.ToString(in.Task)]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "InvalidParameterException", Message: "The referenced task was not found."}
	}
	t.DesiredStatus = aws.String("STOPPED")
	t.StoppedReason = in.Reason
	f.stopReasons[aws.ToString(in.Task)] = aws.ToString(in.Reason)
	return &ecs.StopTaskOutput{Task: t}, nil
}

func (f *fakeECS) DescribeTasks(_ context.Context, in *ecs.DescribeTasksInput, _ ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.describes = append(f.describes, len(in.Tasks))
	if len(in.Tasks) > 100 {
		return nil, &smithy.GenericAPIError{Code: "InvalidParameterException", Message: "at most 100 tasks"}
	}
	out := &ecs.DescribeTasksOutput{}
	for _, arn := range in.Tasks {
		if t, ok := f.tasks[arn]; ok {
			out.Tasks = append(out.Tasks, *t)
		} else {
			out.Failures = append(out.Failures, types.Failure{Arn: aws.String(arn), Reason: aws.String("MISSING")})
		}
	}
	return out, nil
}

func (f *fakeECS) ListTasks(_ context.Context, in *ecs.ListTasksInput, _ ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &ecs.ListTasksOutput{}
	for _, arn := range f.order {
		if in.StartedBy == nil || f.startedBy[arn] == aws.ToString(in.StartedBy) {
			out.TaskArns = append(out.TaskArns, arn)
		}
	}
	return out, nil
}

func (f *fakeECS) set(arn, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tasks[arn].LastStatus = aws.String(status)
}

// fakeLogs serves one stream's events, pages of `page` events.
type fakeLogs struct {
	mu     sync.Mutex
	stream string
	events []logtypes.OutputLogEvent
}

func (l *fakeLogs) append(msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, logtypes.OutputLogEvent{Message: aws.String(msg), Timestamp: aws.Int64(int64(len(l.events)) * 1000)})
}

func (l *fakeLogs) GetLogEvents(_ context.Context, in *cloudwatchlogs.GetLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if aws.ToString(in.LogStreamName) != l.stream {
		return nil, &logtypes.ResourceNotFoundException{Message: aws.String("The specified log stream does not exist.")}
	}
	from := 0
	if in.NextToken != nil {
		fmt.Sscanf(aws.ToString(in.NextToken), "f/%d", &from)
	}
	to := len(l.events)
	if in.NextToken == nil && !aws.ToBool(in.StartFromHead) && in.Limit != nil {
		from = max(0, to-int(*in.Limit))
	}
	return &cloudwatchlogs.GetLogEventsOutput{
		Events:           append([]logtypes.OutputLogEvent(nil), l.events[from:to]...),
		NextForwardToken: aws.String(fmt.Sprintf("f/%d", to)),
	}, nil
}

func testProvider(t *testing.T, node string, f *fakeECS, logs LogsAPI) (*Provider, *[]*corev1.Pod) {
	t.Helper()
	cfg := testConfig(t)
	env := func(context.Context, *corev1.Pod, string) (*corev1.Container, error) {
		return nil, fmt.Errorf("no host in this test")
	}
	p := New(cfg, &Clients{ECS: f, Logs: logs, Region: "us-east-1"}, node, env, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var mu sync.Mutex
	var seen []*corev1.Pod
	p.notify = func(pod *corev1.Pod) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, pod)
	}
	return p, &seen
}

func tags(node, ns, name, uid string) map[string]string {
	return map[string]string{TagNode: node, TagNamespace: ns, TagName: name, TagUID: uid}
}

package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/virtual-kubelet/virtual-kubelet/errdefs"
	"github.com/virtual-kubelet/virtual-kubelet/node/api"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// followInterval is how often a followed stream is read again.
const followInterval = time.Second

// LogStream is the awslogs stream of container in the task taskArn:
// <prefix>/<container>/<task id>.
func LogStream(prefix, container, taskArn string) string {
	return prefix + "/" + container + "/" + taskID(taskArn)
}

// GetContainerLogs reads the container's CloudWatch Logs stream, honoring
// tail, since, timestamps, limitBytes and follow (polling the stream with
// its forward token until the task stops or the caller goes away).
func (p *Provider) GetContainerLogs(ctx context.Context, namespace, podName, containerName string, opts api.ContainerLogOpts) (io.ReadCloser, error) {
	if p.cfg.CloudWatchLogGroupName == "" {
		return nil, status.Error(codes.FailedPrecondition, "container logs are not configured: set CloudWatchLogGroupName in the plugin's configuration file")
	}
	pod, err := p.GetPod(ctx, namespace, podName)
	if err != nil {
		return nil, err
	}
	known := false
	for _, c := range pod.Spec.Containers {
		known = known || c.Name == containerName
	}
	if !known {
		return nil, errdefs.NotFoundf("pod %s/%s has no container %s", namespace, podName, containerName)
	}
	p.mu.Lock()
	e := p.pods[key(namespace, podName)]
	p.mu.Unlock()
	if e == nil {
		return nil, errdefs.NotFoundf("pod %s/%s has no Fargate task here", namespace, podName)
	}
	r := &logReader{
		p:      p,
		group:  p.cfg.CloudWatchLogGroupName,
		stream: LogStream(p.cfg.CloudWatchLogStreamPrefix, containerName, e.taskArn),
		opts:   opts,
		key:    key(namespace, podName),
		uid:    string(pod.UID),
	}
	if opts.Previous {
		// A Fargate task never restarts a container: there is no previous one.
		return io.NopCloser(strings.NewReader("")), nil
	}
	// The first page is read now, so a failure is the call's error.
	first, err := r.initial(ctx)
	if err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(r.run(ctx, pw, first)) }()
	return pr, nil
}

type logReader struct {
	p      *Provider
	group  string
	stream string
	opts   api.ContainerLogOpts
	key    string
	uid    string
	token  *string
	budget int // bytes left under LimitBytes; 0: no limit
}

// initial is the first lines to write: the last Tail events, or from the
// since time (or the start) up to now.
func (r *logReader) initial(ctx context.Context) ([]logtypes.OutputLogEvent, error) {
	r.budget = r.opts.LimitBytes
	in := &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(r.group), LogStreamName: aws.String(r.stream)}
	since := r.opts.SinceTime
	if r.opts.SinceSeconds > 0 {
		since = time.Now().Add(-time.Duration(r.opts.SinceSeconds) * time.Second)
	}
	if !since.IsZero() {
		in.StartTime = aws.Int64(since.UnixMilli())
	}
	if r.opts.Tail > 0 && since.IsZero() {
		// Newest page first: the last Tail events.
		in.Limit = aws.Int32(int32(min(r.opts.Tail, 10000)))
		in.StartFromHead = aws.Bool(false)
		out, err := r.p.clients.Logs.GetLogEvents(ctx, in)
		if err != nil {
			return r.missing(err)
		}
		r.token = out.NextForwardToken
		return out.Events, nil
	}
	in.StartFromHead = aws.Bool(true)
	var events []logtypes.OutputLogEvent
	for {
		out, err := r.p.clients.Logs.GetLogEvents(ctx, in)
		if err != nil {
			return r.missing(err)
		}
		events = append(events, out.Events...)
		same := r.token != nil && aws.ToString(out.NextForwardToken) == aws.ToString(r.token)
		r.token = out.NextForwardToken
		if len(out.Events) == 0 || same || r.token == nil {
			break
		}
		in.NextToken = r.token
		in.StartTime = nil
	}
	if r.opts.Tail > 0 && len(events) > r.opts.Tail {
		events = events[len(events)-r.opts.Tail:]
	}
	return events, nil
}

// missing: a stream that does not exist yet (the container wrote nothing)
// has no lines; other errors are the call's.
func (r *logReader) missing(err error) ([]logtypes.OutputLogEvent, error) {
	var notFound *logtypes.ResourceNotFoundException
	if errors.As(err, &notFound) {
		r.token = nil
		return nil, nil
	}
	return nil, AWSStatus("GetLogEvents", err)
}

// run writes the first events and, when following, what arrives later.
func (r *logReader) run(ctx context.Context, w io.Writer, first []logtypes.OutputLogEvent) error {
	if done, err := r.write(w, first); done || err != nil {
		return err
	}
	if !r.opts.Follow {
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(followInterval):
		}
		stopped := r.stopped()
		events, err := r.next(ctx)
		if err != nil {
			return err
		}
		if done, err := r.write(w, events); done || err != nil {
			return err
		}
		if stopped && len(events) == 0 {
			return nil
		}
	}
}

// next reads the events after the forward token.
func (r *logReader) next(ctx context.Context) ([]logtypes.OutputLogEvent, error) {
	in := &cloudwatchlogs.GetLogEventsInput{
		LogGroupName:  aws.String(r.group),
		LogStreamName: aws.String(r.stream),
		StartFromHead: aws.Bool(true),
		NextToken:     r.token,
	}
	if r.token == nil {
		since := r.opts.SinceTime
		if r.opts.SinceSeconds > 0 {
			since = time.Now().Add(-time.Duration(r.opts.SinceSeconds) * time.Second)
		}
		if !since.IsZero() {
			in.StartTime = aws.Int64(since.UnixMilli())
		}
	}
	out, err := r.p.clients.Logs.GetLogEvents(ctx, in)
	if err != nil {
		return r.missing(err)
	}
	r.token = out.NextForwardToken
	return out.Events, nil
}

// stopped: the pod's task has stopped or the pod is gone (the stream gets
// no more lines).
func (r *logReader) stopped() bool {
	r.p.mu.Lock()
	defer r.p.mu.Unlock()
	e, ok := r.p.pods[r.key]
	if !ok || string(e.pod.UID) != r.uid {
		return true
	}
	return terminalPhase(e.pod.Status.Phase)
}

// write writes events as lines; done when LimitBytes is reached.
func (r *logReader) write(w io.Writer, events []logtypes.OutputLogEvent) (bool, error) {
	for _, ev := range events {
		line := aws.ToString(ev.Message)
		if !strings.HasSuffix(line, "\n") {
			line += "\n"
		}
		if r.opts.Timestamps {
			line = time.UnixMilli(aws.ToInt64(ev.Timestamp)).UTC().Format(time.RFC3339Nano) + " " + line
		}
		if r.opts.LimitBytes > 0 {
			if r.budget <= 0 {
				return true, nil
			}
			if len(line) > r.budget {
				line = line[:r.budget]
			}
			r.budget -= len(line)
		}
		if _, err := io.WriteString(w, line); err != nil {
			return true, fmt.Errorf("writing the log: %w", err)
		}
	}
	return r.opts.LimitBytes > 0 && r.budget <= 0, nil
}

package provider

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/virtual-kubelet/virtual-kubelet/errdefs"
	"github.com/virtual-kubelet/virtual-kubelet/node/api"
)

// A simulated container's log: first the lines about the Secrets read at
// create, then `<namespace>/<pod>/<container> tick N` once per
// LogInterval of the container's age. It is computed from the start time,
// so it is the same after a restart of the plugin.
type logSource struct {
	name     string
	started  time.Time
	interval time.Duration
	preface  []string
}

// line i of the log and when it was written.
func (s logSource) line(i int) (string, time.Time) {
	if i < len(s.preface) {
		return s.preface[i], s.started
	}
	n := i - len(s.preface)
	return fmt.Sprintf("%s tick %d", s.name, n), s.started.Add(time.Duration(n) * s.interval)
}

// count is how many lines exist at now.
func (s logSource) count(now time.Time) int {
	if now.Before(s.started) {
		return len(s.preface) + 1
	}
	return len(s.preface) + int(now.Sub(s.started)/s.interval) + 1
}

// GetContainerLogs streams the container's log: tail, since, timestamps,
// limit and follow (until the pod is deleted or the reader closed).
func (p *Provider) GetContainerLogs(ctx context.Context, namespace, podName, containerName string, opts api.ContainerLogOpts) (io.ReadCloser, error) {
	source, err := p.logSource(namespace, podName, containerName)
	if err != nil {
		return nil, err
	}
	if opts.Previous {
		return nil, errdefs.NotFoundf("container %s of pod %s/%s has no previous instance", containerName, namespace, podName)
	}
	first := 0
	if opts.Tail > 0 {
		first = max(0, source.count(time.Now())-opts.Tail)
	}
	reader, writer := io.Pipe()
	go func() {
		written := 0
		for i := first; ; i++ {
			for !opts.Follow && i >= source.count(time.Now()) {
				writer.Close()
				return
			}
			if !p.waitForLine(ctx, source, i, namespace, podName) {
				writer.Close()
				return
			}
			text, at := source.line(i)
			if !opts.SinceTime.IsZero() && at.Before(opts.SinceTime) {
				continue
			}
			var line bytes.Buffer
			if opts.Timestamps {
				line.WriteString(at.UTC().Format(time.RFC3339Nano) + " ")
			}
			line.WriteString(text + "\n")
			data := line.Bytes()
			if opts.LimitBytes > 0 && written+len(data) > opts.LimitBytes {
				data = data[:opts.LimitBytes-written]
			}
			n, err := writer.Write(data)
			written += n
			if err != nil || (opts.LimitBytes > 0 && written >= opts.LimitBytes) {
				writer.Close()
				return
			}
		}
	}()
	return reader, nil
}

// waitForLine waits until line i exists; false when the pod is gone or
// ctx ended first.
func (p *Provider) waitForLine(ctx context.Context, source logSource, i int, namespace, podName string) bool {
	for i >= source.count(time.Now()) {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(source.interval / 4):
		}
		if _, err := p.GetPod(ctx, namespace, podName); err != nil {
			return false
		}
	}
	return true
}

func (p *Provider) logSource(namespace, podName, containerName string) (logSource, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	record, ok := p.state.Pods[key(namespace, podName)]
	if !ok {
		return logSource{}, errdefs.NotFoundf("pod %s/%s is not running here", namespace, podName)
	}
	for _, s := range record.Pod.Status.ContainerStatuses {
		if s.Name == containerName && s.State.Running != nil {
			return logSource{
				name:     fmt.Sprintf("%s/%s/%s", namespace, podName, containerName),
				started:  s.State.Running.StartedAt.Time,
				interval: p.cfg.LogInterval,
				preface:  record.SecretLines,
			}, nil
		}
	}
	return logSource{}, errdefs.NotFoundf("pod %s/%s has no running container %s", namespace, podName, containerName)
}

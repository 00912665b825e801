package vkplugin

import (
	"context"
	"encoding/json"
	"log/slog"
	"math/bits"
	"sync"

	corev1 "k8s.io/api/core/v1"

	pb "github.com/vk-host/vk-host/plugin-sdk/go/providerv1"
)

// defaultFeedCapacity is how many updates wait at most while the host is
// not reading (the proto's "Streams": the SDKs keep 4096).
const defaultFeedCapacity = 4096

// statusFeed carries what the provider's NotifyPods callback reports to the
// host's WatchPodStatus stream, and keeps it while no stream is attached:
// the host holds one stream per plugin instance and opens a new one after
// any break. Updates wait in a bounded FIFO; when it is full the oldest is
// dropped and counted. A newer stream takes over from an older one, which
// ends. The callback never blocks.
type statusFeed struct {
	mu       sync.Mutex
	queue    []*pb.PodStatusEvent
	capacity int
	consumer uint64        // the stream that may take updates
	dropped  uint64        // updates lost to a full buffer
	wake     chan struct{} // closed (and replaced) on every change
	log      *slog.Logger
}

func newStatusFeed(capacity int, log *slog.Logger) *statusFeed {
	return &statusFeed{capacity: max(capacity, 1), wake: make(chan struct{}), log: log}
}

// send queues an update; never blocks.
func (f *statusFeed) send(event *pb.PodStatusEvent) {
	f.mu.Lock()
	f.queue = append(f.queue, event)
	var dropped uint64
	if len(f.queue) > f.capacity {
		f.queue[0] = nil
		f.queue = f.queue[1:]
		f.dropped++
		dropped = f.dropped
	}
	f.notifyLocked()
	f.mu.Unlock()
	if dropped > 0 && bits.OnesCount64(dropped) == 1 {
		f.log.Warn("the host is not reading pod status updates; dropped the oldest",
			"dropped_total", dropped, "capacity", f.capacity)
	}
}

// requeue puts back an update a stream could not send, first in line.
func (f *statusFeed) requeue(event *pb.PodStatusEvent) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.queue) < f.capacity {
		f.queue = append([]*pb.PodStatusEvent{event}, f.queue...)
		f.notifyLocked()
	}
}

// subscribe makes the caller the one stream taking updates; an older one
// ends at its next wait.
func (f *statusFeed) subscribe() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.consumer++
	f.notifyLocked()
	return f.consumer
}

// next is the next update for stream id; false once a newer stream took
// over or ctx ended.
func (f *statusFeed) next(ctx context.Context, id uint64) (*pb.PodStatusEvent, bool) {
	for {
		f.mu.Lock()
		if f.consumer != id {
			f.mu.Unlock()
			return nil, false
		}
		if len(f.queue) > 0 {
			event := f.queue[0]
			f.queue[0] = nil
			f.queue = f.queue[1:]
			f.mu.Unlock()
			return event, true
		}
		wake := f.wake
		f.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, false
		}
	}
}

// pending is the number of updates waiting.
func (f *statusFeed) pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.queue)
}

func (f *statusFeed) notifyLocked() {
	close(f.wake)
	f.wake = make(chan struct{})
}

// statusEvent is the protocol's event for a pod the provider reported.
func statusEvent(pod *corev1.Pod) *pb.PodStatusEvent {
	event := &pb.PodStatusEvent{Pod: &pb.PodRef{Namespace: pod.Namespace, Name: pod.Name, Uid: string(pod.UID)}}
	// A PodStatus always encodes; the error case cannot happen.
	event.Status, _ = json.Marshal(&pod.Status)
	return event
}

package vkplugin

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func event(name string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID("uid-" + name)},
		Status: corev1.PodStatus{Phase: corev1.PodRunning}}
}

func nextName(t *testing.T, f *statusFeed, id uint64) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ev, ok := f.next(ctx, id)
	if !ok {
		return "", false
	}
	return ev.GetPod().GetName(), true
}

func TestUpdatesSentWithoutAStreamAreDeliveredWhenOneAttaches(t *testing.T) {
	f := newStatusFeed(8, quietLog())
	f.send(statusEvent(event("a")))
	f.send(statusEvent(event("b")))
	id := f.subscribe()
	for _, want := range []string{"a", "b"} {
		if got, _ := nextName(t, f, id); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

func TestANewerStreamTakesOverAndNothingIsLost(t *testing.T) {
	f := newStatusFeed(8, quietLog())
	first := f.subscribe()
	f.send(statusEvent(event("a")))
	if got, _ := nextName(t, f, first); got != "a" {
		t.Fatalf("got %q", got)
	}
	f.send(statusEvent(event("b"))) // while the host reconnects
	second := f.subscribe()
	if _, ok := nextName(t, f, first); ok {
		t.Fatal("the older stream must end once a newer one is subscribed")
	}
	if got, _ := nextName(t, f, second); got != "b" {
		t.Fatalf("got %q, want b", got)
	}
}

func TestAFullBufferDropsTheOldest(t *testing.T) {
	f := newStatusFeed(2, quietLog())
	for _, name := range []string{"a", "b", "c", "d"} {
		f.send(statusEvent(event(name)))
	}
	if f.dropped != 2 || f.pending() != 2 {
		t.Fatalf("dropped %d, pending %d", f.dropped, f.pending())
	}
	id := f.subscribe()
	for _, want := range []string{"c", "d"} {
		if got, _ := nextName(t, f, id); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

func TestAnUnsentUpdateGoesBackFirstInLine(t *testing.T) {
	f := newStatusFeed(8, quietLog())
	f.send(statusEvent(event("b")))
	f.requeue(statusEvent(event("a")))
	id := f.subscribe()
	if got, _ := nextName(t, f, id); got != "a" {
		t.Fatalf("got %q, want a", got)
	}
}

func TestAWaitingStreamWakesForALaterSend(t *testing.T) {
	f := newStatusFeed(8, quietLog())
	id := f.subscribe()
	go func() {
		time.Sleep(20 * time.Millisecond)
		f.send(statusEvent(event("late")))
	}()
	if got, _ := nextName(t, f, id); got != "late" {
		t.Fatalf("got %q", got)
	}
}

func TestTheEventCarriesThePodAndItsStatus(t *testing.T) {
	ev := statusEvent(event("web"))
	ref := ev.GetPod()
	if ref.GetNamespace() != "ns" || ref.GetName() != "web" || ref.GetUid() != "uid-web" {
		t.Fatalf("pod ref %v", ref)
	}
	if string(ev.GetStatus()) != `{"phase":"Running"}` {
		t.Fatalf("status %s", ev.GetStatus())
	}
}

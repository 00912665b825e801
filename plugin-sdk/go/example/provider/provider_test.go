package provider

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/virtual-kubelet/virtual-kubelet/node/api"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	utilexec "k8s.io/utils/exec"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func testPod(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID("uid-" + name)},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "busybox"}}},
	}
}

// testIO is an api.AttachIO with stdin and stdout.
type testIO struct {
	in          io.Reader
	out, errOut bytes.Buffer
}

type buf struct{ *bytes.Buffer }

func (buf) Close() error { return nil }

func (t *testIO) Stdin() io.Reader            { return t.in }
func (t *testIO) Stdout() io.WriteCloser      { return buf{&t.out} }
func (t *testIO) Stderr() io.WriteCloser      { return buf{&t.errOut} }
func (t *testIO) TTY() bool                   { return false }
func (t *testIO) Resize() <-chan api.TermSize { return nil }

func TestTheSimulatedCommands(t *testing.T) {
	p, err := New(Config{Logger: quiet()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := p.CreatePod(ctx, testPod("web")); err != nil {
		t.Fatal(err)
	}
	run := func(stdin string, cmd ...string) (*testIO, error) {
		session := &testIO{in: strings.NewReader(stdin)}
		return session, p.RunInContainer(ctx, "ns", "web", "main", cmd, session)
	}
	if out, err := run("", "echo", "hello", "world"); err != nil || out.out.String() != "hello world\n" {
		t.Fatalf("echo: %q %v", out.out.String(), err)
	}
	if out, err := run("line 1\nline 2\n", "cat"); err != nil || out.out.String() != "line 1\nline 2\n" {
		t.Fatalf("cat: %q %v", out.out.String(), err)
	}
	_, err = run("", "sh", "-c", "exit 3")
	if exit, ok := err.(utilexec.ExitError); !ok || exit.ExitStatus() != 3 {
		t.Fatalf("sh -c 'exit 3': %v", err)
	}
	out, err := run("", "ls", "/")
	if exit, ok := err.(utilexec.ExitError); !ok || exit.ExitStatus() != 127 || !strings.Contains(out.errOut.String(), "command not found") {
		t.Fatalf("ls: %v %q", err, out.errOut.String())
	}
}

func TestARestartedProviderFindsItsPodsInTheStateFile(t *testing.T) {
	cfg := Config{StateFile: filepath.Join(t.TempDir(), "pods.json"), Logger: quiet()}
	first, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.CreatePod(context.Background(), testPod("web")); err != nil {
		t.Fatal(err)
	}
	held, _ := first.GetPod(context.Background(), "ns", "web")
	second, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	pods, _ := second.GetPods(context.Background())
	if len(pods) != 1 || pods[0].Status.PodIP != held.Status.PodIP || pods[0].Status.Phase != corev1.PodRunning {
		t.Fatalf("after a restart: %v", pods)
	}
}

func TestPodIPsComeFromTheNetworkSkippingItsFirstAddress(t *testing.T) {
	s := state{}
	network := netip.MustParsePrefix("10.9.0.0/30")
	var got []string
	for range 3 {
		ip, err := s.allocateIP(network)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ip.String())
	}
	if strings.Join(got, " ") != "10.9.0.1 10.9.0.2 10.9.0.1" {
		t.Fatalf("IPs %v", got)
	}
}

func TestTheProviderCountsItsPodsInItsOwnMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	p, err := New(Config{Logger: quiet(), Metrics: reg}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, name := range []string{"a", "b"} {
		if err := p.CreatePod(ctx, testPod(name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.DeletePod(ctx, testPod("a")); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]float64{}
	for _, f := range families {
		m := f.GetMetric()[0]
		values[f.GetName()] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
	}
	if values["go_example_pods_created_total"] != 2 || values["go_example_pods"] != 1 || len(values) != 2 {
		t.Fatalf("metrics %v", values)
	}
}

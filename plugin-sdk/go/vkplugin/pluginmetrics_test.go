package vkplugin

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"

	pb "github.com/vk-host/vk-host/plugin-sdk/go/providerv1"
)

func gathered(t *testing.T, reg *prometheus.Registry) (*pb.GetPluginMetricsResponse, []string) {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	return PluginMetricsOf(families)
}

func familyNamed(reply *pb.GetPluginMetricsResponse, name string) *pb.MetricFamily {
	for _, f := range reply.GetFamilies() {
		if f.GetName() == name {
			return f
		}
	}
	return nil
}

func names(reply *pb.GetPluginMetricsResponse) []string {
	var out []string
	for _, f := range reply.GetFamilies() {
		out = append(out, f.GetName())
	}
	return out
}

func TestPluginMetricsConvertsEachTypeFieldByField(t *testing.T) {
	reg := prometheus.NewRegistry()
	created := prometheus.NewCounter(prometheus.CounterOpts{Name: "example_pods_created_total", Help: "Pods created."})
	calls := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "example_backend_calls", Help: "Backend calls."}, []string{"method"})
	held := prometheus.NewGauge(prometheus.GaugeOpts{Name: "example_pods", Help: "Pods held."})
	untyped := prometheus.NewUntypedFunc(prometheus.UntypedOpts{Name: "example_untyped", Help: "Untyped."}, func() float64 { return 7 })
	latency := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "example_latency_seconds", Help: "Latency.", Buckets: []float64{0.1, 1}})
	sizes := prometheus.NewSummary(prometheus.SummaryOpts{Name: "example_size_bytes", Help: "Sizes.", Objectives: map[float64]float64{0.5: 0.05}})
	reg.MustRegister(created, calls, held, untyped, latency, sizes)

	created.Add(3)
	calls.WithLabelValues("create").Add(2)
	calls.WithLabelValues("delete").Inc()
	held.Set(4.5)
	latency.Observe(0.05)
	latency.Observe(0.5)
	latency.Observe(5)
	sizes.Observe(10)
	sizes.Observe(30)

	reply, notes := gathered(t, reg)
	if len(notes) != 0 {
		t.Fatalf("notes: %v", notes)
	}
	want := []string{"example_backend_calls", "example_latency_seconds", "example_pods", "example_pods_created",
		"example_size_bytes", "example_size_bytes_sum", "example_size_bytes_count", "example_untyped"}
	if got := names(reply); !slices.Equal(got, want) {
		t.Fatalf("families %v, want %v", got, want)
	}

	f := familyNamed(reply, "example_pods_created")
	if f.GetType() != pb.MetricType_METRIC_TYPE_COUNTER || f.GetHelp() != "Pods created." || len(f.GetMetrics()) != 1 || f.GetMetrics()[0].GetValue() != 3 {
		t.Fatalf("counter named _total: %v", f)
	}
	f = familyNamed(reply, "example_backend_calls")
	if f.GetType() != pb.MetricType_METRIC_TYPE_COUNTER || len(f.GetMetrics()) != 2 {
		t.Fatalf("counter vec: %v", f)
	}
	values := map[string]float64{}
	for _, m := range f.GetMetrics() {
		values[m.GetLabels()["method"]] = m.GetValue()
	}
	if values["create"] != 2 || values["delete"] != 1 {
		t.Fatalf("counter vec values: %v", values)
	}
	f = familyNamed(reply, "example_pods")
	if f.GetType() != pb.MetricType_METRIC_TYPE_GAUGE || f.GetMetrics()[0].GetValue() != 4.5 || len(f.GetMetrics()[0].GetLabels()) != 0 {
		t.Fatalf("gauge: %v", f)
	}
	f = familyNamed(reply, "example_untyped")
	if f.GetType() != pb.MetricType_METRIC_TYPE_GAUGE || f.GetMetrics()[0].GetValue() != 7 {
		t.Fatalf("untyped: %v", f)
	}
	f = familyNamed(reply, "example_latency_seconds")
	h := f.GetMetrics()[0].GetHistogram()
	if f.GetType() != pb.MetricType_METRIC_TYPE_HISTOGRAM || h.GetSampleCount() != 3 || h.GetSampleSum() != 5.55 {
		t.Fatalf("histogram: %v", f)
	}
	if len(h.GetBuckets()) != 2 || h.GetBuckets()[0].GetUpperBound() != 0.1 || h.GetBuckets()[0].GetCumulativeCount() != 1 ||
		h.GetBuckets()[1].GetUpperBound() != 1 || h.GetBuckets()[1].GetCumulativeCount() != 2 {
		t.Fatalf("histogram buckets (cumulative, as given): %v", h.GetBuckets())
	}
	q := familyNamed(reply, "example_size_bytes")
	if q.GetType() != pb.MetricType_METRIC_TYPE_GAUGE || len(q.GetMetrics()) != 1 || q.GetMetrics()[0].GetLabels()["quantile"] != "0.5" {
		t.Fatalf("summary quantiles: %v", q)
	}
	if v := q.GetMetrics()[0].GetValue(); v != 10 && v != 30 {
		t.Fatalf("summary median %v", v)
	}
	if s := familyNamed(reply, "example_size_bytes_sum"); s.GetMetrics()[0].GetValue() != 40 {
		t.Fatalf("summary sum: %v", s)
	}
	if c := familyNamed(reply, "example_size_bytes_count"); c.GetType() != pb.MetricType_METRIC_TYPE_GAUGE || c.GetMetrics()[0].GetValue() != 2 {
		t.Fatalf("summary count: %v", c)
	}
}

func TestPluginMetricsLeavesOutWhatTheProtocolRefuses(t *testing.T) {
	gauge := func(name string, labels ...string) *dto.MetricFamily {
		m := &dto.Metric{Gauge: &dto.Gauge{Value: ptr(1.0)}}
		for i := 0; i+1 < len(labels); i += 2 {
			m.Label = append(m.Label, &dto.LabelPair{Name: ptr(labels[i]), Value: ptr(labels[i+1])})
		}
		return &dto.MetricFamily{Name: ptr(name), Type: dto.MetricType_GAUGE.Enum(), Metric: []*dto.Metric{m}}
	}
	counter := func(name string, v float64) *dto.MetricFamily {
		return &dto.MetricFamily{Name: ptr(name), Type: dto.MetricType_COUNTER.Enum(),
			Metric: []*dto.Metric{{Counter: &dto.Counter{Value: ptr(v)}}}}
	}
	reply, notes := PluginMetricsOf([]*dto.MetricFamily{
		gauge("vk_host_pods"),
		gauge("with.dot"),
		gauge("1starts_with_digit"),
		counter("dup_total", 1),
		counter("dup", 2),
		gauge("labelled", "ok", "1", "bad-name", "2"),
		gauge("labelled_fine", "plugin", "mine"),
		{Name: ptr("empty"), Type: dto.MetricType_GAUGE.Enum()},
		counter("_total", 1),
		nil,
	})
	if got, want := names(reply), []string{"dup", "labelled_fine"}; !slices.Equal(got, want) {
		t.Fatalf("families %v, want %v", got, want)
	}
	if v := familyNamed(reply, "dup").GetMetrics()[0].GetValue(); v != 1 {
		t.Fatalf("the first of two families with one name wins: %v", v)
	}
	if familyNamed(reply, "labelled_fine").GetMetrics()[0].GetLabels()["plugin"] != "mine" {
		t.Fatal("the plugin label is the host's to replace")
	}
	joined := strings.Join(notes, "\n")
	for _, want := range []string{`"vk_host_pods": vk_host_ names`, `"with.dot": the name is not`, `"1starts_with_digit"`,
		`"dup": a second family named dup`, `label name "bad-name"`, `"_total": the name is not`} {
		if !strings.Contains(joined, want) {
			t.Errorf("no note about %s in:\n%s", want, joined)
		}
	}
	if len(notes) != 6 {
		t.Errorf("%d notes: %s", len(notes), joined)
	}
}

func TestPluginMetricsKeepsToTheLimits(t *testing.T) {
	var families []*dto.MetricFamily
	for i := range MaxPluginMetricFamilies + 20 {
		families = append(families, &dto.MetricFamily{Name: ptr(fmt.Sprintf("f%03d", i)), Type: dto.MetricType_GAUGE.Enum(),
			Metric: []*dto.Metric{{Gauge: &dto.Gauge{Value: ptr(float64(i))}}}})
	}
	reply, notes := PluginMetricsOf(families)
	if len(reply.GetFamilies()) != MaxPluginMetricFamilies || reply.GetFamilies()[MaxPluginMetricFamilies-1].GetName() != "f199" {
		t.Fatalf("%d families", len(reply.GetFamilies()))
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "200 families (20 metrics left out)") {
		t.Fatalf("notes %v", notes)
	}

	big := &dto.MetricFamily{Name: ptr("big"), Type: dto.MetricType_COUNTER.Enum()}
	for i := range 3000 {
		big.Metric = append(big.Metric, &dto.Metric{
			Label:   []*dto.LabelPair{{Name: ptr("n"), Value: ptr(fmt.Sprint(i))}},
			Counter: &dto.Counter{Value: ptr(float64(i))},
		})
	}
	reply, notes = PluginMetricsOf([]*dto.MetricFamily{big, big, big})
	total := 0
	for _, f := range reply.GetFamilies() {
		total += len(f.GetMetrics())
	}
	// The second "big" is a duplicate; the third too: 3000 kept.
	if total != 3000 {
		t.Fatalf("%d metrics", total)
	}
	other := &dto.MetricFamily{Name: ptr("other"), Type: dto.MetricType_COUNTER.Enum(), Metric: big.Metric}
	third := &dto.MetricFamily{Name: ptr("third"), Type: dto.MetricType_COUNTER.Enum(), Metric: big.Metric}
	reply, notes = PluginMetricsOf([]*dto.MetricFamily{big, other, third})
	total = 0
	for _, f := range reply.GetFamilies() {
		total += len(f.GetMetrics())
	}
	if total != MaxPluginMetricSamples || len(reply.GetFamilies()) != 2 || len(reply.GetFamilies()[1].GetMetrics()) != 2000 {
		t.Fatalf("%d metrics in %d families", total, len(reply.GetFamilies()))
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "5000 metrics (4000 metrics left out)") {
		t.Fatalf("notes %v", notes)
	}
}

func TestServeDeclaresAndAnswersPluginMetrics(t *testing.T) {
	for _, withMetrics := range []bool{true, false} {
		t.Run(fmt.Sprint("metrics=", withMetrics), func(t *testing.T) {
			launch := testLaunch(t)
			reg := prometheus.NewRegistry()
			created := prometheus.NewCounter(prometheus.CounterOpts{Name: "mem_pods_created_total", Help: "Pods created."})
			reg.MustRegister(created)
			created.Add(2)
			opts := Options{Name: "mem", Version: "1", Launch: &launch, Logger: quietLog()}
			if withMetrics {
				opts.Metrics = reg
			}
			ctx, cancel := context.WithCancel(context.Background())
			served := make(chan error, 1)
			go func() { served <- Serve(ctx, &memHandler{pods: map[string]*corev1.Pod{}}, opts) }()
			defer func() {
				cancel()
				select {
				case <-served:
				case <-time.After(10 * time.Second):
					t.Error("Serve did not return")
				}
			}()
			waitForSocket(t, launch.PluginSocket)
			conn := dial(t, launch.PluginSocket)
			hello, err := pb.NewPluginIdentityClient(conn).Handshake(authorized(t), &pb.HandshakeRequest{ProtocolVersions: []uint32{1}, NodeName: "vk"})
			if err != nil {
				t.Fatal(err)
			}
			declared := slices.Contains(hello.GetCapabilities(), pb.Capability_CAPABILITY_PLUGIN_METRICS)
			if declared != withMetrics {
				t.Fatalf("capabilities %v", hello.GetCapabilities())
			}
			reply, err := pb.NewPodLifecycleClient(conn).GetPluginMetrics(authorized(t), &pb.GetPluginMetricsRequest{})
			if !withMetrics {
				if status.Code(err) != codes.Unimplemented {
					t.Fatalf("without Options.Metrics: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(reply.GetFamilies()) != 1 || reply.GetFamilies()[0].GetName() != "mem_pods_created" ||
				reply.GetFamilies()[0].GetType() != pb.MetricType_METRIC_TYPE_COUNTER || reply.GetFamilies()[0].GetMetrics()[0].GetValue() != 2 {
				t.Fatalf("reply %v", reply)
			}
		})
	}
}

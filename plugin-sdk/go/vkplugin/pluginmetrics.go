package vkplugin

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/vk-host/vk-host/plugin-sdk/go/providerv1"
)

// The protocol's limits on one GetPluginMetricsResponse.
const (
	MaxPluginMetricFamilies = 200
	MaxPluginMetricSamples  = 5000
)

var (
	metricNameRE = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelNameRE  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// hostMetricPrefix names the host's own families, which a plugin may not use.
const hostMetricPrefix = "vk_host_"

// PluginMetricsOf converts what a prometheus.Gatherer gathered into the
// protocol's GetPluginMetricsResponse, family by family and field by field:
//
//   - COUNTER: the value; a `_total` suffix of the family name is removed
//     (client_golang keeps the name as given, and the host adds `_total`),
//     so `pods_created_total` and `pods_created` both arrive as
//     `pods_created` and are exported as `pods_created_total`;
//   - GAUGE, and UNTYPED as a GAUGE: the value;
//   - HISTOGRAM (and GAUGE_HISTOGRAM): count, sum and the cumulative
//     buckets as given (a native histogram without classic buckets keeps
//     its count and sum only);
//   - SUMMARY: the series Prometheus would show for it, as three gauge
//     families: NAME with a `quantile` label per quantile, NAME_sum and
//     NAME_count.
//
// Timestamps and exemplars are dropped. What the protocol does not accept
// is left out and described in the returned notes, one per reason: a name
// that is not `[a-zA-Z_:][a-zA-Z0-9_:]*` or starts with `vk_host_`, a
// second family of the same name, a metric with a label name that is not
// `[a-zA-Z_][a-zA-Z0-9_]*`, and whatever is over the limits (200 families,
// 5000 metrics in all; the families are taken in the order given, which
// for a Gatherer is by name). The label `plugin` is kept as given: the
// host replaces it with the plugin's name.
func PluginMetricsOf(families []*dto.MetricFamily) (*pb.GetPluginMetricsResponse, []string) {
	c := converter{reply: &pb.GetPluginMetricsResponse{}, seen: map[string]bool{}, dropped: map[string]int{}}
	for _, family := range families {
		if family == nil {
			continue
		}
		name := family.GetName()
		switch family.GetType() {
		case dto.MetricType_COUNTER:
			c.add(strings.TrimSuffix(name, "_total"), family, pb.MetricType_METRIC_TYPE_COUNTER, func(m *dto.Metric) *pb.Metric {
				return &pb.Metric{Value: m.GetCounter().GetValue()}
			})
		case dto.MetricType_GAUGE:
			c.add(name, family, pb.MetricType_METRIC_TYPE_GAUGE, func(m *dto.Metric) *pb.Metric {
				return &pb.Metric{Value: m.GetGauge().GetValue()}
			})
		case dto.MetricType_UNTYPED:
			c.add(name, family, pb.MetricType_METRIC_TYPE_GAUGE, func(m *dto.Metric) *pb.Metric {
				return &pb.Metric{Value: m.GetUntyped().GetValue()}
			})
		case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
			c.add(name, family, pb.MetricType_METRIC_TYPE_HISTOGRAM, func(m *dto.Metric) *pb.Metric {
				return &pb.Metric{Histogram: histogramOf(m.GetHistogram())}
			})
		case dto.MetricType_SUMMARY:
			c.summary(family)
		default:
			c.drop(fmt.Sprintf("family %q: type %s has no place in the protocol", name, family.GetType()), len(family.GetMetric()))
		}
	}
	return c.reply, c.notes()
}

func histogramOf(h *dto.Histogram) *pb.Histogram {
	if h == nil {
		return &pb.Histogram{}
	}
	count := h.GetSampleCount()
	if count == 0 && h.GetSampleCountFloat() > 0 {
		count = uint64(h.GetSampleCountFloat())
	}
	out := &pb.Histogram{SampleCount: count, SampleSum: h.GetSampleSum()}
	for _, b := range h.GetBucket() {
		cumulative := b.GetCumulativeCount()
		if cumulative == 0 && b.GetCumulativeCountFloat() > 0 {
			cumulative = uint64(b.GetCumulativeCountFloat())
		}
		out.Buckets = append(out.Buckets, &pb.Bucket{CumulativeCount: cumulative, UpperBound: b.GetUpperBound()})
	}
	return out
}

// summary maps a summary family to the gauge families of its series.
func (c *converter) summary(family *dto.MetricFamily) {
	name := family.GetName()
	help := family.GetHelp()
	var quantiles, sums, counts []*dto.Metric
	for _, m := range family.GetMetric() {
		s := m.GetSummary()
		for _, q := range s.GetQuantile() {
			labels := append(append([]*dto.LabelPair(nil), m.GetLabel()...), &dto.LabelPair{
				Name: ptr("quantile"), Value: ptr(formatFloat(q.GetQuantile())),
			})
			quantiles = append(quantiles, &dto.Metric{Label: labels, Gauge: &dto.Gauge{Value: ptr(q.GetValue())}})
		}
		sums = append(sums, &dto.Metric{Label: m.GetLabel(), Gauge: &dto.Gauge{Value: ptr(s.GetSampleSum())}})
		counts = append(counts, &dto.Metric{Label: m.GetLabel(), Gauge: &dto.Gauge{Value: ptr(float64(s.GetSampleCount()))}})
	}
	gauge := func(m *dto.Metric) *pb.Metric { return &pb.Metric{Value: m.GetGauge().GetValue()} }
	if len(quantiles) > 0 {
		c.add(name, &dto.MetricFamily{Name: ptr(name), Help: ptr(help), Metric: quantiles}, pb.MetricType_METRIC_TYPE_GAUGE, gauge)
	}
	c.add(name+"_sum", &dto.MetricFamily{Name: ptr(name + "_sum"), Help: ptr(help), Metric: sums}, pb.MetricType_METRIC_TYPE_GAUGE, gauge)
	c.add(name+"_count", &dto.MetricFamily{Name: ptr(name + "_count"), Help: ptr(help), Metric: counts}, pb.MetricType_METRIC_TYPE_GAUGE, gauge)
}

// formatFloat writes a quantile as Prometheus' text format does.
func formatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	case math.IsNaN(f):
		return "NaN"
	}
	return fmt.Sprint(f)
}

type converter struct {
	reply   *pb.GetPluginMetricsResponse
	samples int
	seen    map[string]bool
	dropped map[string]int // reason → metrics left out
	order   []string
}

func (c *converter) drop(reason string, metrics int) {
	if _, ok := c.dropped[reason]; !ok {
		c.order = append(c.order, reason)
	}
	c.dropped[reason] += metrics
}

func (c *converter) notes() []string {
	notes := make([]string, 0, len(c.order))
	for _, reason := range c.order {
		notes = append(notes, fmt.Sprintf("%s (%d metrics left out)", reason, c.dropped[reason]))
	}
	return notes
}

// add appends the family under name with the metrics convert makes,
// within the limits.
func (c *converter) add(name string, family *dto.MetricFamily, kind pb.MetricType, convert func(*dto.Metric) *pb.Metric) {
	metrics := family.GetMetric()
	switch {
	case !metricNameRE.MatchString(name):
		c.drop(fmt.Sprintf("family %q: the name is not [a-zA-Z_:][a-zA-Z0-9_:]*", family.GetName()), len(metrics))
		return
	case strings.HasPrefix(name, hostMetricPrefix):
		c.drop(fmt.Sprintf("family %q: vk_host_ names are the host's", family.GetName()), len(metrics))
		return
	case c.seen[name]:
		c.drop(fmt.Sprintf("family %q: a second family named %s", family.GetName(), name), len(metrics))
		return
	case len(metrics) == 0:
		return
	case len(c.reply.Families) >= MaxPluginMetricFamilies:
		c.drop(fmt.Sprintf("over the limit of %d families", MaxPluginMetricFamilies), len(metrics))
		return
	}
	out := &pb.MetricFamily{Name: name, Help: family.GetHelp(), Type: kind}
	for i, m := range metrics {
		if c.samples >= MaxPluginMetricSamples {
			c.drop(fmt.Sprintf("over the limit of %d metrics", MaxPluginMetricSamples), len(metrics)-i)
			break
		}
		labels, bad := labelsOf(m)
		if bad != "" {
			c.drop(fmt.Sprintf("family %q: label name %q is not [a-zA-Z_][a-zA-Z0-9_]*", family.GetName(), bad), 1)
			continue
		}
		converted := convert(m)
		converted.Labels = labels
		out.Metrics = append(out.Metrics, converted)
		c.samples++
	}
	if len(out.Metrics) == 0 {
		return
	}
	c.seen[name] = true
	c.reply.Families = append(c.reply.Families, out)
}

// labelsOf is the metric's labels, or the first invalid label name.
func labelsOf(m *dto.Metric) (map[string]string, string) {
	if len(m.GetLabel()) == 0 {
		return nil, ""
	}
	labels := make(map[string]string, len(m.GetLabel()))
	for _, l := range m.GetLabel() {
		if !labelNameRE.MatchString(l.GetName()) {
			return nil, l.GetName()
		}
		labels[l.GetName()] = l.GetValue()
	}
	return labels, ""
}

// pluginMetrics answers GetPluginMetrics from Options.Metrics and logs
// each reason something was left out once (the host scrapes often).
type pluginMetrics struct {
	gatherer prometheus.Gatherer
	logged   sync.Map // note prefix → struct{}
}

func (pm *pluginMetrics) gather(_ context.Context, p *plugin) (*pb.GetPluginMetricsResponse, error) {
	families, err := pm.gatherer.Gather()
	if err != nil {
		if len(families) == 0 {
			return nil, status.Errorf(codes.Internal, "gathering the plugin's metrics: %v", err)
		}
		pm.logOnce(p, "gathering the plugin's metrics: "+err.Error())
	}
	reply, notes := PluginMetricsOf(families)
	for _, note := range notes {
		pm.logOnce(p, note)
	}
	return reply, nil
}

func (pm *pluginMetrics) logOnce(p *plugin, note string) {
	// The count at the end changes from scrape to scrape: log per reason.
	reason, _, _ := strings.Cut(note, " (")
	if _, seen := pm.logged.LoadOrStore(reason, struct{}{}); !seen {
		p.log.Warn("plugin metrics left out (logged once per reason)", "reason", note)
	}
}

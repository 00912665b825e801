"""The conversion of prometheus_client's families into GetPluginMetricsResponse."""

import logging
import math

import pytest
from prometheus_client import CollectorRegistry, Counter, Enum, Gauge, Histogram, Info, Summary
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeHistogramMetricFamily,
    GaugeMetricFamily,
    Metric,
    UnknownMetricFamily,
)

from vk_plugin_sdk import collect_plugin_metrics, plugin_metrics_of
from vk_plugin_sdk.metrics import MAX_FAMILIES, MAX_METRICS
from vk_plugin_sdk.proto import provider_pb2 as pb


def by_name(reply: pb.GetPluginMetricsResponse) -> dict[str, pb.MetricFamily]:
    return {f.name: f for f in reply.families}


def values(family: pb.MetricFamily) -> dict[tuple[tuple[str, str], ...], float]:
    return {tuple(sorted(m.labels.items())): m.value for m in family.metrics}


def test_each_type_converts_field_by_field() -> None:
    registry = CollectorRegistry()
    created = Counter("ex_pods_created", "Pods created.", registry=registry)
    calls = Counter("ex_calls_total", "Backend calls.", ["method"], registry=registry)
    held = Gauge("ex_pods", "Pods held.", registry=registry)
    latency = Histogram(
        "ex_latency_seconds", "Latency.", ["op"], buckets=(0.1, 1.0), registry=registry
    )
    sizes = Summary("ex_size_bytes", "Sizes.", registry=registry)
    build = Info("ex_build", "Build.", registry=registry)
    phase = Enum("ex_phase", "Phase.", states=["starting", "running"], registry=registry)

    created.inc(3)
    calls.labels("create").inc(2)
    calls.labels("delete").inc()
    held.set(4.5)
    for seconds in (0.05, 0.5, 5):
        latency.labels("create").observe(seconds)
    sizes.observe(10)
    sizes.observe(30)
    build.info({"version": "1.2"})
    phase.state("running")

    reply, notes = plugin_metrics_of(registry.collect())
    assert notes == []
    families = by_name(reply)
    assert sorted(families) == [
        "ex_build_info",
        "ex_calls",
        "ex_latency_seconds",
        "ex_phase",
        "ex_pods",
        "ex_pods_created",
        "ex_size_bytes_count",
        "ex_size_bytes_sum",
    ]

    counter = families["ex_pods_created"]
    assert (counter.type, counter.help) == (pb.METRIC_TYPE_COUNTER, "Pods created.")
    assert values(counter) == {(): 3.0}  # the _created sample is left out
    assert families["ex_calls"].type == pb.METRIC_TYPE_COUNTER
    assert values(families["ex_calls"]) == {
        (("method", "create"),): 2.0,
        (("method", "delete"),): 1.0,
    }
    assert families["ex_pods"].type == pb.METRIC_TYPE_GAUGE
    assert values(families["ex_pods"]) == {(): 4.5}

    histogram = families["ex_latency_seconds"]
    assert histogram.type == pb.METRIC_TYPE_HISTOGRAM
    (metric,) = histogram.metrics
    assert dict(metric.labels) == {"op": "create"}  # no `le`
    assert metric.histogram.sample_count == 3
    assert metric.histogram.sample_sum == pytest.approx(5.55)
    assert [(b.upper_bound, b.cumulative_count) for b in metric.histogram.buckets] == [
        (0.1, 1),
        (1.0, 2),
        (math.inf, 3),
    ]

    assert families["ex_size_bytes_sum"].type == pb.METRIC_TYPE_GAUGE
    assert values(families["ex_size_bytes_sum"]) == {(): 40.0}
    assert values(families["ex_size_bytes_count"]) == {(): 2.0}
    assert values(families["ex_build_info"]) == {(("version", "1.2"),): 1.0}
    assert values(families["ex_phase"]) == {
        (("ex_phase", "running"),): 1.0,
        (("ex_phase", "starting"),): 0.0,
    }


def test_custom_collector_families() -> None:
    counter = CounterMetricFamily("custom_jobs_total", "Jobs.", labels=["queue"])
    counter.add_metric(["a"], 5)
    unknown = UnknownMetricFamily("custom_untyped", "Untyped.", value=7)
    gauge_histogram = GaugeHistogramMetricFamily(
        "custom_queue_age", "Ages.", buckets=[("1", 2), ("+Inf", 4)], gsum_value=9
    )
    summary = Metric("custom_rtt", "RTT.", "summary")
    summary.add_sample("custom_rtt", {"quantile": "0.5"}, 0.2)
    summary.add_sample("custom_rtt", {"quantile": "0.9"}, 0.7)
    summary.add_sample("custom_rtt_sum", {}, 3.0)
    summary.add_sample("custom_rtt_count", {}, 10)

    reply, notes = plugin_metrics_of([counter, unknown, gauge_histogram, summary])
    assert notes == []
    families = by_name(reply)
    assert families["custom_jobs"].type == pb.METRIC_TYPE_COUNTER
    assert values(families["custom_jobs"]) == {(("queue", "a"),): 5.0}
    assert families["custom_untyped"].type == pb.METRIC_TYPE_GAUGE
    assert values(families["custom_untyped"]) == {(): 7.0}
    (metric,) = families["custom_queue_age"].metrics
    assert families["custom_queue_age"].type == pb.METRIC_TYPE_HISTOGRAM
    assert (metric.histogram.sample_count, metric.histogram.sample_sum) == (4, 9.0)
    assert [(b.upper_bound, b.cumulative_count) for b in metric.histogram.buckets] == [
        (1.0, 2),
        (math.inf, 4),
    ]
    assert values(families["custom_rtt"]) == {
        (("quantile", "0.5"),): 0.2,
        (("quantile", "0.9"),): 0.7,
    }
    assert values(families["custom_rtt_sum"]) == {(): 3.0}
    assert values(families["custom_rtt_count"]) == {(): 10.0}


def gauge(name: str, labels: dict[str, str] | None = None) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, "Help.", labels=list((labels or {}).keys()))
    family.add_metric(list((labels or {}).values()), 1)
    return family


def test_what_the_protocol_refuses_is_left_out_with_a_note() -> None:
    first = CounterMetricFamily("dup_total", "First.", value=1)
    second = CounterMetricFamily("dup", "Second.", value=2)
    reply, notes = plugin_metrics_of(
        [
            gauge("vk_host_pods"),
            gauge("with.dot"),
            first,
            second,
            gauge("labelled", {"ok": "1", "bad-name": "2"}),
            gauge("fine", {"plugin": "mine"}),
            GaugeMetricFamily("empty", "No samples."),
        ]
    )
    assert [f.name for f in reply.families] == ["dup", "fine"]
    assert reply.families[0].metrics[0].value == 1  # the first of one name wins
    assert dict(reply.families[1].metrics[0].labels) == {"plugin": "mine"}  # the host's to replace
    joined = "\n".join(notes)
    for expected in (
        "'vk_host_pods': vk_host_ names are the host's",
        "'with.dot': the name is not",
        "'dup': a second family named dup",
        "label name 'bad-name'",
    ):
        assert expected in joined
    assert len(notes) == 4


def test_the_limits_cut_families_and_metrics() -> None:
    reply, notes = plugin_metrics_of(gauge(f"f{i:03d}") for i in range(MAX_FAMILIES + 20))
    assert len(reply.families) == MAX_FAMILIES
    assert reply.families[-1].name == "f199"
    assert notes == [f"over the limit of {MAX_FAMILIES} families (20 metrics left out)"]

    big = []
    for name in ("a", "b"):
        family = GaugeMetricFamily(name, "Many.", labels=["n"])
        for i in range(3000):
            family.add_metric([str(i)], i)
        big.append(family)
    reply, notes = plugin_metrics_of(big)
    assert sum(len(f.metrics) for f in reply.families) == MAX_METRICS
    assert [len(f.metrics) for f in reply.families] == [3000, 2000]
    assert notes == [f"over the limit of {MAX_METRICS} metrics (1000 metrics left out)"]


def test_collect_logs_each_reason_once(caplog: pytest.LogCaptureFixture) -> None:
    registry = CollectorRegistry()
    Gauge("vk_host_mine", "Not allowed.", registry=registry).set(1)
    Gauge("allowed", "Fine.", registry=registry).set(2)
    with caplog.at_level(logging.WARNING, logger="vk_plugin_sdk.metrics"):
        for _ in range(3):
            reply = collect_plugin_metrics(registry)
            assert [f.name for f in reply.families] == ["allowed"]
    warnings = [r.getMessage() for r in caplog.records if "vk_host_mine" in r.getMessage()]
    assert len(warnings) == 1

"""A plugin's own metrics, from ``prometheus_client``, in the protocol's form.

Override :meth:`Provider.plugin_metrics <vk_plugin_sdk.Provider.plugin_metrics>`
(which declares ``CAPABILITY_PLUGIN_METRICS``) and return
``collect_plugin_metrics(registry)``: vk-host exports the families at its
``/metrics``, each sample with a ``plugin`` label. ``prometheus_client`` is
an optional dependency (``pip install 'vk-plugin-sdk[metrics]'``); this
module only reads the objects it collects, so it imports nothing of it.

How :func:`plugin_metrics_of` maps ``registry.collect()``, family by family:

- ``counter``: the ``NAME_total`` samples (``NAME_created`` is dropped); the
  family's name has no ``_total`` (the host adds it back);
- ``gauge``, ``unknown`` (untyped): a gauge of each sample;
- ``histogram``: count, sum and the cumulative ``_bucket`` samples by
  ``le`` (``+Inf`` included); ``gaugehistogram`` likewise from ``_gcount``
  and ``_gsum``;
- ``summary``: its series as three gauge families, ``NAME`` (one per
  ``quantile`` label, when a custom collector has quantiles), ``NAME_sum``
  and ``NAME_count``;
- ``info``: a gauge ``NAME_info`` of value 1; ``stateset`` (and ``Enum``): a
  gauge ``NAME`` with one sample per state, 1 or 0, as Prometheus' text
  format shows them.

Timestamps, exemplars and native histograms' sparse buckets are dropped.
Left out (and described in the notes :func:`plugin_metrics_of` returns, which
:func:`collect_plugin_metrics` logs once per reason): a name that is not
``[a-zA-Z_:][a-zA-Z0-9_:]*`` or starts with ``vk_host_`` (the host's), a
second family of the same name, a sample with a label name that is not
``[a-zA-Z_][a-zA-Z0-9_]*``, and what is over the protocol's limits (200
families, 5000 metrics in all, in the order collected). A ``plugin`` label is
kept as given: the host replaces it with the plugin's name.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from vk_plugin_sdk.proto import provider_pb2 as pb

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric
    from prometheus_client.registry import Collector
    from prometheus_client.samples import Sample

MAX_FAMILIES = 200
"""The most families one ``GetPluginMetricsResponse`` may carry."""

MAX_METRICS = 5000
"""The most metrics (label sets) one ``GetPluginMetricsResponse`` may carry in all."""

HOST_PREFIX = "vk_host_"
"""The prefix of the host's own families, which a plugin may not use."""

_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")

log = logging.getLogger("vk_plugin_sdk.metrics")

Labels = tuple[tuple[str, str], ...]


def plugin_metrics_of(
    metrics: Iterable[Metric],
) -> tuple[pb.GetPluginMetricsResponse, list[str]]:
    """The protocol's form of ``metrics`` (what ``registry.collect()`` yields).

    Returns the response and one note per reason something was left out
    (see the module's docs for the mapping).
    """
    out = _Converter()
    for metric in metrics:
        kind, name = metric.type, metric.name
        if kind == "counter":
            out.add(
                name.removesuffix("_total"),
                metric,
                pb.METRIC_TYPE_COUNTER,
                _values(metric, {name + "_total", name}),
            )
        elif kind in ("gauge", "unknown", "untyped"):
            out.add(name, metric, pb.METRIC_TYPE_GAUGE, _values(metric, {name}))
        elif kind == "info":
            out.add(name + "_info", metric, pb.METRIC_TYPE_GAUGE, _values(metric, {name + "_info"}))
        elif kind == "stateset":
            out.add(name, metric, pb.METRIC_TYPE_GAUGE, _values(metric, {name}))
        elif kind == "histogram":
            out.add(name, metric, pb.METRIC_TYPE_HISTOGRAM, _histograms(metric, "_count", "_sum"))
        elif kind == "gaugehistogram":
            out.add(name, metric, pb.METRIC_TYPE_HISTOGRAM, _histograms(metric, "_gcount", "_gsum"))
        elif kind == "summary":
            for suffix in ("", "_sum", "_count"):
                out.add(
                    name + suffix, metric, pb.METRIC_TYPE_GAUGE, _values(metric, {name + suffix})
                )
        else:
            out.drop(f"family {name!r}: type {kind} has no place in the protocol", 1)
    return out.reply, out.notes()


_logged: set[str] = set()


def collect_plugin_metrics(registry: Collector) -> pb.GetPluginMetricsResponse:
    """What ``registry`` (a ``prometheus_client.CollectorRegistry``) collects, converted.

    Each reason something was left out is logged once (the host scrapes often).
    """
    reply, notes = plugin_metrics_of(registry.collect())
    for note in notes:
        reason = note.split(" (", 1)[0]
        if reason not in _logged:
            _logged.add(reason)
            log.warning("plugin metrics left out (logged once per reason): %s", note)
    return reply


@dataclass
class _Entry:
    """One label set's metric, before it is checked."""

    labels: Labels
    message: pb.Metric


def _labels(sample: Sample, without: str | None = None) -> Labels:
    return tuple(sorted((k, v) for k, v in sample.labels.items() if k != without))


def _values(metric: Metric, names: set[str]) -> list[_Entry]:
    """A counter's or gauge's metric per sample named in ``names``."""
    entries: list[_Entry] = []
    for sample in metric.samples:
        if sample.name in names:
            entries.append(_Entry(_labels(sample), pb.Metric(value=float(sample.value))))
    return entries


@dataclass
class _Histogram:
    count: float = 0.0
    total: float = 0.0
    buckets: list[tuple[float, float]] = field(default_factory=list)

    def message(self) -> pb.Metric:
        return pb.Metric(
            histogram=pb.Histogram(
                sample_count=_count(self.count),
                sample_sum=self.total,
                buckets=[
                    pb.Bucket(upper_bound=bound, cumulative_count=_count(value))
                    for bound, value in sorted(self.buckets)
                ],
            )
        )


def _histograms(metric: Metric, count_suffix: str, sum_suffix: str) -> list[_Entry]:
    """A histogram's metric per label set, from its ``_bucket``, count and sum samples."""
    by_labels: dict[Labels, _Histogram] = {}
    for sample in metric.samples:
        suffix = sample.name[len(metric.name) :]
        if suffix == "_bucket":
            try:
                bound = float(sample.labels.get("le", ""))
            except ValueError:
                continue
            key = _labels(sample, without="le")
            by_labels.setdefault(key, _Histogram()).buckets.append((bound, float(sample.value)))
        elif suffix == count_suffix:
            by_labels.setdefault(_labels(sample), _Histogram()).count = float(sample.value)
        elif suffix == sum_suffix:
            by_labels.setdefault(_labels(sample), _Histogram()).total = float(sample.value)
    return [_Entry(labels, histogram.message()) for labels, histogram in by_labels.items()]


def _count(value: float) -> int:
    """A count as the protocol's uint64 (NaN and negatives are 0)."""
    if math.isnan(value) or value <= 0:
        return 0
    return int(min(value, 2.0**64 - 1))


@dataclass
class _Converter:
    reply: pb.GetPluginMetricsResponse = field(default_factory=pb.GetPluginMetricsResponse)
    metrics: int = 0
    seen: set[str] = field(default_factory=set)
    dropped: dict[str, int] = field(default_factory=dict)

    def drop(self, reason: str, count: int) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + count

    def notes(self) -> list[str]:
        return [f"{reason} ({count} metrics left out)" for reason, count in self.dropped.items()]

    def add(self, name: str, metric: Metric, kind: int, entries: list[_Entry]) -> None:
        """Append the family ``name`` with ``entries``, within the limits."""
        shown = metric.name
        if not _METRIC_NAME.fullmatch(name):
            self.drop(f"family {shown!r}: the name is not [a-zA-Z_:][a-zA-Z0-9_:]*", len(entries))
            return
        if name.startswith(HOST_PREFIX):
            self.drop(f"family {shown!r}: vk_host_ names are the host's", len(entries))
            return
        if name in self.seen:
            self.drop(f"family {shown!r}: a second family named {name}", len(entries))
            return
        if not entries:
            return
        if len(self.reply.families) >= MAX_FAMILIES:
            self.drop(f"over the limit of {MAX_FAMILIES} families", len(entries))
            return
        family = pb.MetricFamily(
            name=name, help=metric.documentation, type=pb.MetricType.ValueType(kind)
        )
        for index, entry in enumerate(entries):
            if self.metrics >= MAX_METRICS:
                self.drop(f"over the limit of {MAX_METRICS} metrics", len(entries) - index)
                break
            bad = next((k for k, _ in entry.labels if not _LABEL_NAME.fullmatch(k)), None)
            if bad is not None:
                self.drop(f"family {shown!r}: label name {bad!r} is not [a-zA-Z_][a-zA-Z0-9_]*", 1)
                continue
            entry.message.labels.update(dict(entry.labels))
            family.metrics.append(entry.message)
            self.metrics += 1
        if family.metrics:
            self.seen.add(name)
            self.reply.families.append(family)

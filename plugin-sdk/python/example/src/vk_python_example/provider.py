"""The example provider: pods in memory, Running at once with an IP from the
configured range, container logs, exec built-ins, node info, and the Secrets
its pods reference read through the host (their names and keys logged),
and its own metrics (pods created, pods held) for vk-host's /metrics.
With a state file its pods survive a plugin restart (see ``state``).

Deletion is graceful in the protocol's sense: the simulated processes stop on
their first signal, so DeletePod reports every container terminated (exit
code 0) at once, pushes that status, and forgets the pod; vk-host then
removes it without waiting out the grace period.
"""

from __future__ import annotations

import asyncio
import logging
import platform
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge

from vk_plugin_sdk import (
    AlreadyExists,
    ExecRequest,
    ExecSession,
    ExitStatus,
    HostClient,
    InvalidInput,
    LogsRequest,
    NotFound,
    Pod,
    PodEvent,
    PodKey,
    PodStatus,
    PodStatusFeed,
    PodStatusUpdate,
    Provider,
    ProviderError,
    collect_plugin_metrics,
    pb,
)
from vk_python_example import __version__, state, status
from vk_python_example.builtins import run_builtin
from vk_python_example.config import Config
from vk_python_example.ips import IpPool
from vk_python_example.logs import ContainerLog
from vk_python_example.secrets import read_secret_keys

log = logging.getLogger("vk_python_example")


@dataclass
class HeldPod:
    """A pod the example runs: its spec as last created or updated, and its state."""

    pod: Pod
    ip: str
    started: str
    status: PodStatus
    logs: dict[str, ContainerLog]
    ticker: asyncio.Task[None] | None = field(default=None, repr=False)


class ExampleProvider(Provider):
    """Pods in memory (and in the state file, when there is one); see the module's docs."""

    def __init__(self, config: Config, host: HostClient) -> None:
        self._config = config
        self._host = host
        self._state_path = Path(config.state_file) if config.state_file else None
        self._ips = IpPool(config.pod_cidr)
        self._pods: dict[tuple[str, str], HeldPod] = {}
        self._feed = PodStatusFeed()
        # The plugin's own metrics, on vk-host's /metrics with plugin="python-example".
        self.metrics = CollectorRegistry()
        self._created = Counter(
            "python_example_pods_created",
            "Pods the example plugin created since it started.",
            registry=self.metrics,
        )
        held = Gauge("python_example_pods", "Pods the example plugin holds.", registry=self.metrics)
        held.set_function(lambda: len(self._pods))

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Run again the pods of the state file, if there is one.

        Their earlier log lines are gone; the Secrets they reference are read
        again through the host, so their logs name them as after a create.
        """
        if self._state_path is None:
            return
        for saved in state.load(self._state_path):
            self._ips.reserve(saved.ip)
            held = self._run(saved.pod, saved.ip, saved.started)
            lines = ["(the plugin restarted; earlier lines are gone)"]
            try:
                lines += await read_secret_keys(self._host, saved.pod)
            except ProviderError as error:
                lines.append(f"reading the pod's Secrets again failed: {error}")
            for container_log in held.logs.values():
                for line in lines:
                    container_log.write(line)
        if self._pods:
            log.info("recovered %d pods from %s", len(self._pods), self._state_path)

    # -- the six pod calls -------------------------------------------------------------

    async def create_pod(self, pod: Pod) -> None:
        """Run ``pod`` (idempotent per uid), after reading the Secrets it references."""
        key = PodKey.of(pod)
        if self._held_already(key):
            return
        if not pod.get("spec", {}).get("containers"):
            raise InvalidInput(f"pod {key} has no containers")
        secret_lines = await read_secret_keys(self._host, pod)
        if self._held_already(key):
            return
        held = self._run(pod, self._ips.take(), status.now())
        for container_log in held.logs.values():
            for line in secret_lines:
                container_log.write(line)
        for line in secret_lines:
            log.info("pod %s: %s", key, line)
        self._save()
        self._created.inc()
        events = tuple(
            PodEvent("Started", f"Started container {name}", container=name) for name in held.logs
        )
        self._feed.send(PodStatusUpdate(key, held.status, events))

    async def update_pod(self, pod: Pod) -> None:
        """Keep the new metadata and spec; the status stays."""
        held = self._find(PodKey.of(pod))
        held.pod = pod
        self._save()

    async def delete_pod(self, pod: Pod) -> None:
        """Stop every container (on its first signal), report it, and forget the pod."""
        key = PodKey.of(pod)
        held = self._find(key)
        containers = [c.get("name", "") for c in held.pod.get("spec", {}).get("containers", [])]
        self._forget(key, held)
        self._save()
        held.status = status.terminated(held.pod, held.ip, held.started)
        events = tuple(
            PodEvent("Killing", f"Stopping container {c}", container=c) for c in containers
        )
        self._feed.send(PodStatusUpdate(key, held.status, events))
        log.info("pod %s deleted", key)

    async def get_pod(self, key: PodKey) -> Pod:
        """The pod as held, with its status."""
        held = self._find(key)
        pod: Pod = {**held.pod}
        pod["status"] = held.status
        return pod

    async def get_pod_status(self, key: PodKey) -> PodStatus:
        """The pod's status."""
        return self._find(key).status

    async def get_pods(self) -> list[Pod]:
        """Every pod held (after a restart: those of the state file, if there is one)."""
        return [await self.get_pod(PodKey.of(held.pod)) for held in self._pods.values()]

    # -- optional capabilities ------------------------------------------------------------

    async def watch_pod_status(self) -> AsyncIterator[PodStatusUpdate]:
        """Status changes and Events, kept across the host's stream reconnects."""
        return self._feed.subscribe()

    async def container_logs(self, request: LogsRequest) -> AsyncIterator[bytes]:
        """A container's log lines; with ``follow``, new lines until the pod is deleted."""
        held = self._find(request.pod)
        container_log = held.logs.get(request.container)
        if container_log is None:
            raise NotFound(f"container {request.container} not found in pod {request.pod}")
        if request.previous:
            raise NotFound(
                f"previous terminated container {request.container} in pod {request.pod} not found"
            )
        return container_log.read(request)

    async def exec(self, request: ExecRequest, session: ExecSession) -> ExitStatus:
        """Run one of the simulated built-ins (see ``builtins``)."""
        held = self._find(request.pod)
        for container in held.pod.get("spec", {}).get("containers", []):
            if container.get("name") == request.container:
                return await run_builtin(request.command, container, session, request.tty)
        raise NotFound(f"container {request.container} not found in pod {request.pod}")

    async def node_info(self) -> pb.NodeInfo:
        """The configured capacity and what this machine is."""
        return pb.NodeInfo(
            capacity={
                "cpu": self._config.cpu,
                "memory": self._config.memory,
                "pods": str(self._config.max_pods),
            },
            labels={"vk-host.example/provider": "python-example"},
            system_info=pb.NodeSystemInfo(
                operating_system="linux",
                architecture=_architecture(),
                kernel_version=platform.release(),
                os_image=f"vk-python-example {__version__}",
                container_runtime_version=f"example://{__version__}",
            ),
        )

    async def plugin_metrics(self) -> pb.GetPluginMetricsResponse:
        """Pods created and held: ``python_example_pods_created_total``, ``python_example_pods``."""
        return collect_plugin_metrics(self.metrics)

    async def shutdown(self) -> None:
        """Stop writing logs; the pods are memory only and go with the process."""
        for held in self._pods.values():
            if held.ticker is not None:
                held.ticker.cancel()

    # -- helpers ---------------------------------------------------------------------------

    def _held_already(self, key: PodKey) -> bool:
        """True for the same uid again; AlreadyExists for another uid under the name."""
        held = self._pods.get((key.namespace, key.name))
        if held is None:
            return False
        if PodKey.of(held.pod).uid == key.uid:
            return True
        raise AlreadyExists(f"pod {key} is held under uid {PodKey.of(held.pod).uid}, not {key.uid}")

    def _find(self, key: PodKey) -> HeldPod:
        held = self._pods.get((key.namespace, key.name))
        if held is None or not key.matches(held.pod):
            raise NotFound(f"pod {key}" + (f" (uid {key.uid})" if key.uid else "") + " not found")
        return held

    def _run(self, pod: Pod, ip: str, started: str) -> HeldPod:
        """Hold ``pod`` as running at ``ip`` since ``started``; its containers start logging."""
        key = PodKey.of(pod)
        held = HeldPod(pod, ip, started, status.running(pod, ip, started), {})
        for container in pod.get("spec", {}).get("containers", []):
            name, image = container.get("name", ""), container.get("image", "")
            held.logs[name] = ContainerLog()
            held.logs[name].write(f"started container {name} of pod {key} (image {image}, IP {ip})")
        held.ticker = asyncio.create_task(self._tick(key, held), name=f"logs of {key}")
        self._pods[(key.namespace, key.name)] = held
        return held

    def _save(self) -> None:
        if self._state_path is not None:
            saved = (state.SavedPod(h.pod, h.ip, h.started) for h in self._pods.values())
            state.save(self._state_path, saved)

    def _forget(self, key: PodKey, held: HeldPod) -> None:
        del self._pods[(key.namespace, key.name)]
        if held.ticker is not None:
            held.ticker.cancel()
        for container_log in held.logs.values():
            container_log.close()
        self._ips.give_back(held.ip)

    async def _tick(self, key: PodKey, held: HeldPod) -> None:
        """Each container writes one line per interval while the pod runs."""
        line = 0
        while True:
            await asyncio.sleep(self._config.log_interval_ms / 1000)
            line += 1
            for name, container_log in held.logs.items():
                container_log.write(f"{key}/{name} line {line}")


def _architecture() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)

"""Pod IPs from the configured range: the lowest free address, returned on delete."""

from __future__ import annotations

import ipaddress

from vk_plugin_sdk import ResourceExhausted


class IpPool:
    """Hands out the host addresses of an IPv4 network, from its second one on."""

    def __init__(self, cidr: str) -> None:
        self._network = ipaddress.IPv4Network(cidr)
        self._used: set[ipaddress.IPv4Address] = set()

    def take(self) -> str:
        """The lowest free address; ResourceExhausted when none is left (the host retries)."""
        hosts = self._network.hosts()
        next(hosts, None)  # The first host address is the network's gateway.
        for address in hosts:
            if address not in self._used:
                self._used.add(address)
                return str(address)
        raise ResourceExhausted(f"no free pod IP left in {self._network}")

    def reserve(self, address: str) -> None:
        """Mark ``address`` as taken (a recovered pod's)."""
        self._used.add(ipaddress.IPv4Address(address))

    def give_back(self, address: str) -> None:
        """Return ``address`` to the pool."""
        self._used.discard(ipaddress.IPv4Address(address))

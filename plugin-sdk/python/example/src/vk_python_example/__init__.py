"""The example vk-host plugin written with the Python SDK (vk_plugin_sdk).

Pods live in memory and run at once with an IP from a configured range;
each container writes a log (a start line, a line per Secret its pod
references, read through the host's callbacks, then a line every interval);
``kubectl exec`` runs a few simulated built-ins. See the SDK's README.
"""

__version__ = "0.1.0"

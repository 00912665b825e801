"""The gRPC side of a plugin: serving ``PluginIdentity``, ``PodLifecycle`` and
``grpc.health.v1`` on the plugin socket, for a :class:`~vk_plugin_sdk.Provider`.
"""

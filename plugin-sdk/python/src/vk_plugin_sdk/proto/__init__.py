"""Generated from proto/provider.proto by plugin-sdk/python/generate.sh; do not edit."""

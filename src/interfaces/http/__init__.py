"""The HTTP API: an app factory, thin controllers, one error-mapping module."""

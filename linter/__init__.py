"""readylint: production-readiness linter for Kubernetes services."""

__version__ = "0.1.0"

"""The package version, read by setuptools and stamped into saved adapters and runs."""

__version__ = "0.1.0"

"""Built-in benchmark suites, shipped as YAML package data."""

"""Benchmark methods: how Panacea and the baselines are trained on a task."""

"""Benchmark suites, tasks, methods, runner, reports and perf benchmarks (mdpo.benchmarks)."""

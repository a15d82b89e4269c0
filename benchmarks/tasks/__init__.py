"""Benchmark tasks: bandit, synthetic, smollm and hf."""

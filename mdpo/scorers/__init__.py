"""Scorers: (prompts, completions) -> tensor[n] reward functions for RLHF and evaluation."""

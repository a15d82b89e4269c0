"""Aggregators: scalarise m per-dimension losses under a preference λ (mdpo.aggregators)."""

"""Pareto-front metrics on points in maximisation space (hypervolume, IGD+, spread, ...)."""

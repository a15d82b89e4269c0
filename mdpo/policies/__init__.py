"""Preference-conditioned policies: Panacea, Rewarded Soups, DPS, MOD and prompt conditioning."""

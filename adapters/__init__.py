"""Panacea SVD-LoRA adapters, soups and export (mdpo.adapters)."""

"""special rules (filled in by their family)."""

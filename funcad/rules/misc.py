"""misc rules (filled in by their family)."""

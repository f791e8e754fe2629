"""linalg rules (filled in by their family)."""

"""statistics rules."""

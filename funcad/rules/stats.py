"""stats rules."""

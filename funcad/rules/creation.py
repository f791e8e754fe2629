"""creation rules."""

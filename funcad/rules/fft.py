"""fft rules."""

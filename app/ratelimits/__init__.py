"""Rate limits per API key and per client address, counted in the process."""

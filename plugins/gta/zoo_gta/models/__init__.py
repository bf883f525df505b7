"""Model architectures of zoo-gta."""

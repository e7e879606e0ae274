"""Read-only status over storage: staleness, partition status, freshness."""

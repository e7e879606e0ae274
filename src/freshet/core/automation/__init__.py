"""Declarative automation as values: freshness policies and automation conditions."""

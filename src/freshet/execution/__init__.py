"""Turning a selection of definitions into a plan, running it, emitting events."""

"""Where definitions come from: code location origins, the loader, workspace.yaml, and the
code servers that serve each location's snapshot to processes that never import user code."""

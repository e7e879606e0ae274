"""Lineage: the asset graph, generic DAG utilities, and selections over the graph.

Named `lineage` rather than `graph` so it never shadows the public `freshet.graph`
decorator."""

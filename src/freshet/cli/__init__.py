"""The `freshet` command line."""

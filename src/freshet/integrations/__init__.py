"""Optional integrations with data tools (pandas, polars, DuckDB, dbt). Each module imports its
library lazily and names the extra to install when it is missing; they use freshet's public
API only, and nothing in freshet imports them.
"""

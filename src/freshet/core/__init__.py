"""Pure definitions: values describing assets, ops, jobs, config and resources. No I/O here."""

"""Transfer benchmark (datasets, protocol, metrics, engine, reports). Not built yet: see the open issues."""

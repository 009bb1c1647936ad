"""Record pipelines: converters, transforms and `errors.*` joined, one for each side of a connector."""

"""Connection types: the registry, and one connector per family of types."""

"""The engine: Arrow record batches streamed from a source reader to a destination writer."""

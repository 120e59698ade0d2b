"""Document ingestion: loading, decoding and repairing source files."""

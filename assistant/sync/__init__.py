"""Website sync: fetch listed columns, keep what changed, and the catalog of documents the
index holds (knowledge folder + synced, with supersession)."""

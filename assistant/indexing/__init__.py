"""Writing the index: an ingest planned (plan.py), then embedded and switched (ingest.py).

Reading and the registry's pointer stay in assistant/index.py (`KnowledgeIndex`)."""

"""Quality measurement: the dev-set evaluation, the naive baseline, the BEIR retrieval bench."""

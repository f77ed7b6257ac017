"""Load testing: locust profiles, exact streaming timings, JSONL samples, summaries and the SLO gate."""

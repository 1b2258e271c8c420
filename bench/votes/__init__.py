"""bench/votes: end-to-end vote ingestion (gateway frame -> committed vote) against two limits
measured in the same run, plus the store's commit latency at a steady rate. See bench/README.md."""

"""The public web pages: an HTTP adapter over the forum service, read-only on the store."""

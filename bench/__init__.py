"""Benchmarks: the API beside datasette and PocketBase on the same generated claims."""

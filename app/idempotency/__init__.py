"""Idempotent POSTs: the first answer to an `Idempotency-Key`, replayed to its retries."""

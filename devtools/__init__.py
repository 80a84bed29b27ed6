"""Development tooling used by tests/ and bench/ only, never by the app.

`devtools.generator` makes deterministic claim data sets (fixed seed) and `devtools.bulk`
loads them fast through a trusted path that skips the services' checks. Neither ships in
the `app` package, and nothing under `app/` may import them (an import-linter contract in
pyproject.toml says so).
"""

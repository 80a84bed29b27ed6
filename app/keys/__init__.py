"""API keys: issue, list, revoke, and recognise the bearer of one."""

"""Production topology helpers: the nginx configuration that fronts the web hosts."""

"""Vendor webhooks signed as the Standard Webhooks specification says, delivered from the
outbox with retries, never to the server's own network."""

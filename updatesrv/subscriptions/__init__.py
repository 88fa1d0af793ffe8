"""Public e-mail subscriptions to a product's known issues (no account): double opt-in,
single-use confirmation links, one-click unsubscribe (RFC 8058)."""

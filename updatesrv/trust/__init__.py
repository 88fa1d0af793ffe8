"""Answers a client can verify as authentic, fresh and meant for it: the server's signing
keys (keys.py), the signed statement sent beside every check answer (statements.py) and the
release manifest vendors sign (manifest.py). The threat model is in docs/threat-model.md."""

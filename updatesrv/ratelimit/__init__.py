"""Fixed-window request limits shared by every web process (kept in the database)."""

"""The transactional outbox: rows written in the same transaction as the change they
announce, drained by the scheduler to SMTP and webhook endpoints with retries."""

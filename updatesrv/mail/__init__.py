"""Outgoing e-mail: MAIL_URL parsing and an SMTP sender on the standard library's
``smtplib``/``email``. Nothing here queues; mail is queued in ``updatesrv.outbox`` and sent
by the scheduler."""

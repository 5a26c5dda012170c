"""What crm talks to: its PostgreSQL store, the CRMs and the mail server."""

"""crm's rules: who a customer is, which language they read; no I/O."""

"""What billing talks to: PostgreSQL, Stripe, the renderer, the mailer."""

"""E-mail: templates rendered per language, an outbox in the database, and the senders."""

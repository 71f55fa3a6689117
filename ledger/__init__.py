"""The contact ledger: one durable record of every campaign, contact and call across campaigns (SQLAlchemy 2,
SQLite by default, PostgreSQL by URL), with the suppression list and the frequency caps read from it."""

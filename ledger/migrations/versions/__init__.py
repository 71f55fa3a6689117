"""The ledger's schema versions, oldest first."""

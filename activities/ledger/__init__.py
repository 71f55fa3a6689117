"""Activities that read and write the contact ledger: pre-flight's screening, the campaign's status, its calls."""

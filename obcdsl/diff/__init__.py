"""What changes between two versions of a contract, in clauses and in money (`obcdsl diff`)."""

"""What goes out to people: the outbox (written in the case's transaction) and, later, its senders."""

"""What goes out to people: the outbox (written in the case's transaction), rendering and sending its mails."""

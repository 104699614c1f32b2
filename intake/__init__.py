"""The channels that create cases: staff and API intake now; web form, Open311, mailbox and post later."""

"""The channels that create cases: staff and API, the public form, Open311, the info mailbox and incoming post."""

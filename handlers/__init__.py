"""Who gets which case and by when: handler groups, staff, categories, routing, deadlines, contractors."""

"""The case engine: deployed BPMN definitions, process instances per case, work items, timers,
messages, the case timeline and safe expressions."""

"""Reports: management figures computed by SQL aggregation over the case, event and order tables."""

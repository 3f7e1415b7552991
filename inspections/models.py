"""Models of the inspections app (built by its own issue)."""

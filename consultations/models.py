"""Models of the consultations app (built by its own issue)."""

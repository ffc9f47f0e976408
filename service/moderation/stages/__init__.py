"""The three stages, in the order an item travels: triage (Haiku), review (Sonnet), finalize."""

"""The four stages, in the order an item travels: triage (Haiku), review (Sonnet), finalize;
then appeal (appeals of final decisions, and their statements of reasons)."""

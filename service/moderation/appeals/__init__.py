"""Appeal figures for transparency reports (``moderation report appeals``)."""

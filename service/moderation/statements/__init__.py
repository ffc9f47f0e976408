"""Statements of reasons (EU DSA Article 17): built for every restricting final decision,
published on ``moderation.statements.v1`` and exported for the DSA Transparency Database."""

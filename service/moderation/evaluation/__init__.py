"""``moderation eval``: the real classification path over a labelled dataset, and its report.

``datasets`` reads labelled items (the project's JSONL, OpenAI's moderation-eval format, final
human decisions); ``runner`` judges them with one or two configurations through the real
classifier, gateway, policy and routing table, caching answers on disk; ``metrics`` holds the
pure math; ``summary`` turns answers into figures; ``render`` and ``charts`` write the report.
"""

"""The review console: trust-and-safety reviewers claim and decide human-review tasks.

One process ingests ``moderation.review.human.v1`` into a database, serves the web UI and the JSON
API, and publishes reviewers' decisions to ``moderation.human-decisions.v1`` through an outbox.
"""

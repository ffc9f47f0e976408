"""Kafka plumbing under the stages: one consumer for every input (the intake), a bounded
in-flight window per topic, commits in offset order, reliable sends."""

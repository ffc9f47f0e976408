"""Kafka plumbing under the stages: in-order acks, a bounded in-flight window, reliable sends."""

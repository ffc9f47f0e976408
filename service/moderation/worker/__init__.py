"""The composition root: settings, telemetry, Kafka and the Anthropic client wired into stages."""

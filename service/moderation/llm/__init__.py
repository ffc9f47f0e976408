"""The port to the Anthropic Messages API, and the classification built on it."""

"""A simulated Anthropic API: a real HTTP server the official SDK talks to via ``base_url``.

See README.md in this folder. Entry points: ``moderation dev sim-api`` (cli.py),
``running_simulator`` (testing.py) and ``create_app`` (app.py).
"""

"""Development tools of the moderation service, not part of the runtime wheel or image.

- :mod:`moderation_dev.simulator`: the simulated Anthropic API (``moderation dev simulator``);
- :mod:`moderation_dev.demo`: ``moderation demo`` and its sample corpus;
- :mod:`moderation_dev.devkafka`: the local Kafka broker launcher (``moderation dev kafka``);
- :mod:`moderation_dev.devpostgres`: a throwaway PostgreSQL for the console tests and benchmark.

Installed from ``devtools/`` (``make install`` does it); the runtime package only imports it
when one of these commands runs, and says so in one line when it is missing.
"""

"""``moderation demo``: the whole pipeline on a bundled sample corpus, end to end.

Modules: ``corpus`` (the sample items), ``processes`` (broker, simulated API and worker as child
processes), ``ledger`` (what happened to each item), ``reviewer`` (the scripted human),
``progress`` and ``summary`` (what the terminal shows), ``orchestration`` (the run itself) and
``cli`` (the subcommand).
"""

"""The labelled set shipped with the service (``labelled.jsonl``, made by ``generate.py``)."""

"""The report's PNG: threshold sweep (precision, recall, F1 against confidence) and F1 by category.

matplotlib comes with the ``eval`` extra (``pip install 'moderation[eval]'``) and with the dev
install; without it the report is written without the picture and says how to get it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from moderation.evaluation.summary import ConfigFigures

MISSING = "matplotlib is not installed: pip install 'moderation[eval]' for the PNG chart"


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def draw(configs: Sequence[ConfigFigures], path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5.5))
    styles = ("-", "--", ":")
    for index, config in enumerate(configs):
        style = styles[index % len(styles)]
        thresholds = [p.threshold for p in config.sweep]
        for name, values in (
            ("precision", [p.counts.precision for p in config.sweep]),
            ("recall", [p.counts.recall for p in config.sweep]),
            ("F1", [p.counts.f1 for p in config.sweep]),
        ):
            shown = [float("nan") if v is None else v for v in values]
            left.plot(thresholds, shown, style, label=f"{config.config_id} {name}")
    left.set_xlabel("confidence threshold (a category counts at confidence >= threshold)")
    left.set_ylabel("all labelled (item, category) pairs")
    left.set_ylim(0, 1.02)
    left.set_title("threshold sweep")
    left.legend(fontsize=8, loc="lower left")

    categories = [c.category for c in configs[0].categories] if configs else []
    width = 0.8 / max(1, len(configs))
    for index, config in enumerate(configs):
        f1 = [c.counts.f1 or 0.0 for c in config.categories]
        positions = [i + index * width for i in range(len(categories))]
        right.bar(positions, f1, width, label=config.config_id)
    right.set_xticks([i + width * (len(configs) - 1) / 2 for i in range(len(categories))])
    right.set_xticklabels(categories, rotation=60, ha="right", fontsize=8)
    right.set_ylim(0, 1.02)
    right.set_ylabel("F1 at the policy's operating threshold")
    right.set_title("per category")
    right.legend(fontsize=8)
    figure.suptitle(title)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path

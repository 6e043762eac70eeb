"""The loss plot: training and validation loss against the optimizer step, saved as a PNG."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def loss_points(log_history: list[dict[str, Any]], key: str) -> tuple[list[int], list[float]]:
    rows = [row for row in log_history if key in row and "step" in row]
    return [row["step"] for row in rows], [float(row[key]) for row in rows]


def save_loss_plot(log_history: list[dict[str, Any]], path: str | Path) -> Path:
    """Write the plot from a Trainer log history (rows with "loss" and/or "eval_loss" and "step")."""
    path = Path(path)
    figure, axes = plt.subplots(figsize=(7, 4), dpi=100)
    try:
        for key, label, style in (("loss", "train loss", "-"), ("eval_loss", "validation loss", "o-")):
            steps, values = loss_points(log_history, key)
            if steps:
                axes.plot(steps, values, style, label=label)
        axes.set_xlabel("optimizer step")
        axes.set_ylabel("loss (assistant tokens)")
        axes.grid(alpha=0.3)
        if axes.lines:
            axes.legend()
        figure.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.png")
        figure.savefig(tmp, format="png")
        tmp.replace(path)
    finally:
        plt.close(figure)
    return path

"""Charts of a sweep's scores: a line for one parameter, a heatmap for two, parallel coordinates beyond two;
and, for a walk-forward, each fold's in-sample and out-of-sample score side by side."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

DPI = 100


def score_chart(table: pd.DataFrame, params: list[str], metric: str, directory: Path) -> Path | None:
    """Draw the scores of the finished trials against their parameters; the chart's path, None without scores."""
    scored = table[table["score"].notna()].copy()
    if scored.empty:
        return None
    scored["score"] = scored["score"].astype(float)
    columns = [f"param_{name}" for name in params]
    if len(params) == 1:
        return _line(scored, columns[0], params[0], metric, directory / "scores.png")
    if len(params) == 2:
        return _heatmap(scored, columns, params, metric, directory / "heatmap.png")
    return _parallel(scored, columns, params, metric, directory / "parallel.png")


def walk_forward_chart(folds: pd.DataFrame, metric: str, path: Path) -> Path:
    """Bars of each fold's best in-sample score and the out-of-sample score of the same parameters."""
    fig = Figure(figsize=(max(6, len(folds) * 0.9), 4), dpi=DPI)
    ax = fig.subplots()
    x = np.arange(len(folds))
    ax.bar(x - 0.2, folds["in_score"].astype(float), width=0.4, label="in-sample (chosen)")
    ax.bar(x + 0.2, folds["out_score"].astype(float), width=0.4, label="out-of-sample")
    ax.set_xticks(x, [str(f) for f in folds["fold"]])
    ax.set_xlabel("fold")
    ax.set_ylabel(metric)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_title(f"Walk-forward: {metric} per fold")
    ax.legend(frameon=False)
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    return path


def _line(scored: pd.DataFrame, column: str, name: str, metric: str, path: Path) -> Path:
    fig = Figure(figsize=(8, 4), dpi=DPI)
    ax = fig.subplots()
    means = scored.groupby(column)["score"].mean().sort_index()
    if pd.api.types.is_numeric_dtype(means.index):
        ax.plot(means.index, means.values, marker="o")
    else:
        ax.bar([str(v) for v in means.index], means.values)
    ax.set_xlabel(name)
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} by {name}")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    return path


def _heatmap(scored: pd.DataFrame, columns: list[str], params: list[str], metric: str, path: Path) -> Path:
    grid = scored.pivot_table(index=columns[0], columns=columns[1], values="score", aggfunc="mean")
    fig = Figure(figsize=(max(5, 1 + 0.8 * grid.shape[1]), max(4, 1 + 0.5 * grid.shape[0])), dpi=DPI)
    ax = fig.subplots()
    image = ax.imshow(grid.values, cmap="RdYlGn", aspect="auto", origin="lower")
    ax.set_xticks(range(grid.shape[1]), [str(v) for v in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [str(v) for v in grid.index])
    ax.set_xlabel(params[1])
    ax.set_ylabel(params[0])
    if grid.size <= 400:  # label each cell while the labels stay legible
        for (row, col), value in np.ndenumerate(grid.values):
            if not np.isnan(value):
                ax.text(col, row, f"{value:.2f}", ha="center", va="center", fontsize=8)
    fig.colorbar(image, ax=ax, label=metric)
    ax.set_title(f"{metric} by {params[0]} and {params[1]}")
    fig.tight_layout()
    fig.savefig(path)
    return path


def _parallel(scored: pd.DataFrame, columns: list[str], params: list[str], metric: str, path: Path) -> Path:
    """One line per trial through each parameter's axis (scaled to its range), coloured by score."""
    fig = Figure(figsize=(max(6, 2 * len(params) + 2), 4.5), dpi=DPI)
    ax = fig.subplots()
    axes = [*columns, "score"]
    scaled = pd.DataFrame({c: _unit(scored[c]) for c in axes})
    colours = fig.colorbar(
        ax.scatter([], [], c=[], cmap="viridis", vmin=scored["score"].min(), vmax=scored["score"].max()),
        ax=ax,
        label=metric,
    ).cmap
    order = scored["score"].argsort().to_numpy()  # best drawn last, on top
    for position in order:
        ax.plot(range(len(axes)), scaled.iloc[position].to_numpy(), color=colours(scaled["score"].iloc[position]))
    ax.set_xticks(range(len(axes)), [*params, metric])
    for index, column in enumerate(axes):
        values = scored[column]
        ax.annotate(f"{_label(values.min())}", (index, 0), textcoords="offset points", xytext=(4, -12), fontsize=7)
        ax.annotate(f"{_label(values.max())}", (index, 1), textcoords="offset points", xytext=(4, 4), fontsize=7)
        ax.axvline(index, color="grey", linewidth=0.8)
    ax.set_yticks([])
    ax.set_title(f"{metric} across {len(params)} parameters ({len(scored)} trials)")
    fig.tight_layout()
    fig.savefig(path)
    return path


def _unit(values: pd.Series) -> pd.Series:
    if not pd.api.types.is_numeric_dtype(values):
        codes = values.astype("category").cat.codes.astype(float)
        return codes / codes.max() if codes.max() > 0 else codes * 0 + 0.5
    values = values.astype(float)
    span = values.max() - values.min()
    return (values - values.min()) / span if span > 0 else values * 0 + 0.5


def _label(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, int | float | np.number) else str(value)

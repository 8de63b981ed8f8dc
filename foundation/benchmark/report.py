"""The report ``manage.py bench`` prints and writes to bench-results.md, and the targets
of issue 6 it checks the figures against."""

import math
import os
import platform
import re
from pathlib import Path

import django

MODES = {"cold": "0", "warm": "300"}

# (key in bench_data's paths, label in the report, the cold target as a ratio to bare)
PAGES = [
    ("bare", "bare view", None),
    ("home", "home", 0.25),
    ("news", "news page 1", 0.25),
    ("news-400", "news page 400", 0.25),
    ("category", "category", 0.25),
    ("post", "post", 0.35),
    ("project", "project", 0.25),
    ("donor", "donor", 0.25),
    ("search", "search", 0.15),
    ("feed", "feed", 0.25),
    ("sitemap", "sitemap", 0.25),
]
WARM_TARGET = 0.8
P99_OVER_P50_TARGET = 5
WORKER_MEMORY_TARGET_MB = 150
# An idiomatic Wagtail news site on 2,000 posts, uncached (issue 6): req/s, and our multiple.
WAGTAIL = {
    "news": (85, 5, "first list page"),
    "news-400": (58, 5, "page 50"),
    "post": (295, 3, "a post"),
}


def render(started, options, sizes, postgres, results, memory, transfers, notes):
    """The Markdown report: the table, memory, targets, the Wagtail anchor, export/import."""
    lines = [
        "# Benchmark results",
        "",
        f"Run {started:%Y-%m-%d %H:%M} UTC by `make bench` on {machine()}.",
        f"Dataset: {sizes}. PostgreSQL {postgres}, Python "
        f"{platform.python_version()}, Django {django.get_version()}.",
        f"Server: gunicorn with `foundation/gunicorn.conf.py`, {options['workers']} sync "
        f"workers, DEBUG off. Load: `wrk -t{options['threads']} -c{options['connections']} "
        f"-d{options['duration']}s --latency` on loopback, on the same machine. Cold = page "
        "cache off (`DJANGO_PAGE_CACHE_SECONDS=0`), warm = on (300 s); gunicorn restarts "
        "between modes. Ratio = the page's req/s ÷ the bare `ok` view's req/s in the same "
        "mode and run.",
        "",
        "| page | mode | req/s | p50 ms | p99 ms | ratio to bare view | p99/p50 | errors |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in results:
        lines.append(
            f"| {row['page']} | {row['mode']} | {row['rps']:.0f} | {row['p50']:.1f} "
            f"| {row['p99']:.1f} | {fmt_ratio(row['ratio'])} "
            f"| {row['p99'] / row['p50']:.1f} | {row['errors']} |"
            if row["p50"]
            else f"| {row['page']} | {row['mode']} | {row['rps']:.0f} | – | – "
            f"| {fmt_ratio(row['ratio'])} | – | {row['errors']} |"
        )

    lines += ["", "Peak memory per gunicorn worker (VmHWM at the end of each mode):", ""]
    for mode, workers in memory.items():
        figures = ", ".join(f"{mb:.0f} MB" for mb in workers) or "no worker found"
        lines.append(f"- {mode}: {figures}")

    lines += ["", "## Targets (issue 6)", ""]
    lines += [f"- {line}" for line in check_targets(results, memory)]

    cold = {row["key"]: row for row in results if row["mode"] == "cold"}
    if cold:
        lines += [
            "",
            "## Beside the Wagtail anchor (uncached)",
            "",
            "An idiomatic Wagtail news site on 2,000 posts (SQLite, 2 sync workers, wrk -c16 "
            "on the same 2 cores) served 85 req/s for its first list page, 58 for page 50 "
            "and 295 for a post. We aim at five times that for lists and three times for "
            "posts, on 10,000 posts and a deeper page (400).",
            "",
            "| page | ours, cold req/s | Wagtail req/s | target | met |",
            "| --- | ---: | ---: | ---: | --- |",
        ]
        for key, (theirs, multiple, what) in WAGTAIL.items():
            if key in cold:
                ours = cold[key]["rps"]
                target = theirs * multiple
                lines.append(
                    f"| {cold[key]['page']} (theirs: {what}) | {ours:.0f} | {theirs} "
                    f"| {target} ({multiple}×) | {'yes' if ours >= target else 'no'} |"
                )

    if transfers:
        lines += [
            "",
            "## Export and import",
            "",
            "| direction | format | posts | seconds | posts/s | peak memory MB | result |",
            "| --- | --- | ---: | ---: | ---: | ---: | --- |",
        ]
        for row in transfers:
            result = "ok" if row["ok"] else f"failed: {row.get('error', '')}"
            peak = f"{row['peak_mb']:.0f}" if row.get("peak_mb") else "–"
            rate = f"{row['rate']:.1f}" if row["ok"] and row["rate"] else "–"
            lines.append(
                f"| {row['direction']} | {row['format']} | {row['posts']:,} "
                f"| {row['seconds']:.1f} | {rate} | {peak} | {result} |"
            )
    if notes:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


def check_targets(results, memory):
    """One line per target of issue 6: met or not, by how much."""
    lines = []
    for row in results:
        if row["key"] == "bare" or row["ratio"] is None:
            continue
        if row["mode"] == "warm":
            target = WARM_TARGET
        else:
            target = next(cold for key, _, cold in PAGES if key == row["key"])
        met = row["ratio"] >= target
        lines.append(
            f"{row['page']}, {row['mode']}: ratio {row['ratio']:.2f} (target ≥ {target}) — "
            + ("met" if met else f"NOT met, {row['ratio'] / target:.0%} of the target")
        )
    spread = [row for row in results if row["p50"] and row["p99"] / row["p50"] > 5]
    if spread:
        lines += [
            f"{row['page']}, {row['mode']}: p99/p50 {row['p99'] / row['p50']:.1f} "
            f"(target ≤ {P99_OVER_P50_TARGET}) — NOT met"
            for row in spread
        ]
    elif results:
        lines.append(f"p99 ≤ {P99_OVER_P50_TARGET} × p50: met on every page and mode")
    peak = max((mb for workers in memory.values() for mb in workers), default=None)
    if peak is not None:
        verdict = "met" if peak <= WORKER_MEMORY_TARGET_MB else "NOT met"
        lines.append(
            f"peak memory per worker {peak:.0f} MB (target ≤ {WORKER_MEMORY_TARGET_MB} MB) — "
            f"{verdict}"
        )
    errors = sum(row["errors"] for row in results)
    lines.append(f"errors: {errors}" + (" — every response was 2xx/3xx" if not errors else ""))
    return lines


def fmt_ratio(ratio):
    return "–" if ratio is None else f"{ratio:.2f}"


def machine():
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        memory = f"{math.ceil(kb / 1024 / 1024)} GB RAM"
    except (OSError, AttributeError):
        memory = "unknown RAM"
    return f"{cpu}, {os.cpu_count()} cores, {memory}, {platform.system()} {platform.release()}"

"""The CLI's commands about the data itself: the sample shop, and the first rows a job
landed (thin wrappers over app.sample and app.services.preview)."""

from __future__ import annotations

import argparse

from app.cli.commands import _print_json
from app.services.context import AppContext


def sample(ctx: AppContext, args: argparse.Namespace) -> int:
    from app.sample import create_sample

    for line in create_sample(ctx).said:
        print(line)
    return 0


def job_preview(ctx: AppContext, args: argparse.Namespace) -> int:
    """The first rows of each destination table (JSON: one object per table)."""
    from app.etl.plain import plain
    from app.services.preview import PreviewService

    previews = PreviewService(ctx).job(args.name, args.table, limit=args.limit)
    if args.json:
        _print_json([p.to_json() for p in previews])
        return 1 if any(p.error for p in previews) else 0
    for p in previews:
        print(f"{p.table}:")
        if p.error:
            print(f"  {p.error}")
            continue
        cells = [[("NULL" if v is None else str(plain(v)))[:40] for v in row]
                 for row in p.rows]
        widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(p.columns)]
        print("  " + "  ".join(c.ljust(w) for c, w in zip(p.columns, widths, strict=True)))
        for row in cells:
            print("  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
        if p.more:
            print(f"  … (the first {len(p.rows)} rows)")
    return 1 if any(p.error for p in previews) else 0

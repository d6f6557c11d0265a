"""manage.py opsroom_import KIND FILE: import a JSONL or CSV file of one kind of record."""

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from opsroom.ingest.batch import MAX_ITEMS
from opsroom.ingest.importers.readers import FORMATS
from opsroom.ingest.importers.run import COMMIT_ROWS, file_import
from opsroom.ingest.kinds import KINDS
from opsroom.telemetry.services import delivery_record


class Command(BaseCommand):
    help = (
        "Import a JSONL or CSV file of one kind of record, with the batch API's validation. "
        "Re-running it creates nothing new; rejected rows go to a JSONL file with their line "
        "number and reason."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", help=f"one of: {', '.join(KINDS)}")
        parser.add_argument("file", help="a .jsonl (one JSON object a line) or .csv file")
        parser.add_argument(
            "--format", choices=FORMATS, help="file format (default: from the file name)"
        )
        parser.add_argument(
            "--rejects", help="where rejected rows are written (default: FILE.rejects.jsonl)"
        )
        parser.add_argument(
            "--chunk", type=int, default=MAX_ITEMS, help=f"rows per batch (default {MAX_ITEMS})"
        )
        parser.add_argument(
            "--commit-every",
            type=int,
            default=COMMIT_ROWS,
            help=f"rows per transaction (default {COMMIT_ROWS:,})",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        kind = KINDS.get(options["kind"])
        if kind is None:
            raise CommandError(f"Unknown kind {options['kind']!r}; choose from {', '.join(KINDS)}.")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        file_format = options["format"] or path.suffix.lower().lstrip(".")
        if file_format == "json":
            file_format = "jsonl"
        if file_format not in FORMATS:
            raise CommandError(
                f"Cannot tell the format of {path.name}: name it .jsonl or .csv, or pass --format."
            )
        if not 1 <= options["chunk"] <= MAX_ITEMS:
            raise CommandError(f"--chunk must be between 1 and {MAX_ITEMS}.")
        if options["commit_every"] < 1:
            raise CommandError("--commit-every must be at least 1.")
        rejects = Path(options["rejects"] or f"{path}.rejects.jsonl")
        try:
            rejects.parent.mkdir(parents=True, exist_ok=True)
            rejects.touch()
        except OSError as exc:
            raise CommandError(f"Cannot write the rejects file {rejects}: {exc}") from exc

        size = path.stat().st_size
        bar: tqdm[Any] = tqdm(
            total=size,
            unit="B",
            unit_scale=True,
            desc=f"{kind.name} <- {path.name}",
            disable=options["no_progress"],
            file=sys.stderr,
        )

        def progress(bytes_read: int) -> None:
            bar.update(min(bytes_read, size) - bar.n)

        try:
            summary = file_import(
                kind,
                path,
                file_format=file_format,
                rejects_path=rejects,
                chunk_size=options["chunk"],
                commit_rows=options["commit_every"],
                progress=progress,
            )
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path.name} is not UTF-8 text: {exc}") from exc
        finally:
            bar.close()
        delivery_record(
            source="import",
            outcome="processed" if summary.accepted or not summary.rows else "rejected",
            event_type=kind.name,
            external_id=path.name,
            payload={
                "file": str(path),
                "rows": summary.rows,
                "accepted": summary.accepted,
                "created": summary.created,
                "updated": summary.updated,
                "rejected": summary.rejected,
            },
            processing_ms=summary.seconds * 1000,
        )
        rate = summary.rows / summary.seconds if summary.seconds else 0
        self.stdout.write(
            f"{kind.name}: {summary.rows:,} rows in {summary.seconds:.1f} s ({rate:,.0f}/s): "
            f"{summary.accepted:,} accepted ({summary.created:,} created, "
            f"{summary.updated:,} updated, {summary.unchanged:,} unchanged), "
            f"{summary.rejected:,} rejected."
        )
        if summary.rejected:
            self.stdout.write(f"Rejected rows, with line numbers and reasons: {rejects}")

"""Labelled texts from a CSV file: a `text` column and a `label` (or `category`) column.

An empty label marks an out-of-scope row: a text the classifier must refuse to label.
"""

import csv
from dataclasses import dataclass
from pathlib import Path

from opsroom.core.errors import InvalidInput

TEXT_COLUMN = "text"
LABEL_COLUMNS = ("label", "category")


@dataclass(frozen=True)
class LabelledTexts:
    texts: list[str]
    labels: list[str]  # "" marks out of scope

    @property
    def in_scope_labels(self) -> set[str]:
        return {label for label in self.labels if label}


def labelled_csv_read(path: str | Path) -> LabelledTexts:
    """Read a labelled CSV file, or raise InvalidInput saying what is wrong with it."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file.")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = [name.strip().lower() for name in reader.fieldnames or []]
            if not columns:
                raise InvalidInput(f"{path}: the file is empty.")
            reader.fieldnames = columns
            label_column = next((name for name in LABEL_COLUMNS if name in columns), None)
            if TEXT_COLUMN not in columns or label_column is None:
                raise InvalidInput(
                    f"{path}: needs a 'text' column and a 'label' or 'category' column "
                    f"(found: {', '.join(columns)})."
                )
            texts, labels = [], []
            for row in reader:
                texts.append((row.get(TEXT_COLUMN) or "").strip())
                labels.append((row.get(label_column) or "").strip())
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path}: not UTF-8 text (byte {exc.start}).") from exc
    except csv.Error as exc:
        raise InvalidInput(f"{path}: not a readable CSV file ({exc}).") from exc
    if not texts:
        raise InvalidInput(f"{path}: the file has a header but no rows.")
    return LabelledTexts(texts=texts, labels=labels)

"""Where the project's own files are: the checkout's root, its data and queries folders."""
from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
QUERY_DIR = PROJECT_ROOT / "queries"

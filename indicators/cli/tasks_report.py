"""`tasks report`: the quarterly report of a plan's tasks as .xlsx or .pdf (work in progress)."""
from __future__ import annotations

import argparse


def add(cmds: argparse._SubParsersAction) -> None:
    """Register `report` under `tasks`."""

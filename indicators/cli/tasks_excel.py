"""`tasks template` and `tasks import`: the task report template, and importing it (work in progress)."""
from __future__ import annotations

import argparse


def add(cmds: argparse._SubParsersAction) -> None:
    """Register `template` and `import` under `tasks`."""

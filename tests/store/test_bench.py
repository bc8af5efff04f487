"""The benchmark's own measuring: a page's or an import's peak memory is its own process's."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.run import peak_mib

ROOT = Path(__file__).resolve().parents[2]
CHILD = "import json; from bench.run import peak_mib; print(json.dumps(peak_mib()))"


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="VmHWM is Linux's")
def test_a_child_does_not_report_its_parents_memory():
    """The bug this guards against: ru_maxrss of a freshly spawned child carried the benchmark
    parent's resident size (1.3 GB after the pandas read), not the page's (~0.4 GB)."""
    ballast = bytearray(600 * 1024 * 1024)   # touched: resident in this (parent) process
    ballast[::4096] = b"x" * len(ballast[::4096])
    assert peak_mib() > 600
    out = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    child = json.loads(out.stdout)
    assert 5 < child < 300, child
    del ballast

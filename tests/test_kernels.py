"""kernels.py: connection files (the kernel's key) where the caller says, removed on shutdown and
swept when the process that wrote them was killed."""

from __future__ import annotations

import json
import subprocess
import sys

from chinabrief.pipeline.kernels import Kernel, sweep


def test_connection_file_lives_in_the_given_folder_and_goes_with_the_kernel(tmp_path):
    folder = tmp_path / "build" / "kernels"
    kernel = Kernel.start(tmp_path, (), connection_dir=folder)
    try:
        files = list(folder.iterdir())
        assert len(files) == 1 and files[0].name.startswith("kernel-")
        assert oct(files[0].stat().st_mode & 0o777) == "0o600" and oct(folder.stat().st_mode & 0o777) == "0o700"
        assert json.loads(files[0].read_text())["key"]  # the HMAC key: why it must not linger
    finally:
        kernel.shutdown(now=True)
    assert list(folder.iterdir()) == []
    kernel.shutdown()  # a second shutdown is harmless


def test_sweep_removes_only_the_files_of_dead_processes(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / f"kernel-{dead.pid}-0123456789ab.json").write_text("{}")
    mine = tmp_path / f"kernel-{__import__('os').getpid()}-0123456789ab.json"
    mine.write_text("{}")
    other = tmp_path / "kernel-not-ours.json"
    other.write_text("{}")
    removed = sweep(tmp_path)
    assert [p.name for p in removed] == [f"kernel-{dead.pid}-0123456789ab.json"]
    assert mine.exists() and other.exists()

"""`make lab` and the project's kernel: JupyterLab at the repository root with notebooks/ open,
on the ``chinabrief`` kernel of the venv; `make report` runs the notebooks on the venv's python."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.kernelspec import KernelSpecManager

from chinabrief.pipeline import kernels

ROOT = Path(__file__).resolve().parents[1]
KERNEL = "chinabrief"


def make_dry(*args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL")}
    return subprocess.run(["make", "-n", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout


def lab_command(plan: str) -> str:
    return " ".join(
        line.strip().rstrip("\\") for line in plan.splitlines() if "jupyter lab" in line or line.startswith("  ")
    ).split("jupyter lab", 1)[1]


def test_lab_opens_the_repository_root_on_notebooks_and_takes_extra_arguments():
    command = lab_command(make_dry("lab", "LAB_ARGS=--no-browser --port=8899"))
    assert f'--ServerApp.root_dir="{ROOT}"' in command
    assert "--LabApp.default_url=/lab/tree/notebooks" in command
    assert command.split()[-2:] == ["--no-browser", "--port=8899"]  # LAB_ARGS come last: they win
    assert ("--allow-root" in command) == (os.geteuid() == 0)


def test_the_set_up_registers_the_project_kernel_on_the_venvs_python():
    assert "ipykernel install --sys-prefix --name chinabrief" in make_dry("-B", "git-filter")
    spec = KernelSpecManager().get_kernel_spec(KERNEL)
    assert Path(spec.resource_dir).is_relative_to(sys.prefix)  # installed into the venv (--sys-prefix) ...
    assert os.path.abspath(spec.argv[0]) == os.path.abspath(sys.executable)  # ... and runs its python
    assert spec.display_name == "China Crypto Brief (.venv)"


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_notebooks_name_the_project_kernel(path):
    spec = nbformat.read(path, as_version=4).metadata["kernelspec"]
    assert spec == {"display_name": "China Crypto Brief (.venv)", "language": "python", "name": KERNEL}


def test_the_runner_kernel_runs_on_the_interpreter_of_the_build(tmp_path):
    """`make report` runs the notebooks on KERNEL_NAME: the python running the build (the venv's)."""
    kernel = kernels.Kernel.start(tmp_path)
    try:
        kernel.wait(60)
        client = BlockingKernelClient()
        client.load_connection_info(kernel.km.get_connection_info())
        client.start_channels()
        client.wait_for_ready(timeout=60)
        reply = client.execute_interactive("import sys", user_expressions={"prefix": "sys.prefix"}, timeout=60)
        client.stop_channels()
    finally:
        kernel.shutdown()
    prefix = reply["content"]["user_expressions"]["prefix"]["data"]["text/plain"].strip("'")
    assert prefix == sys.prefix  # the environment running the build (the venv, under make test)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_make_lab_serves_the_repository_with_the_project_kernel():
    """Starts `make lab` for real (as root here, when the tests run as root) and asks its REST API."""
    port, token = _free_port(), "test-token-for-lab"
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL")}
    env["JUPYTER_RUNTIME_DIR"] = str(Path(os.environ.get("TMPDIR", "/tmp")) / f"lab-test-{port}")
    lab = subprocess.Popen(
        ["make", "lab", f"LAB_ARGS=--no-browser --port={port} --ServerApp.token={token} --ServerApp.ip=127.0.0.1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                specs = _get(f"{base}/api/kernelspecs?token={token}")
                break
            except OSError:
                assert lab.poll() is None, lab.stderr.read().decode()[-2000:]
                assert time.monotonic() < deadline, "JupyterLab did not start within 90 s"
                time.sleep(0.5)
        assert KERNEL in specs["kernelspecs"]
        top = {item["name"] for item in _get(f"{base}/api/contents?token={token}")["content"]}
        assert {"notebooks", "src", "params.yaml"} <= top  # the repository root, src/ included
        with urllib.request.urlopen(f"{base}/lab?token={token}", timeout=10) as page:
            assert page.status == 200
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        try:
            lab.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(lab.pid, signal.SIGKILL)
            lab.wait()

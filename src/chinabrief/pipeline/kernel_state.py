"""What a notebook run can leave behind in its kernel's process, saved and restored.

Runs inside the kernel (see :mod:`chinabrief.pipeline.kernels`): :func:`save` after the warm-up imports,
:func:`restore` before each later run in the same kernel, so every run starts from the state the
first one started from: working directory, environment variables, warning filters and the warnings
already shown, matplotlib's rcParams and open figures, and pandas' options (reset to their defaults,
which no chinabrief module changes).

Not covered: a module's own global variables. chinabrief's modules keep none that a run changes;
``tests/test_pipeline.py`` checks that a brief built in a shared kernel is byte-identical to one
built alone. Only public APIs are used: the warning filters are rebuilt with
``warnings.resetwarnings`` and ``warnings.filterwarnings`` (which also clear the module's caches).
"""

from __future__ import annotations

import os
import sys
import warnings

_saved: dict | None = None


def save() -> None:
    """Record the state later runs must start from."""
    global _saved
    _saved = {"cwd": os.getcwd(), "environ": dict(os.environ), "filters": list(warnings.filters)}
    if "matplotlib" in sys.modules:
        import matplotlib

        _saved["rc"] = {k: v for k, v in matplotlib.rcParams.items() if k != "backend"}


def _pattern(value) -> str:
    """A filter's message or module as filterwarnings takes it: a compiled regex, text or None."""
    return getattr(value, "pattern", value) or ""


def restore() -> None:
    """Put back what :func:`save` recorded; forget the warnings already shown."""
    if _saved is None:
        raise RuntimeError("kernel_state.restore() before save()")
    os.chdir(_saved["cwd"])
    os.environ.clear()
    os.environ.update(_saved["environ"])
    warnings.resetwarnings()
    for action, message, category, module, lineno in reversed(_saved["filters"]):  # each one inserted first
        warnings.filterwarnings(action, _pattern(message), category, _pattern(module), lineno)
    warnings.onceregistry.clear()  # type: ignore[attr-defined]  # "once" warnings shown again (not in typeshed)
    for module in list(sys.modules.values()):
        # object.__getattribute__: neither a module's __getattr__ nor a lazy module's loader runs
        try:
            namespace = object.__getattribute__(module, "__dict__")
        except (AttributeError, TypeError):
            continue
        namespace.get("__warningregistry__", {}).clear()
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib
        import matplotlib.pyplot as plt

        plt.close("all")
        if "rc" in _saved:
            matplotlib.rcParams.update(_saved["rc"])
    if "pandas" in sys.modules:
        import pandas as pd

        with warnings.catch_warnings():  # resetting deprecated options warns
            warnings.simplefilter("ignore")
            pd.reset_option("all")

"""Test-only fault injection, loaded by Python at start-up when a test puts this folder on PYTHONPATH.

``CHINABRIEF_TEST_ENOSPC=<text>:<n>``: in a Jupyter kernel, the n-th and every later
``os.replace`` whose destination contains ``<text>`` fails with ENOSPC, as on a full disk when a
written file is put in place. Nothing in the package reads this variable; without this folder on
PYTHONPATH it has no effect.
"""

import os
import sys

_SPEC = os.environ.get("CHINABRIEF_TEST_ENOSPC")
if _SPEC and any("ipykernel" in arg for arg in getattr(sys, "orig_argv", sys.argv)):
    import errno

    _pattern, _nth = _SPEC.rsplit(":", 1)
    _replace = os.replace
    _count = [0]

    def _full_disk_replace(src, dst, *args, **kwargs):
        if _pattern in os.fspath(dst):
            _count[0] += 1
            if _count[0] >= int(_nth):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), os.fspath(dst))
        return _replace(src, dst, *args, **kwargs)

    os.replace = _full_disk_replace

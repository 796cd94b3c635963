"""``python -m chinabrief.pipeline.strip_outputs``: nbstripout, started the way the package starts.

Git runs the notebook filter (``.gitattributes``) on every ``git status``/``git diff`` of a changed
notebook. nbstripout imports nbformat, whose jsonschema import builds an IRI grammar
(rfc3987_syntax) that takes about 3 s; importing :mod:`chinabrief` first skips that optional
checker (see ``chinabrief/__init__.py``), so the filter answers in a fraction of a second. The
arguments are nbstripout's own.
"""

from __future__ import annotations

import sys

from nbstripout._nbstripout import main

import chinabrief  # noqa: F401  (first: skips jsonschema's IRI grammar)

if __name__ == "__main__":
    sys.argv[0] = "nbstripout"
    sys.exit(main())

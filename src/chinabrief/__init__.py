"""China Crypto Brief: a reproducible report pipeline on China-linked tokens and Bitcoin mining."""

import sys

# nbformat imports jsonschema, which imports its optional IRI-format checker (rfc3987_syntax,
# pulled in by jupyter-events) if installed; that module compiles a grammar at import time,
# about 1.2 s in every runner process. Notebook validation never checks IRIs, and jsonschema
# skips the checker on ImportError, so we block the import. Measured in bench/bench_pipeline.py.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # None blocks an import

__version__ = "0.1.0"

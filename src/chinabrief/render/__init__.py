"""What the brief notebooks show: sentences as Markdown, tables as pandas Stylers, charts as
matplotlib figures (shown as deterministic ``image/png``). Nothing here returns a whole brief or
section: a notebook's markdown cells hold the headings and fixed prose, and each code cell shows
one of these objects."""


def ipython_shell():
    """The running IPython shell (a kernel, or IPython itself), or None in a plain process.

    The render modules register their display formatters with it on import.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return None
    return get_ipython()

"""What the brief notebooks show: sentences as Markdown, tables as pandas Stylers, charts as
matplotlib figures (shown as deterministic ``image/png``). Nothing here returns a whole brief or
section: a notebook's markdown cells hold the headings and fixed prose, and each code cell shows
one of these objects."""

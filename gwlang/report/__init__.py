"""`gwc report`: a site as static HTML pages that open from file://.

`pages.py` turns compiled sites into plain page data (bars, table rows,
attribute provenance, links), `highlight.py` colours gw sources,
`write.py` renders the jinja2 templates and writes the folder.  Nothing
here reaches back into the compiler: it reads models, artifacts and
diagnostics.
"""

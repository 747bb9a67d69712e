"""Sphinx configuration of the mirabal_stats documentation (MyST markdown, pydata theme).

Build with ``make -C docs html`` (or ``make docs`` at the top level). The build is offline: no
intersphinx, no remote assets. The example gallery is executed at build time by the local
extension ``_ext/reproduction_gallery.py``; set ``MIRABAL_DOCS_QUICK=1`` for reduced MCMC draws.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))  # the package, importable without installing it
sys.path.insert(0, str(HERE / "_ext"))


project = "mirabal_stats"
author = "mirabal_stats developers"
copyright = "2026, mirabal_stats developers"
try:
    from importlib.metadata import version as _version

    release = _version("mirabal_stats")
except Exception:  # not pip-installed: fall back to the source tree's version
    release = "0.1.0"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "reproduction_gallery",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "README.md"]
myst_enable_extensions = ["colon_fence", "dollarmath", "deflist"]
myst_heading_anchors = 3

# numpydoc-style docstrings through napoleon (no extra dependency).
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_rtype = False
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": False}
autosummary_generate = False
# The pymc/pytensor stack is slow to import but present; nothing is mocked so signatures are real.

html_theme = "pydata_sphinx_theme"
html_title = "mirabal_stats"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
# Formulas use MathJax from its CDN when the pages are viewed online; offline they show as TeX.
html_static_path = ["_static"]
html_css_files = ["custom.css"]
# Wide tables (gallery, API) read better without the left section navigation.
html_sidebars = {"gallery": [], "api": [], "cli": []}

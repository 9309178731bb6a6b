"""Sphinx configuration for the skmnist documentation."""

import os
import sys
from pathlib import Path

import skmnist

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

# The gallery reads MNIST through the loader's own configuration (SKMNIST_DATA_HOME,
# else the per-user cache, else Keras's cache, else a verified download).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

project = "skmnist"
author = "The skmnist developers"
copyright = "2026, The skmnist developers"
release = skmnist.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "cli_help",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/*.ipynb"]

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

html_theme = "pydata_sphinx_theme"
html_title = f"skmnist {release}"
html_static_path = ["_static"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_prev_next": False,
    "footer_start": ["copyright"],
    "secondary_sidebar_items": ["page-toc"],
}

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,
    "plot_gallery": "True",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "doc_module": ("skmnist",),
    "backreferences_dir": "generated/backreferences",
}


def _skip_metadata_request_methods(app, what, name, obj, skip, options):
    # scikit-learn generates set_{fit,score,...}_request on every estimator class;
    # their docstrings point into scikit-learn's own docs. Documented there.
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_request_methods)

"""``.. skmnist-cli-help::`` renders ``skmnist --help`` and each subcommand's help.

Generated from the real argument parser at build time, so the page cannot drift
from the command line.
"""

import argparse

from docutils import nodes
from sphinx.util.docutils import SphinxDirective


class CliHelpDirective(SphinxDirective):
    has_content = False

    def run(self):
        from skmnist.cli import build_parser

        parser = build_parser()
        sections = [self._section("skmnist", parser.format_help())]
        subparsers = next(
            action
            for action in parser._actions
            if isinstance(action, argparse._SubParsersAction)
        )
        for name, sub in subparsers.choices.items():
            sections.append(self._section(f"skmnist {name}", sub.format_help()))
        return sections

    def _section(self, title, text):
        section = nodes.section(ids=[nodes.make_id(title)])
        section += nodes.title(text=title)
        section += nodes.literal_block(text, text)
        return section


def setup(app):
    app.add_directive("skmnist-cli-help", CliHelpDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

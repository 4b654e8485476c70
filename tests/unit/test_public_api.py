"""The public API: every exported name resolves, and importing the package stays light."""

from __future__ import annotations

import subprocess
import sys

import marketing_utils


def test_every_exported_name_resolves():
    for name in marketing_utils.__all__:
        assert getattr(marketing_utils, name) is not None, name


def test_unknown_name_raises_attribute_error():
    try:
        marketing_utils.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")


def test_cli_import_does_not_load_pandas():
    code = "import sys, marketing_utils.runner.cli, marketing_utils.params.file; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

"""The package surface: lazy public names, light imports, the console script."""

import subprocess
import sys

import pytest

import skmnist

HEAVY = ("tensorflow", "keras", "scikeras", "optuna", "matplotlib")


def _modules_loaded_by(code):
    probe = (
        f"{code}\nimport sys\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""


def test_import_skmnist_loads_no_heavy_library():
    assert _modules_loaded_by("import skmnist") == ""


def test_help_loads_no_heavy_library():
    code = (
        "import contextlib, io\n"
        "from skmnist.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main(['--help'])\n"
        "    except SystemExit:\n"
        "        pass"
    )
    assert _modules_loaded_by(code) == ""


@pytest.mark.parametrize("name", skmnist.__all__)
def test_every_public_name_resolves(name):
    assert getattr(skmnist, name) is not None
    assert name in dir(skmnist)


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        skmnist.nope  # noqa: B018


def test_console_script_answers_help():
    result = subprocess.run(
        [sys.executable, "-m", "skmnist", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "train" in result.stdout


def test_bad_arguments_end_with_one_line_and_status_2():
    result = subprocess.run(
        [sys.executable, "-m", "skmnist", "train", "--epochs", "zero"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "--epochs" in result.stderr.strip().splitlines()[-1]


def test_missing_data_ends_with_one_line_and_status_1(tmp_path):
    env = {"SKMNIST_DATA_HOME": str(tmp_path), "KERAS_HOME": str(tmp_path), "PATH": ""}
    result = subprocess.run(
        [sys.executable, "-m", "skmnist", "train", "--offline"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert str(tmp_path) in lines[0]

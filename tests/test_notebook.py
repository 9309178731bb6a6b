"""The library in a Jupyter notebook: quiet start-up, one clean line per epoch."""

import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]

CELLS = [
    "from sklearn.datasets import load_digits\nfrom skmnist import KerasMLPClassifier",
    "X, y = load_digits(return_X_y=True)\n"
    "clf = KerasMLPClassifier((8,), epochs=3, random_state=0, verbose=1)\n"
    "_ = clf.fit(X / 16, y)",
    "import os\nprint(os.environ.get('TF_CPP_MIN_LOG_LEVEL'))",
]


def run_notebook(cells, monkeypatch):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    # the kernel inherits this environment: this worktree's skmnist, and no
    # TF_CPP_MIN_LOG_LEVEL (the test configuration may set it)
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    # ipykernel forwards what C++ writes to the process's stderr into the cells,
    # as in a real notebook, except under pytest (it checks this variable)
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3",
        resources={"metadata": {"path": str(ROOT)}},
    )  # fmt: skip
    client.execute()
    return [cell.outputs for cell in notebook.cells]


def streams(outputs, name):
    return "".join(o.get("text", "") for o in outputs if o.get("name") == name)


def test_a_notebook_shows_one_clean_line_per_epoch_and_no_start_up_lines(
    monkeypatch,
):
    imports, training, environment = run_notebook(CELLS, monkeypatch)
    assert imports == []  # importing the engine (and TensorFlow) shows nothing
    assert streams(training, "stderr") == ""
    text = streams(training, "stdout")
    assert "\b" not in text and "\r" not in text and "\x1b" not in text
    lines = text.splitlines()
    assert [line.split(" - ")[0] for line in lines] == [
        "epoch 1/3",
        "epoch 2/3",
        "epoch 3/3",
    ]
    for line in lines:
        assert re.fullmatch(r"epoch \d/3 - \d+\.\d\d s( - \w+: \d+\.\d{4})+", line)
    # the user's environment is left as it was
    assert streams(environment, "stdout").strip() == "None"


def test_a_notebook_shows_tensorflows_lines_when_the_user_asks(monkeypatch):
    cells = ["import os\nos.environ['TF_CPP_MIN_LOG_LEVEL'] = '0'", CELLS[0]]
    _, imports = run_notebook(cells, monkeypatch)
    assert "oneDNN custom operations" in streams(imports, "stderr")

"""
Working without the network: the data home, MNIST and Fashion-MNIST
====================================================================

:func:`skmnist.load_mnist` and :func:`skmnist.load_fashion_mnist` never need the
network once the files are on disk. They look in the *data home* (the ``data_home=``
parameter, else the ``SKMNIST_DATA_HOME`` environment variable, else
``~/.cache/skmnist``), then in Keras's cache, and only then download, verifying every
file by the checksum of its content before it is kept. The data home may be
read-only: nothing is written unless a download is needed.
"""

# %%
# Where does the loader look, and where did the data come from this time?
import os
import shutil
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

import skmnist
from skmnist.datasets import DatasetNotFoundError

print("SKMNIST_DATA_HOME =", os.environ.get("SKMNIST_DATA_HOME"))
print("data home in use:", skmnist.get_data_home())
mnist = skmnist.load_mnist()  # downloads (once) only if nothing is on disk
print("MNIST read from:", mnist.filename, f"(source: {mnist.source})")

# %%
# A folder of your own: copy the files there (``mnist.npz``, or the four IDX files
# in ``mnist-idx/``) and point the loader at it. With ``download_if_missing=False``
# it never touches the network.
offline_home = Path(tempfile.mkdtemp())
source = Path(mnist.filename)
if source.is_file():
    shutil.copy(source, offline_home / "mnist.npz")
else:
    shutil.copytree(source, offline_home / "mnist-idx")
offline = skmnist.load_mnist(data_home=offline_home, download_if_missing=False)
print("offline copy read from:", offline.filename, f"(source: {offline.source})")

# %%
# With nothing there and downloads off, the error says where it looked and how to
# supply the files: here, an empty data home (and, so that Keras's cache cannot
# answer either, an empty ``KERAS_HOME``).
with tempfile.TemporaryDirectory() as empty:
    saved_keras_home = os.environ.get("KERAS_HOME")
    os.environ["KERAS_HOME"] = empty
    try:
        skmnist.load_mnist(data_home=empty, download_if_missing=False)
    except DatasetNotFoundError as error:
        print(str(error)[:700], "...")
    finally:
        if saved_keras_home is None:
            del os.environ["KERAS_HOME"]
        else:
            os.environ["KERAS_HOME"] = saved_keras_home

# %%
# Fashion-MNIST comes in exactly the same form, with its ten class names: the same
# pipelines, searches and displays run on it unchanged.
fashion = skmnist.load_fashion_mnist()
print("Fashion-MNIST read from:", fashion.filename, f"(source: {fashion.source})")
fig, axes = plt.subplots(2, 5, figsize=(8, 3.8))
for label, ax in enumerate(axes.ravel()):
    first = (fashion.y_train == label).argmax()
    ax.imshow(fashion.X_train[first], cmap="gray_r")
    ax.set_title(fashion.target_names[label], fontsize=9)
    ax.set_axis_off()
fig.suptitle("Fashion-MNIST: the first training image of each class")
fig.tight_layout()

# %%
# The description, with the licence and how to cite, travels with the data.
print(fashion.DESCR[-420:])
shutil.rmtree(offline_home)

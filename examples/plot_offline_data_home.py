"""
Working without the network: the data home
==========================================

:func:`skmnist.load_mnist` never needs the network once the files are on disk. Put
``mnist.npz`` (the Keras file) or the four original IDX files in a folder and point
the loader at it, with ``data_home=`` or the ``SKMNIST_DATA_HOME`` environment
variable. The folder may be read-only: nothing is written unless a download is
needed.
"""

# %%
# Where does the loader look? The data home comes from the parameter, else the
# environment variable, else a per-user cache folder.
import os
import tempfile

import skmnist
from skmnist.data import MNISTNotFoundError

print("SKMNIST_DATA_HOME =", os.environ.get("SKMNIST_DATA_HOME"))
print("data home in use:", skmnist.get_data_home())
mnist = skmnist.load_mnist(download_if_missing=False)
print("read from:", mnist.filename)

# %%
# With nothing there and downloads off, the error says where it looked and how to
# supply the files: here, an empty folder.
with tempfile.TemporaryDirectory() as empty:
    try:
        skmnist.load_mnist(data_home=empty, download_if_missing=False)
    except MNISTNotFoundError as error:
        print(str(error)[:600], "...")

# %%
# The description travels with the data.
print(mnist.DESCR[:400])

"""Root conftest: applies to the doctests in skmnist/ as well as to tests/.

Points the MNIST data home at ``../shared/data`` (beside the repository) unless the
caller set ``SKMNIST_DATA_HOME``, so tests and doctests read the real MNIST without
a download and without a hard-coded path.
"""

import os
from pathlib import Path

SHARED_DATA_DIR = Path(__file__).resolve().parent.parent / "shared" / "data"

os.environ.setdefault("SKMNIST_DATA_HOME", str(SHARED_DATA_DIR))
# scikit-learn's array-API estimator check (NumPy namespace) runs only with this set
# before SciPy is imported; without it the check skips itself
os.environ.setdefault("SCIPY_ARRAY_API", "1")
# quiet TensorFlow's start-up chatter in test logs
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

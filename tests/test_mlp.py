"""The dense family, KerasMLPClassifier: its architecture on the shared engine."""

import numpy as np
import pytest

from skmnist import KerasMLPClassifier
from skmnist.models import BaseKerasClassifier


def test_reference_architecture_has_235146_parameters():
    X = np.zeros((10, 784), dtype=np.float32)
    y = np.arange(10)
    clf = KerasMLPClassifier(epochs=1, random_state=0).fit(X, y)
    assert clf.model_.count_params() == 235_146
    layers = [layer.name for layer in clf.model_.layers]
    assert layers == ["hidden_1", "dropout_1", "hidden_2", "output"]
    assert clf.model_.get_layer("dropout_1").rate == 0.2
    assert "235,146" in clf.summary()


def test_mlp_is_an_architecture_on_the_shared_engine():
    assert issubclass(KerasMLPClassifier, BaseKerasClassifier)
    own = {"hidden_layer_sizes", "activation", "dropout"}
    shared = set(BaseKerasClassifier._parameter_constraints)
    assert set(KerasMLPClassifier._parameter_constraints) == own | shared
    assert set(KerasMLPClassifier().get_params()) == own | shared
    # the engine itself defines no network
    with pytest.raises(NotImplementedError, match="_build_network"):
        BaseKerasClassifier(epochs=1).fit(np.zeros((4, 3)), [0, 1, 0, 1])

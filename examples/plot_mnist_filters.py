"""
What the first layer looks at
=============================

Each unit of a perceptron's first layer takes a weighted sum of all 784 pixels, so
its weights, laid out as a 28 x 28 image, show which strokes make it fire (light)
and which hold it back (dark). scikit-learn draws these from ``MLPClassifier``'s
``coefs_[0]``; :class:`skmnist.KerasMLPClassifier` has the same attribute, of the
same shape ``(784, n_units)``, read from the Keras network.

Here a 50-unit network learns from 10,000 MNIST training images for 10 epochs
(scikit-learn's example uses all 60,000: the filters look much the same, and the
documentation builds faster), twice: with scikit-learn's default L2 penalty
``alpha=1e-4`` and with a strong one, ``alpha=1``. See :ref:`from-mlpclassifier`
for how the other arguments of scikit-learn's example translate.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import train_test_split

import skmnist

mnist = skmnist.load_mnist()
X_train, _, y_train, _ = train_test_split(
    mnist.X_train,
    mnist.y_train,
    train_size=10_000,
    stratify=mnist.y_train,
    random_state=0,
)
# flat pixels in [0, 1], as the perceptron takes them
flatten = skmnist.ImageFlattener().fit(X_train)
X_train, X_test = flatten.transform(X_train), flatten.transform(mnist.X_test)

# %%
# Two networks, differing only in ``alpha``. ``alpha`` adds
# ``0.5 * alpha * sum(W ** 2) / batch_size`` to each batch's loss, exactly as in
# ``MLPClassifier``, so the stronger penalty ends with smaller weights.
networks = {}
for alpha in (1e-4, 1.0):
    clf = skmnist.KerasMLPClassifier(
        hidden_layer_sizes=(50,),
        alpha=alpha,
        batch_size=200,
        epochs=10,
        random_state=1,
    ).fit(X_train, y_train)
    networks[alpha] = clf
    squares = sum(float((W**2).sum()) for W in clf.coefs_)
    print(
        f"alpha={alpha:g}: test accuracy {clf.score(X_test, mnist.y_test):.4f}, "
        f"sum of squared weights {squares:.0f}"
    )

# %%
# The first 16 units of each. Pixels at the border are black in every training
# image, so no example ever moves their weights: only the penalty does, pulling
# them to zero (grey). With the weak penalty the random starting weights still
# show there; with the strong one they are gone and the strokes are smoother,
# for a little less accuracy on this slice.
fig, axes = plt.subplots(4, 8, figsize=(10, 5.4))
for column, (alpha, clf) in enumerate(networks.items()):
    W = clf.coefs_[0]  # (784, 50)
    limit = 0.5 * np.abs(W).max()
    for unit, ax in enumerate(axes[:, 4 * column : 4 * column + 4].ravel()):
        ax.matshow(W[:, unit].reshape(28, 28), cmap="gray", vmin=-limit, vmax=limit)
        ax.set_xticks(())
        ax.set_yticks(())
    axes[0, 4 * column].set_title(f"alpha={alpha:g}", loc="left")
fig.suptitle("First-layer weights of 16 units")
plt.show()

"""
Training curves of several optimisers
=====================================

Every skmnist classifier records its training loss per epoch in ``loss_curve_``,
as scikit-learn's ``MLPClassifier`` does, so code written to plot one plots the
other. (``loss_curve_`` is ``history_["loss"]`` itself: one record, never two.)
With ``early_stopping=True`` the accuracy on the held-out share of the training
data is recorded too, in ``validation_scores_``.

Here the same small network learns scikit-learn's 8 x 8 digits with each of
Keras's optimisers, at a learning rate that suits it, and with SGD both with and
without momentum (``momentum=0.9`` with Nesterov's variant is the default, as
``MLPClassifier``'s ``solver="sgd"``). Early stopping is on only
to hold out a validation set; its patience is as long as the run, so every
optimiser trains all 30 epochs (and keeps the weights of its epoch of lowest
validation loss, whose accuracy is ``best_validation_score_``).
"""

# %%
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits

from skmnist import KerasMLPClassifier

X, y = load_digits(return_X_y=True)
X = X / 16  # pixels in [0, 1]

optimisers = {
    "SGD without momentum, learning rate 0.01": ("sgd", 0.01, 0.0),
    "SGD without momentum, 0.1": ("sgd", 0.1, 0.0),
    "SGD, Nesterov momentum 0.9, 0.01": ("sgd", 0.01, 0.9),
    "Adagrad, 0.05": ("adagrad", 0.05, 0.0),
    "RMSprop, 0.001": ("rmsprop", 0.001, 0.0),
    "Adam, 0.001": ("adam", 0.001, 0.0),
    "Nadam, 0.001": ("nadam", 0.001, 0.0),
}
fitted = {}
for label, (optimizer, learning_rate, momentum) in optimisers.items():
    fitted[label] = KerasMLPClassifier(
        hidden_layer_sizes=(64,),
        optimizer=optimizer,
        learning_rate=learning_rate,
        momentum=momentum,  # used by SGD only
        batch_size=32,
        epochs=30,
        early_stopping=True,
        n_iter_no_change=30,
        random_state=0,
    ).fit(X, y)
    clf = fitted[label]
    print(
        f"{label}: final training loss {clf.loss_:.3f}, "
        f"validation accuracy of the network kept {clf.best_validation_score_:.3f}"
    )

# %%
# Plain SGD at a small learning rate is still far behind after 30 epochs; at ten
# times the rate it keeps up with the adaptive optimisers (Adagrad, RMSprop, Adam,
# Nadam). Momentum 0.9 does the same at the small rate: the velocity it keeps
# makes steps about 1 / (1 - 0.9) = 10 times as long. On this small problem they
# all end close together.
fig, (loss_ax, score_ax) = plt.subplots(1, 2, figsize=(11, 4.5))
for label, clf in fitted.items():
    loss_ax.plot(clf.loss_curve_, label=label)
    score_ax.plot(clf.validation_scores_, label=label)
loss_ax.set(xlabel="epoch", ylabel="training loss (loss_curve_)", yscale="log")
score_ax.set(xlabel="epoch", ylabel="validation accuracy (validation_scores_)")
score_ax.set_ylim(0.5, 1)
loss_ax.legend()
fig.tight_layout()
plt.show()

"""
Predicting your own handwritten digit
=====================================

A digit written on paper and photographed looks nothing like MNIST: dark ink on a
light background, large, off-centre, with paper texture.
:func:`skmnist.load_digit_images` prepares such images the way MNIST's digits
were made: grayscale, inverted when the background is light, cropped to the ink,
scaled so the longer side is 20 pixels, and centred by its centre of mass in a
28x28 field. ``skmnist predict MODEL IMAGE...`` does the same from the shell.

Here we make "photos" from test digits (we have no camera in the docs build), run
them through the preprocessing and predict them. The network trains for 3 epochs to
keep the build fast.
"""

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from PIL import Image

import skmnist

mnist = skmnist.load_mnist()
pipe = skmnist.make_mnist_pipeline(epochs=3, random_state=0)
pipe.fit(mnist.X_train, mnist.y_train)

# %%
# Simulate photos of digits on white paper: invert, enlarge 4x, place off-centre on
# a larger light-grey canvas, add a little noise, save as PNG.
rng = np.random.default_rng(0)
folder = Path(tempfile.mkdtemp())
paths = []
for i in range(8):
    ink = Image.fromarray(255 - mnist.X_test[i]).resize((112, 112), Image.LANCZOS)
    canvas = np.full((200, 240), 235, dtype=np.float32)
    top, left = rng.integers(10, 80), rng.integers(10, 120)
    canvas[top : top + 112, left : left + 112] = np.minimum(
        canvas[top : top + 112, left : left + 112], np.asarray(ink)
    )
    canvas += rng.normal(0, 6, canvas.shape)
    path = folder / f"digit_{i}.png"
    Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8)).save(path)
    paths.append(path)

# %%
# Prepare them like MNIST digits and predict
images = skmnist.load_digit_images(paths)
proba = pipe.predict_proba(images)
predicted = pipe.classes_[proba.argmax(axis=1)]

fig, axes = plt.subplots(2, 8, figsize=(12, 3.4))
for i, path in enumerate(paths):
    axes[0, i].imshow(Image.open(path), cmap="gray", vmin=0, vmax=255)
    axes[0, i].set_title("photo", fontsize=9)
    axes[1, i].imshow(images[i], cmap="gray_r")
    axes[1, i].set_title(f"{predicted[i]} ({proba[i].max():.2f})", fontsize=9)
for axis in axes.ravel():
    axis.set_axis_off()
fig.suptitle("top: the image file; bottom: as prepared, with prediction")
print("true labels:     ", mnist.y_test[:8])
print("predicted labels:", predicted)

"""Reading digit pictures and formatting them the MNIST way."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from PIL import Image
from scipy import ndimage

from skmnist.digits import load_digit_image, load_digit_images, prepare_digit


def on_paper(digit, rng):
    """An MNIST digit as if drawn on paper: dark on light, bigger, off-centre, noisy.

    Enlarged 3-5 times (bilinear), pasted at a random place on a larger sheet of
    light-gray paper, with Gaussian noise.
    """
    scale = int(rng.integers(3, 6))
    side = 28 * scale
    ink = Image.fromarray(digit).resize((side, side), Image.Resampling.BILINEAR)
    sheet = np.full((side + rng.integers(20, 120), side + rng.integers(20, 120)), 255.0)
    top = rng.integers(0, sheet.shape[0] - side + 1)
    left = rng.integers(0, sheet.shape[1] - side + 1)
    sheet[top : top + side, left : left + side] -= np.asarray(ink, dtype=float)
    sheet = 0.85 * sheet + rng.normal(0, 6, sheet.shape)  # gray paper, grain
    return np.clip(sheet, 0, 255).astype(np.uint8)


def bar(height=90, width=60, *, paper=240, ink=30):
    """A vertical dark stroke (a "1") on light paper."""
    image = np.full((height, width), paper, dtype=np.uint8)
    image[20:70, 25:35] = ink
    return image


def test_mnist_digits_are_kept_as_they_are(mnist):
    for digit in mnist.X_test[:20]:
        assert_array_equal(prepare_digit(digit), digit)
        assert_array_equal(prepare_digit(digit / 255.0), digit)


def test_digits_on_paper_are_read_like_the_originals(fitted_pipeline, mnist):
    rng = np.random.default_rng(0)
    originals = mnist.X_test[:300]
    prepared = np.stack([prepare_digit(on_paper(d, rng)) for d in originals])

    agreement = np.mean(
        fitted_pipeline.predict(prepared) == fitted_pipeline.predict(originals)
    )
    assert agreement >= 0.95


def test_prepared_digits_have_mnist_geometry():
    digit = prepare_digit(bar())

    assert digit.shape == (28, 28) and digit.dtype == np.uint8
    assert digit.max() == 255 and digit[0, 0] == 0
    rows, cols = np.nonzero(digit > 0)
    assert rows.max() - rows.min() + 1 == 20  # the longer side is 20 pixels
    assert cols.max() - cols.min() + 1 <= 6  # the aspect ratio is kept (50x10)
    assert np.allclose(ndimage.center_of_mass(digit.astype(float)), 14, atol=0.5)


def test_background_polarity_is_detected():
    light_on_dark = 255 - bar()
    assert_array_equal(prepare_digit(bar()), prepare_digit(light_on_dark))
    assert_array_equal(prepare_digit(bar(), invert=True), prepare_digit(bar()))
    with pytest.raises(ValueError, match="no digit found"):
        prepare_digit(light_on_dark, invert=True)  # forced the wrong way: no ink


def test_specks_and_faint_noise_are_ignored():
    clean = bar(200, 200)
    dirty = clean.copy()
    dirty[5:7, 190:192] = 60  # a speck far from the digit
    dirty[150:160, 10:20] = 215  # a faint smudge
    assert_array_equal(prepare_digit(dirty), prepare_digit(clean))


def test_colour_and_transparent_images():
    gray = bar()
    rgb = np.repeat(gray[..., None], 3, axis=2)
    rgba = np.zeros(gray.shape + (4,), dtype=np.uint8)  # black ink on transparency
    rgba[..., 3] = np.where(gray < 128, 255, 0)
    expected = prepare_digit(gray)

    assert_array_equal(prepare_digit(rgb), expected)
    assert np.abs(prepare_digit(rgba).astype(int) - expected).max() <= 1


def test_large_photos_are_handled():
    photo = np.kron(bar(), np.ones((40, 40), dtype=np.uint8))  # 3600x2400 pixels
    assert prepare_digit(photo).max() == 255


@pytest.mark.parametrize(
    "image, match",
    [
        (np.full((40, 40), 200, dtype=np.uint8), "no digit"),
        (np.zeros((3, 4, 5)), "shape"),
        (np.zeros(10), "shape"),
        (np.full((28, 28), np.nan), "NaN"),
    ],
)
def test_bad_images_are_refused(image, match):
    with pytest.raises(ValueError, match=match):
        prepare_digit(image)


def test_options_are_checked():
    with pytest.raises(ValueError, match="invert"):
        prepare_digit(bar(), invert="maybe")
    with pytest.raises(ValueError, match="wrong shape.*must be 28x28"):
        prepare_digit(bar(), normalize=False)


def test_load_digit_images_reads_png_and_jpeg(tmp_path, mnist):
    paths = [tmp_path / "mnist.png", tmp_path / "paper.jpg", tmp_path / "deep.png"]
    Image.fromarray(mnist.X_test[0]).save(paths[0])
    Image.fromarray(bar()).save(paths[1], quality=95)
    Image.fromarray(bar().astype(np.uint16) * 257).save(paths[2])  # 16-bit gray

    digits = load_digit_images(paths)

    assert digits.shape == (3, 28, 28) and digits.dtype == np.uint8
    assert_array_equal(digits[0], mnist.X_test[0])  # PNG is lossless
    # JPEG is lossy: the stroke may move by a pixel, but the digit is the same
    expected = prepare_digit(bar()).astype(int)
    assert (
        min(
            np.abs(np.roll(digits[1], (dy, dx), axis=(0, 1)) - expected).mean()
            for dy in (-1, 0, 1)
            for dx in (-1, 0, 1)
        )
        < 5
    )
    assert_array_equal(digits[2], prepare_digit(bar()))
    assert load_digit_images([]).shape == (0, 28, 28)


def test_unreadable_and_missing_files(tmp_path):
    garbage = tmp_path / "notes.png"
    garbage.write_text("not an image")
    with pytest.raises(ValueError, match="notes.png.*not a readable image"):
        load_digit_image(garbage)
    with pytest.raises(FileNotFoundError, match="missing.png"):
        load_digit_images([tmp_path / "missing.png"])
    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((30, 30), 255, dtype=np.uint8)).save(blank)
    with pytest.raises(ValueError, match="blank.png.*no digit"):
        load_digit_image(blank)


def test_digits_are_prepared_to_the_models_shape():
    """A model trained on 8x8 images gets 8x8 digits (issue 22)."""
    digit = prepare_digit(bar(), shape=(8, 8))
    assert digit.shape == (8, 8) and digit.dtype == np.uint8
    rows, cols = np.nonzero(digit)
    assert rows.max() - rows.min() + 1 == 6  # MNIST's 20/28 of the field
    assert digit.max() == 255
    assert prepare_digit(bar(), shape=(28, 28)).shape == (28, 28)  # the default
    assert prepare_digit(np.zeros((8, 8)), normalize=False, shape=(8, 8)).max() == 0
    with pytest.raises(ValueError, match="wrong shape.*must be 8x8"):
        prepare_digit(bar(), normalize=False, shape=(8, 8))
    with pytest.raises(ValueError, match="shape must be"):
        prepare_digit(bar(), shape=(8, 0))

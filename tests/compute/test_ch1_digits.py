"""ch1.rgb-tensor-green-channel and ch1.mnist-svd on scikit-learn's 8×8 digits."""


import numpy as np
import pytest

from compute import digits
from compute.experiment import checked_frames
from compute.experiments.ch1_digits import (
    DigitsSVD,
    RGBTensorGreenChannel,
    centred_svd,
    channel_mean_by_loop,
    colormap_rgb,
    cumulative_variance,
    reconstruct,
    resize,
    spectrum_decay,
)
from compute.params import ParamError


def frames_of(exp, n, speed=None):
    if speed:
        exp.set_steps_per_frame(speed)
    frames = checked_frames(exp)
    out = [next(frames) for _ in range(n)]
    frames.close()
    return out



def test_the_data_set_is_the_offline_8x8_digits():
    from sklearn.datasets import load_digits

    images, labels = digits.load()
    assert images.shape == (1797, 8, 8) and labels.shape == (1797,)
    assert images.min() == 0 and images.max() == 1
    assert labels[5] == 5  # the default image of the RGB experiment is a 5
    reference = load_digits()  # the file read directly is the one load_digits reads
    np.testing.assert_array_equal(images * 16, reference.images)
    np.testing.assert_array_equal(labels, reference.target)


# -- Example 1.1.3 ----------------------------------------------------------------------------
def test_green_mean_by_slicing_equals_the_explicit_loop():
    frame = frames_of(RGBTensorGreenChannel(), 1)[0]
    T = frame["tensor"]
    assert T.shape == (256, 256, 3) and T.dtype == np.uint8
    assert frame["mean_G"] == pytest.approx(channel_mean_by_loop(T, 1), abs=1e-12)
    assert frame["channel_mean"] == frame["mean_G"]


def test_without_resizing_the_mean_is_that_of_the_truncated_colormap_values():
    import matplotlib

    img = digits.load()[0][5]
    frame = frames_of(RGBTensorGreenChannel({"size": 8, "resampling": "nearest"}), 1)[0]
    g = (matplotlib.colormaps["viridis"](img)[..., 1] * 255).astype(np.uint8)
    assert frame["mean_G"] == g.mean()  # exactly
    lo, hi = (np.array(matplotlib.colormaps["viridis"]([0.0, 1.0]))[:, 1] * 255).astype(np.uint8)
    assert lo <= frame["mean_G"] <= hi  # viridis' G rises monotonically from 0 to 1


def test_integer_factor_nearest_upscale_keeps_the_mean_and_filters_change_it_slightly():
    img = digits.load()[0][5]
    rgb = colormap_rgb(img, "viridis")
    base = rgb.reshape(-1, 3).mean(axis=0)
    nearest = resize(rgb, 256, "nearest").reshape(-1, 3).mean(axis=0)
    np.testing.assert_array_equal(nearest, base)  # each pixel copied 32×32 times
    for method in ("bilinear", "bicubic"):
        smooth = resize(rgb, 256, method).reshape(-1, 3).mean(axis=0)
        assert not np.array_equal(smooth, base)
        np.testing.assert_allclose(smooth, base, rtol=0.05)  # slightly different statistics


def test_the_scan_sums_row_by_row_and_ends_at_the_mean():
    exp = RGBTensorGreenChannel({"cycle": False})
    frames = frames_of(exp, 70)  # 4 rows per frame: 64 frames for 256 rows
    rows = [len(f["rows_done"]) for f in frames]
    assert rows[:3] == [0, 4, 8] and rows[-1] == 256
    last = frames[-1]
    assert last["running_mean"][-1] == pytest.approx(last["channel_mean"], rel=1e-12)
    assert last["image_index"] == 5  # no cycling


def test_cycling_moves_on_to_the_next_digit():
    exp = RGBTensorGreenChannel({"size": 16})
    indices = {f["image_index"] for f in frames_of(exp, 12, speed=4)}
    assert {5, 6} <= indices


# -- Example 1.2.1 ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def batch():
    X = digits.flat(np.arange(100))
    mu, U, s, Vt = centred_svd(X)
    return X, mu, U, s, Vt


def test_shape_bookkeeping(batch):
    X, mu, U, s, Vt = batch
    assert X.shape == (100, 64) and mu.shape == (64,)
    assert U.shape == (100, 64) and s.shape == (64,) and Vt.shape == (64, 64)
    np.testing.assert_allclose(Vt @ Vt.T, np.eye(64), atol=1e-12)  # V orthonormal


@pytest.mark.parametrize("k", [1, 5, 20, 50])
def test_eckart_young_and_per_image_residuals(batch, k):
    X, mu, U, s, Vt = batch
    Xc = X - mu
    Xk = (U[:, :k] * s[:k]) @ Vt[:k]
    assert np.sum((Xc - Xk) ** 2) == pytest.approx(np.sum(s[k:] ** 2), rel=1e-9, abs=1e-9)
    Vk = Vt[:k].T
    for i in (0, 17, 99):
        xc = Xc[i]
        residual = np.sum((xc - xc @ Vk @ Vk.T) ** 2)
        assert residual == pytest.approx(xc @ xc - np.sum((xc @ Vk) ** 2), abs=1e-10)
        np.testing.assert_allclose(reconstruct(X[i], mu, Vt, k), mu + xc @ Vk @ Vk.T)


def test_cumulative_variance_rises_to_one(batch):
    s = batch[3]
    E = cumulative_variance(s)
    assert np.all(np.diff(E) >= -1e-15) and E[-1] == pytest.approx(1.0)


def test_a_centred_batch_has_rank_at_most_n_minus_1():
    X = digits.flat(np.arange(20))
    _, _, s, _ = centred_svd(X)
    assert s[19] < 1e-12 * s[0]  # 20 centred rows span at most 19 dimensions
    frame = frames_of(DigitsSVD({"batch": 20, "k": 3}), 1)[0]
    assert frame["rank"] <= 19 and frame["last_sigma"] < 1e-12


def test_eigendigits_match_the_covariance_eigenvectors_up_to_sign(batch):
    X, mu, _, s, Vt = batch
    C = (X - mu).T @ (X - mu)
    lam, W = np.linalg.eigh(C)
    W = W[:, ::-1]
    for j in range(5):
        assert abs(W[:, j] @ Vt[j]) == pytest.approx(1.0, abs=1e-8)
    np.testing.assert_allclose(np.sqrt(np.clip(lam[::-1], 0, None))[:10], s[:10], rtol=1e-8)


def test_spectra_of_random_batches_nearly_coincide_and_digits_differ():
    exp = DigitsSVD({"n_batches": 6, "seed": 2})
    frame = frames_of(exp, 1)[0]
    spectra = frame["batch_spectra"][:, :30]
    spread = np.nanmax(spectra, axis=0) - np.nanmin(spectra, axis=0)
    per = frame["digit_spectra"][:, :30]  # digits 0, 1, 2, 8
    gap_1_8 = np.abs(per[3] - per[1])
    assert spread[1:20].mean() < 0.5 * gap_1_8[1:20].mean()
    needs = {d: spectrum_decay(centred_svd(digits.flat(digits.of_class(d, 200)))[2])
             for d in (0, 1, 2, 8)}
    assert needs[1] < needs[2] and needs[1] < needs[8]  # "1" decays fastest


def test_the_sweep_moves_k_and_the_e_k_marker():
    frames = frames_of(DigitsSVD({"frames_per_rank": 1}), 8)
    ks = [f["k_shown"] for f in frames]
    assert ks == list(range(1, 9))
    E = [f["E_k"] for f in frames]
    assert sorted(E) == E
    still = frames_of(DigitsSVD({"sweep": False, "k": 7}), 3)
    assert {f["k_shown"] for f in still} == {7}


def test_bad_ranks_and_batches_are_refused_by_name():
    with pytest.raises(ParamError) as info:
        DigitsSVD({"batch": 20, "k": 30})
    assert info.value.name == "k" and "above the largest rank 19" in info.value.message
    with pytest.raises(ParamError) as info:
        DigitsSVD({"digit": "1", "batch": 1000})
    assert info.value.name == "batch"
    with pytest.raises(ParamError) as info:
        DigitsSVD({"batch": 30, "sample": 40})
    assert info.value.name == "sample"

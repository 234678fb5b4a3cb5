"""ch1.convolution-as-matrix, ch1.video-embedding-tensors, ch1.tensor-ops-einsum.

Example 1.1.2 by hand: y_ij = x_ij − x_{i+1,j+1} for k = [[1, 0], [0, −1]], so
y = [[−4, −4, 2], [−4, −4, 6], [7, 6, 6]] (the book's matrix).
"""


import numpy as np
import pytest

from compute.convolution import (
    correlate2d_valid,
    correlation_matrix,
    correlation_tensor,
    output_length,
    unrolled_matrix,
)
from compute.experiment import checked_frames
from compute.experiments.ch1_tensors import (
    BOOK_IMAGE,
    BOOK_KERNEL,
    EXPRESSIONS,
    LAYOUTS,
    ConvolutionAsMatrix,
    TensorOpsEinsum,
    VideoEmbeddingTensors,
    einsum_by_loops,
    intensity,
    operands,
    position_weights,
    video_frame,
    window_frames,
)
from compute.params import ParamError

EXPERIMENTS = (ConvolutionAsMatrix, VideoEmbeddingTensors, TensorOpsEinsum)


def frames_of(exp, n, speed=None):
    if speed:
        exp.set_steps_per_frame(speed)
    frames = checked_frames(exp)
    out = [next(frames) for _ in range(n)]
    frames.close()
    return out



# -- convolution --------------------------------------------------------------------------------
def test_book_example_1_1_2():
    x = np.array(BOOK_IMAGE, dtype=float)
    y = correlate2d_valid(x, np.array(BOOK_KERNEL, dtype=float))
    np.testing.assert_array_equal(y, [[-4, -4, 2], [-4, -4, 6], [7, 6, 6]])
    np.testing.assert_array_equal(y, x[:3, :3] - x[1:, 1:])  # y_ij = x_ij − x_{i+1,j+1}
    A = correlation_tensor(np.array(BOOK_KERNEL, dtype=float), x.shape)
    np.testing.assert_array_equal(np.einsum("ijab,ab->ij", A, x), y)
    np.testing.assert_array_equal(unrolled_matrix(np.array(BOOK_KERNEL), x.shape) @ x.ravel(),
                                  y.ravel())


@pytest.mark.parametrize("mode", ["valid", "same", "full"])
@pytest.mark.parametrize("m", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("flip", [False, True])
def test_matrix_equals_the_library_correlation_and_convolution(mode, m, flip):
    rng = np.random.default_rng(m)
    n = 13
    x, k = rng.normal(size=n), rng.normal(size=m)
    A = correlation_matrix(k, n, mode, flip)
    library = np.convolve(x, k, mode) if flip else np.correlate(x, k, mode)
    np.testing.assert_allclose(A @ x, library, atol=1e-12)
    assert A.shape == (output_length(n, m, mode), n)
    assert output_length(n, m, mode) == {"valid": n - m + 1, "same": n, "full": n + m - 1}[mode]


def test_valid_matrix_is_banded_with_m_times_n_minus_m_plus_1_nonzeros():
    k = np.array([1.0, -2.0, 3.0])
    A = correlation_matrix(k, 10, "valid")
    assert np.count_nonzero(A) == 3 * (10 - 3 + 1)
    for i in range(A.shape[0]):
        np.testing.assert_array_equal(A[i, i : i + 3], k)  # rows k shifted right


def test_2d_matches_scipy_and_the_frames_fill_cell_by_cell():
    from scipy.signal import correlate2d

    for image in ("book-4x4", "digit", "shapes"):
        for kernel in ("book", "sobel-x", "blur"):
            frame = frames_of(ConvolutionAsMatrix({"image": image, "kernel_2d": kernel}), 1)[0]
            assert frame["lib_gap_2d"] < 1e-12 and frame["lib_gap_1d"] < 1e-12
            x, k = frame["x2d"], frame["k2d"]
            full = correlate2d(x, k, "valid")
            filled = frame["y2d"][np.isfinite(frame["y2d"])]
            np.testing.assert_allclose(filled, full.ravel()[: filled.size])
    frames = frames_of(ConvolutionAsMatrix({"frames_per_position": 1}), 9)
    counts = [int(np.isfinite(f["y2d"]).sum()) for f in frames]
    assert counts == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    np.testing.assert_array_equal(frames[-1]["y2d"], [[-4, -4, 2], [-4, -4, 6], [7, 6, 6]])
    rows = [f["row1d"] for f in frames]
    assert rows == list(range(9))  # the 1D window slides one place per frame


def test_a_kernel_longer_than_the_signal_is_refused():
    with pytest.raises(ParamError) as info:
        ConvolutionAsMatrix({"n": 8, "kernel": "custom", "custom_kernel": [[1] * 9]})
    assert info.value.name == "custom_kernel"
    with pytest.raises(ParamError) as info:
        ConvolutionAsMatrix({"image": "book-4x4", "kernel_2d": "custom",
                             "custom_kernel_2d": [[1] * 5] * 5})
    assert info.value.name == "custom_kernel_2d"


# -- video and embeddings ----------------------------------------------------------------------
def test_window_frames_follow_the_formula():
    F = window_frames(2.0, 6.0)
    assert F[0] == 60 and F[-1] == 180 and len(F) == 121


def test_identical_frames_give_the_frame_mean():
    exp = VideoEmbeddingTensors({"static": True, "t1": 1.0, "t2": 4.0})
    frame = frames_of(exp, 1)[0]
    first = video_frame(0)
    assert frame["window_gray"] == pytest.approx(intensity(first, "grayscale").mean())
    assert frame["window_green"] == pytest.approx(first[..., 1].mean())


def test_green_only_weights_give_the_mean_of_g():
    exp = VideoEmbeddingTensors({"weights": "green", "t1": 0.0, "t2": 10.0})
    frame = frames_of(exp, 1)[0]
    G = np.mean([video_frame(t)[..., 1].mean() for t in range(300)])
    assert frame["window_mean"] == pytest.approx(G, rel=1e-12)
    gray = np.mean([intensity(video_frame(t), "grayscale").mean() for t in range(300)])
    assert frame["window_gray"] == pytest.approx(gray, rel=1e-12)
    assert frame["window_green"] != pytest.approx(frame["window_gray"], rel=1e-3)


def test_weighted_embedding_average_lies_in_the_convex_hull():
    for beta in (-3.0, -0.5, 0.0, 1.2, 3.0):
        for per in (False, True):
            exp = VideoEmbeddingTensors({"beta": beta, "per_dimension": per, "seed": 2})
            f = frames_of(exp, 1)[0]
            T, e = f["embeddings"], f["e_avg"]
            assert f["in_hull"] == "yes"
            assert np.all(e >= T.min(axis=1) - 1e-12) and np.all(e <= T.max(axis=1) + 1e-12)
            np.testing.assert_allclose(f["weights_2d"].sum(axis=1), 1.0)


def test_position_weights_limits():
    np.testing.assert_allclose(position_weights(7, 0.0), np.full(7, 1 / 7))  # plain mean
    np.testing.assert_allclose(position_weights(7, 60.0), np.eye(7)[-1], atol=1e-20)
    np.testing.assert_allclose(position_weights(7, -60.0), np.eye(7)[0], atol=1e-20)
    exp = VideoEmbeddingTensors({"beta": 0.0, "per_dimension": True})
    f = frames_of(exp, 1)[0]  # β = 0: every β_d = 0, the shared (uniform) case
    np.testing.assert_allclose(f["e_avg"], f["embeddings"].mean(axis=1))


def test_a_window_ending_before_it_starts_is_refused():
    with pytest.raises(ParamError) as info:
        VideoEmbeddingTensors({"t1": 5.0, "t2": 3.0})
    assert info.value.name == "t2"


# -- Einstein summation --------------------------------------------------------------------------
@pytest.mark.parametrize("expression", EXPRESSIONS)
@pytest.mark.parametrize("kind", ["book", "random"])
def test_loops_equal_einsum(expression, kind):
    ops = operands(expression, kind, 3, np.random.default_rng(1))
    np.testing.assert_allclose(einsum_by_loops(expression, ops), np.einsum(expression, *ops))


def test_book_direct_products_and_kron():
    u, v = operands("i,j->ij", "book", 2, np.random.default_rng(0))
    np.testing.assert_array_equal(einsum_by_loops("i,j->ij", [u, v]), [[3, 4], [6, 8]])
    A, B = operands("ij,kl->ijkl", "book", 2, np.random.default_rng(0))
    T = einsum_by_loops("ij,kl->ijkl", [A, B])
    for i, j, k, l in np.ndindex(2, 2, 2, 2):
        assert T[i, j, k, l] == A[i, j] * B[k, l]
    np.testing.assert_array_equal(T.transpose(0, 2, 1, 3).reshape(4, 4), np.kron(A, B))
    frame = frames_of(TensorOpsEinsum({"expression": "ij,kl->ijkl"}), 1)[0]
    assert frame["kron_gap"] == "0"


def test_ranks_add_and_drop_by_two_per_contraction():
    expected = {"i,j->ij": "1 + 1 − 2·0 = 2", "ij,kl->ijkl": "2 + 2 − 2·0 = 4",
                "ik,kj->ij": "2 + 2 − 2·1 = 2", "ijk,klm->ijlm": "3 + 3 − 2·1 = 4",
                "ij,j->i": "2 + 1 − 2·1 = 1", "ij,ij->": "2 + 2 − 2·2 = 0",
                "ij,jkl->ikl": "2 + 3 − 2·1 = 3"}
    for expression, text in expected.items():
        frame = frames_of(TensorOpsEinsum({"expression": expression, "bench": "off"}), 1)[0]
        assert frame["ranks_text"] == text
    frame = frames_of(TensorOpsEinsum({"expression": "ij,jkl->ikl", "operands": "random",
                                       "dim": 4, "bench": "off"}), 1)[0]
    assert frame["result_tensor"].shape == (4, 4, 4)  # Exercise 1.1.3: rank 3, D × D × D


def test_frobenius_norm_by_einsum_is_the_sum_of_squared_singular_values():
    A = np.random.default_rng(3).normal(size=(4, 6))
    value = einsum_by_loops("ij,ij->", [A, A])
    assert float(value) == pytest.approx(np.sum(np.linalg.svd(A, compute_uv=False) ** 2))


def test_entries_fill_one_per_frame_and_end_equal_to_einsum():
    frames = frames_of(TensorOpsEinsum({"expression": "ik,kj->ij", "bench": "off",
                                        "frames_per_entry": 1}), 5)
    done = [int(np.isfinite(f["result"]).sum()) for f in frames]
    assert done == [0, 1, 2, 3, 4]
    assert frames[-1]["einsum_gap"] == "0"


@pytest.mark.parametrize("op", ["row-sum", "column-sum", "matmul"])
def test_every_memory_layout_gives_the_same_result(op):
    exp = TensorOpsEinsum({"bench": op, "N": 64})
    frames = frames_of(exp, 4)
    values = list(exp.bench_results.values())
    assert len(values) == len(LAYOUTS)
    np.testing.assert_allclose(values, values[0], rtol=1e-12)
    assert np.isfinite(frames[-1]["timings"]).all()  # timed, never asserted

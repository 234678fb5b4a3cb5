"""ch1.graph-laplacian-spectrum against closed forms and the book's 4-node graph.

Fig. 1.4 by hand: A has edges 1–2, 2–3, 1–3, 2–4; degrees (2, 3, 2, 1);
L = [[2, −1, −1, 0], [−1, 3, −1, −1], [−1, −1, 2, 0], [0, −1, 0, 1]], whose spectrum is
{0, 1, 3, 4} (tr L = 8 = 2|E|); deleting 2–4 leaves the triangle {0, 3, 3} and the isolated
node 4, a second zero.
"""

import math

import numpy as np
import pytest

from compute import graphs
from compute.experiment import checked_frames
from compute.experiments.ch1_laplacian import (
    GraphLaplacianSpectrum,
    book_graph,
    closed_form_spectrum,
    spectral_embedding,
)


def first_frame(**params):
    frames = checked_frames(GraphLaplacianSpectrum({"peel": False, **params}))
    frame = next(frames)
    frames.close()
    return frame


def test_book_graph_by_hand():
    frame = first_frame()
    np.testing.assert_array_equal(frame["L"], [[2, -1, -1, 0], [-1, 3, -1, -1],
                                               [-1, -1, 2, 0], [0, -1, 0, 1]])
    np.testing.assert_allclose(frame["eigenvalues"], [0, 1, 3, 4], atol=1e-12)
    assert frame["zero_count"] == 1 and frame["components"] == 1


@pytest.mark.parametrize("graph", ["book", "ring", "path", "complete", "star", "barbell",
                                   "random"])
@pytest.mark.parametrize("weighted", [False, True])
def test_laplacian_invariants(graph, weighted):
    frame = first_frame(graph=graph, n=9, weighted=weighted, seed=3)
    L, A = frame["L"], frame["A"]
    np.testing.assert_array_equal(L, L.T)
    np.testing.assert_allclose(L.sum(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(np.diag(L), A.sum(axis=1))
    lam, V = frame["eigenvalues"], frame["eigenvectors"]
    assert (lam >= -1e-12).all()
    assert lam.sum() == pytest.approx(np.trace(L))
    if not weighted:
        assert lam.sum() == pytest.approx(2 * frame["n_edges"])
    assert frame["zero_count"] == graphs.components(A)
    nonzero = lam > 1e-9 * lam.max()
    np.testing.assert_allclose(V[:, nonzero].T @ np.ones(len(lam)), 0, atol=1e-9)


@pytest.mark.parametrize("graph", ["ring", "path", "complete", "star"])
@pytest.mark.parametrize("n", [4, 7, 12])
def test_closed_form_spectra(graph, n):
    frame = first_frame(graph=graph, n=n)
    np.testing.assert_allclose(frame["eigenvalues"], closed_form_spectrum(graph, n), atol=1e-9)
    np.testing.assert_allclose(frame["closed_form"], frame["eigenvalues"], atol=1e-9)


def test_deleting_edge_2_4_adds_a_second_zero():
    frame = first_frame(remove=1)
    assert frame["removed_text"] == "2–4"
    np.testing.assert_allclose(frame["eigenvalues"], [0, 0, 3, 3], atol=1e-12)
    assert frame["zero_count"] == 2 and frame["components"] == 2
    exp = GraphLaplacianSpectrum({"frames_per_edge": 3})
    frames = checked_frames(exp)
    zeros = [next(frames)["zero_count"] for _ in range(10)]
    frames.close()
    assert zeros[:3] == [1, 1, 1] and zeros[3:6] == [2, 2, 2]  # Play deletes 2–4 first


def test_every_edge_deleted_gives_n_zeros():
    frame = first_frame(graph="ring", n=6, remove=50)
    assert frame["n_edges"] == 0 and frame["zero_count"] == 6


def test_book_embedding_mirrors_nodes_1_and_3_and_sets_node_4_apart():
    frame = first_frame()
    emb = frame["embedding"]
    # the symmetry swapping 1 and 3: one coordinate equal, the other opposite (signs arbitrary)
    same = np.isclose(emb[0], emb[2], atol=1e-12)
    opposite = np.isclose(emb[0], -emb[2], atol=1e-12)
    assert (same | opposite).all() and same.any() and opposite.any()
    triangle = emb[:3].mean(axis=0)
    spread = max(np.linalg.norm(emb[i] - triangle) for i in range(3))
    assert np.linalg.norm(emb[3] - triangle) > spread  # the pendant node lies apart


def test_fiedler_sign_splits_the_barbell():
    frame = first_frame(graph="barbell", n=10)
    signs = np.sign(frame["fiedler"])
    assert len(set(signs[:5])) == 1 and len(set(signs[5:])) == 1 and signs[0] != signs[5]


def test_spectral_embedding_uses_the_two_smallest_nonzero_eigenvalues():
    L = graphs.laplacian(book_graph())
    lam, V = np.linalg.eigh(L)
    coords, used = spectral_embedding(lam, V)
    np.testing.assert_allclose(lam[used], [1.0, 3.0], atol=1e-12)
    for c, i in enumerate(used):
        assert abs(coords[:, c] @ V[:, i]) == pytest.approx(1.0)
    assert math.isclose(np.linalg.norm(coords[:, 0]), 1.0)

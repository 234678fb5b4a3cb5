"""A neural ODE ẋ = f_θ(x, t) for a scalar x (§2.2.2 "Neural ODEs"), in numpy: an MLP
vector field, integrated by explicit Euler or RK4, trained by backpropagation through the
integrator (discretise, then optimise) with Adam.

The reverse sweep is written out by hand: the adjoint of each step (Euler, or the four
stages of RK4) and the vector-Jacobian product of the MLP. A network this small (a scalar
state, ~1,000 parameters) costs microseconds per operation in numpy but tens of
microseconds in torch, so numpy trains it an order of magnitude faster; the tests check the
gradient against finite differences (and torch autograd when present).

One Euler step x + h·f_θ(x, t) is a residual block: :func:`residual_block`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class MLPField:
    """f_θ(x, t): the input (x, t) through ``depth`` tanh layers of ``width``, then linear.

    ``weights[l]`` has shape (out, in), as in torch; evaluation is vectorised over any
    number of points (x and t of shape (N,)).
    """

    weights: list[np.ndarray]
    biases: list[np.ndarray]

    @classmethod
    def init(cls, width: int, depth: int, rng: np.random.Generator) -> MLPField:
        """torch.nn.Linear's default initialisation: U(−1/√fan_in, 1/√fan_in)."""
        sizes = [2] + [width] * depth + [1]
        weights, biases = [], []
        for fan_in, fan_out in itertools.pairwise(sizes):
            bound = 1.0 / np.sqrt(fan_in)
            weights.append(rng.uniform(-bound, bound, (fan_out, fan_in)))
            biases.append(rng.uniform(-bound, bound, fan_out))
        return cls(weights, biases)

    @property
    def params(self) -> list[np.ndarray]:
        return [*self.weights, *self.biases]

    def forward(self, x: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """f at the points (x, t) and the activations the vector-Jacobian product needs."""
        x = np.asarray(x, float).reshape(1, -1)
        t = np.asarray(t, float).reshape(1, -1)
        W, b = self.weights[0], self.biases[0]
        z = W[:, :1] * x + W[:, 1:] * t + b[:, None]  # the first layer without stacking
        acts = [np.concatenate([x, t])]
        last = len(self.weights) - 1
        a = z if last == 0 else np.tanh(z)
        acts.append(a)
        for layer in range(1, last + 1):
            z = self.weights[layer] @ a + self.biases[layer][:, None]
            a = z if layer == last else np.tanh(z)
            acts.append(a)
        return a[0], acts

    def __call__(self, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        return self.forward(x, t)[0]

    def vjp(self, acts: list[np.ndarray], u: np.ndarray, grads: list[np.ndarray]
            ) -> np.ndarray:
        """Given ū = ∂L/∂f at each point, add ∂L/∂θ into ``grads`` (same order as
        :attr:`params`) and return ∂L/∂x at each point."""
        n = len(self.weights)
        delta = np.asarray(u, float).reshape(1, -1)  # upstream of the last (linear) layer
        for layer in range(n - 1, -1, -1):
            grads[layer] += delta @ acts[layer].T
            grads[n + layer] += delta.sum(axis=1)
            back = self.weights[layer].T @ delta
            if layer > 0:
                back = back * (1.0 - acts[layer] ** 2)  # through tanh
            delta = back
        return delta[0]


def residual_block(f: MLPField, x: np.ndarray, t: np.ndarray, h: float) -> np.ndarray:
    """A ResNet block with its skip connection: x ↦ x + h·F(x, t)."""
    return x + h * f(x, t)


@dataclass
class Trajectory:
    """States of one integration and what its reverse sweep needs."""

    states: np.ndarray
    tape: list[Any] = field(default_factory=list)


def integrate(f: MLPField, x0: float, steps: int, h: float, method: str,
              keep: bool = False) -> Trajectory:
    """x(0) = x₀, then ``steps`` steps of size h by "euler" or "rk4"; with ``keep`` the
    activations of every stage are stored for :func:`backprop`."""
    xs = np.empty(steps + 1)
    xs[0] = x0
    x = np.array([float(x0)])
    tape: list[Any] = []
    for k in range(steps):
        t = np.array([k * h])
        if method == "euler":
            v, acts = f.forward(x, t)
            if keep:
                tape.append(acts)
            x = x + h * v  # the residual block
        else:
            k1, a1 = f.forward(x, t)
            k2, a2 = f.forward(x + h / 2 * k1, t + h / 2)
            k3, a3 = f.forward(x + h / 2 * k2, t + h / 2)
            k4, a4 = f.forward(x + h * k3, t + h)
            if keep:
                tape.append((a1, a2, a3, a4))
            x = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        xs[k + 1] = x[0]
    return Trajectory(xs, tape)


def backprop(f: MLPField, traj: Trajectory, h: float, method: str,
             state_grad: np.ndarray) -> list[np.ndarray]:
    """∂L/∂θ given ∂L/∂x_k for every state (``state_grad``): the adjoint of each step, from
    the last to the first."""
    grads = [np.zeros_like(p) for p in f.params]
    adj = np.array([state_grad[-1]])
    for k in range(len(traj.tape) - 1, -1, -1):
        if method == "euler":
            adj = adj + f.vjp(traj.tape[k], h * adj, grads)
        else:
            a1, a2, a3, a4 = traj.tape[k]
            k4_bar = h / 6 * adj
            k3_bar = h / 3 * adj
            k2_bar = h / 3 * adj
            k1_bar = h / 6 * adj
            y4 = f.vjp(a4, k4_bar, grads)  # k4 = f(x + h·k3)
            k3_bar = k3_bar + h * y4
            y3 = f.vjp(a3, k3_bar, grads)  # k3 = f(x + h/2·k2)
            k2_bar = k2_bar + h / 2 * y3
            y2 = f.vjp(a2, k2_bar, grads)  # k2 = f(x + h/2·k1)
            k1_bar = k1_bar + h / 2 * y2
            y1 = f.vjp(a1, k1_bar, grads)  # k1 = f(x)
            adj = adj + y4 + y3 + y2 + y1
        adj = adj + state_grad[k]
    return grads


def loss_and_gradient(f: MLPField, x0: float, target: np.ndarray, every: int, h: float,
                      method: str) -> tuple[float, list[np.ndarray], np.ndarray]:
    """Mean squared mismatch between x(k·every·h) and ``target``, its gradient in θ, and
    the states."""
    steps = (len(target) - 1) * every
    traj = integrate(f, x0, steps, h, method, keep=True)
    fit = traj.states[::every]
    resid = fit - target
    state_grad = np.zeros(steps + 1)
    state_grad[::every] = 2.0 * resid / len(target)
    return float(np.mean(resid**2)), backprop(f, traj, h, method, state_grad), traj.states


class Adam:
    """Adam (β₁ = 0.9, β₂ = 0.999, ε = 1e-8) on a list of arrays, updated in place."""

    def __init__(self, params: list[np.ndarray], lr: float):
        self.params = params
        self.lr = lr
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.k = 0

    def step(self, grads: list[np.ndarray]) -> None:
        self.k += 1
        b1, b2 = 0.9, 0.999
        for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            p -= self.lr * (m / (1 - b1**self.k)) / (np.sqrt(v / (1 - b2**self.k)) + 1e-8)

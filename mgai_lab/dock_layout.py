"""Where an experiment's plot docks go: the main view large, the others in columns beside it.

:func:`plan_grid` decides (Qt-free, so it is tested directly); :func:`arrange` and
:func:`size` apply a plan to a page's docks. In presentation mode a plan may stack views
as tabs: every visible view then keeps a size at which its type is readable, instead of
every view shrinking below it.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyqtgraph.Qt import QtCore, QtWidgets

MAIN_SHARE = {0: 1.0, 1: 0.6, 2: 0.5}  # the main view's share of the width, by columns


@dataclass(frozen=True)
class GridPlan:
    """The main view's key, and columns of cells to its right; a cell lists the keys of the
    views sharing it as tabs (the first one shown)."""

    main: str
    columns: tuple[tuple[tuple[str, ...], ...], ...]

    def cells(self) -> list[tuple[str, ...]]:
        return [cell for column in self.columns for cell in column]


def plan_grid(keys: list[str], width: float = 0.0, height: float = 0.0,
              min_cell: tuple[float, float] | None = None) -> GridPlan:
    """Place ``keys`` (the main view first) in a ``width`` x ``height`` area.

    Up to three other views share one column, more share two. With ``min_cell`` =
    (width, height) no cell is made smaller than that: two columns become one when they
    would be too narrow, and views beyond the cells that fit are stacked as tabs.
    """
    main, others = keys[0], list(keys[1:])
    if not others:
        return GridPlan(main, ())
    n_columns = 1 if len(others) <= 3 else 2
    capacity = len(others)
    if min_cell is not None:
        min_w, min_h = min_cell
        if n_columns == 2 and width * (1 - MAIN_SHARE[2]) / 2 < min_w:
            n_columns = 1
        rows = max(1, int(height // min_h)) if min_h > 0 else len(others)
        capacity = min(len(others), n_columns * rows)
    cells = _split(others, capacity)
    per_column = -(-len(cells) // n_columns)
    columns = tuple(tuple(cells[i:i + per_column]) for i in range(0, len(cells), per_column))
    return GridPlan(main, columns)


def _split(items: list[str], parts: int) -> list[tuple[str, ...]]:
    """``items`` in ``parts`` consecutive groups whose sizes differ by at most one."""
    size, extra = divmod(len(items), parts)
    groups, start = [], 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        groups.append(tuple(items[start:end]))
        start = end
    return groups


def arrange(window: QtWidgets.QMainWindow, docks: dict[str, QtWidgets.QDockWidget],
            plan: GridPlan) -> None:
    """Move the docks of ``plan`` into place in ``window``'s right dock area.

    Column heads are placed side by side before the columns are filled downwards: a head
    split later would nest the next column inside it.
    """
    Area = QtCore.Qt.DockWidgetArea
    H, V = QtCore.Qt.Orientation.Horizontal, QtCore.Qt.Orientation.Vertical
    placed = [plan.main, *(key for cell in plan.cells() for key in cell)]
    for key in placed:  # from scratch: moving docks out of earlier tabs and splits misplaces
        window.removeDockWidget(docks[key])
    main = docks[plan.main]
    window.addDockWidget(Area.RightDockWidgetArea, main)
    left = main
    for column in plan.columns:
        head = docks[column[0][0]]
        window.splitDockWidget(left, head, H)
        left = head
    for column in plan.columns:
        above = docks[column[0][0]]
        for cell in column[1:]:
            window.splitDockWidget(above, docks[cell[0]], V)
            above = docks[cell[0]]
    for cell in plan.cells():
        for key in cell[1:]:
            window.tabifyDockWidget(docks[cell[0]], docks[key])
    for key in placed:
        docks[key].show()
    for cell in plan.cells():
        docks[cell[0]].raise_()
    for bar in window.findChildren(QtWidgets.QTabBar):  # stacked views: whole titles
        bar.setElideMode(QtCore.Qt.TextElideMode.ElideNone)
        bar.setUsesScrollButtons(True)


def size(window: QtWidgets.QMainWindow, docks: dict[str, QtWidgets.QDockWidget],
         plan: GridPlan, width: int, height: int) -> None:
    """The main view its share of ``width``, the columns the rest, cells equal heights."""
    H, V = QtCore.Qt.Orientation.Horizontal, QtCore.Qt.Orientation.Vertical
    share = MAIN_SHARE[len(plan.columns)]
    column_width = int(width * (1 - share) / max(len(plan.columns), 1))
    heads = [docks[plan.main]] + [docks[column[0][0]] for column in plan.columns]
    window.resizeDocks(heads, [int(width * share)] + [column_width] * len(plan.columns), H)
    for column in plan.columns:
        cells = [docks[cell[0]] for cell in column]
        window.resizeDocks(cells, [height // len(cells)] * len(cells), V)

"""A small line chart of training loss, drawn with QPainter.

QtCharts is not part of PySide6-Essentials and a plotting library would cost
start-up time, so this widget draws axes, a few labelled ticks and the curve.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget


class LossChart(QWidget):
    """Shows (step, loss) points; `set_points` replaces them and repaints."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._points: list[tuple[int, float]] = []
        self.setMinimumHeight(60)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setToolTip("training loss per step")

    def sizeHint(self) -> QSize:
        return QSize(320, 160)

    def points(self) -> list[tuple[int, float]]:
        return list(self._points)

    def set_points(self, points: list[tuple[int, float]]) -> None:
        self._points = list(points)
        self.update()

    def paintEvent(self, event: object) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text_color = palette.color(QPalette.ColorRole.WindowText)
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        metrics = painter.fontMetrics()
        left = metrics.horizontalAdvance("0.000") + 10
        plot = QRectF(left, 8, max(self.width() - left - 10, 10), max(self.height() - metrics.height() - 16, 10))
        painter.setPen(QPen(text_color, 1))
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        painter.drawLine(plot.bottomLeft(), plot.topLeft())
        if len(self._points) < 1:
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, "loss appears here while training")
            return
        steps = [p[0] for p in self._points]
        losses = [p[1] for p in self._points]
        x0, x1 = min(steps), max(steps)
        y0, y1 = min(losses), max(losses)
        if x1 == x0:
            x1 = x0 + 1
        if y1 - y0 < 1e-9:
            y0, y1 = y0 - 0.5, y1 + 0.5

        def to_screen(step: float, loss: float) -> QPointF:
            return QPointF(
                plot.left() + (step - x0) / (x1 - x0) * plot.width(),
                plot.bottom() - (loss - y0) / (y1 - y0) * plot.height(),
            )

        for i in range(3):  # three horizontal ticks: max, middle, min
            value = y1 - (y1 - y0) * i / 2
            y = plot.top() + plot.height() * i / 2
            painter.drawText(QRectF(0, y - metrics.height() / 2, left - 4, metrics.height()),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{value:.3f}")
        painter.drawText(QRectF(plot.left(), plot.bottom() + 2, plot.width(), metrics.height() + 4),
                         Qt.AlignmentFlag.AlignLeft, f"step {x0}")
        painter.drawText(QRectF(plot.left(), plot.bottom() + 2, plot.width(), metrics.height() + 4),
                         Qt.AlignmentFlag.AlignRight, f"step {max(steps)}")
        path = QPainterPath(to_screen(*self._points[0]))
        for step, loss in self._points[1:]:
            path.lineTo(to_screen(step, loss))
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2))
        painter.drawPath(path)
        if len(self._points) == 1:
            painter.drawEllipse(to_screen(*self._points[0]), 3, 3)

"""Small status icons painted at run time, identical on every platform and theme.

Painting them costs less at start-up than wrapping QStyle's standard icons
(QStyle's Python type alone takes tens of milliseconds to set up), and the
colours stay readable on light and dark palettes.
"""

from __future__ import annotations

import functools

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

SIZE = 16
COLORS = {"ok": "#2e9d4b", "warning": "#d99a06", "error": "#d43c3c", "unknown": "#9a9a9a", "folder": "#6f8fbf"}


def _canvas() -> tuple[QPixmap, QPainter]:
    pixmap = QPixmap(SIZE * 2, SIZE * 2)  # drawn at 2x so it stays crisp on high-DPI screens
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    return pixmap, painter


@functools.cache
def status_icon(state: str) -> QIcon:
    """"ok" (a check), "warning" (a triangle), "error" (a cross in a disc), "unknown" (a ring)."""
    pixmap, painter = _canvas()
    color = QColor(COLORS.get(state, COLORS["unknown"]))
    white = QPen(QColor("white"), 2.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
    if state == "ok":
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawEllipse(QRectF(1, 1, 14, 14))
        painter.setPen(white)
        path = QPainterPath(QPointF(4.5, 8.5))
        path.lineTo(7, 11)
        path.lineTo(11.5, 5.5)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)
    elif state == "warning":
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        triangle = QPainterPath(QPointF(8, 1.5))
        triangle.lineTo(15, 14.5)
        triangle.lineTo(1, 14.5)
        triangle.closeSubpath()
        painter.drawPath(triangle)
        painter.setPen(white)
        painter.drawLine(QPointF(8, 6), QPointF(8, 9.5))
        painter.drawPoint(QPointF(8, 12.2))
    elif state == "error":
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawEllipse(QRectF(1, 1, 14, 14))
        painter.setPen(white)
        painter.drawLine(QPointF(5.5, 5.5), QPointF(10.5, 10.5))
        painter.drawLine(QPointF(10.5, 5.5), QPointF(5.5, 10.5))
    else:
        painter.setPen(QPen(color, 1.5))
        painter.drawEllipse(QRectF(2.5, 2.5, 11, 11))
    painter.end()
    return QIcon(pixmap)


@functools.cache
def folder_icon() -> QIcon:
    pixmap, painter = _canvas()
    color = QColor(COLORS["folder"])
    painter.setPen(QPen(color.darker(130), 1.0))
    painter.setBrush(color)
    path = QPainterPath(QPointF(1.5, 4))
    path.lineTo(6, 4)
    path.lineTo(7.5, 5.5)
    path.lineTo(14.5, 5.5)
    path.lineTo(14.5, 13.5)
    path.lineTo(1.5, 13.5)
    path.closeSubpath()
    painter.drawPath(path)
    painter.end()
    return QIcon(pixmap)

"""Paints one connection card and turns clicks on its Edit / Delete buttons into signals.

Cards are painted, not widgets, so a thousand connections scroll as smoothly as ten.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QModelIndex, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QHelpEvent, QPainter, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QToolTip

from app.timefmt import ago
from ui import theme
from ui.connection_model import TestingRole, ViewRole

if TYPE_CHECKING:  # the services import SQLAlchemy: not at window start-up
    from app.services.connections import ConnectionView

CARD_HEIGHT = 84


def subtitle(view: ConnectionView) -> str:
    p = view.params
    where = p.get("database") or p.get("dataset") or p.get("path") or p.get("region") or ""
    host = p.get("host")
    where = f"{where} on {host}" if host and where else (where or host or "")
    return f"{view.type_label} · {where}" if where else view.type_label


def usage_line(view: ConnectionView) -> str:
    jobs = len(view.used_by)
    return f"Used by: {jobs} job{'s' if jobs != 1 else ''}  ·  Tested: {ago(view.last_test_at)}"


class CardDelegate(QStyledItemDelegate):
    """Signals:
        edit_requested(str): the Edit button of the card with this connection id.
        delete_requested(str): its Delete button.
    """

    edit_requested = Signal(str)
    delete_requested = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.phase = 0.0  # advanced by the panel while tests run: the blue dot pulses
        self._hover: tuple[int, str] | None = None

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802
        return QSize(320, CARD_HEIGHT)

    # --- geometry --------------------------------------------------------------------

    @staticmethod
    def _card(rect: QRect) -> QRect:
        return rect.adjusted(4, 4, -4, -4)

    def _buttons(self, rect: QRect) -> dict[str, QRect]:
        card = self._card(rect)
        y = card.center().y() - 13
        delete = QRect(card.right() - 12 - 68, y, 68, 26)
        edit = QRect(delete.left() - 8 - 56, y, 56, 26)
        return {"edit": edit, "delete": delete}

    def _button_at(self, rect: QRect, pos: QPoint) -> str | None:
        return next((name for name, r in self._buttons(rect).items() if r.contains(pos)), None)

    # --- painting --------------------------------------------------------------------

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        view: ConnectionView = index.data(ViewRole)
        testing: bool = index.data(TestingRole)
        c = theme.colors()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        card = self._card(option.rect)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        painter.setPen(QPen(QColor(c["borderStrong" if hovered else "border"]), 1))
        painter.setBrush(QColor(c["cardHover" if hovered else "cardBg"]))
        painter.drawRoundedRect(card, 10, 10)

        # status dot
        center = QPoint(card.left() + 18, card.center().y())
        dot = QColor(theme.DOT["testing" if testing else view.last_test_status])
        if testing:
            dot.setAlphaF(0.35 + 0.65 * abs(math.sin(self.phase)))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(dot)
        painter.drawEllipse(center, 6, 6)

        # type icon
        icon_rect = QRect(card.left() + 34, card.center().y() - 18, 36, 36)
        theme.type_icon(view.type_key).paint(painter, icon_rect)

        # text
        buttons = self._buttons(option.rect)
        left = icon_rect.right() + 12
        width = buttons["edit"].left() - 12 - left
        base = QFont(option.font)
        name_font = QFont(base)
        if base.pixelSize() > 0:  # the style sheet sets sizes in pixels
            name_font.setPixelSize(base.pixelSize() + 2)
        else:
            name_font.setPointSizeF(base.pointSizeF() + 1.5)
        name_font.setBold(True)
        painter.setFont(name_font)
        painter.setPen(QColor(c["text"]))
        name = QFontMetrics(name_font).elidedText(view.name, Qt.TextElideMode.ElideRight, width)
        painter.drawText(QRect(left, card.top() + 10, width, 22),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        painter.setFont(base)
        fm = QFontMetrics(base)
        painter.setPen(QColor(c["muted"]))
        painter.drawText(QRect(left, card.top() + 33, width, 18),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         fm.elidedText(subtitle(view), Qt.TextElideMode.ElideMiddle, width))
        line = f"Testing…  ·  {usage_line(view)}" if testing else usage_line(view)
        painter.drawText(QRect(left, card.top() + 52, width, 18),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         fm.elidedText(line, Qt.TextElideMode.ElideRight, width))

        # buttons
        for key, rect in buttons.items():
            hot = self._hover == (index.row(), key)
            painter.setPen(QPen(QColor(c["red"] if key == "delete" and hot else
                                       c["borderStrong" if hot else "border"]), 1))
            painter.setBrush(QColor(c["hover" if hot else "card"]))
            painter.drawRoundedRect(rect, 6, 6)
            painter.setPen(QColor(c["red"] if key == "delete" else c["text"]))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, key.capitalize())
        painter.restore()

    # --- interaction -----------------------------------------------------------------

    def editorEvent(self, event: QEvent, model, option: QStyleOptionViewItem,  # noqa: N802
                    index: QModelIndex) -> bool:
        kind = event.type()
        if kind == QEvent.Type.MouseMove:
            button = self._button_at(option.rect, event.position().toPoint())
            hover = (index.row(), button) if button else None
            if hover != self._hover:
                self._hover = hover
                self.parent().viewport().update()
            return False
        if kind == QEvent.Type.MouseButtonRelease and \
                event.button() == Qt.MouseButton.LeftButton:
            button = self._button_at(option.rect, event.position().toPoint())
            view: ConnectionView = index.data(ViewRole)
            if button == "edit":
                self.edit_requested.emit(view.id)
                return True
            if button == "delete":
                self.delete_requested.emit(view.id)
                return True
        return False

    def clear_hover(self) -> None:
        self._hover = None

    def helpEvent(self, event: QHelpEvent, view, option: QStyleOptionViewItem,  # noqa: N802
                  index: QModelIndex) -> bool:
        button = self._button_at(option.rect, event.pos())
        if button:
            QToolTip.showText(event.globalPos(), f"{button.capitalize()} this connection", view)
            return True
        return super().helpEvent(event, view, option, index)

"""Painted cards for list views: a status dot, an icon, three lines of text, buttons.

Subclasses say what a row shows (`content`) and which buttons it has; clicks come out as
`button_clicked(key, item id)`. Painted, not widgets, so thousands of rows scroll smoothly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from PySide6.QtCore import QEvent, QModelIndex, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QHelpEvent, QIcon, QPainter, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QToolTip

from ui import theme

CARD_HEIGHT = 84
BUTTON_HEIGHT = 26


@dataclass
class Button:
    key: str
    label: str
    width: int = 60
    danger: bool = False
    tip: str = ""


@dataclass
class CardContent:
    item_id: str
    title: str
    subtitle: str
    detail: str
    icon: QIcon
    dot: str  # a key of theme.DOT
    pulsing: bool = False
    # 0..1 draws a bar under the text, a negative value a bar that only says "working";
    # None draws none.
    progress: float | None = None
    buttons: list[Button] = field(default_factory=list)
    extra: str = ""  # a fourth line, for delegates whose `height` leaves room for it


class CardDelegate(QStyledItemDelegate):
    """Signals:
        button_clicked(str, str): the button's key and the card's item id.
    """

    button_clicked = Signal(str, str)
    height = CARD_HEIGHT
    # Buttons beside the title (the lines under it then use the card's whole width), or
    # centred on the card's right.
    buttons_beside_title = False

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.phase = 0.0  # advanced by the owner while something pulses
        self._hover: tuple[int, str] | None = None

    def content(self, index: QModelIndex) -> CardContent:
        raise NotImplementedError

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802
        return QSize(320, self.height)

    # --- geometry --------------------------------------------------------------------

    @staticmethod
    def card_rect(rect: QRect) -> QRect:
        return rect.adjusted(4, 4, -4, -4)

    def button_rects(self, rect: QRect, buttons: list[Button]) -> dict[str, QRect]:
        card = self.card_rect(rect)
        y = card.top() + 8 if self.buttons_beside_title else \
            card.center().y() - BUTTON_HEIGHT // 2
        right = card.right() - 12
        rects = {}
        for button in reversed(buttons):
            rects[button.key] = QRect(right - button.width, y, button.width, BUTTON_HEIGHT)
            right -= button.width + 8
        return rects

    def _button_at(self, rect: QRect, index: QModelIndex, pos: QPoint) -> str | None:
        rects = self.button_rects(rect, self.content(index).buttons)
        return next((key for key, r in rects.items() if r.contains(pos)), None)

    # --- painting --------------------------------------------------------------------

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        content = self.content(index)
        c = theme.colors()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        card = self.card_rect(option.rect)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        painter.setPen(QPen(QColor(c["borderStrong" if hovered else "border"]), 1))
        painter.setBrush(QColor(c["cardHover" if hovered else "cardBg"]))
        painter.drawRoundedRect(card, 10, 10)
        self._paint_dot(painter, card, content)
        icon_rect = QRect(card.left() + 34, card.center().y() - 18, 36, 36)
        content.icon.paint(painter, icon_rect)
        buttons = self.button_rects(option.rect, content.buttons)
        left = icon_rect.right() + 12
        first = min((r.left() for r in buttons.values()), default=card.right())
        title_width = first - 12 - left
        width = card.right() - 12 - left if self.buttons_beside_title else title_width
        self._paint_lines(painter, option.font, card, content, left, title_width, width)
        if content.progress is not None:
            self._paint_progress(painter, QRect(left, card.bottom() - 7, width, 4),
                                 content.progress)
        for button in content.buttons:
            self._paint_button(painter, buttons[button.key], button,
                               self._hover == (index.row(), button.key))
        painter.restore()

    def _paint_dot(self, painter: QPainter, card: QRect, content: CardContent) -> None:
        dot = QColor(theme.DOT[content.dot])
        if content.pulsing:
            dot.setAlphaF(0.35 + 0.65 * abs(math.sin(self.phase)))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(dot)
        painter.drawEllipse(QPoint(card.left() + 18, card.center().y()), 6, 6)

    @staticmethod
    def _paint_lines(painter: QPainter, font: QFont, card: QRect, content: CardContent,
                     left: int, title_width: int, width: int) -> None:
        """The title in bold, then the subtitle, the detail and the extra line, elided."""
        c = theme.colors()
        base = QFont(font)
        bold = QFont(base)
        if base.pixelSize() > 0:  # the style sheet sets sizes in pixels
            bold.setPixelSize(base.pixelSize() + 2)
        else:
            bold.setPointSizeF(base.pointSizeF() + 1.5)
        bold.setBold(True)
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.setFont(bold)
        painter.setPen(QColor(c["text"]))
        painter.drawText(QRect(left, card.top() + 10, title_width, 22), align, QFontMetrics(bold)
                         .elidedText(content.title, Qt.TextElideMode.ElideRight, title_width))
        painter.setFont(base)
        fm = QFontMetrics(base)
        painter.setPen(QColor(c["muted"]))
        lines = [(content.subtitle, Qt.TextElideMode.ElideMiddle, 33),
                 (content.detail, Qt.TextElideMode.ElideRight, 52),
                 (content.extra, Qt.TextElideMode.ElideRight, 71)]
        for text, elide, top in lines:
            if text:
                painter.drawText(QRect(left, card.top() + top, width, 18), align,
                                 fm.elidedText(text, elide, width))

    def _paint_progress(self, painter: QPainter, track: QRect, progress: float) -> None:
        """A bar filled to `progress` (0..1); below 0, a segment sweeping along it."""
        c = theme.colors()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(c["border"]))
        painter.drawRoundedRect(track, 2, 2)
        painter.setBrush(QColor(c["accent"]))
        filled = QRect(track)
        if progress < 0:  # unknown total
            sweep = (self.phase * 0.08) % 1.25 - 0.25
            filled.setLeft(track.left() + int(track.width() * max(0.0, sweep)))
            filled.setRight(track.left() + int(track.width() * min(1.0, sweep + 0.25)))
        else:
            filled.setWidth(max(4, int(track.width() * min(1.0, progress))))
        painter.drawRoundedRect(filled, 2, 2)

    @staticmethod
    def _paint_button(painter: QPainter, rect: QRect, button: Button, hot: bool) -> None:
        c = theme.colors()
        edge = c["red"] if button.danger and hot else c["borderStrong" if hot else "border"]
        painter.setPen(QPen(QColor(edge), 1))
        painter.setBrush(QColor(c["hover" if hot else "card"]))
        painter.drawRoundedRect(rect, 6, 6)
        painter.setPen(QColor(c["red"] if button.danger else c["text"]))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, button.label)

    # --- interaction -----------------------------------------------------------------

    def editorEvent(self, event: QEvent, model, option: QStyleOptionViewItem,  # noqa: N802
                    index: QModelIndex) -> bool:
        kind = event.type()
        if kind == QEvent.Type.MouseMove:
            key = self._button_at(option.rect, index, event.position().toPoint())
            hover = (index.row(), key) if key else None
            if hover != self._hover:
                self._hover = hover
                self.parent().viewport().update()
            return False
        if kind == QEvent.Type.MouseButtonRelease and \
                event.button() == Qt.MouseButton.LeftButton:
            key = self._button_at(option.rect, index, event.position().toPoint())
            if key:
                self.button_clicked.emit(key, self.content(index).item_id)
                return True
        return False

    def helpEvent(self, event: QHelpEvent, view, option: QStyleOptionViewItem,  # noqa: N802
                  index: QModelIndex) -> bool:
        content = self.content(index)
        key = self._button_at(option.rect, index, event.pos())
        tip = next((b.tip for b in content.buttons if b.key == key), "")
        if tip:
            QToolTip.showText(event.globalPos(), tip, view)
            return True
        return super().helpEvent(event, view, option, index)

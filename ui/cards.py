"""Painted cards for list views: a status dot, an icon, three lines of text, buttons.

Subclasses say what a row shows (`content`) and which buttons it has; clicks come out as
`button_clicked(key, item id)`. Painted, not widgets, so thousands of rows scroll smoothly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from PySide6.QtCore import QEvent, QModelIndex, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QHelpEvent, QIcon, QPainter, QPen
from PySide6.QtWidgets import (
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
)

from ui import theme

CARD_HEIGHT = 84
BUTTON_HEIGHT = 26
# The title keeps at least this much room (or its whole width, if less): narrower, and
# the buttons fold into one "…" that opens them as a menu.
MIN_TITLE = 160
TEXT_LEFT = 82  # from the card's left: dot, icon, gap
MORE = "more"


@dataclass
class Button:
    key: str
    label: str
    width: int = 60
    danger: bool = False
    tip: str = ""
    in_menu: bool = False  # only in the card's "…" menu (with every other button)


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
    subtitle_elide: Qt.TextElideMode = Qt.TextElideMode.ElideMiddle


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
        return QSize(160, self.height)  # as wide as the list: never a sideways scroll

    # --- geometry --------------------------------------------------------------------

    @staticmethod
    def card_rect(rect: QRect) -> QRect:
        return rect.adjusted(4, 4, -4, -4)

    def shown_buttons(self, rect: QRect, content: CardContent) -> list[Button]:
        """The card's buttons that fit beside its title, in order, and a "…" holding the
        rest (and those kept in the menu); only "…" where none fits."""
        if not content.buttons:
            return []
        labels = ", ".join(b.label for b in content.buttons)
        more = Button(MORE, "…", 34, tip=f"Actions: {labels}")
        visible = [b for b in content.buttons if not b.in_menu]
        folded = len(visible) < len(content.buttons)
        card = self.card_rect(rect)
        font = self.parent().font() if self.parent() is not None else QFont()
        title = QFontMetrics(self._bold(font)).horizontalAdvance(content.title)
        # Buttons beside the title share its line only; else every line shares their width.
        need = min(MIN_TITLE, title) if self.buttons_beside_title else MIN_TITLE
        while visible:
            shown = visible + ([more] if folded else [])
            room = card.width() - TEXT_LEFT - 12 - sum(b.width + 8 for b in shown) - 4
            if room >= need:
                return shown
            visible, folded = visible[:-1], True
        return [more]

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
        rects = self.button_rects(rect, self.shown_buttons(rect, self.content(index)))
        return next((key for key, r in rects.items() if r.contains(pos)), None)

    def title_width(self, rect: QRect, content: CardContent) -> int:
        """The room the title gets on a card of `rect`."""
        card = self.card_rect(rect)
        buttons = self.button_rects(rect, self.shown_buttons(rect, content))
        first = min((r.left() for r in buttons.values()), default=card.right())
        return first - 12 - (card.left() + TEXT_LEFT)

    # --- painting --------------------------------------------------------------------

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        content = self.content(index)
        c = theme.colors()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        card = self.card_rect(option.rect)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        focused = bool(option.state & QStyle.StateFlag.State_HasFocus)
        painter.setPen(QPen(QColor(c["accent"]), 2) if focused else
                       QPen(QColor(c["borderStrong" if hovered else "border"]), 1))
        painter.setBrush(QColor(c["cardHover" if hovered else "cardBg"]))
        painter.drawRoundedRect(card, 10, 10)
        self._paint_dot(painter, card, content)
        icon_rect = QRect(card.left() + 34, card.center().y() - 18, 36, 36)
        content.icon.paint(painter, icon_rect)
        shown = self.shown_buttons(option.rect, content)
        buttons = self.button_rects(option.rect, shown)
        left = card.left() + TEXT_LEFT
        title_width = self.title_width(option.rect, content)
        width = card.right() - 12 - left if self.buttons_beside_title else title_width
        self._paint_lines(painter, option.font, card, content, left, title_width, width)
        if content.progress is not None:
            self._paint_progress(painter, QRect(left, card.bottom() - 7, width, 4),
                                 content.progress)
        for button in shown:
            self._paint_button(painter, buttons[button.key], button,
                               self._hover == (index.row(), button.key))
        painter.restore()

    def _paint_dot(self, painter: QPainter, card: QRect, content: CardContent) -> None:
        """The status by shape as well as colour: a disc (passed, testing), a disc with a
        cross (failed), a triangle (a problem other than a refusal), a ring (not known)."""
        dot = QColor(theme.DOT[content.dot])
        if content.pulsing:
            dot.setAlphaF(0.35 + 0.65 * abs(math.sin(self.phase)))
        centre = QPoint(card.left() + 18, card.center().y())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(dot)
        if content.dot == "unknown":
            painter.setPen(QPen(dot, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(centre, 5, 5)
        elif content.dot == "error":
            x, y = centre.x(), centre.y()
            painter.drawPolygon([QPoint(x, y - 7), QPoint(x + 7, y + 6), QPoint(x - 7, y + 6)])
        else:
            painter.drawEllipse(centre, 6, 6)
            if content.dot == "failed":
                painter.setPen(QPen(QColor("#ffffff"), 1.6))
                x, y = centre.x(), centre.y()
                painter.drawLine(x - 3, y - 3, x + 3, y + 3)
                painter.drawLine(x - 3, y + 3, x + 3, y - 3)

    @staticmethod
    def _paint_lines(painter: QPainter, font: QFont, card: QRect, content: CardContent,
                     left: int, title_width: int, width: int) -> None:
        """The title in bold, then the subtitle, the detail and the extra line, elided."""
        c = theme.colors()
        base = QFont(font)
        bold = CardDelegate._bold(base)
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.setFont(bold)
        painter.setPen(QColor(c["text"]))
        painter.drawText(QRect(left, card.top() + 10, title_width, 22), align, QFontMetrics(bold)
                         .elidedText(content.title, Qt.TextElideMode.ElideRight, title_width))
        painter.setFont(base)
        fm = QFontMetrics(base)
        painter.setPen(QColor(c["muted"]))
        lines = [(content.subtitle, content.subtitle_elide, 33),
                 (content.detail, Qt.TextElideMode.ElideRight, 52),
                 (content.extra, Qt.TextElideMode.ElideRight, 71)]
        for text, elide, top in lines:
            if text:
                painter.drawText(QRect(left, card.top() + top, width, 18), align,
                                 fm.elidedText(text, elide, width))

    @staticmethod
    def _bold(base: QFont) -> QFont:
        bold = QFont(base)
        if base.pixelSize() > 0:  # the style sheet sets sizes in pixels
            bold.setPixelSize(base.pixelSize() + 2)
        else:
            bold.setPointSizeF(base.pointSizeF() + 1.5)
        bold.setBold(True)
        return bold

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
            if key == MORE:
                self.open_menu(option.rect, index)
                return True
            if key:
                self.button_clicked.emit(key, self.content(index).item_id)
                return True
        return False

    def forget_hover(self) -> None:
        if self._hover is not None:
            self._hover = None
            self.parent().viewport().update()

    def open_menu(self, rect: QRect, index: QModelIndex) -> QMenu:
        """The card's buttons as a menu (the "…" of a narrow card; a right click)."""
        content = self.content(index)
        view = self.parent()
        self.menu = QMenu(view)
        for button in content.buttons:
            action = self.menu.addAction(button.label)
            action.setToolTip(button.tip)
            action.triggered.connect(lambda _=False, k=button.key, i=content.item_id:
                                     self.button_clicked.emit(k, i))
        corner = self.button_rects(rect, self.shown_buttons(rect, content)).get(MORE, rect)
        self.menu.popup(view.viewport().mapToGlobal(corner.bottomLeft()))
        return self.menu

    def helpEvent(self, event: QHelpEvent, view, option: QStyleOptionViewItem,  # noqa: N802
                  index: QModelIndex) -> bool:
        content = self.content(index)
        key = self._button_at(option.rect, index, event.pos())
        tip = next((b.tip for b in self.shown_buttons(option.rect, content) if b.key == key),
                   "")
        if tip:
            QToolTip.showText(event.globalPos(), tip, view)
            return True
        return super().helpEvent(event, view, option, index)

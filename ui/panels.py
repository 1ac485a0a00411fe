"""The two columns of the main window: Connections and ETL Jobs, each a filterable list of
painted cards with empty, loading and "no matches" states."""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QSize,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QPixmap, QTransform
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ui import theme
from ui.cards import CardDelegate
from ui.connection_delegate import ConnectionCardDelegate
from ui.job_delegate import JobCardDelegate

EMPTY_CONNECTIONS = ("No database connections configured — create your first connection to "
                     "start moving data.")
EMPTY_JOBS = ("No ETL jobs yet — a job copies tables from a connection into the local "
              "warehouse or another destination, now or on a schedule.")


def _empty_state(text: str, button: QPushButton | None = None) -> QWidget:
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.addStretch(1)
    label = QLabel(text)
    label.setObjectName("emptyState")
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    layout.addWidget(label)
    if button is not None:
        layout.addWidget(button, 0, Qt.AlignmentFlag.AlignHCenter)
    layout.addStretch(2)
    return page


class CardPanel(QFrame):
    """A titled column: an add button, a filter box and a list of cards; when the list is
    empty, a sentence and a button that adds the first one.

    Signals:
        add_requested(): the add button or the empty state's button.
    """

    noun = "item"
    add_requested = Signal()

    def __init__(self, title: str, model: QAbstractListModel, filter_role: int,
                 delegate: CardDelegate, filter_hint: str, add_label: str,
                 empty_text: str, create_label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        self.model = model
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        self.header = QHBoxLayout()
        self.title = QLabel(title)
        self.title.setObjectName("panelTitle")
        self.header.addWidget(self.title)
        self.header.addStretch(1)
        self.add_button = QPushButton(add_label)
        self.add_button.setObjectName("primary")
        self.add_button.clicked.connect(self.add_requested)
        self.header.addWidget(self.add_button)
        layout.addLayout(self.header)
        create = QPushButton(create_label)
        create.setObjectName("primary")
        create.clicked.connect(self.add_requested)
        self.create_button = create
        empty = _empty_state(empty_text, create)

        self.filter = QLineEdit()
        self.filter.setPlaceholderText(filter_hint)
        self.filter.addAction(theme.icon("search.svg"), QLineEdit.ActionPosition.LeadingPosition)
        self.filter.setClearButtonEnabled(True)
        layout.addWidget(self.filter)

        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(model)
        self.proxy.setFilterRole(filter_role)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter.textChanged.connect(self._filter_changed)

        self.view = QListView()
        self.view.setObjectName("cards")
        self.view.setModel(self.proxy)
        self.view.setMouseTracking(True)
        self.view.setUniformItemSizes(True)
        self.view.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Cards are reached by keyboard too: Tab to the list, arrows between cards, Enter
        # for the card's first action, Delete, and the menu key (or a right click) for all.
        self.view.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.installEventFilter(self)
        self.view.viewport().installEventFilter(self)
        self.view.setAccessibleName(title)
        self.delegate = delegate
        delegate.setParent(self.view)
        self.view.setItemDelegate(delegate)

        self.no_matches = QLabel()
        self.no_matches.setObjectName("emptyState")
        self.no_matches.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.empty = empty
        self.loading = _empty_state(f"Loading {self.noun}s…")
        self.loaded = False
        self.stack = QStackedWidget()
        for page in (self.view, self.empty, self.no_matches, self.loading):
            self.stack.addWidget(page)
        layout.addWidget(self.stack, 1)

        # Pulsing dots while something runs; "5m ago" moves on by itself.
        self.animation = QTimer(self)
        self.animation.setInterval(50)
        self.animation.timeout.connect(self._animate)
        self.clock = QTimer(self)
        self.clock.setInterval(30_000)
        self.clock.timeout.connect(self.view.viewport().update)
        self.clock.start()
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved):
            signal.connect(self._update_state)
        self._update_state()

    def focus_chain(self) -> list[QWidget]:
        """The panel's controls in the order Tab visits them: its buttons, the filter, the
        cards (or the empty state's button)."""
        buttons = [self.header.itemAt(i).widget() for i in range(self.header.count())]
        return [*(b for b in buttons if isinstance(b, QPushButton | QToolButton)),
                self.filter, self.view, self.create_button]

    def set_loaded(self) -> None:
        self.loaded = True
        self._update_state()

    def _context_menu(self, pos) -> None:
        index = self.view.indexAt(pos)
        if index.isValid():
            self.view.setCurrentIndex(index)
            self.delegate.open_menu(self.view.visualRect(index), index)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt API
        """The keys of a focused card (see __init__); a hovered button is forgotten when
        the pointer leaves the list (for a dialog a button opened, say)."""
        if watched is self.view.viewport() and event.type() == QEvent.Type.Leave:
            self.delegate.forget_hover()
            return False
        if watched is self.view and event.type() == QEvent.Type.KeyPress:
            index = self.view.currentIndex()
            if not index.isValid():
                return False
            content = self.delegate.content(index)
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and content.buttons:
                self.delegate.button_clicked.emit(content.buttons[0].key, content.item_id)
                return True
            if key == Qt.Key.Key_Delete and any(b.key == "delete" for b in content.buttons):
                self.delegate.button_clicked.emit("delete", content.item_id)
                return True
            if key == Qt.Key.Key_Menu or (key == Qt.Key.Key_F10 and
                                          event.modifiers() & Qt.KeyboardModifier.ShiftModifier):
                self.delegate.open_menu(self.view.visualRect(index), index)
                return True
        return super().eventFilter(watched, event)

    def _filter_changed(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        self._update_state()

    def _update_state(self) -> None:
        rows = self.model.rowCount()
        self.add_button.setEnabled(self.loaded)
        self.filter.setEnabled(self.loaded and rows > 0)
        if not self.loaded:
            self.stack.setCurrentWidget(self.loading)
        elif rows == 0:
            self.stack.setCurrentWidget(self.empty)
        elif self.proxy.rowCount() == 0:
            self.no_matches.setText(f"No {self.noun} matches “{self.filter.text().strip()}”.")
            self.stack.setCurrentWidget(self.no_matches)
        else:
            self.stack.setCurrentWidget(self.view)

    @property
    def busy(self) -> bool:
        return self.animation.isActive()

    def set_busy(self, busy: bool) -> None:
        if busy and not self.animation.isActive():
            self.animation.start()
        elif not busy and self.animation.isActive():
            self.animation.stop()
            self.view.viewport().update()
        self._update_state()

    def _animate(self) -> None:
        self.delegate.phase += 0.25
        self.view.viewport().update()


class ConnectionsPanel(CardPanel):
    """Signals:
        refresh_requested(): the Refresh button.
        edit_requested(str), delete_requested(str): a card's buttons (connection id).
    """

    noun = "connection"
    refresh_requested = Signal()
    sample_requested = Signal()
    edit_requested = Signal(str)
    delete_requested = Signal(str)

    def __init__(self, model: QAbstractListModel, parent: QWidget | None = None) -> None:
        from ui.connection_model import FilterRole

        delegate = ConnectionCardDelegate()
        super().__init__("Connections", model, FilterRole, delegate,
                         "Filter by name, type, host or database", "+ Connection",
                         EMPTY_CONNECTIONS, "Create connection", parent)
        delegate.edit_requested.connect(self.edit_requested)
        delegate.delete_requested.connect(self.delete_requested)
        # A first minute without a database of one's own: the sample shop.
        self.sample_button = QPushButton("Try Sluice with sample data")
        self.sample_button.setToolTip("Make a small shop database, a connection to it and a "
                                      "job into the local warehouse (no password needed)")
        self.sample_button.clicked.connect(self.sample_requested)
        empty_layout = self.empty.layout()
        empty_layout.insertWidget(empty_layout.indexOf(self.create_button) + 1,
                                  self.sample_button, 0, Qt.AlignmentFlag.AlignHCenter)
        self.refresh_button = QToolButton()
        self.refresh_button.setObjectName("iconButton")
        self.refresh_button.setIcon(theme.icon("refresh.svg"))
        self.refresh_button.setIconSize(QSize(18, 18))
        self.refresh_button.setToolTip("Test every connection again")
        self.refresh_button.setAccessibleName("Test every connection again")
        self.refresh_button.clicked.connect(self.refresh_requested)
        self.header.insertWidget(self.header.indexOf(self.add_button), self.refresh_button)
        self._angle = 0
        self._base_pixmap = theme.icon("refresh.svg").pixmap(QSize(36, 36))
        self._update_state()

    def _update_state(self) -> None:
        super()._update_state()
        if hasattr(self, "refresh_button"):  # not yet while the base class builds
            self.refresh_button.setEnabled(self.loaded and self.model.rowCount() > 0
                                           and not self.busy)

    def set_busy(self, busy: bool) -> None:
        """Spin the refresh icon while connections are being tested."""
        super().set_busy(busy)
        if not busy:
            self._angle = 0
            self.refresh_button.setIcon(theme.icon("refresh.svg"))
        self.refresh_button.setToolTip("Testing connections…" if busy
                                       else "Test every connection again")

    def _animate(self) -> None:
        self._angle = (self._angle + 30) % 360
        turned = self._base_pixmap.transformed(QTransform().rotate(self._angle),
                                               Qt.TransformationMode.SmoothTransformation)
        size = self._base_pixmap.size()
        x = (turned.width() - size.width()) // 2
        y = (turned.height() - size.height()) // 2
        self.refresh_button.setIcon(QPixmap(turned.copy(x, y, size.width(), size.height())))
        super()._animate()


class JobsPanel(CardPanel):
    """Signals:
        run_requested(str), cancel_requested(str), edit_requested(str),
        preview_requested(str), history_requested(str), cloud_requested(str),
        delete_requested(str): card buttons (job id).
    """

    noun = "job"
    run_requested = Signal(str)
    cancel_requested = Signal(str)
    edit_requested = Signal(str)
    history_requested = Signal(str)
    preview_requested = Signal(str)
    cloud_requested = Signal(str)
    delete_requested = Signal(str)

    def __init__(self, model: QAbstractListModel, parent: QWidget | None = None) -> None:
        from ui.job_model import FilterRole

        delegate = JobCardDelegate()
        super().__init__("ETL jobs", model, FilterRole, delegate,
                         "Filter by job, connection or table", "+ ETL job", EMPTY_JOBS,
                         "Create ETL job", parent)
        signals = {"run": self.run_requested, "cancel": self.cancel_requested,
                   "edit": self.edit_requested, "history": self.history_requested,
                   "cloud": self.cloud_requested, "delete": self.delete_requested,
                   "preview": self.preview_requested}
        delegate.button_clicked.connect(lambda key, job_id: signals[key].emit(job_id))
        self.add_button.setToolTip("Create an ETL job: copy tables from a connection, now or "
                                   "on a schedule")

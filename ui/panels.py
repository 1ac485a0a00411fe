"""The two columns of the main window: Connections (cards) and ETL Jobs."""

from __future__ import annotations

from PySide6.QtCore import QSize, QSortFilterProxyModel, Qt, QTimer, Signal
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
from ui.connection_delegate import ConnectionCardDelegate
from ui.connection_model import ConnectionListModel, FilterRole

EMPTY_CONNECTIONS = ("No database connections configured — create your first connection to "
                     "start moving data.")
EMPTY_JOBS = ("No ETL jobs yet — a job copies tables from a connection into the local "
              "warehouse or another destination, now or on a schedule.")
JOBS_LATER = ("The job wizard is not in the app yet; create and run jobs from the command "
              "line: python main.py job add --help")


def _header(title: str) -> tuple[QHBoxLayout, QLabel]:
    row = QHBoxLayout()
    label = QLabel(title)
    label.setObjectName("panelTitle")
    row.addWidget(label)
    row.addStretch(1)
    return row, label


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


class ConnectionsPanel(QFrame):
    """Signals:
        add_requested(): "+ Connection" or the empty state's button.
        refresh_requested(): the Refresh button.
        edit_requested(str), delete_requested(str): a card's buttons (connection id).
    """

    add_requested = Signal()
    refresh_requested = Signal()
    edit_requested = Signal(str)
    delete_requested = Signal(str)

    def __init__(self, model: ConnectionListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        self.model = model
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        header, self.title = _header("Connections")
        self.refresh_button = QToolButton()
        self.refresh_button.setObjectName("iconButton")
        self.refresh_button.setIcon(theme.icon("refresh.svg"))
        self.refresh_button.setIconSize(QSize(18, 18))
        self.refresh_button.setToolTip("Test every connection again")
        self.refresh_button.clicked.connect(self.refresh_requested)
        self.add_button = QPushButton("+ Connection")
        self.add_button.setObjectName("primary")
        self.add_button.clicked.connect(self.add_requested)
        header.addWidget(self.refresh_button)
        header.addWidget(self.add_button)
        layout.addLayout(header)

        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter by name, type, host or database")
        self.filter.addAction(theme.icon("search.svg"), QLineEdit.ActionPosition.LeadingPosition)
        self.filter.setClearButtonEnabled(True)
        layout.addWidget(self.filter)

        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(model)
        self.proxy.setFilterRole(FilterRole)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter.textChanged.connect(self._filter_changed)

        self.view = QListView()
        self.view.setObjectName("cards")
        self.view.setModel(self.proxy)
        self.view.setMouseTracking(True)
        self.view.setUniformItemSizes(True)
        self.view.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.view.setSelectionMode(QListView.SelectionMode.NoSelection)
        self.view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.delegate = ConnectionCardDelegate(self.view)
        self.view.setItemDelegate(self.delegate)
        self.delegate.edit_requested.connect(self.edit_requested)
        self.delegate.delete_requested.connect(self.delete_requested)

        create = QPushButton("Create connection")
        create.setObjectName("primary")
        create.clicked.connect(self.add_requested)
        self.no_matches = QLabel()
        self.no_matches.setObjectName("emptyState")
        self.no_matches.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.stack = QStackedWidget()
        self.empty = _empty_state(EMPTY_CONNECTIONS, create)
        self.loading = _empty_state("Loading connections…")
        self.loaded = False
        for page in (self.view, self.empty, self.no_matches, self.loading):
            self.stack.addWidget(page)
        layout.addWidget(self.stack, 1)

        # While tests run: the blue dots pulse and the refresh icon turns.
        self._angle = 0
        self._base_pixmap = theme.icon("refresh.svg").pixmap(QSize(36, 36))
        self.animation = QTimer(self)
        self.animation.setInterval(50)
        self.animation.timeout.connect(self._animate)
        # "Tested: 5m ago" moves on by itself.
        self.clock = QTimer(self)
        self.clock.setInterval(30_000)
        self.clock.timeout.connect(self.view.viewport().update)
        self.clock.start()
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved):
            signal.connect(self._update_state)
        self._update_state()

    def _filter_changed(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        self._update_state()

    def set_loaded(self) -> None:
        self.loaded = True
        self.add_button.setEnabled(True)
        self._update_state()

    def _update_state(self) -> None:
        if not self.loaded:
            self.stack.setCurrentWidget(self.loading)
            self.filter.setEnabled(False)
            self.add_button.setEnabled(False)
            self.refresh_button.setEnabled(False)
            return
        if self.model.rowCount() == 0:
            self.stack.setCurrentWidget(self.empty)
            self.filter.setEnabled(False)
        elif self.proxy.rowCount() == 0:
            self.no_matches.setText(f"No connection matches “{self.filter.text().strip()}”.")
            self.stack.setCurrentWidget(self.no_matches)
        else:
            self.stack.setCurrentWidget(self.view)
        if self.model.rowCount():
            self.filter.setEnabled(True)
        self.refresh_button.setEnabled(self.model.rowCount() > 0 and not self.busy)

    @property
    def busy(self) -> bool:
        return self.animation.isActive()

    def set_busy(self, busy: bool) -> None:
        """Start or stop the spinning refresh icon and the pulsing dots."""
        if busy and not self.animation.isActive():
            self.animation.start()
        elif not busy and self.animation.isActive():
            self.animation.stop()
            self._angle = 0
            self.refresh_button.setIcon(theme.icon("refresh.svg"))
            self.view.viewport().update()
        self.refresh_button.setToolTip("Testing connections…" if busy
                                       else "Test every connection again")
        self._update_state()

    def _animate(self) -> None:
        self._angle = (self._angle + 30) % 360
        turned = self._base_pixmap.transformed(QTransform().rotate(self._angle),
                                               Qt.TransformationMode.SmoothTransformation)
        size = self._base_pixmap.size()
        x = (turned.width() - size.width()) // 2
        y = (turned.height() - size.height()) // 2
        self.refresh_button.setIcon(QPixmap(turned.copy(x, y, size.width(), size.height())))
        self.delegate.phase += 0.25
        self.view.viewport().update()


class JobsPanel(QFrame):
    """The ETL Jobs column; its "+ ETL Job" waits for the job engine."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        header, self.title = _header("ETL Jobs")
        self.add_button = QPushButton("+ ETL Job")
        self.add_button.setObjectName("primary")
        self.add_button.setEnabled(False)
        self.add_button.setToolTip(JOBS_LATER)
        header.addWidget(self.add_button)
        layout.addLayout(header)
        layout.addWidget(_empty_state(EMPTY_JOBS), 1)

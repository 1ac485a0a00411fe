"""The connection wizard: pick a type (step 1), fill in and test the details (step 2).

Save stays disabled until a successful test of exactly the values in the form.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from app.connectors import registry
from app.services.connections import ConnectionService, ConnectionView, Draft, Proof
from app.services.errors import (
    DuplicateCredentials,
    DuplicateName,
    SecretBackendUnavailable,
    SecretError,
    ServiceError,
    ValidationError,
    VaultLocked,
)
from ui import dialogs, theme
from ui.connection_form import ConnectionForm
from ui.workers import Bridge, Task

TYPE_PAGE, DETAILS_PAGE = 0, 1
WIZARD_SIZE = QSize(800, 620)
TILE_COLUMNS = 5


class TypePage(QWizardPage):
    """Step 1: category tabs of tiles, one per registered type."""

    chosen = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setTitle("New connection")
        self.setSubTitle("Step 1 of 2 — choose what to connect to.")
        self.type_key: str | None = None
        self.tabs = QTabWidget()
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.tiles: dict[str, QToolButton] = {}
        for category, title in registry.CATEGORIES.items():
            page = QWidget()
            grid = QGridLayout(page)
            grid.setSpacing(12)
            grid.setContentsMargins(14, 14, 14, 14)
            for i, ctype in enumerate(registry.by_category(category)):
                tile = self._tile(ctype)
                grid.addWidget(tile, i // TILE_COLUMNS, i % TILE_COLUMNS)
            grid.setRowStretch(grid.rowCount(), 1)
            grid.setColumnStretch(TILE_COLUMNS, 1)
            self.tabs.addTab(page, title)
        # Type to filter: the box has the focus when the page opens; Enter takes the one
        # type left, Down goes to the tiles (arrows, Space or Enter choose there).
        self.filter = QLineEdit()
        self.filter.setObjectName("typeFilter")
        self.filter.setPlaceholderText("Type to filter: postgres, csv, mongo…")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter)
        self.filter.installEventFilter(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.tabs)

    def initializePage(self) -> None:  # noqa: N802 - Qt API
        self.filter.setFocus()

    def shown_tiles(self) -> list[QToolButton]:
        """The tiles the filter leaves, on the tab shown."""
        page = self.tabs.currentWidget()
        return [t for t in self.tiles.values() if page.isAncestorOf(t) and not t.isHidden()]

    def _filter(self, text: str) -> None:
        words = text.strip().lower()
        first_tab = None
        for i in range(self.tabs.count()):
            page = self.tabs.widget(i)
            matches = 0
            for key, tile in self.tiles.items():
                if page.isAncestorOf(tile):
                    label = registry.get_type(key).label.lower()
                    visible = not words or words in label or words in key
                    tile.setHidden(not visible)
                    matches += visible
            self.tabs.setTabEnabled(i, matches > 0 or not words)
            if matches and first_tab is None:
                first_tab = i
        if words and first_tab is not None:  # the first tab with a match is shown
            self.tabs.setCurrentIndex(first_tab)

    def _tile(self, ctype: registry.ConnectionType) -> QToolButton:
        tile = QToolButton()
        tile.setObjectName("tile")
        tile.setCheckable(True)
        tile.setIcon(theme.type_icon(ctype.key))
        tile.setIconSize(QSize(44, 44))
        tile.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        tile.setProperty("type_key", ctype.key)
        if ctype.driver.installed():
            tile.setText(ctype.label)
            tile.setToolTip(f"Connect to {ctype.label}" if ctype.engine.readable else
                            f"Connect to {ctype.label}: test it and list its tables. Jobs "
                            "cannot read it yet (the README says why).")
        else:
            needs = f"needs sluice[{ctype.driver.extra}]" if ctype.driver.extra else \
                "driver missing"
            tile.setText(f"{ctype.label}\n{needs}")
            tile.setToolTip(ctype.driver.hint)
            tile.setEnabled(False)
        self.group.addButton(tile)
        tile.toggled.connect(lambda on, key=ctype.key: on and self._choose(key))
        tile.installEventFilter(self)
        self.tiles[ctype.key] = tile
        return tile

    def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802 - Qt API
        if watched is getattr(self, "filter", None):
            return self._filter_key(event)
        if event.type() == event.Type.MouseButtonDblClick and watched.isEnabled():
            watched.setChecked(True)
            self.wizard().next()
            return True
        if event.type() == event.Type.KeyPress and event.key() in (Qt.Key.Key_Return,
                                                                     Qt.Key.Key_Enter):
            if watched.isEnabled():  # Enter on a tile: that type, and on to its form
                watched.setChecked(True)
                self.wizard().next()
            return True
        if event.type() == event.Type.KeyPress and event.text().isprintable() and \
                event.text().strip():
            if not hasattr(self, "filter"):
                return False
            self.filter.setFocus()  # typing on the tiles types in the filter
            self.filter.setText(self.filter.text() + event.text())
            return True
        return False

    def _filter_key(self, event: Any) -> bool:
        if event.type() != event.Type.KeyPress:
            return False
        tiles = [t for t in self.shown_tiles() if t.isEnabled()]
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and len(tiles) == 1:
            tiles[0].setChecked(True)
            self.wizard().next()
            return True
        if event.key() == Qt.Key.Key_Down and tiles:
            tiles[0].setFocus()
            return True
        return False

    def _choose(self, key: str) -> None:
        self.type_key = key
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 - Qt API
        return self.type_key is not None


class DetailsPage(QWizardPage):
    """Step 2: the form, Test connection (background, cancellable) and the test's outcome."""

    def __init__(self, service: ConnectionService, bridge: Bridge,
                 editing: ConnectionView | None) -> None:
        super().__init__()
        self.service, self.bridge, self.editing = service, bridge, editing
        self.form: ConnectionForm | None = None
        self.type_key: str | None = None
        self.proof: Proof | None = None
        self.tested_values: dict | None = None
        self.task: Task | None = None
        self.saved: ConnectionView | None = None
        self.name_touched = editing is not None

        layout = QVBoxLayout(self)
        self.used_by = QLabel()
        self.used_by.setObjectName("pageHint")
        self.used_by.setVisible(editing is not None)
        layout.addWidget(self.used_by)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        layout.addWidget(self.scroll, 1)

        actions = QHBoxLayout()
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.start_test)
        self.cancel_button = QPushButton("Cancel test")
        self.cancel_button.clicked.connect(self.cancel_test)
        self.cancel_button.hide()
        self.spinner = theme.spinner()
        actions.addWidget(self.test_button)
        actions.addWidget(self.cancel_button)
        actions.addWidget(self.spinner)
        actions.addStretch(1)
        layout.addLayout(actions)
        self.status = QLabel()
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        self.status.setMargin(8)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.hide()
        layout.addWidget(self.status)

    # --- building ----------------------------------------------------------------------

    def initializePage(self) -> None:  # noqa: N802 - Qt API
        key = self.editing.type_key if self.editing else self.wizard().page(TYPE_PAGE).type_key
        if key == self.type_key and self.form is not None:
            return
        self.type_key = key
        ctype = registry.get_type(key)
        verb = "Edit" if self.editing else "New"
        self.setTitle(f"{verb} {ctype.label} connection")
        step = "" if self.editing else "Step 2 of 2 — "
        self.setSubTitle(f"{step}fill in the details, test the connection, then save it.")
        self.form = ConnectionForm(ctype, editing=self.editing is not None)
        self.scroll.setWidget(self.form)
        if self.editing:
            self.form.set_values(self.editing.params)
            self.form.name.setText(self.editing.name)
            jobs = len(self.editing.used_by)
            self.used_by.setText(f"Used by {jobs} job{'s' if jobs != 1 else ''}"
                                 + (f": {', '.join(self.editing.used_by)}" if jobs else "")
                                 + ". Changes are saved only after a successful test.")
        else:
            self._suggest_name()
        self.form.changed.connect(self._changed)
        self.form.name_edited.connect(self._name_touched)
        self.proof = self.tested_values = None
        self._set_status(None, "")
        self._keyboard()
        self.completeChanged.emit()

    def _keyboard(self) -> None:
        """Tab goes through the fields in order, then Test; Enter in a field tests (or,
        once the values passed, saves); the first field of the type has the focus."""
        fields = self.form.focus_chain()
        for before, after in zip(fields, [*fields[1:], self.test_button], strict=True):
            QWidget.setTabOrder(before, after)
        for field in fields:
            field.installEventFilter(self)
        first = next(iter(self.form.inputs.values()), self.form.name)
        QTimer.singleShot(0, first.setFocus)

    def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802 - Qt API
        if event.type() == event.Type.KeyPress and \
                event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.tested_ok():  # Save, as its button would (validated first)
                self.wizard().button(QWizard.WizardButton.FinishButton).click()
            elif self.task is None:
                self.start_test()
            return True
        return False

    def _name_touched(self) -> None:
        self.name_touched = True

    def _suggest_name(self) -> None:
        assert self.form is not None and self.type_key is not None
        exclude = self.editing.id if self.editing else None
        name = self.service.suggest_name(self.type_key, self.form.values(), exclude)
        self.form.name.blockSignals(True)
        self.form.name.setText(name)
        self.form.name.blockSignals(False)

    # --- state -------------------------------------------------------------------------

    def draft(self) -> Draft:
        assert self.form is not None and self.type_key is not None
        return Draft(self.type_key, self.form.name.text(), self.form.values())

    def _snapshot(self) -> dict:
        draft = self.draft()
        return {"name": draft.name, **draft.values}

    def _changed(self) -> None:
        if not self.name_touched:
            self._suggest_name()
        problem = self.service.name_problem(self.form.name.text(),
                                            self.editing.id if self.editing else None)
        self.form.show_errors({"name": problem} if problem else {})
        if self.task is None:
            self._show_outcome()
        self.completeChanged.emit()

    def _show_outcome(self) -> None:
        """What the last test says of the values now in the form: its outcome while they
        are the ones tested (again, after a revert), else that they changed since."""
        if self.proof is None or self.tested_values is None:
            self._set_status(None, "")  # a refusal's banner goes once a field changes
        elif self._same_as_tested():
            self._tested(self.proof)
        elif self.proof.result.ok:
            self._set_status("stale", "Changed since the last test — test again to save.")
        else:
            self._set_status(None, "")

    def _same_as_tested(self) -> bool:
        """The form holds the values last tested (the name aside)."""
        if self.tested_values is None:
            return False
        current = self._snapshot()
        return {k: v for k, v in current.items() if k != "name"} == \
            {k: v for k, v in self.tested_values.items() if k != "name"}

    def tested_ok(self) -> bool:
        """A successful test of exactly the current values (the name aside)."""
        return self.proof is not None and self.proof.result.ok and self._same_as_tested()

    def isComplete(self) -> bool:  # noqa: N802 - Qt API
        return self.task is None and self.tested_ok()

    def _set_status(self, tone: str | None, text: str) -> None:
        theme.set_tone(self.status, tone, text)

    # --- testing -----------------------------------------------------------------------

    def _refusal(self, exc: Exception) -> None:
        """Show why the values cannot be saved (before or after a test)."""
        if isinstance(exc, ValidationError):
            self.form.show_errors(exc.errors)
            self._set_status("failed", "Fix the highlighted fields.")
        elif isinstance(exc, DuplicateName):
            existing = self.service.get(exc.existing)
            self.duplicate_box = dialogs.message(self, "Name already used", str(exc),
                                                 dialogs.describe(existing))
        elif isinstance(exc, DuplicateCredentials):
            existing = self.service.get(exc.existing)
            self.duplicate_box = dialogs.choose(
                self, "Connection already exists", str(exc), dialogs.describe(existing),
                [("Open the existing connection",
                  lambda: self.wizard().open_existing.emit(existing.id))])
        elif isinstance(exc, SecretBackendUnavailable | VaultLocked) and self._vault_offer(exc):
            return
        else:
            self.error_box = dialogs.message(self, "Cannot save this connection", str(exc))

    def _vault_offer(self, exc: Exception) -> bool:
        """Where passwords cannot be kept (no secure keyring; the vault locked), offer the
        way out here: set up the vault, or unlock it; then test again."""
        from app.services import vault
        from ui.vault_dialog import NO_KEYRING, VaultDialog

        ctx = self.service.ctx
        if isinstance(exc, VaultLocked):
            mode = "unlock"
        elif ctx.secrets.default == "keyring":
            mode = "set_up" if vault.state(ctx) == "none" else "unlock"
        else:
            return False  # GCP Secret Manager unavailable: its own message says why
        self.vault_dialog = VaultDialog(ctx, mode, NO_KEYRING if mode == "set_up" else None,
                                        self)
        self.vault_dialog.accepted.connect(self._vault_ready)
        self.vault_dialog.open()
        return True

    def _vault_ready(self) -> None:
        from app.services import vault

        if not vault.in_use(self.service.ctx):  # unlocked an existing vault: use it now
            vault.use(self.service.ctx)
        self.start_test()

    def start_test(self) -> None:
        existing = self.editing.id if self.editing else None
        try:
            self.service.precheck(self.draft(), existing)
        except (ServiceError, SecretError) as exc:
            self._refusal(exc)
            return
        self.tested_values = self._snapshot()
        self.proof = None
        focused = QApplication.focusWidget()  # given back after the test (if on this page)
        self.focus_before = focused if focused is not None and self.isAncestorOf(focused) \
            else None
        self.task = self.bridge.submit(self, self.service.test, self.draft(), existing,
                                       on_done=self._tested, on_error=self._test_crashed,
                                       cancellable=True)
        self._busy(True)
        self._set_status("busy", "Testing the connection…")

    def cancel_test(self) -> None:
        if self.task is not None:
            self.task.cancel.set()
            self.task = None
        self._busy(False)
        self._set_status("failed", "Test cancelled.")

    def _busy(self, busy: bool) -> None:
        self.test_button.setEnabled(not busy)
        self.cancel_button.setVisible(busy)
        self.spinner.setVisible(busy)
        self.completeChanged.emit()
        before = getattr(self, "focus_before", None)
        if not busy and before is not None and before.isVisible() and before.isEnabled():
            before.setFocus()  # the focus stays where the user was, not where Qt moved it

    def _tested(self, proof: Proof) -> None:
        self.task = None
        self.proof = proof
        self._busy(False)
        r = proof.result
        if r.ok:
            version = (r.server_version or "").split(" on ")[0]
            self._set_status("ok", f"✓ Connected in {r.latency_ms} ms — {version}\n{r.message}")
        else:
            self._set_status(r.status, ("✗ " if r.status == "failed" else "! ") + r.message)
        self.completeChanged.emit()

    def _test_crashed(self, exc: BaseException) -> None:
        self.task = None
        self._busy(False)
        self._set_status("error", f"! The test could not run: {exc}")

    # --- saving ------------------------------------------------------------------------

    def validatePage(self) -> bool:  # noqa: N802 - Qt API
        if not self.tested_ok():
            return False
        try:
            if self.editing:
                self.saved = self.service.update(self.editing.id, self.draft(), self.proof)
            else:
                self.saved = self.service.create(self.draft(), self.proof)
        except (ServiceError, SecretError) as exc:
            self._refusal(exc)
            return False
        return True


class ConnectionWizard(QWizard):
    """Create a connection (two steps) or edit one (opens at step 2, pre-filled).

    Signals:
        open_existing(id): the user asked for the saved connection these values duplicate
        (this wizard closes; the window opens that one).
    """

    open_existing = Signal(str)

    def __init__(self, service: ConnectionService, bridge: Bridge,
                 editing: ConnectionView | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectionWizard")
        self.setWindowTitle("Edit connection" if editing else "New connection")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, False)
        self.setButtonText(QWizard.WizardButton.FinishButton, "Save connection")
        save = self.button(QWizard.WizardButton.FinishButton)
        save.setObjectName("primary")
        save.style().unpolish(save)
        save.style().polish(save)
        self.setFixedSize(WIZARD_SIZE)
        self.type_page = TypePage()
        self.details = DetailsPage(service, bridge, editing)
        self.setPage(TYPE_PAGE, self.type_page)
        self.setPage(DETAILS_PAGE, self.details)
        if editing:
            self.setStartId(DETAILS_PAGE)

    @property
    def saved(self) -> ConnectionView | None:
        return self.details.saved

    def reject(self) -> None:
        if self.details.task is not None:
            self.details.task.cancel.set()  # Cancel always works, even mid-test
        super().reject()

"""The details form of one connection type, built from the type registry."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.connectors.registry import FILES, ConnectionType, Field
from app.services.connections import takes_url, values_from_url

UNCHANGED = "Unchanged — leave empty to keep the saved password"
URL_EXAMPLES = {"postgresql": "postgresql://user@host:5432/database?sslmode=require",
                "mysql": "mysql://user@host:3306/database",
                "mariadb": "mariadb://user@host:3306/database"}


class ConnectionForm(QWidget):
    """Signals:
        changed(): any value changed (typed, picked or toggled).
        name_edited(): the user typed in the name field (stop suggesting names).
    """

    changed = Signal()
    name_edited = Signal()

    def __init__(self, ctype: ConnectionType, editing: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctype = ctype
        self.inputs: dict[str, QWidget] = {}
        self.browse_buttons: dict[str, QToolButton] = {}  # of path fields
        self.errors: dict[str, QLabel] = {}
        layout = QFormLayout(self)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.setVerticalSpacing(6)
        layout.setContentsMargins(0, 0, 0, 0)

        self.name = QLineEdit()
        self.name.setObjectName("field_name")
        self.name.setPlaceholderText("A name you will recognise")
        self.name.textEdited.connect(self.name_edited)
        self.name.textChanged.connect(self.changed)
        layout.addRow("Connection name", self._with_error("name", self.name))
        self.url: QLineEdit | None = None
        if takes_url(ctype.key):
            self.url = QLineEdit()
            self.url.setObjectName("field_url")
            self.url.setPlaceholderText(URL_EXAMPLES.get(ctype.key, ""))
            self.url.setToolTip("Paste a connection URL: it fills in the fields below "
                                "(it is not saved itself).")
            self.url.textEdited.connect(self._url_pasted)
            layout.addRow("Paste connection URL", self._with_error("url", self.url))
        for f in ctype.fields:
            widget = self._input(f, editing)
            widget.setObjectName(f"field_{f.key}")
            self.inputs[f.key] = widget
            label = f.label + ("" if f.required else " (optional)")
            holder = self._path_row(f, widget) if f.kind == "path" else widget
            layout.addRow(label, self._with_error(f.key, holder))
            if f.help:
                widget.setToolTip(f.help)

    def _url_pasted(self, text: str) -> None:
        """Fill the fields the URL names; say why when it is not a URL of this type."""
        if not text.strip():
            self._field_error("url", "")
            return
        try:
            values = values_from_url(self.ctype.key, text)
        except ValueError as exc:
            self._field_error("url", str(exc))
            return
        self._field_error("url", "")
        self.set_values(values)

    def _field_error(self, key: str, text: str) -> None:
        self.errors[key].setText(text)
        self.errors[key].setVisible(bool(text))

    def _with_error(self, key: str, widget: QWidget) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        error = QLabel()
        error.setObjectName("fieldError")
        error.setWordWrap(True)
        error.hide()
        column.addWidget(error)
        self.errors[key] = error
        return box

    def _input(self, f: Field, editing: bool) -> QWidget:
        if f.kind == "bool":
            box = QCheckBox()
            box.setChecked(bool(f.default))
            box.toggled.connect(self.changed)
            return box
        if f.kind == "choice":
            combo = QComboBox()
            combo.addItems(list(f.choices))
            if f.default is not None:
                combo.setCurrentText(str(f.default))
            combo.currentTextChanged.connect(self.changed)
            return combo
        edit = QLineEdit()
        if f.default is not None:
            edit.setText(str(f.default))
        if f.kind == "password":
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            if editing:
                edit.setPlaceholderText(UNCHANGED)
        elif f.placeholder:
            edit.setPlaceholderText(f.placeholder)
        edit.textChanged.connect(self.changed)
        return edit

    def _path_row(self, f: Field, edit: QWidget) -> QWidget:
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(edit, 1)
        browse = QToolButton()
        browse.setObjectName("action")
        browse.setText("Browse…")
        browse.setAccessibleName(f"Browse for {f.label.lower()}")
        browse.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.browse_buttons[f.key] = browse
        line.addWidget(browse)
        assert isinstance(edit, QLineEdit)
        if self.ctype.category == FILES and f.key == "path":
            menu = QMenu(browse)
            menu.addAction("A file…", lambda: self._pick(edit, folder=False))
            menu.addAction("A folder (one table per file)…", lambda: self._pick(edit, True))
            browse.setMenu(menu)
            browse.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        else:
            browse.clicked.connect(lambda: self._pick(edit, folder=False))
        return row

    def _pick(self, edit: QLineEdit, folder: bool) -> None:
        if folder:
            chosen = QFileDialog.getExistingDirectory(self, "Choose a folder", edit.text())
        else:
            chosen, _ = QFileDialog.getOpenFileName(self, "Choose a file", edit.text())
        if chosen:
            edit.setText(chosen)

    def focus_chain(self) -> list[QWidget]:
        """The form's fields in the order Tab visits them: name, URL, then the type's."""
        chain: list[QWidget] = [self.name] + ([self.url] if self.url is not None else [])
        for key, widget in self.inputs.items():
            chain.append(widget)
            if key in self.browse_buttons:
                chain.append(self.browse_buttons[key])
        return chain

    # --- values ---------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        """The raw values as typed (passwords left empty are omitted)."""
        out: dict[str, Any] = {}
        for key, widget in self.inputs.items():
            if isinstance(widget, QCheckBox):
                out[key] = widget.isChecked()
            elif isinstance(widget, QComboBox):
                out[key] = widget.currentText()
            else:
                assert isinstance(widget, QLineEdit)
                if widget.echoMode() == QLineEdit.EchoMode.Password and not widget.text():
                    continue
                out[key] = widget.text()
        return out

    def set_values(self, params: dict[str, Any]) -> None:
        for key, value in params.items():
            widget = self.inputs.get(key)
            if isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            elif isinstance(widget, QComboBox):
                widget.setCurrentText(str(value))
            elif isinstance(widget, QLineEdit):
                widget.setText("" if value is None else str(value))

    def show_errors(self, errors: dict[str, str]) -> None:
        for key, label in self.errors.items():
            if key == "url":
                continue  # the URL's own message stays until the URL changes
            text = errors.get(key, "")
            label.setText(text)
            label.setVisible(bool(text))
            target = self.name if key == "name" else self.inputs.get(key)
            if isinstance(target, QLineEdit):
                target.setProperty("invalid", bool(text))
                target.style().unpolish(target)
                target.style().polish(target)

"""What the main window does with connections: test them (all, or one), create, edit and
delete them through the connection wizard and its questions.

A mixin of MainWindow (it uses the window's services, bridge, tester, lists and status
bar)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from ui import dialogs

if TYPE_CHECKING:
    from app.services.connections import ConnectionView
    from ui.connection_wizard import ConnectionWizard


class ConnectionActions:
    def refresh(self) -> None:
        """Test every connection in the background; each dot pulses until its result."""
        self.tester.test(view.id for view in self.model.views())

    def test_one(self, conn_id: str) -> None:
        self.tester.test([conn_id])

    def _testing(self, ids: list[str]) -> None:
        self.model.set_testing(ids, True)
        self.connections.set_busy(True)

    def _tested(self, batch: list[tuple[str, ConnectionView | None, BaseException | None]]
                ) -> None:
        self.model.set_testing([conn_id for conn_id, _, _ in batch], False)
        self.model.update_views(view for _, view, error in batch if error is None)
        self.connections.set_busy(self.tester.busy)
        from app.services.errors import NotFound

        errors = [error for _, _, error in batch if error is not None]
        if any(isinstance(error, NotFound) for error in errors):
            self.reload()  # deleted meanwhile (by another window or the CLI)
        elif errors:
            self.statusBar().showMessage(f"Could not test a connection: {errors[0]}", 10_000)

    def new_connection(self) -> None:
        if self.service is None:  # still loading
            return
        from ui.connection_wizard import ConnectionWizard

        self._open_wizard(ConnectionWizard(self.service, self.bridge, parent=self))

    def edit_connection(self, conn_id: str) -> None:
        view = self._fresh(self.service.get, conn_id)
        if view is None:
            return
        from ui.connection_wizard import ConnectionWizard

        self._open_wizard(ConnectionWizard(self.service, self.bridge, editing=view, parent=self))

    def _open_wizard(self, wizard: ConnectionWizard) -> None:
        self.wizard = wizard
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.accepted.connect(lambda: self._saved(wizard))
        wizard.open_existing.connect(lambda conn_id: self._instead(wizard, conn_id))
        wizard.open()

    def _instead(self, wizard: ConnectionWizard, conn_id: str) -> None:
        """The values typed duplicate a saved connection: open that one instead."""
        wizard.reject()
        self.edit_connection(conn_id)

    def _saved(self, wizard: ConnectionWizard) -> None:
        saved = wizard.saved
        self.reload()
        if saved is not None:
            self.statusBar().showMessage(f"Saved connection “{saved.name}”.", 8000)

    def delete_connection(self, conn_id: str) -> None:
        view = self._fresh(self.service.get, conn_id)
        if view is None:
            return
        if view.used_by:
            from app.services.errors import ConnectionInUse

            self.notice = dialogs.message(
                self, "Connection in use", str(ConnectionInUse(view.name, view.used_by)))
            return
        self.notice = dialogs.confirm(
            self, "Delete connection",
            f"Delete the connection “{view.name}” and its saved password?",
            "Delete", lambda: self._delete(view.id))

    def _delete(self, conn_id: str) -> None:
        from app.services.errors import ServiceError

        try:
            view = self.service.get(conn_id)
            self.service.delete(conn_id)
        except ServiceError as exc:
            self.notice = dialogs.message(self, "Connection not deleted", str(exc))
            return
        self.reload()
        self.statusBar().showMessage(f"Deleted connection “{view.name}”.", 8000)

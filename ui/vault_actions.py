"""The vault's actions in the main window: unlock it (asking for the master password),
lock it, change its password, and what its menu offers in each state.

A mixin of MainWindow (it uses the window's context, menu actions and status bar)."""

from __future__ import annotations


class VaultActions:
    def _vault_locked(self) -> bool:
        from app.services import vault

        return vault.in_use(self.ctx) and vault.state(self.ctx) == "locked"

    def unlock_vault(self, then=None) -> None:
        """Ask for the vault's master password (again, until right, or cancelled)."""
        from ui.vault_dialog import VaultDialog

        self.vault_dialog = VaultDialog(self.ctx, "unlock", parent=self)
        self.vault_dialog.finished.connect(lambda _: then and then())
        self.vault_dialog.open()

    def lock_vault(self) -> None:
        from app.services import vault

        vault.lock(self.ctx)
        self.statusBar().showMessage("Vault locked: passwords will be asked for again.", 8000)

    def change_vault_password(self) -> None:
        from ui.vault_dialog import VaultDialog

        self.vault_dialog = VaultDialog(self.ctx, "change", parent=self)
        self.vault_dialog.accepted.connect(lambda: self.statusBar().showMessage(
            "The vault's master password was changed.", 8000))
        self.vault_dialog.open()

    def _vault_menu(self) -> None:
        """Lock / change are offered while the vault is in use (unlock when locked)."""
        from app.services import vault

        used = self.ctx is not None and vault.in_use(self.ctx) and \
            vault.state(self.ctx) != "none"
        locked = used and vault.state(self.ctx) == "locked"
        self.lock_action.setVisible(used)
        self.lock_action.setText("Unlock vault…" if locked else "Lock vault")
        self.change_password_action.setVisible(used and not locked)

    def _lock_or_unlock(self) -> None:
        if self._vault_locked():
            self.unlock_vault(then=self.refresh)
        else:
            self.lock_vault()

"""One Sluice app per user and data folder: a second launch brings the running window to
the front and exits (QLocalServer / QLocalSocket). The command line is not affected: CLI
commands run beside the app, the store being their meeting point."""

from __future__ import annotations

import getpass
import hashlib

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from app import paths

WAIT_MS = 1000
ACTIVATE, ANSWER = b"activate\n", b"ok\n"


def server_name() -> str:
    """A name private to this user and data folder (SLUICE_HOME gives another app)."""
    key = f"{getpass.getuser()}\0{paths.data_dir().resolve()}"
    return "sluice-" + hashlib.sha256(key.encode()).hexdigest()[:20]


def activate_running(name: str) -> bool:
    """Ask a running Sluice listening on `name` to come to the front; whether one did."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(WAIT_MS):
        return False
    socket.write(ACTIVATE)
    socket.waitForBytesWritten(WAIT_MS)
    answered = socket.waitForReadyRead(WAIT_MS) and socket.readAll().data() == ANSWER
    socket.disconnectFromServer()
    return answered


class Instance(QObject):
    """Listens for later launches.

    Signals:
        activated(): another launch asked this one to come to the front.
    """

    activated = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._connected)

    def listen(self) -> bool:
        """Take the name (a socket left by a crashed app is removed first)."""
        if self.server.listen(self.name):
            return True
        QLocalServer.removeServer(self.name)
        return self.server.listen(self.name)

    def _connected(self) -> None:
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)

    def _read(self, socket: QLocalSocket) -> None:
        if socket.readAll().data() == ACTIVATE:
            socket.write(ANSWER)
            socket.flush()
            self.activated.emit()

    def close(self) -> None:
        self.server.close()

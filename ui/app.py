"""Start the Qt application: show the main window, then open the store behind it."""

from __future__ import annotations

import sys
import time

from PySide6.QtCore import QElapsedTimer, QTimer
from PySide6.QtWidgets import QApplication

from ui import settings, theme
from ui.main_window import MainWindow
from ui.tray import Tray

SETTLE_MS = 500  # the smoke run watches the event loop this long after the window is ready


def run_gui(smoke: bool = False, tray_only: bool = False) -> int:
    """Show the main window (or, `tray_only`, only the tray icon where there is a tray);
    with `smoke`, exit 0 once it is shown and filled. A second launch brings the running
    app's window to the front and exits (ui.single).

    The smoke run prints when the window was shown, when its lists were filled and when
    its services were ready (`shown_at=` / `listed_at=` / `loaded_at=`, seconds since the
    epoch), and the longest event-loop stall from shown until SETTLE_MS after ready, for
    bench/startup.py.
    """
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Sluice")
    app.setOrganizationName("Sluice")
    app.setDesktopFileName("sluice")
    theme.apply(app, settings.theme_name())
    app.setWindowIcon(theme.icon("sluice.svg"))
    from ui import single  # (imported by the smoke run too: bench/startup.py counts it)

    instance = None
    if not smoke:  # a smoke run never hands over to, or stands in for, a running app
        name = single.server_name()
        if single.activate_running(name):
            print("Sluice is already running; its window was brought to the front.")
            return 0
        instance = single.Instance(name, app)
        instance.listen()

    def open_context():
        from app.logs import record_crashes
        from app.services.context import open_app

        record_crashes()  # and sets up the log file
        return open_app()  # creates or upgrades the store first; the window asks for
        # the vault's password when it is needed (see MainWindow.unlock_vault)

    def first_look():
        from app.services.first_look import lists

        return lists()

    window = MainWindow(open_context, first_look=first_look)
    if instance is not None:
        instance.activated.connect(window.bring_to_front)
    if not smoke and Tray.available():
        app.setQuitOnLastWindowClosed(False)  # the tray keeps Sluice and its schedules
        tray = Tray(lambda: [], app)
        window.attach_tray(tray)
        tray.show()
    if not (tray_only and window.tray is not None):
        window.show()
    if smoke:
        QTimer.singleShot(0, lambda: print(f"shown_at={time.time():.6f}", flush=True))
        stall = _stall_meter(app)
        window.listed.connect(lambda: print(f"listed_at={time.time():.6f}", flush=True))
        window.loaded.connect(lambda: print(f"loaded_at={time.time():.6f}", flush=True))

        def finish() -> None:  # what follows `loaded` (tests started, schedules) counts too
            print(f"stall_ms={stall():.1f}", flush=True)
            window.close()
            app.quit()

        window.loaded.connect(lambda: QTimer.singleShot(SETTLE_MS, finish))
    QTimer.singleShot(0, window.load)
    try:
        return app.exec()
    finally:
        if window.ctx is not None:
            window.ctx.close()


def _stall_meter(app: QApplication):
    """The longest the event loop went without turning, from now on (a 2 ms timer that
    notes the gaps between its ticks); call the result for the figure in ms."""
    clock = QElapsedTimer()
    clock.start()
    last, worst = [0], [0]

    def tick() -> None:
        now = clock.elapsed()
        worst[0] = max(worst[0], now - last[0])
        last[0] = now

    timer = QTimer(app)
    timer.setInterval(2)
    timer.timeout.connect(tick)
    timer.start()
    return lambda: float(max(worst[0], clock.elapsed() - last[0]))

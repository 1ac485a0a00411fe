"""What the main window offers around the data itself: the sample shop for a first try,
Preview (and the warehouse's SQL tab), importing a job spec, and a job in Google Cloud.

A mixin of MainWindow (it uses the window's services, bridge, lists and status bar)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from ui import dialogs


class DataActions:
    def try_sample(self) -> None:
        """The sample shop: database, connection and job (app.sample), made on a worker;
        then two lines say what happened and what to press."""
        from app.sample import create_sample

        self.connections.sample_button.setEnabled(False)
        self.statusBar().showMessage("Making the sample shop…")

        def made(sample) -> None:
            self.connections.sample_button.setEnabled(True)
            self.statusBar().clearMessage()
            self.reload()
            dialogs.message(self, "Sample data", sample.said[0], sample.said[1],
                            icon=QMessageBox.Icon.Information)

        def failed(exc: BaseException) -> None:
            self.connections.sample_button.setEnabled(True)
            dialogs.message(self, "Sample data", str(exc))
        self.bridge.submit(self, create_sample, self.ctx, on_done=made, on_error=failed)

    def show_preview(self, job_id: str, table: str | None = None) -> None:
        """The first rows of what the job landed (ui/preview), with the warehouse's SQL tab
        when it lands there."""
        from app import paths
        from app.services.preview import PreviewService
        from ui.preview import PreviewDialog

        job = self._fresh(self.job_service.get, job_id)
        if job is None:
            return
        warehouse = None if job.destination_id else str(paths.warehouse_path())
        self.preview = PreviewDialog(PreviewService(self.ctx), job.id, job.name, warehouse,
                                     self, table)
        self.preview.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.preview.open()

    def import_job(self, path: str | None = None) -> None:
        """File → Import job…: a job spec becomes a job here (ui/job_import)."""
        if self.job_service is None:
            return
        from ui.job_import import JobImporter

        self.importer = JobImporter(self.ctx, self)
        self.importer.imported.connect(self._imported)
        self.importer.start(path)

    def _imported(self, name: str, notes: list) -> None:
        self.reload()
        self.statusBar().showMessage(" ".join([f"Imported job {name!r}.", *notes]), 15000)

    def show_cloud(self, job_id: str) -> None:
        """The job in Google Cloud: export a bundle, deploy, run there (ui/cloud_dialog)."""
        from app.cloud.service import CloudService
        from ui.cloud_dialog import CloudDialog

        job = self._fresh(self.job_service.get, job_id)
        if job is None:
            return
        hosts = {}
        for conn_id in (job.source_id, job.destination_id):
            view = self._fresh(self.service.get, conn_id) if conn_id else None
            if view is not None and view.params.get("host"):
                hosts[view.name] = str(view.params["host"])
        self.cloud_dialog = CloudDialog(CloudService(self.ctx), job, hosts, self)
        self.cloud_dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.cloud_dialog.changed.connect(lambda _: self.reload_jobs())
        self.cloud_dialog.open()

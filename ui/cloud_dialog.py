"""Run a job in Google Cloud: export it as a bundle to deploy by hand, or deploy it from here
(Secret Manager, Cloud Run Jobs, Cloud Scheduler), run it there now, see its last execution,
undeploy. Every call to Google runs on a worker; each deploy step's result is listed as it
ends."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ui.job_delegate import cloud_words
from ui.workers import Bridge

if TYPE_CHECKING:
    from app.cloud.service import CloudService
    from app.services.jobs import JobView

REGIONS = ["europe-west1", "europe-west3", "europe-central2", "us-central1", "us-east1",
           "us-west1", "asia-northeast1", "australia-southeast1"]


class CloudDialog(QDialog):
    """Signals: changed(str): the job's cloud state changed (job id): its card redraws."""

    changed = Signal(str)
    _stepped = Signal(object)  # a deploy step, from the worker

    def __init__(self, cloud: CloudService, job: JobView, hosts: dict[str, str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cloud, self.job = cloud, job
        self.bridge = Bridge(self, max_threads=1)
        self.setWindowTitle(f"Google Cloud — {job.name}")
        self.setMinimumWidth(560)
        options = cloud.options(job)

        intro = QLabel(f"Run <b>{_html(job.name)}</b> as a Cloud Run job, started by Cloud "
                       "Scheduler on its schedule, with its passwords in Secret Manager. "
                       "Export a bundle to deploy it yourself with <tt>gcloud</tt>, or deploy "
                       "it from here.")
        intro.setWordWrap(True)
        form = QFormLayout()
        self.project = QLineEdit(options.project or "")
        self.project.setPlaceholderText("my-project-id")
        self.region = QLineEdit(options.region or "")
        self.region.setPlaceholderText(", ".join(REGIONS[:3]) + ", …")
        self.image = QLineEdit(options.image or "")
        self.image.setPlaceholderText("Empty: build it with Cloud Build")
        self.account = QLineEdit(options.service_account or "")
        self.account.setPlaceholderText("Empty: sluice-runner@PROJECT.iam.gserviceaccount.com")
        self.tasks = QSpinBox()
        self.tasks.setRange(1, 100)
        self.tasks.setValue(options.tasks)
        self.tasks.setToolTip("Cloud Run tasks sharing the job's tables (each table once)")
        manual = job.schedule_kind == "manual"
        self.schedule = QCheckBox("Manual: runs when started" if manual else
                                  f"On its schedule: {job.schedule.describe()}")
        self.schedule.setChecked(options.schedule and not manual)
        self.schedule.setEnabled(not manual)
        self.key_file = QLineEdit()
        self.key_file.setPlaceholderText("Empty: application default credentials")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._pick_key)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_file, 1)
        key_row.addWidget(browse)
        form.addRow("Project", self.project)
        form.addRow("Region", self.region)
        form.addRow("Image", self.image)
        form.addRow("Service account", self.account)
        form.addRow("Tasks", self.tasks)
        form.addRow("Schedule", self.schedule)
        form.addRow("Credentials", key_row)
        self.hosts: dict[str, QLineEdit] = {}
        for name, host in hosts.items():  # how the cloud reaches each database
            edit = QLineEdit(options.overrides.get(name, {}).get("host", ""))
            edit.setPlaceholderText(f"Empty: {host} (a private IP, or a Cloud SQL address)")
            self.hosts[name] = edit
            form.addRow(f"{name} host", edit)

        self.where = QLabel()
        self.where.setWordWrap(True)
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.steps = QListWidget()
        self.steps.setMinimumHeight(110)
        self.steps.setWordWrap(True)
        self.steps.setAccessibleName("Deploy steps")

        # Two rows: what goes to the cloud, and what is done with it once there.
        self.export_button = QPushButton("Export bundle…")
        self.export_button.setToolTip("Write the spec, Dockerfile, Cloud Run and Cloud "
                                      "Scheduler definitions and deploy.sh into a folder")
        self.deploy_button = QPushButton("Deploy")
        self.run_button = QPushButton("Run in cloud now")
        self.status_button = QPushButton("Refresh status")
        self.undeploy_button = QPushButton("Undeploy")
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        first, second = QHBoxLayout(), QHBoxLayout()
        first.addWidget(self.export_button)
        first.addStretch(1)
        first.addWidget(self.deploy_button)
        for button in (self.run_button, self.status_button, self.undeploy_button):
            second.addWidget(button)
        second.addStretch(1)
        second.addWidget(close)
        self.deploy_button.setDefault(True)
        self.export_button.clicked.connect(self.export_bundle)
        self.deploy_button.clicked.connect(self.deploy)
        self.run_button.clicked.connect(self.run_now)
        self.status_button.clicked.connect(self.refresh_status)
        self.undeploy_button.clicked.connect(self.undeploy)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.where)
        layout.addWidget(self.steps)
        layout.addLayout(first)
        layout.addLayout(second)
        self.busy = False
        self._stepped.connect(self._step)
        self._show_where()

    # --- what the user typed -------------------------------------------------------------

    def options(self):
        from app.cloud.job import BundleOptions

        overrides = {name: {"host": edit.text().strip()} for name, edit in self.hosts.items()
                     if edit.text().strip()}
        return BundleOptions(project=self.project.text().strip() or None,
                             region=self.region.text().strip() or None,
                             image=self.image.text().strip() or None,
                             service_account=self.account.text().strip() or None,
                             tasks=self.tasks.value(), schedule=self.schedule.isChecked(),
                             overrides=overrides)

    def _pick_key(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Service-account key file", "",
                                              "JSON key (*.json);;All files (*)")
        if path:
            self.key_file.setText(path)

    def _show_where(self) -> None:
        cloud = self.job.cloud
        deployed = bool(cloud)
        for button in (self.run_button, self.status_button, self.undeploy_button):
            button.setEnabled(deployed and not self.busy)
        for button in (self.export_button, self.deploy_button):
            button.setEnabled(not self.busy)
        self.deploy_button.setText("Deploy again" if deployed else "Deploy")
        self.where.setText(cloud_words(self.job) if deployed else "Not deployed.")

    def _busy(self, busy: bool, say: str = "") -> None:
        self.busy = busy
        if say:
            self.steps.addItem(say)
        self._show_where()

    def _failed(self, exc: BaseException) -> None:
        self._busy(False, f"✗ {exc}")

    def _reload(self, *_: object) -> None:
        self.job = self.cloud.jobs.get(self.job.id)
        self.changed.emit(self.job.id)
        self._show_where()

    # --- actions -------------------------------------------------------------------------

    def export_bundle(self) -> None:
        from pathlib import Path

        folder = QFileDialog.getExistingDirectory(self, "Export the bundle into a folder")
        if not folder:
            return
        self._busy(True, f"Exporting to {folder}…")

        def written(paths) -> None:
            self._busy(False, f"✓ Wrote {', '.join(p.name for p in paths)} to {folder}. "
                              "Its README.md says how to deploy it.")
        self.bridge.submit(self, self.cloud.export_bundle, self.job.id, Path(folder),
                           self.options(), on_done=written, on_error=self._failed)

    def deploy(self) -> None:
        options = self.options()
        if not options.project or not options.region:
            QMessageBox.information(self, "Deploy", "Give the Google Cloud project and region.")
            return
        try:
            wanted = self.cloud.secrets_to_copy(self.job.id, options)
        except Exception as exc:  # noqa: BLE001 - the job cannot go to the cloud: say why
            self._failed(exc)
            return
        answers = {}
        for owner, secret in wanted:
            reply = QMessageBox.question(
                self, "Copy a secret to Secret Manager",
                f"Copy the secret of {owner} to Secret Manager in {options.project} as "
                f"{secret}?\n\nThe Cloud Run job reads it from there. No: the secret already "
                "in Secret Manager is used.")
            answers[secret] = reply == QMessageBox.StandardButton.Yes
        self.steps.clear()
        self._busy(True, f"Deploying to {options.project} / {options.region}…")
        key_file = self.key_file.text().strip() or None

        def work():
            return self.cloud.deploy(self.job.id, options,
                                     lambda owner, secret: answers.get(secret, False),
                                     key_file, on_step=self._stepped.emit)
        self.bridge.submit(self, work, on_done=self._deployed, on_error=self._failed)

    def _step(self, step) -> None:
        self.steps.addItem(("✓ " if step.ok else "✗ ") + step.line())

    def _deployed(self, outcome) -> None:
        self.busy = False
        self.steps.addItem("Deployed." if outcome.ok else
                           "The deploy did not finish: what is marked ✓ exists in Google "
                           "Cloud. Deploy again to complete it.")
        self._reload()

    def _cloud_call(self, action: str, say: str) -> None:
        key_file = self.key_file.text().strip() or None
        self._busy(True, say)
        self.bridge.submit(self, getattr(self.cloud, action), self.job.id, key_file,
                           on_done=lambda result: (self._said(action, result),
                                                   self._reload()),
                           on_error=self._failed)

    def _said(self, action: str, result) -> None:
        self.busy = False
        if action == "undeploy":
            self.steps.addItems([("✓ " if s.ok else "✗ ") + s.line() for s in result.steps])
        elif result:
            self.steps.addItem(f"Execution {result['name'].rsplit('/', 1)[-1]}: "
                               f"{result['status']}")

    def run_now(self) -> None:
        self._cloud_call("run_now", "Starting an execution in Cloud Run…")

    def refresh_status(self) -> None:
        self._cloud_call("refresh", "Asking Cloud Run for the last execution…")

    def undeploy(self) -> None:
        reply = QMessageBox.question(
            self, "Undeploy", f"Delete the Cloud Run job and the Cloud Scheduler job of "
                              f"{self.job.name}? Its secrets stay in Secret Manager.")
        if reply == QMessageBox.StandardButton.Yes:
            self._cloud_call("undeploy", "Undeploying…")


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

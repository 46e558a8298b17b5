"""Settings: where models live (and importing one), the teacher, threads, training defaults.

Values go through `settings.save_config`, which checks every key, and the
endpoint's API key goes to the OS keyring only (`settings.set_secret`); if no
keyring works, the dialog says so instead of writing the key anywhere.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ilabdesk.errors import UserError
from ilabdesk.gui.background import run_in_background
from ilabdesk.training.config import BACKENDS, PRECISIONS

def teacher_model(config: dict[str, Any]) -> str | None:
    """The teacher as a model string for jobs: None (embedded), a GGUF path, or "URL#model"."""
    teacher = config.get("teacher", {})
    if teacher.get("kind") == "gguf" and teacher.get("model"):
        return teacher["model"]
    if teacher.get("kind") == "endpoint" and teacher.get("url"):
        name = teacher.get("endpoint_model")
        return f"{teacher['url']}#{name}" if name else teacher["url"]
    return None


class SettingsDialog(QDialog):
    """Edits a copy of the config; `save()` validates and writes it."""

    def __init__(self, config: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)
        self.config = copy.deepcopy(config)
        tabs = QTabWidget()
        tabs.addTab(self._models_tab(), "Models")
        tabs.addTab(self._teacher_tab(), "Teacher")
        tabs.addTab(self._training_tab(), "Training")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._on_save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(self.buttons)
        self._refresh_models()

    # --- tabs -----------------------------------------------------------------

    def _models_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.models_dir = QLineEdit(self.config.get("models_dir") or "")
        self.models_dir.setPlaceholderText("default: the app's data folder")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_models_dir)
        row = QHBoxLayout()
        row.addWidget(self.models_dir, 1)
        row.addWidget(browse)
        form.addRow("Models folder", row)
        self.model_list = QListWidget()
        self.model_list.setObjectName("modelList")
        form.addRow("Models", self.model_list)
        self.import_button = QPushButton("Import a GGUF file…")
        self.import_folder_button = QPushButton("Import a Hugging Face folder…")
        self.import_status = QLabel("")
        self.import_button.clicked.connect(self._import_model)
        self.import_folder_button.clicked.connect(self._import_folder)
        buttons = QHBoxLayout()
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.import_folder_button)
        form.addRow("", buttons)
        form.addRow("", self.import_status)
        self.threads = QSpinBox()
        self.threads.setRange(0, 256)
        self.threads.setSpecialValueText("all cores")
        self.threads.setValue(int(self.config.get("threads") or 0))
        form.addRow("Threads", self.threads)
        return page

    def _teacher_tab(self) -> QWidget:
        teacher = self.config["teacher"]
        page = QWidget()
        form = QFormLayout(page)
        self.teacher_kind = QComboBox()
        self.teacher_kind.addItem("Embedded model (small, always available)", "embedded")
        self.teacher_kind.addItem("A local GGUF model", "gguf")
        self.teacher_kind.addItem("An OpenAI-compatible endpoint", "endpoint")
        self.teacher_kind.setCurrentIndex(max(self.teacher_kind.findData(teacher.get("kind", "embedded")), 0))
        form.addRow("Teacher", self.teacher_kind)
        self.teacher_gguf = QLineEdit(teacher.get("model") or "")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_teacher)
        row = QHBoxLayout()
        row.addWidget(self.teacher_gguf, 1)
        row.addWidget(browse)
        self.gguf_box = QGroupBox("Local GGUF")
        QFormLayout(self.gguf_box).addRow("File", row)
        form.addRow(self.gguf_box)
        self.endpoint_box = QGroupBox("Endpoint")
        endpoint = QFormLayout(self.endpoint_box)
        self.teacher_url = QLineEdit(teacher.get("url") or "")
        self.teacher_url.setPlaceholderText("http://127.0.0.1:8000/v1")
        self.teacher_endpoint_model = QLineEdit(teacher.get("endpoint_model") or "")
        self.api_key = QLineEdit()
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setPlaceholderText("stored in the system keyring; leave empty to keep the current key")
        endpoint.addRow("URL", self.teacher_url)
        endpoint.addRow("Model name", self.teacher_endpoint_model)
        endpoint.addRow("API key", self.api_key)
        form.addRow(self.endpoint_box)
        self.concurrency = QSpinBox()
        self.concurrency.setRange(1, 64)
        self.concurrency.setValue(int(teacher.get("concurrency") or 4))
        form.addRow("Parallel requests", self.concurrency)
        self.teacher_kind.currentIndexChanged.connect(self._update_teacher_boxes)
        self._update_teacher_boxes()
        return page

    def _training_tab(self) -> QWidget:
        training = self.config["training"]
        page = QWidget()
        form = QFormLayout(page)
        self.backend = QComboBox()
        self.backend.addItems(list(BACKENDS))
        self.backend.setCurrentText(training["backend"])
        form.addRow("Backend", self.backend)
        self.precision = QComboBox()
        for value in PRECISIONS:
            self.precision.addItem("auto (bf16 where the processor has it)" if value == "auto" else value, value)
        self.precision.setCurrentIndex(self.precision.findData(training["precision"]))
        form.addRow("Precision", self.precision)
        self.spins: dict[str, QSpinBox | QDoubleSpinBox] = {}
        for key, label, top in (
            ("rank", "LoRA rank", 512),
            ("alpha", "LoRA alpha", 1024),
            ("epochs", "Epochs", 1000),
            ("iters", "Iterations (0: from epochs)", 1_000_000),
            ("batch_size", "Batch size", 1024),
            ("max_seq_len", "Max sequence length", 131072),
        ):
            spin = QSpinBox()
            spin.setRange(0, top)
            spin.setValue(int(training[key]))
            self.spins[key] = spin
            form.addRow(label, spin)
        rate = QDoubleSpinBox()
        rate.setDecimals(6)
        rate.setRange(0.000001, 1.0)
        rate.setSingleStep(0.0001)
        rate.setValue(float(training["learning_rate"]))
        self.spins["learning_rate"] = rate
        form.addRow("Learning rate", rate)
        return page

    # --- behaviour ------------------------------------------------------------

    @Slot()
    def _update_teacher_boxes(self) -> None:
        kind = self.teacher_kind.currentData()
        self.gguf_box.setVisible(kind == "gguf")
        self.endpoint_box.setVisible(kind == "endpoint")

    def _browse_models_dir(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Models folder", self.models_dir.text() or str(Path.home()))
        if folder:
            self.models_dir.setText(folder)

    def _browse_teacher(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Teacher model", str(Path.home()), "GGUF models (*.gguf)")
        if path:
            self.teacher_gguf.setText(path)

    def _refresh_models(self) -> None:
        from ilabdesk.models.library import describe, list_models

        self.model_list.clear()
        try:
            for entry in list_models():
                where = "embedded" if entry.builtin else str(entry.path)
                try:  # what the model can do here: chat, teach, be trained, and why not
                    can = describe(entry.path if entry.available else entry.name)["can"]
                except UserError as exc:
                    can, where = {}, f"{where}; {exc}"
                able = [label for what, label in (("chat", "chat"), ("teacher", "teach"), ("train", "train"))
                        if can.get(what, {}).get("able")]
                item = QListWidgetItem(f"{entry.name} — {entry.format}, {where}"
                                       + (f" — can {', '.join(able)}" if able else ""))
                item.setToolTip("\n".join(f"{what}: {'yes' if c['able'] else 'no'}" + (f" ({c['why']})" if c["why"] else "")
                                          for what, c in can.items()))
                self.model_list.addItem(item)
        except UserError as exc:
            self.model_list.addItem(str(exc))

    @Slot()
    def _import_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a model", str(Path.home()), "GGUF models (*.gguf)")
        if path:
            self.import_model(Path(path))

    @Slot()
    def _import_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import a Hugging Face model folder", str(Path.home()))
        if folder:
            self.import_model(Path(folder))

    def import_model(self, path: Path) -> None:
        """Copy a GGUF file or HF folder into the library off the UI thread (models are gigabytes)."""
        from ilabdesk.models.library import import_model

        self.import_button.setEnabled(False)
        self.import_folder_button.setEnabled(False)
        self.import_status.setText(f"importing {path.name}…")
        run_in_background(import_model, path, on_done=self._imported, on_error=self._import_failed, long_running=True)

    def _imported(self, entry: object) -> None:
        self.import_button.setEnabled(True)
        self.import_folder_button.setEnabled(True)
        self.import_status.setText(f"imported {getattr(entry, 'name', '')}")
        self._refresh_models()

    def _import_failed(self, error: str) -> None:
        self.import_button.setEnabled(True)
        self.import_folder_button.setEnabled(True)
        self.import_status.setText(error)

    def values(self) -> dict[str, Any]:
        config = copy.deepcopy(self.config)
        config["models_dir"] = self.models_dir.text().strip() or None
        config["threads"] = self.threads.value()
        teacher = config["teacher"]
        teacher["kind"] = self.teacher_kind.currentData()
        teacher["model"] = self.teacher_gguf.text().strip() or None
        teacher["url"] = self.teacher_url.text().strip() or None
        teacher["endpoint_model"] = self.teacher_endpoint_model.text().strip() or None
        teacher["concurrency"] = self.concurrency.value()
        training = config["training"]
        training["backend"] = self.backend.currentText()
        training["precision"] = self.precision.currentData()
        for key, spin in self.spins.items():
            training[key] = spin.value()
        return config

    def save(self) -> None:
        """Validate and write the config; store the API key in the keyring. Raises UserError."""
        from ilabdesk.settings import save_config

        config = self.values()
        teacher = config["teacher"]
        if teacher["kind"] == "gguf" and not (teacher["model"] and Path(teacher["model"]).is_file()):
            raise UserError("the teacher GGUF file does not exist", hint="pick a .gguf file, or use the embedded teacher")
        if teacher["kind"] == "endpoint" and not (teacher["url"] or "").startswith(("http://", "https://")):
            raise UserError("the teacher endpoint URL must start with http:// or https://")
        if self.api_key.text():
            from ilabdesk.chat.openai import set_api_key

            set_api_key(teacher["url"], self.api_key.text())  # the keyring entry the endpoint engine reads
        save_config(config)
        self.config = config

    @Slot()
    def _on_save(self) -> None:
        try:
            self.save()
        except UserError as exc:
            QMessageBox.warning(self, "Settings not saved", str(exc))
            return
        self.accept()

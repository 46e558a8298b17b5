"""The one exception type a user is meant to read.

Domain code raises `UserError` with a message that names the file, the line and
what to do; the CLI prints it without a traceback and the GUI shows it in a
dialog. Anything else escaping is a bug and is logged with its traceback.
"""


class UserError(Exception):
    """A problem the user can fix: bad input, a missing file, a wrong setting."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text}\n  hint: {self.hint}" if self.hint else text


class ChangedOnDisk(UserError):
    """A file changed on disk between a read and the write meant to replace it: the write was refused."""


def from_os_error(exc: OSError) -> UserError:
    """The user's reading of an operating-system error: the path, what happened, what to do.

    One place for every command, job and window: an output path that is a
    file, a read-only folder or a full disk reads the same wherever it is met."""
    import errno

    path = exc.filename if exc.filename is not None else "a file"
    other = f" -> {exc.filename2}" if exc.filename2 is not None else ""
    if exc.errno == errno.ENOSPC:
        what, hint = "the disk is full", "free some space on that disk or choose an output on another one"
    elif exc.errno == errno.EROFS:
        what, hint = "the disk is read-only", "choose an output on a disk you can write to"
    elif isinstance(exc, PermissionError):
        what, hint = "permission denied", "choose a location you can write to, or change its permissions"
    elif isinstance(exc, FileExistsError | NotADirectoryError):
        what, hint = "a file is in the way where a folder is needed", "choose a folder, or move that file away"
    elif isinstance(exc, IsADirectoryError):
        what, hint = "this is a folder, a file is needed here", "choose a file name, not a folder"
    elif isinstance(exc, FileNotFoundError):
        what, hint = "no such file or folder", "check the path"
    else:
        what, hint = exc.strerror or str(exc), "check the path and the disk"
    return UserError(f"{path}{other}: {what}", hint=hint)


def user_message(exc: Exception) -> str:
    """What to show a user for `exc`: its message, an OS error read by `from_os_error`."""
    return str(from_os_error(exc)) if isinstance(exc, OSError) else str(exc)

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

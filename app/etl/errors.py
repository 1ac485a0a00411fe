"""Run failures the user can act on (the message is shown and stored in the run record)."""


class RunError(Exception):
    """A run cannot go on; nothing was committed to the destination."""


class RunCancelled(RunError):
    def __init__(self) -> None:
        super().__init__("Run cancelled; the destination was left as it was.")

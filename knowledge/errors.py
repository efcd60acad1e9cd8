"""One error type for a broken knowledge base, so every entry point can print one clear line."""


class KnowledgeError(Exception):
    """A malformed knowledge file: the message names the file and the problem."""

    def __init__(self, path: object, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem

"""Which paths the web app answers itself (it signs people in with its own session, not an API key)."""


def serves(path: str) -> bool:
    return path == "/" or path == "/app" or path.startswith("/app/")

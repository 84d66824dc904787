"""The PySide6 desktop app. Only this package imports Qt; it talks to the engine and the Library API."""

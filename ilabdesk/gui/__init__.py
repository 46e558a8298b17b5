"""The desktop app: Qt widgets over the domain packages.

This is the only package that imports PySide6. Widgets subscribe to small
Qt-side models (the open taxonomy, the job queue, the leaf document) and call
plain-Python domain functions; long work runs as jobs in child processes, short
checks run in a helper process (`gui.background`), so the UI thread only ever draws.
"""

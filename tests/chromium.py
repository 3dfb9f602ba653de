"""Where Chromium is and how it is launched (the browser fixtures and docs/screenshots.py), and the
live server the journeys serve the app on."""
import shutil

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]

_RESPONSE = "tests.response"


class _ClosingHandler(WSGIRequestHandler):
    """Closes the response even when the browser resets the connection as it ends (leaving a page).

    Werkzeug reads what is left on the socket before it closes the response; on a reset that read
    fails, and a file just sent (a static file, a story's photo) is left for the garbage collector,
    whose ResourceWarning the suite treats as an error in whichever test happens to be running."""

    def run_wsgi(self) -> None:
        try:
            super().run_wsgi()
        finally:
            response = getattr(self, "environ", {}).get(_RESPONSE)
            if hasattr(response, "close"):
                response.close()


def live_server(app, port: int = 0) -> BaseWSGIServer:
    """The app served over real HTTP on loopback, a thread a request; the caller runs serve_forever."""
    def remembering(environ, start_response):
        environ[_RESPONSE] = response = app(environ, start_response)
        return response
    return make_server("127.0.0.1", port, remembering, threaded=True, request_handler=_ClosingHandler)

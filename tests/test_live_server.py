"""The journeys' live server closes what it sends even when the browser resets the connection."""
import socket
import struct
import threading
import time

from flask import Flask, send_file

from tests.chromium import live_server

PHOTO_BYTES = 20_000


def test_a_file_sent_is_closed_when_the_browser_resets_the_connection_after_reading_it(tmp_path):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff" * PHOTO_BYTES)
    opened = []
    app = Flask(__name__)

    @app.get("/photo")
    def send_photo():
        opened.append(photo.open("rb"))
        return send_file(opened[-1], mimetype="image/jpeg")

    server = live_server(app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        # Werkzeug drains the socket after the response before closing it; a reset arriving then
        # (Chromium leaving a page) fails that read. Plain make_server left about a third open.
        for _ in range(30):
            browser = socket.create_connection(("127.0.0.1", server.server_port))
            browser.sendall(b"GET /photo HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            received = b""
            while len(received) < PHOTO_BYTES:
                received += browser.recv(65536)
            browser.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            browser.close()
        deadline = time.monotonic() + 5
        while not all(file.closed for file in opened) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(opened) == 30
        assert all(file.closed for file in opened)
    finally:
        server.shutdown()
        thread.join()

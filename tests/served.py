"""A request served as a server serves it, for the tests that must see its app context end."""
import threading


def served_alone(client, path: str):
    """GET ``path`` with ``client`` in an app context of its own (a new thread has none), whose
    teardown ends the session's transaction; the tests' client otherwise shares the test's app
    context. The response, its body read in that thread (a stream runs there), or what the view
    raised (the tests' app lets errors through)."""
    answers: list = []

    def serve():
        try:
            response = client.get(path)
            response.get_data()
            answers.append(response)
        except Exception as error:  # noqa: BLE001  (handed to the test)
            answers.append(error)

    thread = threading.Thread(target=serve)
    thread.start()
    thread.join()
    return answers[0]

"""A server that misbehaves the way a broken or hostile MLflow or Airflow could.

Started by the tests on a free loopback port; prints the port on its first line.
  pages: every list answers a page and another page token (or offset) for ever
  huge:  every answer is a body of 1 GiB, streamed
  hang:  every request is accepted and never answered
"""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODE = sys.argv[1]
PAGE = {"n": 0}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        # The body is read whatever is answered: left unread, it would be taken
        # for the next request on the connection.
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if MODE == "hang":
            time.sleep(3600)
            return
        if MODE == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(1 << 30))
            self.end_headers()
            chunk = b" " * (1 << 20)
            try:
                for _ in range(1 << 10):
                    self.wfile.write(chunk)
            except OSError:
                pass
            return
        PAGE["n"] += 1
        if "registered-models/search" in self.path:
            self.answer({"registered_models": [], "next_page_token": f"page-{PAGE['n']}"})
        elif "/dags" in self.path:
            self.answer({"dags": [{"dag_id": "same_dag", "tags": []}], "total_entries": 10**9})
        elif "/auth/token" in self.path:
            self.answer({"access_token": "token"})
        else:
            self.answer({})

    do_GET = handle_any
    do_POST = handle_any


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()

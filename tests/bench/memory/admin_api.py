"""The agent's admin REST API on its api.sock, from Python: one request per call, no CLI start in the measurement."""
import http.client
import json
import socket


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.path = str(path)

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


class ApiError(Exception):
    pass


class AdminApi:
    """GET/POST/PUT/DELETE against one agent's api.sock (the caller is root: the socket's peer check lets it in)."""

    def __init__(self, socket_path):
        self.socket_path = socket_path

    def request(self, method, path, body=None, expect=(200, 201)):
        connection = UnixHTTPConnection(self.socket_path)
        try:
            payload = None if body is None else json.dumps(body).encode()
            headers = {} if payload is None else {"Content-Type": "application/json"}
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        if response.status not in expect:
            raise ApiError(f"{method} {path}: {response.status} {text.strip()[:200]}")
        return json.loads(text) if text.strip() else None

    def get(self, path):
        """A listing as a list (the API answers either a bare list or an object with `items`)."""
        value = self.request("GET", path)
        return value.get("items", []) if isinstance(value, dict) else value

    def post(self, path, body, expect=(200, 201)):
        return self.request("POST", path, body, expect)

    def delete(self, path, expect=(200,)):
        return self.request("DELETE", path, None, expect)

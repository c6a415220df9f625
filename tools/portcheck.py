"""Exit with one clear line if HOST:PORT cannot be bound (used by `make serve`)."""
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
with socket.socket() as s:
    try:
        s.bind((host, port))
    except OSError:
        sys.exit(f"error: port {port} on {host} is already in use; stop that server or run `make serve PORT={port + 1}`")

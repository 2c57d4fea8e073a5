"""Order services: placing orders (checkout), moving them through their lifecycle."""

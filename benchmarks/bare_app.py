"""The yardstick of `make bench`: a bare Flask app with one JSON route, served by the very
gunicorn settings updatesrv's `serve` uses (updatesrv.serve.run_gunicorn).

    python benchmarks/bare_app.py --bind 127.0.0.1:8001 [--workers 2] [--worker-class sync]
"""

from __future__ import annotations

import argparse

from flask import Flask


def create_bare_app() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def index() -> dict[str, object]:
        return {"update": None, "notices": [], "check_again_in": 86400}

    return app


def main() -> None:
    from updatesrv.serve import DEFAULT_WORKER_CLASS, WORKER_CLASSES, run_gunicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bind", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", choices=WORKER_CLASSES, default=DEFAULT_WORKER_CLASS)
    args = parser.parse_args()
    run_gunicorn(args.bind, args.workers, worker_class=args.worker_class,
                 app_factory=create_bare_app)


if __name__ == "__main__":
    main()

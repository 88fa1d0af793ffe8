"""The nginx configuration for production (``updatesrv nginx-config``): nginx on the edge,
balancing over the stateless web hosts, retrying idempotent requests on another host when
one fails, sending artifact bytes itself (X-Accel-Redirect) and caching the check answers
that are the same for every install. The output is an ``http``-context file, e.g.
/etc/nginx/conf.d/updatesrv.conf on Debian. tests/deploy runs it in a real nginx."""

from __future__ import annotations

from dataclasses import dataclass

ACCEL_LOCATION = "/_updatesrv_artifacts/"

TEMPLATE = """\
# updatesrv behind nginx. Written by `updatesrv nginx-config`; see docs/operating/nginx.md.
upstream updatesrv {{
{servers}
}}

# Check answers shared by every install (see docs/operating/nginx.md, "Caching the check").
proxy_cache_path {cache_dir} levels=1:2 keys_zone=updatesrv_checks:10m max_size=256m
                 inactive=10m use_temp_path=off;

# A check carrying an install_id is counted per install and may depend on the install
# (partial rollouts): it always reaches a web host. Without one the answer is shared.
map $arg_install_id $updatesrv_per_install {{
    ""      0;
    default 1;
}}

server {{
    listen {listen};
    server_name {server_name};
    client_max_body_size {max_body};

    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    # A host that is down or restarting: GET/HEAD (idempotent) go to the next host, so a
    # client never sees the failure. Non-idempotent requests are never retried.
    proxy_next_upstream error timeout http_502 http_503 http_504;
    proxy_next_upstream_tries {tries};
    proxy_connect_timeout 2s;
    proxy_read_timeout 300s;
    # Uploads are buffered here before a web host sees them.
    proxy_request_buffering on;

    location ~ ^/api/v1/products/[^/]+/check$ {{
        proxy_pass http://updatesrv;
        proxy_cache updatesrv_checks;
        proxy_cache_key $scheme$http_host$request_uri;
        proxy_cache_bypass $updatesrv_per_install;
        proxy_no_cache $updatesrv_per_install;
        proxy_cache_lock on;
        proxy_cache_revalidate on;
        proxy_cache_use_stale error timeout updating http_502 http_503 http_504;
        add_header X-Cache-Status $upstream_cache_status always;
    }}

    # Downloads: a web host checks the release is visible and names the file; nginx sends
    # it from the artifacts directory every host shares, answering Range and conditional
    # requests itself. Never reachable from outside (internal).
    location {accel} {{
        internal;
        alias {artifacts_dir}/;
        types {{ }}
        default_type application/octet-stream;
        add_header Digest $upstream_http_digest always;
        add_header X-Content-Type-Options nosniff always;
    }}

    location / {{
        proxy_pass http://updatesrv;
    }}
}}
"""


@dataclass(frozen=True)
class NginxSite:
    backends: tuple[str, ...]
    artifacts_dir: str
    cache_dir: str = "/var/cache/nginx/updatesrv"
    listen: str = "80"
    server_name: str = "_"
    max_body: str = "2100m"
    max_fails: int = 1
    fail_timeout: int = 10

    def render(self) -> str:
        servers = "\n".join(
            f"    server {b} max_fails={self.max_fails} fail_timeout={self.fail_timeout}s;"
            for b in self.backends)
        servers += "\n    keepalive 32;"
        return TEMPLATE.format(
            servers=servers, cache_dir=self.cache_dir, listen=self.listen,
            server_name=self.server_name, max_body=self.max_body,
            tries=max(2, len(self.backends)), accel=ACCEL_LOCATION,
            artifacts_dir=self.artifacts_dir.rstrip("/"))

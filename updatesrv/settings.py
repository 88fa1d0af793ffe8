"""Defaults. Overridden, in order, by instance/config.py, UPDATESRV_* environment variables
(values parsed as JSON where they parse, e.g. UPDATESRV_CHECK_INTERVAL=3600) and the test
config. See instance/config.example.py for every setting with an explanation."""

# Signs console session cookies and derives the install-id hashing key: keep it secret and
# the same on every host. 'updatesrv init' writes a random one to instance/config.py;
# 'updatesrv serve' refuses this published default.
SECRET_KEY = "dev-only-not-secret"
# Relative SQLite paths live in the instance folder. UPDATESRV_DATABASE_URL replaces this,
# e.g. postgresql+psycopg://updatesrv@db.internal/updatesrv
DATABASE_URL = "sqlite:///updatesrv.sqlite3"
# Public URL of the server (behind a proxy or CDN); absolute links use the request's
# own host when unset.
BASE_URL = None
# How many reverse proxies stand in front of the server (nginx, a load balancer, a CDN):
# with N > 0 the client address and scheme are read from the last N X-Forwarded-For /
# X-Forwarded-Proto entries (Werkzeug's ProxyFix). 0 = use the TCP peer. Login throttling
# keys on the client address, so behind a proxy this must be set.
TRUSTED_PROXIES = 0
# Uploaded artifacts; relative paths are inside the instance folder.
ARTIFACTS_DIR = "artifacts"
# Where uploaded files are stored: unset (ARTIFACTS_DIR) or "file:///path" for a directory,
# "s3://BUCKET/PREFIX" for S3-compatible object storage (docs/operating/object-storage.md).
ARTIFACT_STORAGE = None
# S3-compatible storage: the endpoint (MinIO, SeaweedFS, Garage, R2…; unset for AWS) and
# region. Credentials come from the standard AWS chain (environment, profile, instance role).
S3_ENDPOINT_URL = None
S3_REGION = None
# Downloads from a bucket redirect to this public or CDN base URL + key when set, else to a
# presigned URL valid for ARTIFACT_URL_SECONDS (private buckets).
ARTIFACT_PUBLIC_BASE_URL = None
ARTIFACT_URL_SECONDS = 300
# With a bucket, uploads through the server are hashed in this local folder first.
UPLOAD_STAGING_DIR = "upload-staging"
# The largest file an upload may be (bytes).
MAX_UPLOAD_BYTES = 2 * 1024**3
# Clients are told to wait this long before asking again (seconds).
CHECK_INTERVAL = 86400
# The server's Ed25519 keys that sign every check answer: a folder of PEM files, relative to
# the instance folder unless absolute ('updatesrv keygen --server' adds one; 'updatesrv init'
# creates the first). Each signed answer is valid for CHECK_SIGNATURE_TTL seconds.
SERVER_KEYS_DIR = "server-keys"
CHECK_SIGNATURE_TTL = 7 * 24 * 3600
# Cache-Control max-age of the public check and product endpoints (seconds).
CHECK_MAX_AGE = 60
# Each web process re-validates its cached catalog of a product (one indexed query) at
# most this often; 0 = on every request. A vendor's change reaches clients within this time.
CATALOG_REVALIDATE_SECONDS = 1.0
# Seconds a database write waits for another transaction's lock (SQLite busy timeout,
# PostgreSQL lock_timeout) before the request answers 503 with Retry-After.
DB_LOCK_TIMEOUT = 30
# Check statistics are buffered in memory and written this often (seconds; 0 = only when
# flushed explicitly, as the tests do).
STATS_FLUSH_INTERVAL = 5.0
# At most this many distinct entries (counts and install hashes) wait in memory per
# process for the next flush; beyond it (a long database stall) new ones are counted as
# not recorded, and the stats endpoint says how many.
STATS_BUFFER_LIMIT = 200_000
# At most this many distinct installs are stored per product and day (a flood of random
# install ids cannot fill the disk); the rest are counted as over the cap.
STATS_INSTALLS_PER_DAY = 1_000_000
# Failure reports (updatesrv.reports), counted per process like the check statistics:
# reports taken per install and per product each day, and distinct entries waiting in
# memory; what is refused is counted (GET /api/v1/products/<p>/reports says how many).
FAILURE_REPORTS_PER_INSTALL_PER_DAY = 100
FAILURE_REPORTS_PER_PRODUCT_PER_DAY = 100_000
FAILURE_REPORTS_BUFFER_LIMIT = 100_000
# Key for hashing install ids; derived from SECRET_KEY when unset.
INSTALL_HASH_KEY = None
# Show the "demo data" banner on the demo product's pages.
DEMO_BANNER = True

# Console sessions: signed cookies, HttpOnly, SameSite=Lax, Secure whenever the request
# came over HTTPS (or always, with SESSION_COOKIE_SECURE = True), valid for 7 days.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
PERMANENT_SESSION_LIFETIME = 7 * 24 * 3600
# CSRF tokens live as long as the session rather than a fixed hour.
WTF_CSRF_TIME_LIMIT = None

# Outgoing mail (subscriptions, invitations): smtp://user:pass@host:587?starttls=1,
# smtps://user:pass@host:465 or smtp://localhost:25. Unset = mail is off and pages do not
# offer e-mail subscriptions. Sent by the scheduler process from the outbox.
MAIL_URL = None
MAIL_FROM = "updatesrv <updatesrv@localhost>"
# Give up on a mail or webhook delivery after this many attempts (backoff doubles from
# one minute up to six hours between attempts).
OUTBOX_MAX_ATTEMPTS = 10
# Webhooks go only to public HTTPS addresses; True also allows http:// and loopback,
# private and link-local addresses (tests and local development only).
WEBHOOK_ALLOW_PRIVATE = False
# One webhook delivery may take this many seconds in all (connect, send, answer); at most
# 64 KiB of the answer is read. Endpoints served at once by each scheduler, and failed
# deliveries in a row after which an endpoint pauses (1 min, doubling up to 1 h).
WEBHOOK_TIMEOUT = 10.0
WEBHOOK_WORKERS = 4
WEBHOOK_BREAKER_THRESHOLD = 5
# Public forms (subscribe, feedback): requests per client address per 10 minutes.
SUBSCRIBE_RATE_LIMIT = 10
FEEDBACK_RATE_LIMIT = 30
# Behind nginx: downloads of uploaded files are answered with X-Accel-Redirect to this
# internal location (which must alias ARTIFACTS_DIR; see deploy/nginx) and nginx sends the
# bytes. None: Flask streams them itself (development, single host without nginx).
DOWNLOADS_ACCEL_REDIRECT = None

# Binary deltas (docs/vendor/deltas.md): after a release is published the scheduler builds
# a patch to each of its uploaded files from the same platform's file of this many earlier
# releases (0 turns deltas off). A patch is offered only when it is at most DELTA_MAX_SHARE
# of the full file; files larger than DELTA_MAX_FILE_BYTES get none (building holds the
# earlier file in memory, plus zstd's window of both files).
DELTA_FROM_RELEASES = 3
DELTA_MAX_SHARE = 0.5
DELTA_MAX_FILE_BYTES = 512 * 1024**2
# zstd level of the patches: 3 builds in well under a second per 10 MB; higher levels
# take many times longer for patches hardly smaller (benchmarks/deltas_bench.py).
DELTA_LEVEL = 3
# Releases published longer ago than this get no new patches (older ones stay).
DELTA_NEW_RELEASE_DAYS = 30

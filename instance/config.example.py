# updatesrv settings. Copy to instance/config.py (or set UPDATESRV_<NAME> env vars; values
# are parsed as JSON when they parse, so UPDATESRV_CHECK_INTERVAL=3600 is a number).

# Signs console sessions and derives the install-id hashing key. Keep it secret and stable.
SECRET_KEY = "change-me"

# Database. Default: SQLite in this folder. For several web processes on several hosts:
# DATABASE_URL = "postgresql+psycopg://updatesrv:password@db.internal/updatesrv"
DATABASE_URL = "sqlite:///updatesrv.sqlite3"

# The public URL clients reach (behind a proxy or CDN). Absolute links in API answers use it;
# unset, they use the host of each request.
# BASE_URL = "https://updates.example.com"

# Host names this server answers for; any other Host header gets 400 (Flask's setting).
# `updatesrv serve` needs BASE_URL or TRUSTED_HOSTS unless it is bound to loopback only.
# TRUSTED_HOSTS = ["updates.example.com"]

# Reverse proxies in front of the server (nginx, a load balancer): with N > 0 the client
# address and scheme come from the last N X-Forwarded-For / X-Forwarded-Proto entries.
# Login throttling keys on the client address, so set this behind a proxy.
# TRUSTED_PROXIES = 1

# Uploaded release files (relative paths are inside this folder) and the size limit.
ARTIFACTS_DIR = "artifacts"
MAX_UPLOAD_BYTES = 2 * 1024**3

# Seconds clients wait before asking again, and the Cache-Control max-age of public answers.
CHECK_INTERVAL = 86400
CHECK_MAX_AGE = 60

# The server's Ed25519 keys that sign every check answer: a folder of PEM files (relative
# to the instance folder unless absolute). 'updatesrv init' creates the first; 'updatesrv
# keygen --server' adds one and '--retire ID' removes one (restart to apply). Signed answers
# expire after CHECK_SIGNATURE_TTL seconds.
SERVER_KEYS_DIR = "server-keys"
CHECK_SIGNATURE_TTL = 7 * 24 * 3600

# Check statistics are buffered per process and written this often (seconds).
STATS_FLUSH_INTERVAL = 5.0
# At most this many distinct entries wait in memory per process (a long database stall);
# beyond it new ones are counted as not recorded (stats endpoint: "unrecorded").
STATS_BUFFER_LIMIT = 200_000
# At most this many distinct installs are stored per product and day; the rest are counted.
STATS_INSTALLS_PER_DAY = 1_000_000

# Seconds a write waits for another transaction's lock before answering 503 + Retry-After.
DB_LOCK_TIMEOUT = 30

# Show the "demo data" banner on the demo product's pages.
DEMO_BANNER = True

# Each web process re-validates its cached catalog of a product (one indexed query) at most
# this often (seconds); 0 = on every request. A vendor's change reaches clients within it.
CATALOG_REVALIDATE_SECONDS = 1.0

# Outgoing mail (subscription mails, invitations), sent by the scheduler from the outbox.
# Unset = mail is off and public pages do not offer e-mail subscriptions.
# MAIL_URL = "smtp://user:password@mail.example.com:587?starttls=1"   # or smtps://…:465
# MAIL_FROM = "Ledgerly updates <updates@example.com>"

# Webhooks are delivered only to public HTTPS addresses (checked again after DNS
# resolution at each delivery). True allows http:// and private addresses: development only.
WEBHOOK_ALLOW_PRIVATE = False

# Behind nginx (docs/operating/nginx.md): downloads of uploaded files are handed
# to nginx with X-Accel-Redirect to this internal location, which `updatesrv nginx-config`
# aliases to ARTIFACTS_DIR; nginx sends the bytes. Unset: Flask sends them itself.
# DOWNLOADS_ACCEL_REDIRECT = "/_updatesrv_artifacts/"

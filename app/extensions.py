"""Flask extensions, created unbound here and bound to the app in ``create_app``."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
babel = Babel()
# Without a proxy in front, the peer address is the client; ProxyFix is opt-in (security.md L7).
limiter = Limiter(key_func=get_remote_address, default_limits=[])

"""Flask extensions, created unbound here and bound to an app in create_app.

The flask-smorest ``Api`` is not here: it belongs to the HTTP layer
(``collector.api``), and every module may import this one.
"""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
# Limits are declared per endpoint; nothing is limited by default.
limiter = Limiter(key_func=get_remote_address)

"""Flask extensions, created unbound here and bound to an app in create_app."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

from collector.errors import Api


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
api = Api()
# Limits are declared per endpoint; nothing is limited by default.
limiter = Limiter(key_func=get_remote_address)

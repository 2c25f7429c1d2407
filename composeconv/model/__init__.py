"""The typed Compose model and its codec."""

from .codec import decode_project, encode_project
from .types import *  # noqa: F401,F403
from .types import Project, Service
from .values import Duration

__all__ = ["Project", "Service", "Duration", "decode_project", "encode_project"]

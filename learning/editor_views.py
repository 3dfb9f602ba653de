"""The editor's pages (being built)."""
from flask import Blueprint

from core.permissions import ADMIN, EDITOR, roles_required

bp = Blueprint("editor", __name__, url_prefix="/editor")


@bp.get("/")
@roles_required(EDITOR, ADMIN)
def topics():
    return "Biên tập"

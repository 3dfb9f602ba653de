"""What units and members refuse: the one refusal of the package and the sentences its modules share."""
from core.errors import Refusal


class UnitError(Refusal):
    """A rule about units or members was broken."""


EMPTY_NAME = "Tên không được để trống."
UNIT_INACTIVE = "Đơn vị đã sáp nhập hoặc giải thể, không thể thao tác."

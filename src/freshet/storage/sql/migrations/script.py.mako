"""${message}

Revision ${up_revision}, after ${down_revision | comma,n}.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = None
depends_on = None


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}
    op.execute(
        "UPDATE instance_info SET value = '" + str(int(revision)) + "' WHERE key = 'schema_version'"
    )


def downgrade() -> None:
    raise NotImplementedError("freshet migrations only go forward; restore a backup instead")

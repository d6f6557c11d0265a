"""Items about feature-flag variants served to people."""

from pydantic import Field

from opsroom.ingest.schemas.fields import Happened, ItemIn, Key, Required64, Required100


class ExposureIn(ItemIn):
    """The variant of a flag served to a person; unknown flags are created (0% rollout)."""

    user_id: Key
    flag: Required100 = Field(description="The flag key.")
    variant: Required64
    exposed_at: Happened

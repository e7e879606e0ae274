"""Partitions: definitions (time windows, static, dynamic, multi), compact subsets, mappings.

Pure and import-cheap: the cron library is loaded only by schedules that need it (`cron.py`).
"""

from freshet.core.partitions.backfill_policy import BackfillPolicy, BackfillPolicyType
from freshet.core.partitions.base import (
    DynamicPartitionsStore,
    PartitionKeyRange,
    PartitionKeys,
    PartitionsDefinition,
)
from freshet.core.partitions.definitions import (
    DynamicPartitionsDefinition,
    StaticPartitionsDefinition,
)
from freshet.core.partitions.mappings import (
    AllPartitionMapping,
    IdentityPartitionMapping,
    LastPartitionMapping,
    MultiToSingleDimensionPartitionMapping,
    PartitionMapping,
    SpecificPartitionsPartitionMapping,
    StaticPartitionMapping,
    TimeWindowPartitionMapping,
    default_partition_mapping,
    validate_mapping,
)
from freshet.core.partitions.multi import (
    MultiPartitionKey,
    MultiPartitionsDefinition,
    MultiPartitionsSubset,
)
from freshet.core.partitions.subsets import (
    AllPartitionsSubset,
    KeysPartitionsSubset,
    PartitionsSubset,
    TimeWindowPartitionsSubset,
    UnpartitionedSubset,
)
from freshet.core.partitions.time import TimeWindow
from freshet.core.partitions.time_window import (
    DailyPartitionsDefinition,
    HourlyPartitionsDefinition,
    MonthlyPartitionsDefinition,
    TimeWindowPartitionsDefinition,
    WeeklyPartitionsDefinition,
)

__all__ = [
    "AllPartitionMapping",
    "AllPartitionsSubset",
    "BackfillPolicy",
    "BackfillPolicyType",
    "DailyPartitionsDefinition",
    "DynamicPartitionsDefinition",
    "DynamicPartitionsStore",
    "HourlyPartitionsDefinition",
    "IdentityPartitionMapping",
    "KeysPartitionsSubset",
    "LastPartitionMapping",
    "MonthlyPartitionsDefinition",
    "MultiPartitionKey",
    "MultiPartitionsDefinition",
    "MultiPartitionsSubset",
    "MultiToSingleDimensionPartitionMapping",
    "PartitionKeyRange",
    "PartitionKeys",
    "PartitionMapping",
    "PartitionsDefinition",
    "PartitionsSubset",
    "SpecificPartitionsPartitionMapping",
    "StaticPartitionMapping",
    "StaticPartitionsDefinition",
    "TimeWindow",
    "TimeWindowPartitionMapping",
    "TimeWindowPartitionsDefinition",
    "TimeWindowPartitionsSubset",
    "UnpartitionedSubset",
    "WeeklyPartitionsDefinition",
    "default_partition_mapping",
    "validate_mapping",
]

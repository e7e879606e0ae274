select
    listen_id,
    cast(day as date) as day,
    user_id,
    track_id,
    cast(seconds as integer) as seconds,
    skipped
from {{ source('raw', 'listens') }}

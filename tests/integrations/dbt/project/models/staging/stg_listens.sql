select user_id, track_id, cast(seconds as integer) as seconds
from {{ source('raw', 'listens') }}

select
    u.user_id,
    u.is_premium,
    count(*) as listens,
    count(distinct l.day) as active_days,
    avg(l.seconds) as avg_seconds,
    avg(case when l.skipped then 1.0 else 0.0 end) as skip_rate,
    count(distinct l.track_id) as distinct_tracks
from {{ ref('stg_listens') }} l
join {{ ref('stg_users') }} u using (user_id)
group by all

select
    l.day,
    t.track_id,
    t.title,
    t.artist,
    count(*) as plays,
    sum(l.seconds) as seconds_played
from {{ ref('stg_listens') }} l
join {{ ref('stg_tracks') }} t using (track_id)
group by all

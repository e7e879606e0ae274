select t.track_id, t.title, count(*) as plays, sum(l.seconds) as seconds
from {{ ref('stg_listens') }} l join {{ ref('tracks') }} t using (track_id)
group by 1, 2

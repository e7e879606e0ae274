select track_id, title, artist, genre from {{ ref('tracks') }}

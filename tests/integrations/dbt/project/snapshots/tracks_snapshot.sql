{% snapshot tracks_snapshot %}
{{ config(target_schema='snapshots', unique_key='track_id', strategy='check', check_cols=['title']) }}
select * from {{ ref('tracks') }}
{% endsnapshot %}

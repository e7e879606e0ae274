{% if var('break_fragile') %}
select no_such_column from {{ ref('stg_listens') }}
{% else %}
select count(*) as listens from {{ ref('stg_listens') }}
{% endif %}

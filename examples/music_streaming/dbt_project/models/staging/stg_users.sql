select user_id, country, plan = 'premium' as is_premium from {{ ref('users') }}

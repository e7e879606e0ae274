select listens * 2 as doubled from {{ ref('fragile') }}

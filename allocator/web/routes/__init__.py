"""HTTP routes: login/logout (`auth_routes`), read-only pages (`pages`), POST actions
(`actions`). Shared request helpers live in `common`."""
